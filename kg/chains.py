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
from typing import Any, NamedTuple

import pyoxigraph as ox

from kg.errors import KgError
from kg.lookups import AUTHOR, STATED, status_slug
from kg.names import Entity
from kg.query import run, run_each, run_table
from kg.store import Row, Store, truth, value

# How a hop links (hop-kind.rq), best first.
KINDS = ("stated", "claim", "meta")
SOURCE, CLAIM = "https://w3id.org/kg/ont#Source", "https://w3id.org/kg/ont#Claim"


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


class _Link(NamedTuple):
    """A statement from a node the search went on from, its far end not yet tested."""

    other: str  # the far end
    relation: str
    out: bool  # the node is the statement's subject
    kind: str  # "meta" (hop-kind), else "" until both ends' tests say; the projection's: known


class _Tests(NamedTuple):
    """What decides whether the statements reaching or leaving a node link (node-tests.rq)."""

    label: str  # its label ("" without one)
    linkable: bool  # a statement may reach it: labelled, no source, not negative
    usable: bool  # its own statements link: not negative (a negative relation, or denied)
    claim: bool  # a claim node: a hop through it is "claim"


def _order(link: _Link) -> tuple[str, str, bool, str]:
    """A node's statements by far end and relation, out before in."""
    return (link.other, link.relation, not link.out, link.kind)


# A node no statement of the projection reaches: its own statements (none) would link.
_UNREACHED = _Tests("", False, True, False)
# Nodes bound as VALUES in one query: a layer of a search can hold thousands; a server's
# query text stays a few hundred KB.
_CHUNK = 500


class _StoreGraph:
    """The graph as the search sees it, asked of the store a layer at a time: the statements
    of the nodes it goes on from (neighbours-of), and the tests of the nodes whose tests it
    needs (node-tests), each node once; _OverBudget past `budget` nodes gone on from."""

    def __init__(self, store: Store, budget: int) -> None:
        self.store, self.budget = store, budget
        self.links: dict[str, list[_Link]] = {}
        self.tests: dict[str, _Tests] = {}
        self.relations: dict[str, list[tuple[str, str]]] = {}  # IRI -> (label, kind)

    def expand(self, nodes: list[str]) -> None:
        new = [n for n in nodes if n not in self.links]
        if len(self.links) + len(new) > self.budget:
            raise _OverBudget
        found: dict[str, list[tuple[str, str, bool]]] = {n: [] for n in new}
        for i in range(0, len(new), _CHUNK):
            table = [[ox.NamedNode(n)] for n in new[i : i + _CHUNK]]
            for r in run_table(self.store, "neighbours-of", table):
                node, other = value(r["node"]), value(r["other"])
                if other != node:
                    found[node].append((other, value(r["p"]), truth(r["out"])))
        # The relations' labels and kinds, once a predicate (a label and a test a
        # statement, asked with the statements, cost a fifth of their time).
        asked = sorted({p for links in found.values() for _, p, _ in links} - self.relations.keys())
        for p in asked:
            self.relations[p] = []
        table = [[ox.NamedNode(p)] for p in asked]
        for r in run_table(self.store, "relation-kinds", table) if table else ():
            kind = "meta" if truth(r["meta"]) else ""  # (Virtuoso: 1/0)
            self.relations[value(r["p"])].append((_relation(r), kind))
        for n, links in found.items():
            self.links[n] = sorted(
                (
                    _Link(other, relation, out, kind)
                    for other, p, out in links
                    for relation, kind in self.relations[p]
                ),
                key=_order,
            )

    def test(self, nodes: list[str]) -> None:
        new = sorted({n for n in nodes if n not in self.tests})
        for i in range(0, len(new), _CHUNK):
            found: dict[str, list[Row]] = {n: [] for n in new[i : i + _CHUNK]}
            table = [[ox.NamedNode(n)] for n in found]
            for r in run_table(self.store, "node-tests", table):
                found[value(r["node"])].append(r)
            for n, rows in found.items():
                labels = sorted(value(r["label"]) for r in rows if r["label"] is not None)
                classes = {value(r["class"]) for r in rows}
                negative = any(r["negative"] is not None or r["denied"] is not None for r in rows)
                self.tests[n] = _Tests(
                    labels[0] if labels else "",
                    bool(labels) and SOURCE not in classes and not negative,
                    not negative,
                    CLAIM in classes,
                )


class _ProjectedGraph:
    """The same, from a projection of every statement between named nodes (one query): its
    statements are those that link, with their kinds."""

    def __init__(self, store: Store) -> None:
        self.links: dict[str, list[_Link]] = {}
        self.tests: dict[str, _Tests] = {}
        for st in statements(store):
            for node, label in ((st.subject, st.subject_label), (st.object, st.object_label)):
                self.tests[node] = _Tests(label, True, True, False)
            if st.subject != st.object:
                self.links.setdefault(st.subject, []).append(
                    _Link(st.object, st.relation, True, st.kind)
                )
                self.links.setdefault(st.object, []).append(
                    _Link(st.subject, st.relation, False, st.kind)
                )
        for links in self.links.values():
            links.sort(key=_order)

    def expand(self, nodes: list[str]) -> None:
        for n in nodes:
            self.links.setdefault(n, [])

    def test(self, nodes: list[str]) -> None:
        for n in nodes:
            self.tests.setdefault(n, _UNREACHED)


_Graph = _StoreGraph | _ProjectedGraph


def _better(st: Statement, than: Statement | None) -> bool:
    """Of two statements linking the same two nodes, the one a chain follows."""
    key = (KINDS.index(st.kind), st.relation, st.subject, st.object)
    return than is None or key < (KINDS.index(than.kind), than.relation, than.subject, than.object)


def _explore(
    graph: _Graph, a: str, b: str, max_hops: int, kinds: tuple[str, ...]
) -> list[tuple[str, _Link]] | None:
    """Breadth-first from both ends a whole layer at a time, always growing the smaller side,
    until the two meet: the statements seen then hold every shortest chain (of statements
    of these kinds) from a to b, returned as (node, statement from it); None when none.

    A node reached is tested only when the search goes on from it or the two sides meet at
    it: at 5M triples, most of the 3,000 far ends the last layers reach are neither. What
    the search keeps of a node never tested (a statement from a node of the outer layer of
    one side only) lies on no shortest chain (see _choose); it is left out.
    """
    dist: list[dict[str, int]] = [{a: 0}, {b: 0}]
    frontier = [[a], [b]]
    seen: list[tuple[str, _Link]] = []
    graph.test([a, b])
    met = False
    for _ in range(max_hops):
        if met:
            break
        side = 0 if len(frontier[0]) <= len(frontier[1]) else 1
        start = (a, b)[side]
        graph.test(frontier[side])
        # A node is gone on from when a statement may reach it (the start, always); its
        # statements link when it is not negative.
        nodes = sorted(n for n in frontier[side] if n == start or graph.tests[n].linkable)
        graph.expand(nodes)
        grown: list[str] = []
        for node in nodes:
            if not graph.tests[node].usable:
                continue
            for link in graph.links[node]:
                if link.kind == "meta" and "meta" not in kinds:
                    continue
                tests = graph.tests.get(link.other)
                if tests is not None and not tests.linkable:
                    continue
                seen.append((node, link))
                if link.other not in dist[side]:
                    dist[side][link.other] = dist[side][node] + 1
                    grown.append(link.other)
        if not grown:
            return None
        frontier[side] = grown
        # Where the two sides meet: the nodes this layer reached that the other side had.
        both = [n for n in grown if n in dist[1 - side]]
        graph.test(both)
        met = any(graph.tests[n].linkable for n in both)
    if not met:
        return None
    return seen


def _choose(
    graph: _Graph, a: str, b: str, max_hops: int, kinds: tuple[str, ...]
) -> tuple[list[tuple[str, str, Statement]], dict[str, str]] | None:
    """The best chain from a to b over statements of these kinds (see the module), as
    (from, to, statement) hops with the labels met; None when there is none.

    Of the statements _explore saw, those whose both ends were tested and link: every node
    of a shortest chain was tested (one closer to an end than the layer where the sides
    met was gone on from; one in that layer of both sides was tested where they met), and
    a node only one side reached in its outer layer lies on none (a chain through it would
    step out of and back into that side's layer before). Over those statements, measure
    both ends' distances, and pick, from b backwards, each node's best way on towards b.
    """
    seen = _explore(graph, a, b, max_hops, kinds)
    if seen is None:
        return None
    tests = graph.tests
    labels: dict[str, str] = {}
    link: dict[tuple[str, str], Statement] = {}  # (node, node) sorted -> best statement
    adjacent: dict[str, set[str]] = {}
    for node, ln in seen:
        other = ln.other
        if other not in tests or not tests[other].linkable:
            continue
        kind = ln.kind or ("claim" if tests[node].claim or tests[other].claim else "stated")
        label = tests[other].label
        if ln.out:
            st = Statement(node, "", ln.relation, other, label, (), kind)
        else:
            st = Statement(other, label, ln.relation, node, "", (), kind)
        labels.setdefault(other, label)
        pair = (node, other) if node < other else (other, node)
        if _better(st, link.get(pair)):
            link[pair] = st
        adjacent.setdefault(node, set()).add(other)
        adjacent.setdefault(other, set()).add(node)
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
    graph: _Graph, a: Entity, b: Entity, max_hops: int
) -> tuple[list[tuple[str, str, Statement]], dict[str, str]]:
    """The chain shortest_path returns, before its sources are fetched; NoPath when none."""
    if a.iri == b.iri:
        return [], {}
    for kinds in (KINDS[:2], KINDS):
        found = _choose(graph, a.iri, b.iri, max_hops, kinds)
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
        hops, labels = _best_chain(_StoreGraph(store, search_nodes(store)), a, b, max_hops)
    except _OverBudget:
        hops, labels = _best_chain(_ProjectedGraph(store), a, b, max_hops)
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
