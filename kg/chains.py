"""`kg path` and `kg view --path`: the chain of statements linking two entities.

One function, `shortest_path`, decides the chain for both. Of the chains of stored
statements between the two (in either direction), it takes:

1. the fewest hops, leaving out what a claim node is about, who asserts it and when it
   holds (what hop-kind.rq calls "meta"), unless no chain exists without them;
2. among those, the fewest hops through a claim node (a report, a party's view, a
   judgement, a fact limited in time: "claim") — what is stated comes first;
3. then the chain whose labels, read from the first entity, come first alphabetically (then
   IRIs), so the same graph always gives the same chain.

A statement touching a negative claim (a relation saying two things are not linked, as "no
listed meeting covered ISKP", or a denied claim) links nothing. The search goes outward from
both ends, one index lookup per node, so it answers in a few lookups on any size of graph;
past a number of lookups that grows with the graph (search_nodes), the same choice is made
on a projection of every statement between named nodes. Every hop keeps the statement it
follows and its source lines.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, NamedTuple

import pyoxigraph as ox

from kg.errors import KgError
from kg.lookups import AUTHOR, STATED, status_slug
from kg.names import Entity
from kg.query import bindings, load_query, run, run_each, with_values
from kg.store import Row, Store, value

# How a hop links (hop-kind.rq), best first.
KINDS = ("stated", "claim", "meta")


# A NamedTuple, not a dataclass, as kg.names.Entity: `kg path` starts faster.
class Statement(NamedTuple):
    """One stored statement between two named nodes, and how it links them (KINDS)."""

    subject: str
    subject_label: str
    relation: str
    object: str
    object_label: str
    sources: tuple[tuple[str, int], ...]
    kind: str = "stated"


def _relation(r: Row) -> str:
    return value(r["pLabel"]) or value(r["p"]).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def statements(store: Store) -> list[Statement]:
    """Return every statement linking two named nodes (the projection's edges)."""
    from kg.lookups import citations

    out = []
    for r in run(store, "graph-edges"):
        cites = tuple((c["document"], c["line"]) for c in citations(value(r["sources"])))
        out.append(
            Statement(
                value(r["s"]),
                value(r["sLabel"]),
                _relation(r),
                value(r["o"]),
                value(r["oLabel"]),
                cites,
                value(r["kind"]) or "stated",
            )
        )
    return out


def arrowed(hop: dict[str, Any]) -> str:
    """A hop's relation with the way its statement points, read from `from` to `to`:
    'participant →', or '← participant' when the statement points from `to` to `from`."""
    return f"← {hop['relation']}" if hop["inverse"] else f"{hop['relation']} →"


class NoPath(KgError):
    """The two entities are not connected."""


class _OverBudget(Exception):
    """The neighbour-by-neighbour search asked too many questions."""


# How many nodes the neighbour-by-neighbour search may ask about before a whole-graph
# projection is the better bet: one per TRIPLES_PER_NODE triples of the graph (the
# projection's cost grows with the graph, a node's lookup stays at 1-6 ms), at least
# MIN_NODES; SEARCH_NODES for a graph of unknown size (a server). A count, not a clock, so
# that the same graph always takes the same way: with a one-second budget, a 5M-triple
# search of 0.9 s (133 nodes) went over it on a loaded machine and projected (> 60 s). At 1M
# triples the projection took 11 s, 4,000-odd lookups; at 5M over 60 s, 10,000-odd.
TRIPLES_PER_NODE = 500
MIN_NODES = 200
SEARCH_NODES = 2_000


def search_nodes(store: Store) -> int:
    """How many nodes a search may ask about in this store before projecting instead."""
    summary = store.sidecar("build")
    triples = summary.get("triples") if isinstance(summary, dict) else None
    if not isinstance(triples, int):
        return SEARCH_NODES
    return max(MIN_NODES, triples // TRIPLES_PER_NODE)


Link = tuple[str, str, Statement]  # (neighbour, its label, the statement)
Neighbours = Callable[[str], list[Link]]


def _store_neighbours(store: Store, budget: int) -> Neighbours:
    """Named nodes one statement away from a node, asked of the store (an index lookup);
    _OverBudget past `budget` nodes."""
    asked = [0]
    queries = {d: load_query(f"neighbours-{d}") for d in ("out", "in")}

    def neighbours(node: str) -> list[Link]:
        asked[0] += 1
        if asked[0] > budget:
            raise _OverBudget
        out = []
        for direction, query in queries.items():
            # The node bound as VALUES, which the planner sees (a substituted one it does
            # not: 90-140 ms a node at 5M triples when not in the page cache, 1-3 ms as VALUES).
            text = with_values(query.text, ["node"], [[ox.NamedNode(node)]])
            params = {k: t for k, t in bindings(query, {}).items() if k != "node"}
            for r in store.select(text, params):
                other, label = value(r["other"]), value(r["otherLabel"])
                kind = value(r["kind"]) or "stated"
                # Sources are asked for only for the hops of the chain found.
                if direction == "out":
                    st = Statement(node, "", _relation(r), other, label, (), kind)
                else:
                    st = Statement(other, label, _relation(r), node, "", (), kind)
                if other != node:
                    out.append((other, label, st))
        return out

    return neighbours


def _projected_neighbours(store: Store) -> tuple[Neighbours, dict[str, str]]:
    """The same, from a projection of every statement between named nodes (one query)."""
    adjacent: dict[str, list[Link]] = {}
    labels: dict[str, str] = {}
    for st in statements(store):
        labels[st.subject], labels[st.object] = st.subject_label, st.object_label
        if st.subject != st.object:
            adjacent.setdefault(st.subject, []).append((st.object, st.object_label, st))
            adjacent.setdefault(st.object, []).append((st.subject, st.subject_label, st))
    return (lambda node: adjacent.get(node, [])), labels


def _better(st: Statement, than: Statement | None) -> bool:
    """Of two statements linking the same two nodes, the one a chain follows."""
    key = (KINDS.index(st.kind), st.relation, st.subject, st.object)
    return than is None or key < (KINDS.index(than.kind), than.relation, than.subject, than.object)


def _choose(
    neighbours: Neighbours, a: str, b: str, max_hops: int, kinds: tuple[str, ...]
) -> tuple[list[tuple[str, str, Statement]], dict[str, str]] | None:
    """The best chain from a to b over statements of these kinds (see the module), as
    (from, to, statement) hops with the labels met; None when there is none.

    Breadth-first from both ends a whole layer at a time, always growing the smaller side,
    until the two meet: the links seen then hold every shortest chain, and the best is
    picked among them.
    """
    labels: dict[str, str] = {}
    link: dict[tuple[str, str], Statement] = {}  # (node, node) sorted -> best statement
    adjacent: dict[str, set[str]] = {}
    dist: list[dict[str, int]] = [{a: 0}, {b: 0}]
    frontier = [[a], [b]]
    for _ in range(max_hops):
        if any(n in dist[1] for n in dist[0]):
            break
        side = 0 if len(frontier[0]) <= len(frontier[1]) else 1
        grown: list[str] = []
        for node in sorted(frontier[side]):
            for other, label, st in neighbours(node):
                if st.kind not in kinds:
                    continue
                labels.setdefault(other, label)
                pair = (node, other) if node < other else (other, node)
                if _better(st, link.get(pair)):
                    link[pair] = st
                adjacent.setdefault(node, set()).add(other)
                adjacent.setdefault(other, set()).add(node)
                if other not in dist[side]:
                    dist[side][other] = dist[side][node] + 1
                    grown.append(other)
        if not grown:
            return None
        frontier[side] = grown
    else:
        if not any(n in dist[1] for n in dist[0]):
            return None
    # Every shortest chain runs over the links seen (each side explored up to its radius,
    # and the radii add up to at least the chain's length): measure both ends' distances
    # over them, and pick, from b backwards, each node's best way on towards b.
    da, db = _distances(adjacent, a), _distances(adjacent, b)
    length = da[b]
    # node -> (hops of each kind on its best way to b, the labels and IRIs along it)
    best: dict[str, tuple[tuple[int, ...], tuple[str, ...], tuple[str, ...]]] = {
        b: ((0,) * len(KINDS), (), ())
    }
    for step in range(length - 1, -1, -1):
        for node in (n for n, d in da.items() if d == step and db.get(n) == length - step):
            options = []
            for other in adjacent[node]:
                if other not in best or db.get(other) != length - step - 1:
                    continue
                st = link[(node, other) if node < other else (other, node)]
                count, names, iris = best[other]
                count = tuple(c + (KINDS[i] == st.kind) for i, c in enumerate(count))
                # Fewer meta hops first, then fewer claim hops; then labels, then IRIs.
                options.append((count[::-1], (labels.get(other, ""), *names), (other, *iris)))
            if options:
                worst_first, names, iris = min(options)
                best[node] = (worst_first[::-1], names, iris)
    nodes = [a, *best[a][2]]
    hops = [
        (here, there, link[(here, there) if here < there else (there, here)])
        for here, there in itertools.pairwise(nodes)
    ]
    return hops, labels


def _distances(adjacent: dict[str, set[str]], start: str) -> dict[str, int]:
    dist = {start: 0}
    frontier = [start]
    while frontier:
        grown = []
        for node in frontier:
            for other in adjacent.get(node, ()):
                if other not in dist:
                    dist[other] = dist[node] + 1
                    grown.append(other)
        frontier = grown
    return dist


def _best_chain(
    neighbours: Neighbours, a: Entity, b: Entity, max_hops: int
) -> tuple[list[tuple[str, str, Statement]], dict[str, str]]:
    """The chain shortest_path returns, before its sources are fetched; NoPath when none."""
    if a.iri == b.iri:
        return [], {}
    seen: dict[str, list[Link]] = {}

    def cached(node: str) -> list[Link]:
        if node not in seen:
            seen[node] = sorted(neighbours(node), key=lambda x: (x[0], x[2].relation))
        return seen[node]

    for kinds in (KINDS[:2], KINDS):
        found = _choose(cached, a.iri, b.iri, max_hops, kinds)
        if found is not None:
            hops, labels = found
            return hops, {**labels, a.iri: a.label, b.iri: b.label}
    raise NoPath(f"no chain of relations links {a.label} and {b.label} within {max_hops} hops")


def shortest_path(store: Store, a: Entity, b: Entity, max_hops: int = 12) -> list[dict[str, Any]]:
    """Return the hops of the chain of statements from a to b (see the module for which).

    Each hop has `from`, `relation`, `to` (labels), `inverse` (true when the statement points
    from `to` to `from`), the IRIs, the `sources` of the statement, how the source puts it
    (`status`, `asserted_by`) and `claim_iri`: the claim a hop goes through (its status
    and asserter are the claim's), else None. Searches outward
    from both ends with index lookups; past search_nodes lookups, answers from a projection
    of the whole graph instead (the same choice). Raises NoPath when none links them.
    """
    try:
        hops, labels = _best_chain(_store_neighbours(store, search_nodes(store)), a, b, max_hops)
    except _OverBudget:
        neighbours, labels = _projected_neighbours(store)
        hops, found = _best_chain(neighbours, a, b, max_hops)
        labels.update(found)
    facts = sorted({ox.NamedNode(st.subject) for _, _, st in hops}, key=str)
    cites: dict[str, set[tuple[str, int]]] = {}
    for r in run_each(store, "evidence-of", "fact", facts, many=-1):
        cites.setdefault(value(r["fact"]), set()).add((value(r["file"]), int(value(r["line"]))))
    claimed = sorted(
        {ox.NamedNode(st.subject) for _, _, st in hops if st.kind != "stated"}, key=str
    )
    how: dict[str, dict[str, str]] = {}
    for r in run_each(store, "claim-status", "claim", claimed, many=-1):
        how[value(r["claim"])] = {
            "status": status_slug(value(r["status"])),
            "asserted_by": value(r["asserterLabel"]) or AUTHOR,
        }
    return [
        {
            "from": labels.get(here, here),
            "relation": st.relation,
            "to": labels.get(there, there),
            "inverse": st.subject != here,
            "sources": [{"document": d, "line": n} for d, n in sorted(cites.get(st.subject, ()))],
            "from_iri": here,
            "to_iri": there,
            # A plain triple is what the source states; a hop through a claim is put as
            # that claim is.
            **how.get(st.subject, STATED),
            "claim_iri": st.subject if st.subject in how else None,
        }
        for here, there, st in hops
    ]
