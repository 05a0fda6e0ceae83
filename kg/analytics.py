"""Graph questions SPARQL does badly (shortest paths), on a networkx projection of the store.

Every edge of the projection keeps the statements it came from: subject, relation, object
and the source lines of the fact that states it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from kg.lookups import citations
from kg.names import Entity
from kg.query import run
from kg.store import Store, value


@dataclass(frozen=True)
class Statement:
    """One stored statement between two named nodes."""

    subject: str
    subject_label: str
    relation: str
    object: str
    object_label: str
    sources: tuple[tuple[str, int], ...]


def statements(store: Store) -> list[Statement]:
    """Return every statement linking two named nodes (the projection's edges)."""
    out = []
    for r in run(store, "graph-edges"):
        relation = value(r["pLabel"]) or value(r["p"]).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        cites = tuple((c["document"], c["line"]) for c in citations(value(r["sources"])))
        out.append(
            Statement(
                value(r["s"]),
                value(r["sLabel"]),
                relation,
                value(r["o"]),
                value(r["oLabel"]),
                cites,
            )
        )
    return out


def actor_graph(store: Store) -> Any:
    """Build an undirected networkx graph whose edges carry their statements."""
    import networkx as nx

    graph = nx.Graph()
    # Sorted insertion keeps breadth-first search, and so the path chosen, deterministic.
    for st in sorted(statements(store), key=lambda s: (s.subject, s.relation, s.object)):
        graph.add_node(st.subject, label=st.subject_label)
        graph.add_node(st.object, label=st.object_label)
        if graph.has_edge(st.subject, st.object):
            graph.edges[st.subject, st.object]["statements"].append(st)
        else:
            graph.add_edge(st.subject, st.object, statements=[st])
    return graph


class NoPath(Exception):
    """The two entities are not connected."""


def shortest_path(store: Store, a: Entity, b: Entity) -> list[dict[str, Any]]:
    """Return the hops of a shortest chain of statements from a to b.

    Each hop has `from`, `relation`, `to` (labels), `inverse` (true when the statement
    points from `to` to `from`), the IRIs, and the `sources` of the statement.
    """
    import networkx as nx

    graph = actor_graph(store)
    for e in (a, b):
        if e.iri not in graph:
            raise NoPath(f"{e.label} has no relations to follow")
    try:
        nodes = nx.shortest_path(graph, a.iri, b.iri)
    except nx.NetworkXNoPath:
        raise NoPath(f"no chain of relations links {a.label} and {b.label}") from None
    hops = []
    for here, there in itertools.pairwise(nodes):
        st = graph.edges[here, there]["statements"][0]
        hops.append(
            {
                "from": graph.nodes[here]["label"],
                "relation": st.relation,
                "to": graph.nodes[there]["label"],
                "inverse": st.subject != here,
                "sources": [{"document": d, "line": n} for d, n in st.sources],
                "from_iri": here,
                "to_iri": there,
            }
        )
    return hops
