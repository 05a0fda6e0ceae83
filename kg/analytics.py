"""Graph questions SPARQL does badly (shortest paths), on a networkx projection of the store.

Every edge of the projection keeps the statements it came from: subject, relation, object
and the source lines of the fact that states it.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from kg.lookups import citations
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


class NoPath(Exception):
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
        }
        for here, there, st in chain
    ]


# ------------------------------------------------------------------------------ actor network
MEASURES = {
    "degree": "how many distinct actors one is directly tied to, as a share of all others "
    "(who is most connected)",
    "betweenness": "how often one lies on the shortest chains between two other actors "
    "(who brokers; exact, computed by rustworkx)",
    "eigenvector": "ties weighted by how central the tied actors are themselves "
    "(who is close to the core; per connected group, scaled by its size)",
}


def actor_network(store: Store, sources: bool = True) -> Any:
    """Return a networkx MultiGraph of actors: people, institutions and posts.

    One edge per meeting between two actors on different sides (`kind` "met"), per role
    tying a person to an organization, per post's organization, per sub-organization or
    mission tie, and per agreement two actors are parties to. Nodes carry label, kind and
    type; edges carry kind, label, start/end dates (when known) and, unless sources=False
    (rank and communities need none), sources ("document:line; …", the fact's evidence).

    Meetings come from the meeting index and each meeting's participants (two scans), not
    from who-met's per-pair rows, which cost 16 s at 1M triples.
    """
    import networkx as nx

    from kg.indexes import meeting_index

    graph = nx.MultiGraph()
    for r in run(store, "actors"):
        graph.add_node(
            value(r["actor"]),
            label=value(r["label"]),
            kind=value(r["kind"]),
            type=value(r["typeLabel"]),
        )
    evidence: dict[str, list[tuple[str, int]]] = {}
    if sources:
        for r in run(store, "evidence-of"):
            evidence.setdefault(value(r["fact"]), []).append(
                (value(r["file"]), int(value(r["line"])))
            )

    def cites(fact: str) -> str:
        return "; ".join(f"{d}:{n}" for d, n in sorted(set(evidence.get(fact, ()))))

    parts: dict[str, set[tuple[str, str]]] = {}
    for r in run(store, "meeting-sides"):
        parts.setdefault(value(r["event"]), set()).add((value(r["actor"]), value(r["side"])))
    for event, earliest, latest, label, _, _ in meeting_index(store):
        actors = parts.get(event, set())
        for a, b in sorted({(a, b) for a, sa in actors for b, sb in actors if sa < sb}):
            if a in graph and b in graph:
                attrs = {"kind": "met", "label": label, "start": earliest, "end": latest}
                if sources:
                    attrs["sources"] = cites(event)
                graph.add_edge(a, b, **attrs)
    for r in run(store, "actor-links"):
        a, b = value(r["a"]), value(r["b"])
        if a in graph and b in graph and a != b:
            attrs = {"kind": value(r["kind"]), "label": value(r["label"])}
            if sources:
                attrs["sources"] = cites(value(r["fact"]))
            if value(r["earliest"]):
                attrs.update(start=value(r["earliest"]), end=value(r["latest"]))
            graph.add_edge(a, b, **attrs)
    return graph


def simple(graph: Any) -> Any:
    """Collapse a MultiGraph into a Graph whose edge weight counts the ties."""
    import networkx as nx

    out = nx.Graph()
    out.add_nodes_from(sorted(graph.nodes(data=True)))
    for a, b in sorted(graph.edges()):
        if out.has_edge(a, b):
            out.edges[a, b]["weight"] += 1
        else:
            out.add_edge(a, b, weight=1)
    return out


def rank(store: Store, by: str = "degree", kind: str | None = None) -> list[dict[str, Any]]:
    """Rank actors by a centrality measure (see MEASURES); ties broken by name."""
    import networkx as nx

    if by not in MEASURES:
        raise ValueError(f"unknown measure {by!r}")
    graph = simple(actor_network(store, sources=False))
    n = graph.number_of_nodes()
    if n == 0:
        return []
    if by == "degree":
        scores = nx.degree_centrality(graph) if n > 1 else {v: 0.0 for v in graph}
    elif by == "betweenness":
        scores = _betweenness(graph)
    else:
        scores = _eigenvector(graph)
    rows = [
        {
            "name": d["label"],
            "kind": d["kind"],
            "type": d["type"],
            "score": round(float(scores[v]), 6),
            "ties": graph.degree(v),
            "iri": v,
        }
        for v, d in graph.nodes(data=True)
        if kind is None or d["kind"] == kind
    ]
    rows.sort(key=lambda r: (-r["score"], r["name"], r["iri"]))
    for i, r in enumerate(rows, start=1):
        r["rank"] = i
    return [{"rank": r.pop("rank"), **r} for r in rows]


def _betweenness(graph: Any) -> dict[str, float]:
    """Exact normalised betweenness, by rustworkx (Rust, on every core).

    networkx's took 50 s at 2,100 actors, so it was sampled above 1,000 (and still took 37 s
    at 4,700); rustworkx gives the exact measure for 4,700 actors in 3 s, equal to
    networkx's to 1e-17 on the shipped graph (a test holds them equal).
    """
    import rustworkx as rx

    nodes = list(graph.nodes())
    if len(nodes) < 3:  # no node can lie between two others
        return {v: 0.0 for v in nodes}
    index = {v: i for i, v in enumerate(nodes)}
    rgraph = rx.PyGraph()
    rgraph.add_nodes_from(nodes)
    rgraph.add_edges_from_no_data([(index[a], index[b]) for a, b in graph.edges()])
    scores = rx.betweenness_centrality(rgraph, normalized=True)
    return {v: float(scores[i]) for i, v in enumerate(nodes)}


def _eigenvector(graph: Any) -> dict[str, float]:
    """Eigenvector centrality per connected component, scaled by the component's size.

    On a disconnected graph the plain measure puts all weight on one component; scoring
    each component and weighting it by its share of the actors keeps small groups visible
    but below the core.
    """
    import networkx as nx

    scores: dict[str, float] = {}
    n = graph.number_of_nodes()
    for comp in nx.connected_components(graph):
        sub = graph.subgraph(comp)
        if len(comp) < 3:
            scores.update({v: 0.0 for v in comp})
            continue
        ev = nx.eigenvector_centrality_numpy(sub, weight="weight")
        top = max(ev.values()) or 1.0
        scores.update({v: abs(s) / top * len(comp) / n for v, s in ev.items()})
    return scores


def communities(store: Store) -> list[dict[str, Any]]:
    """Group actors with Louvain modularity (seeded, so the same graph gives the same groups)."""
    import networkx as nx

    graph = simple(actor_network(store, sources=False))
    if graph.number_of_nodes() == 0:
        return []
    groups = nx.community.louvain_communities(graph, weight="weight", seed=42)
    out = []
    for members in groups:
        ordered = sorted(members, key=lambda v: (-graph.degree(v), graph.nodes[v]["label"]))
        out.append(
            {
                "size": len(members),
                "central": graph.nodes[ordered[0]]["label"],
                "members": sorted(graph.nodes[v]["label"] for v in members),
            }
        )
    out.sort(key=lambda c: (-c["size"], c["central"]))
    return [{"community": i, **c} for i, c in enumerate(out, start=1)]


def engagement(store: Store, by: str = "month") -> dict[str, Any]:
    """Count engagements in the curated events, next to what the source reports.

    An engagement is an event with actors on two sides, counted once per pair of sides
    (not once per direction, nor once per participant).
    """
    query = {"month": "stats-months", "topic": "stats-topics", "pair": "stats-pairs"}[by]
    rows: list[dict[str, Any]] = []
    for r in run(store, query):
        if by == "month":
            rows.append({"month": value(r["month"]), "count": int(value(r["count"]))})
        elif by == "topic":
            rows.append({"topic": value(r["label"]), "count": int(value(r["count"]))})
        else:
            rows.append(
                {"a": value(r["aLabel"]), "b": value(r["bLabel"]), "count": int(value(r["count"]))}
            )
    reported = []
    for r in run(store, "reported"):
        cites = citations(value(r["sources"]))
        reported.append(
            {
                "statistic": value(r["label"]),
                "measure": value(r["measure"]),
                "value": value(r["value"]) or None,
                "unit": value(r["unit"]) or None,
                "rank": value(r["rank"]) or None,
                "out_of": value(r["outOf"]) or None,
                "trails": sorted(filter(None, value(r["trails"]).split("|"))),
                "period_end": value(r["periodEnd"]) or None,
                "sources": cites,
            }
        )
    total = sum(int(row["count"]) for row in rows) if by != "topic" else None
    return {"by": by, "rows": rows, "curated_total": total, "reported": reported}
