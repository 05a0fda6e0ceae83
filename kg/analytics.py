"""The actor network (people, institutions, posts) as networkx graphs: centrality, communities.

Every edge keeps what it came from (a meeting, a role, a tie, an agreement) and, when asked
for, the source lines of the fact that states it. `kg path`'s chain search is in kg.chains.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from kg.kinds import actor_kinds
from kg.query import run, run_table
from kg.store import Store, value

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
    kinds = [(ox.NamedNode(cls), ox.Literal(name)) for cls, name in actor_kinds(store)]
    for r in run_table(store, "actors", kinds):
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
    for event, earliest, latest, label, *_ in meeting_index(store):
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


def network(store: Store) -> Any:
    """The actor network as rank and communities weigh it: simple(actor_network(store)),
    from the actor graph `kg build` keeps (kg.indexes.actor_graph) when there is one."""
    import networkx as nx

    from kg.indexes import actor_graph

    nodes, edges = actor_graph(store)
    graph = nx.Graph()
    graph.add_nodes_from((iri, {"label": label, "kind": kind, "type": type_})
                         for iri, label, kind, type_ in nodes)  # fmt: skip
    graph.add_edges_from((nodes[i][0], nodes[j][0], {"weight": n}) for i, j, n in edges)
    return graph


def rank(store: Store, by: str = "degree", kind: str | None = None) -> list[dict[str, Any]]:
    """Rank actors by a centrality measure (see MEASURES); ties broken by name.

    Degree is counted from the actor graph's edges as they are (networkx's
    degree_centrality: ties / (actors - 1), a tie to itself counting twice); the other
    measures need the graph.
    """
    if by not in MEASURES:
        raise ValueError(f"unknown measure {by!r}")
    from kg.indexes import actor_graph

    nodes, edges = actor_graph(store)
    n = len(nodes)
    if n == 0:
        return []
    degree = [0] * n
    for i, j, _ in edges:
        degree[i] += 1
        degree[j] += 1
    if by == "degree":
        share = 1.0 / (n - 1.0) if n > 1 else 0.0
        scores = {iri: d * share for (iri, *_), d in zip(nodes, degree, strict=True)}
    else:
        graph = network(store)
        scores = _betweenness(graph) if by == "betweenness" else _eigenvector(graph)
    rows: list[dict[str, Any]] = [
        {
            "name": label,
            "kind": kind_,
            "type": type_,
            "score": round(float(scores[iri]), 6),
            "ties": d,
            "iri": iri,
        }
        for (iri, label, kind_, type_), d in zip(nodes, degree, strict=True)
        if kind is None or kind_ == kind
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

    graph = network(store)
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
