"""`kg path`: the shortest chain of statements between two entities, each hop with its evidence.

A search outward from both ends, one index lookup per node, answers on any size of graph
in a few lookups; past a time budget, a networkx projection of every statement between
named nodes answers instead. Every hop keeps the statement it follows and its source lines.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from kg.errors import KgError
from kg.lookups import STATED, citations
from kg.names import Entity
from kg.query import run, run_each
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


class NoPath(KgError):
    """The two entities are not connected."""


def _neighbours(store: Store, node: str) -> list[tuple[str, str, Statement]]:
    """Named nodes one statement away from node: (neighbour, its label, the statement)."""
    out = []
    for direction in ("out", "in"):
        for r in run(store, f"neighbours-{direction}", node=node):
            other = value(r["other"])
            relation = value(r["pLabel"]) or value(r["p"]).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            # Sources are asked for only for the hops of the chain found (see _search).
            if direction == "out":
                st = Statement(node, "", relation, other, value(r["otherLabel"]), ())
            else:
                st = Statement(other, value(r["otherLabel"]), relation, node, "", ())
            if other != node:
                out.append((other, value(r["otherLabel"]), st))
    return sorted(out, key=lambda x: (x[0], x[2].relation))


class _OverBudget(Exception):
    """The neighbour-by-neighbour search asked too many questions."""


# Seconds the neighbour-by-neighbour search may take before a whole-graph projection is the
# better bet: on the shipped graph a search takes milliseconds; at a million triples each
# lookup costs ~0.5-1 s and a search through a state's thousands of ties took 46 s, where
# the projection took 11 s.
SEARCH_SECONDS = 1.0


def shortest_path(store: Store, a: Entity, b: Entity, max_hops: int = 12) -> list[dict[str, Any]]:
    """Return the hops of a shortest chain of statements from a to b (see _search).

    Searches outward from both ends with index lookups; if that takes longer than
    SEARCH_SECONDS, answers from a projection of the whole graph instead.
    """
    try:
        return _search(store, a, b, max_hops)
    except _OverBudget:
        return _projected_path(store, a, b)


def _projected_path(store: Store, a: Entity, b: Entity) -> list[dict[str, Any]]:
    """Shortest chain on a networkx projection of every statement between named nodes."""
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
                **STATED,  # a chain follows plain triples only: what the source states
            }
        )
    return hops


def _search(store: Store, a: Entity, b: Entity, max_hops: int) -> list[dict[str, Any]]:
    """Return the hops of a shortest chain of statements from a to b.

    A breadth-first search from both ends that asks the store for one node's neighbours
    at a time (an index lookup each), always growing the smaller frontier, so a path costs
    a few lookups, not a projection of the whole graph. Ties go to the lowest IRI, so the
    same graph gives the same path. Each hop has `from`, `relation`, `to` (labels),
    `inverse` (true when the statement points from `to` to `from`), the IRIs and the
    `sources` of the statement.
    """
    if a.iri == b.iri:
        return []
    labels = {a.iri: a.label, b.iri: b.label}
    # parent[side][node] = (previous node, statement linking them)
    parent: list[dict[str, tuple[str, Statement] | None]] = [{a.iri: None}, {b.iri: None}]
    frontier = [[a.iri], [b.iri]]
    meet = None
    deadline = time.monotonic() + SEARCH_SECONDS
    for _ in range(max_hops):
        side = 0 if len(frontier[0]) <= len(frontier[1]) else 1
        nxt: list[str] = []
        for node in sorted(frontier[side]):
            if time.monotonic() > deadline:
                raise _OverBudget
            for other, label, st in _neighbours(store, node):
                labels.setdefault(other, label)
                if other in parent[side]:
                    continue
                parent[side][other] = (node, st)
                nxt.append(other)
                if other in parent[1 - side]:
                    meet = other
                    break
            if meet:
                break
        if meet or not nxt:
            break
        frontier[side] = nxt
    if meet is None:
        raise NoPath(f"no chain of relations links {a.label} and {b.label} within {max_hops} hops")
    chain: list[tuple[str, str, Statement]] = []  # (from, to, statement) from a to b
    node = meet
    while (link := parent[0][node]) is not None:
        chain.insert(0, (link[0], node, link[1]))
        node = link[0]
    node = meet
    while (link := parent[1][node]) is not None:
        chain.append((node, link[0], link[1]))
        node = link[0]
    facts = sorted({ox.NamedNode(st.subject) for _, _, st in chain}, key=str)
    cites: dict[str, set[tuple[str, int]]] = {}
    for r in run_each(store, "evidence-of", "fact", facts, many=-1):
        cites.setdefault(value(r["fact"]), set()).add((value(r["file"]), int(value(r["line"]))))
    return [
        {
            "from": labels.get(here, here),
            "relation": st.relation,
            "to": labels.get(there, there),
            "inverse": st.subject != here,
            "sources": [{"document": d, "line": n} for d, n in sorted(cites.get(st.subject, ()))],
            "from_iri": here,
            "to_iri": there,
            **STATED,
        }
        for here, there, st in chain
    ]
