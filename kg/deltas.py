"""The aggregates and the actor network of an incremental build, patched by what changed.

Each aggregate counted here (a PRECOMPUTED query of kg.query: stats-*, topics) counts the
distinct values of one variable (its key: ?event, ?x, ?fact) in groups. When every
changed triple that may take part in a match of the query either is about a key's own
node (a predicate of the spec's `local`: a triple of the key value itself, or of one of
its participations) or takes part in none, the groups of the keys that changed nothing
are what they were: the query is asked again of the changed keys only (bound as VALUES
where the key is matched), on the live store and on the new graph, and each group's
count is the live one, less what the changed keys gave it before, plus what they give it
now. A group that falls to zero goes (unless the query keeps zero rows), and the rows are
put in the query's ORDER BY order, which must be total; whatever cannot be done so
exactly is left to the whole-graph path (the caller asks the query of the whole graph).

Which predicates are local to a query's key is said by hand below, for the query text of
the digest beside it: an edited query is not patched (tests/test_deltas.py says which to
look at again) until its spec is checked and its digest updated.

reported (a row per statistic) has the changed statistics' rows replaced; event-kinds (the
ontology's few dozen classes) is asked again whole.

The actor network (actors.json): its nodes kept when the actors query answers the same for
every changed node, its edges' ties counted again for the changed meetings alone.

The hub lists (patch_hubs): the changed meetings' entries taken out of and put into the
lists of whom they involve, and the timelines' rows of the changed events; an entity whose
lists do not tell whether it is a hub now is counted again alone.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec

_KG = "https://w3id.org/kg/ont#"
_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_SCHEMA = "https://schema.org/"
# A participation's triples are its event's: they make the event's rows.
OWNED_BY = (_KG + "participation", _KG + "inferredParticipation")


@dataclass(frozen=True)
class Spec:
    """How an aggregate is patched: its key variable, the predicates whose changed triples
    alter the rows of the key value they are about only (their subject, or the event whose
    participation the subject is), where in the query the key is bound (text each VALUES
    block goes before, found once each), its count columns, its ORDER BY (variable,
    descending), whether a group of count zero stays, and the digest of the query text
    (kg.query.load_query(name).text) this was worked out for."""

    key: str
    local: frozenset[str]
    anchors: tuple[str, ...]
    counts: tuple[str, ...]  # none: a row per key value (its rows replaced)
    order: tuple[tuple[str, bool], ...]
    keep_zero: bool
    digest: str
    owners: tuple[str, ...] = OWNED_BY  # links from a key to the nodes whose triples are its


_SIDES = frozenset({_TYPE, _KG + "participation", _KG + "side"})
_SUBQUERY = "?event kg:participation/kg:side ?side }"
SPECS: dict[str, Spec] = {
    # ?x a ?class: each node counts under its classes (their labels: the ontology's).
    "stats-classes": Spec(
        "x", frozenset({_TYPE}), ("?x a ?class .",), ("count",),
        (("count", True), ("classLabel", False)), False,
        "384d221fa04f94fc4939b1032576aee2fdee67856471e64d760a0ce8afded4b3",
    ),
    # Two sides (its participations), its date, a kind that counts as a meeting (its type).
    "stats-months": Spec(
        "event", _SIDES | {_KG + "date"}, (_SUBQUERY, "?event kg:date ?date ."), ("count",),
        (("month", False),), False,
        "1b10161025d6dcb0bd0df3b7178c9d673fe34ea3d0ccea77c15f2df8640e2e43",
    ),
    # ... and its topics (their broader ones and labels: the topic scheme's).
    "stats-topics": Spec(
        "event", _SIDES | {_KG + "topic"}, (_SUBQUERY, "?event kg:topic/skos:broader*"),
        ("count",), (("count", True), ("label", False)), False,
        "7c8cf7dd1bd6b68827e2593663df85c8cf003f6ffe71b98b70fa94384802a5ca",
    ),
    # Its pairs of sides (their labels: the sides' own triples, not local).
    "stats-pairs": Spec(
        "event", _SIDES,
        ("?event kg:participation/kg:side ?a .", "?event kg:participation/kg:side ?b ."),
        ("count",),
        (("count", True), ("aLabel", False), ("bLabel", False)), False,
        "8706fe50bba05720cba4b4cc32b1dccba5ff6885c5026526d5d5384902917293",
    ),
    # Each kind's events and two-sided events (a row for every kind of the scheme).
    "stats-kinds": Spec(
        "event", _SIDES, ("?event a ?class }", _SUBQUERY), ("events", "twoSided"),
        (("meeting", True), ("kind", False)), True,
        "7dcf9b84d038a7dfe1992c99e6af8a29fc66b5519b84bd67d5e59ec515851550",
    ),
    # A row per statistic: its own triples, its citations' (but their sources' files) and
    # the labels of what it trails.
    "reported": Spec(
        "stat",
        frozenset({_TYPE, _SKOS + "prefLabel", _KG + "measure", _SCHEMA + "value",
                   _SCHEMA + "unitText", _KG + "rank", _KG + "outOf", _KG + "periodStart",
                   _KG + "periodEnd", _KG + "trails", _KG + "evidence", _KG + "line",
                   _KG + "citedSource", _KG + "citationOrder"}),
        ("?stat a kg:ReportedStatistic", "?stat kg:trails/", "?stat kg:evidence ?c"),
        (), (("label", False),), False,
        "4486b5a96f6dc5e6fcdd35f705ccec7ec22928f36436531d81646a2ceb41d558",
        (_KG + "evidence", _KG + "trails"),
    ),
    # Each topic's facts tagged with it or a narrower one (a row for every topic).
    "topics": Spec(
        "fact", frozenset({_KG + "topic"}), ("?fact kg:topic ?t }",), ("tagged",),
        (("label", False),), True,
        "b07a892eb338705aa20bf55a2517aefa4167d51a9d17a79fc3b4b313cdc37359",
    ),
}  # fmt: skip

# Aggregates of the ontology's few dozen classes, asked again of the whole graph (on disk
# too, in milliseconds) when a changed triple may match: event-kinds' `?class ?mapping
# ?cameo` may match any triple whose object has a notation (an event's type).
ASKED_AGAIN = frozenset({"event-kinds"})

Changed = tuple[str, str, "str | None"]
Has = Callable[["str | None", str, "str | None"], bool]


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def patchable(name: str, bgps: list[Any] | None, changed: list[Changed], has: Has) -> bool:
    """Whether aggregate `name` can be patched for these changed triples: it has a spec for
    its query as it is, and no changed triple of another predicate than its local ones may
    take part in a match of it (kg.incremental.touches)."""
    from kg.incremental import touches
    from kg.query import load_query

    if name in ASKED_AGAIN:
        return True
    spec = SPECS.get(name)
    if spec is None or bgps is None or text_digest(load_query(name).text) != spec.digest:
        return False
    return not touches(bgps, [t for t in changed if t[1] not in spec.local], has)


def keys_of(changed: list[Changed], stores: list[Any], owners: tuple[str, ...]) -> list[Any]:
    """The nodes whose rows the changed triples may alter: their subjects, and the nodes
    linking to one of those by one of the owners' links (in any of the stores: an event
    of a participation among them), as sorted NamedNodes."""
    import pyoxigraph as ox

    nodes = {s for s, _, _ in changed}
    for s in list(nodes):
        for store in stores:
            for link in owners:
                pattern = (None, ox.NamedNode(link), ox.NamedNode(s), ox.DefaultGraph())
                nodes |= {q.subject.value for q in store.quads_for_pattern(*pattern)}
    return [ox.NamedNode(n) for n in sorted(nodes)]


def rows_of(store: Any, text: str) -> list[dict[str, list[str]]]:
    """A query's rows encoded as precompute keeps them (kg.build.precompute)."""
    from kg.build import CONCATENATED
    from kg.store import encode_rows

    result = store.query(text)
    names = [v.value for v in result.variables]
    rows = encode_rows([{n: sol[n] for n in names} for sol in result])
    for row in rows:
        for var in CONCATENATED & set(row):
            row[var][1] = "|".join(sorted(row[var][1].split("|")))
    return rows


def restricted(name: str, keys: list[Any]) -> str | None:
    """The query `name` with its key bound to keys (None: an anchor is not found once)."""
    from kg.query import load_query, values_block

    spec = SPECS[name]
    text = load_query(name).text
    block = values_block([spec.key], [[k] for k in keys])
    for anchor in spec.anchors:
        if text.count(anchor) != 1:
            return None
        text = text.replace(anchor, block + anchor)
    return text


def patch_rows(
    name: str,
    live: list[dict[str, list[str]]],
    old: list[Any],
    new: list[Any],
    keys: set[str] | None = None,
) -> list[dict[str, list[str]]] | None:
    """The live rows of aggregate `name` with the changed keys' rows (old: on the live
    graph, new: on this one) taken out and put in, in ORDER BY order; None if that cannot
    be told exactly (a row the live ones lack, a count below zero, a tie in the order, an
    order the live rows do not follow). keys: the changed keys' IRIs (a query of a row per
    key: its rows of these are replaced)."""
    spec = SPECS[name]
    if _canonical(old) == _canonical(new):
        return list(live)  # the changed keys give what they gave
    if not spec.counts:
        if keys is None:
            return None
        mine = [r for r in live if r.get(spec.key, ["", ""])[1] in keys]
        if _canonical(mine) != _canonical(old):
            return None  # not what the live rows say of them
        rows = [r for r in live if r.get(spec.key, ["", ""])[1] not in keys] + list(new)
        ordered = _ordered(rows, spec.order)
        if ordered is None or _ordered(list(live), spec.order) != list(live):
            return None
        return ordered

    def split(row: dict[str, list[str]]) -> tuple[str, list[int]] | None:
        try:
            cells = [row[c] for c in spec.counts]
            if any(c[0] != "lit" or c[2] != _INTEGER for c in cells):
                return None
            key = json.dumps(sorted((k, v) for k, v in row.items() if k not in spec.counts))
            return key, [int(c[1]) for c in cells]
        except (KeyError, ValueError, IndexError):
            return None

    table: dict[str, tuple[dict[str, list[str]], list[int]]] = {}
    for row in live:
        got = split(row)
        if got is None or got[0] in table:
            return None
        table[got[0]] = (row, got[1])
    for sign, rows in ((-1, old), (1, new)):
        for row in rows:
            got = split(row)
            if got is None:
                return None
            key, counts = got
            if key not in table:
                if sign < 0:
                    return None  # the live graph gave a group the live rows lack
                table[key] = (row, [0] * len(counts))
            base, now = table[key]
            table[key] = (base, [a + sign * b for a, b in zip(now, counts, strict=True)])
    out = []
    for row, counts in table.values():
        if min(counts) < 0:
            return None
        if not spec.keep_zero and not any(counts):
            continue
        made = dict(row)
        for col, n in zip(spec.counts, counts, strict=True):
            made[col] = ["lit", str(n), _INTEGER]
        out.append(made)
    ordered = _ordered(out, spec.order)
    if ordered is None or _ordered(list(live), spec.order) != list(live):
        return None
    return ordered


def _canonical(rows: list[dict[str, list[str]]]) -> list[str]:
    return sorted(json.dumps(sorted(r.items())) for r in rows)


def _ordered(
    rows: list[dict[str, list[str]]], order: tuple[tuple[str, bool], ...]
) -> list[dict[str, list[str]]] | None:
    """Rows sorted as SPARQL's ORDER BY sorts these (unbound first, IRIs before literals,
    integers by value, other literals by their text when all of a column's are of one
    datatype or language); None if two rows tie or a column mixes kinds of literal."""

    def cell(row: dict[str, list[str]], col: str) -> tuple[Any, ...]:
        kind, text, extra = row.get(col, ["none", "", ""])
        if kind == "none":
            return (0,)
        if kind == "iri":
            return (1, text)
        return (2, int(text)) if extra == _INTEGER else (2, text)

    for col, _ in order:
        kinds = {r[col][2] for r in rows if col in r and r[col][0] == "lit"}
        if len(kinds) > 1:
            return None
    keys = [tuple(cell(r, c) for c, _ in order) for r in rows]
    if len(set(keys)) != len(keys):
        return None
    out = list(range(len(rows)))
    for i in reversed(range(len(order))):
        out.sort(key=lambda j: keys[j][i], reverse=order[i][1])
    return [rows[j] for j in out]


def patch_aggregates(
    live: dict[str, Any],
    names: list[str],
    changed: list[Changed],
    patterns: dict[str, Any],
    has: Has,
    before: Any,
    after: Any,
) -> tuple[dict[str, Any], list[str]]:
    """The rows of the aggregates `names` (touched by the changed triples) patched where
    that is exact (see the module's docstring): live, the live generation's aggregates;
    before, its store; after, the new graph. Returns the rows by name, and a note."""
    names = [n for n in names if n in live and patchable(n, patterns.get(n), changed, has)]
    if not names:
        return {}, []
    out: dict[str, Any] = {}
    asked: set[str] = set()
    for name in names:
        if name in ASKED_AGAIN:
            from kg.query import load_query

            out[name] = rows_of(after, load_query(name).text)
            continue
        keys = keys_of(changed, [before, after], SPECS[name].owners)
        asked |= {k.value for k in keys}
        text = restricted(name, keys)
        if text is None:
            continue
        old, new = rows_of(before, text), rows_of(after, text)
        rows = patch_rows(name, live[name], old, new, {k.value for k in keys})
        if rows is not None:
            out[name] = rows
    note = f"patched {len(out)} aggregates by the {len(asked)} changed nodes: {sorted(out)}"
    return out, [note]


def class_counts(rows: list[dict[str, list[str]]]) -> dict[str, int] | None:
    """kg.build.class_counts made from stats-classes' rows (the same counts, one row per
    class and label), or None when two classes have the same local name."""
    counts: dict[str, int] = {}
    classes: dict[str, str] = {}
    for row in rows:
        iri = row["class"][1]
        name = iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        if classes.setdefault(name, iri) != iri:
            return None
        counts[name] = int(row["count"][1])
    return dict(sorted(counts.items()))


def ties_of(parts: dict[str, Any], events: list[str]) -> Counter[tuple[str, str]]:
    """The actor network's ties the meetings `events` make (kg.indexes.actor_graph): each
    pair of actors on two of a meeting's stated sides, once a meeting."""
    ties: Counter[tuple[str, str]] = Counter()
    for event in events:
        stated = {(a, side) for a, side, inferred in parts.get(event, ()) if not inferred}
        ties.update({(a, b) for a, sa in stated for b, sb in stated if sa < sb})
    return ties


def patch_actors(
    kept: dict[str, Any], gone: Counter[tuple[str, str]], made: Counter[tuple[str, str]]
) -> bytes | None:
    """actors.json with the ties of the changed meetings (gone: before, made: now) taken
    out and put in; the nodes are the live ones (the caller checked they hold). None if a
    tie's weight would fall below zero (not the live network)."""
    from kg.indexes import ActorGraph

    nodes = [tuple(n) for n in kept["nodes"]]
    number = {n[0]: i for i, n in enumerate(nodes)}
    weights = {(int(i), int(j)): int(n) for i, j, n in kept["edges"]}
    for sign, ties in ((-1, gone), (1, made)):
        for (a, b), n in ties.items():
            if a in number and b in number:
                key = (min(number[a], number[b]), max(number[a], number[b]))
                weights[key] = weights.get(key, 0) + sign * n
    if min(weights.values(), default=0) < 0:
        return None
    edges = [(i, j, n) for (i, j), n in sorted(weights.items()) if n]
    graph = ActorGraph(nodes, edges)
    return json.dumps(graph._asdict(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ---------------------------------------------------------------------------- hub index
# The meetings an entity may count in (kg.hubs.hub_index): those of a participation whose
# actor is it, one of its sub-organizations or a post it held, or whose side it is; the
# build then counts them as hub_index does. (Asked in steps: joined in one query, the
# sub-organizations were asked of every participation, 0.6 s at 1M triples on disk.)
_RELATED = """PREFIX kg: <https://w3id.org/kg/ont#>
PREFIX org: <http://www.w3.org/ns/org#>
SELECT DISTINCT ?x ?who WHERE {
  { ?x org:subOrganizationOf+ ?who } UNION { ?t org:member ?who ; kg:post ?x }
}"""
_ACTING = """PREFIX kg: <https://w3id.org/kg/ont#>
SELECT DISTINCT ?event WHERE {
  ?p kg:actor ?a . ?event kg:participation|kg:inferredParticipation ?p .
}"""
_SIDING = """PREFIX kg: <https://w3id.org/kg/ont#>
SELECT DISTINCT ?event WHERE {
  ?p kg:side ?a . ?event kg:participation|kg:inferredParticipation ?p .
}"""


# Where events-involving's ?event is bound in each of its unions (bound once at the top, the
# unions were each asked of the whole graph: 0.1 s at 1M triples on disk, 0.3 ms so).
_INVOLVING = (
    "?event ?p ?entity .",
    "?x org:subOrganizationOf+ ?entity .",
    "?t org:member ?entity ;",
)


def _bound_in_each(text: str, var: str, terms: list[Any]) -> str:
    """events-involving with ?var bound to terms in each union (or, if it is not the
    text _INVOLVING was written for, once for the whole query)."""
    from kg.query import values_block, with_values

    if any(text.count(a) != 1 for a in _INVOLVING):
        return with_values(text, [var], [[t] for t in terms])
    block = values_block([var], [[t] for t in terms])
    for anchor in _INVOLVING:
        text = text.replace(anchor, block + anchor)
    return text


class _NotWhole(Exception):
    """A list of the live hub index kept only in part (patch_hubs cannot patch it)."""


class _Hubs:
    """What patch_hubs reads of a graph about a few events and entities, as hub_index."""

    def __init__(self, store: Any, meetings: dict[str, Any]) -> None:
        self.store = store
        self.meetings = meetings  # event -> its Meeting of the graph's meeting index
        self.wholes: dict[str, set[str]] = {}
        self.held: dict[str, list[tuple[str, str, str]]] = {}
        self.asked: set[str] = set()  # actors whose wholes and holders are known
        self._tagged: dict[str, set[str]] | None = None  # topic -> the meetings tagged so

    def tagged(self, topic: str) -> set[str]:
        """The meetings whose own topics are this one."""
        if self._tagged is None:
            self._tagged = {}
            for e, m in self.meetings.items():
                for t in m.topics:
                    self._tagged.setdefault(t, set()).add(e)
        return self._tagged.get(topic, set())

    def learn(self, actors: set[str]) -> None:
        """Ask what the actors are part of and who held them (suborganizations and
        tenure-posts of them only)."""
        from pyoxigraph import NamedNode

        from kg.indexes import texts
        from kg.query import load_query, with_values

        new = sorted(actors - self.asked)
        if not new:
            return
        self.asked |= set(new)
        for a in new:
            self.wholes.setdefault(a, set())
        table = [[NamedNode(a)] for a in new]
        text = with_values(load_query("suborganizations").text, ["org"], table)
        for org, whole in texts(self.store, text, ("org", "whole")):
            self.wholes.setdefault(org, set()).add(whole)
        text = with_values(load_query("tenure-posts").text, ["post"], table)
        fields = ("holder", "post", "earliest", "latest")
        for holder, post, earliest, latest in texts(self.store, text, fields):
            self.held.setdefault(post, []).append((holder, earliest, latest))

    def whom(self, m: Any, a: str, side: str) -> set[str]:
        """hub_index's whom: whom actor a, on side, counts as at meeting m."""
        whos = {a, side, *self.wholes.get(a, ())}
        return whos | {
            h for h, te, tl in self.held.get(a, ()) if te <= m.latest and tl >= m.earliest
        }

    def meeting(
        self, m: Any, actors: set[tuple[str, str, bool]]
    ) -> tuple[set[str], dict[str, Any]]:
        """Whom a meeting involves (hub_index's `here`) and each one's who-met entry of it."""
        from kg.hubs import HubMeeting, pair_rows

        self.learn({a for a, _, _ in actors})
        here = set(m.topics)
        for a, side, _ in actors:
            here |= self.whom(m, a, side)
        rows = pair_rows(actors, lambda a, side: self.whom(m, a, side))
        met = {
            who: HubMeeting(
                m.event, m.earliest, m.latest, m.kind, m.topics, len(pairs), sum(pairs.values())
            )
            for who, pairs in rows.items()
        }
        return here, met

    def entity(self, who: str) -> tuple[int, list[Any]]:
        """How many meetings an entity is in (hub_index's `involved`) and its who-met
        entries (in meeting order), counted from the meetings it may be in."""
        from pyoxigraph import NamedNode

        from kg.indexes import participations, texts
        from kg.query import with_values

        node = NamedNode(who)
        related = [[r["x"]] for r in self.store.raw(_RELATED, bindings={"who": node})]
        by_actor = with_values(_ACTING, ["a"], [[node], *related])
        by_side = with_values(_SIDING, ["a"], [[node]])
        events = {e for q in (by_actor, by_side) for (e,) in texts(self.store, q, ("event",))}
        events &= self.meetings.keys()
        parts = participations(self.store, [NamedNode(e) for e in sorted(events)])
        self.learn({a for e in events for a, _, _ in parts.get(e, ())})
        involved = set(self.tagged(who))
        met = []
        for e in events:
            here, entries = self.meeting(self.meetings[e], parts.get(e, set()))
            if who in here:
                involved.add(e)
            if who in entries:
                met.append(entries[who])
        met.sort(
            key=lambda x: (self.meetings[x.event].earliest, self.meetings[x.event].label, x.event)
        )
        return len(involved), met


_P = ParamSpec("_P")


def _none_when_partial(
    patch: Callable[_P, dict[str, bytes] | None],
) -> Callable[_P, dict[str, bytes] | None]:
    """The patcher, or None when a list it would patch is kept only in part."""

    @functools.wraps(patch)
    def patched(*args: _P.args, **kwargs: _P.kwargs) -> dict[str, bytes] | None:
        try:
            return patch(*args, **kwargs)
        except _NotWhole:
            return None

    return patched


@_none_when_partial
def patch_hubs(
    live: Any,
    old_store: Any,
    new_store: Any,
    index: list[list[Any]],
    events: set[str],
    parts_old: dict[str, Any],
    parts_new: dict[str, Any],
    rows_old: dict[str, list[Any]],
) -> dict[str, bytes] | None:
    """The hub index (kg.hubs: hubs.json, hub-lists.json) of the new graph made from the
    live generation's (live: its folder) and what changed at the events `events`, as
    hub_index makes it of the whole graph; None when that cannot be told here.

    The caller has checked that the hub index's other queries (suborganizations,
    post-organizations, tenure-posts, broader) and the tenure index answer as before and
    that the event queries' rows of the other events are the same (no changed triple may
    match them but as the event's own: kg.incremental.touches with about="event"): so only
    the changed events' entries change, and whether an entity they
    involve is a hub (counted again for it alone when its lists do not tell). old_store,
    new_store: the live and the new graph (EmbeddedStore); index: the new meeting index;
    parts_old, parts_new: the changed events' participations; rows_old: their live rows.
    """
    from bisect import bisect_left

    from pyoxigraph import NamedNode

    from kg.eventkinds import meeting_kinds
    from kg.hubs import (
        DATA,
        HEADER,
        HUB,
        VERSION,
        HubEvent,
        HubMeeting,
        Hubs,
        _encode,
        timeline_key,
    )
    from kg.indexes import Meeting, named, texts
    from kg.query import id_space, load_query, run, with_values
    from kg.store import value

    try:
        header = json.loads((live / f"{HEADER}.json").read_bytes())
        data = (live / f"{DATA}.json").read_bytes()
    except (OSError, ValueError):
        return None
    if not isinstance(header, dict) or header.get("version") != VERSION:
        return None
    hubs = Hubs(header, lambda at, n: data[at : at + n])
    meetings = [Meeting(*m) for m in index]
    new_known = {m.event: m for m in meetings}
    old_known = {e: Meeting(*r) for e, r in rows_old.items()}
    old, new = _Hubs(old_store, old_known), _Hubs(new_store, new_known)
    changed = sorted(events)
    terms = [NamedNode(e) for e in changed]

    # The live lists: each written again as it is (its bytes) unless made again here.
    kept_raw: dict[tuple[str, str], tuple[bytes, list[int]]] = {}
    for who, have in header["lists"].items():
        for which, entry in have.items():
            kept_raw[(who, which)] = (data[entry[0] : entry[0] + entry[1]], entry)
    read: dict[str, Callable[[str], Any]] = {
        "who-met": hubs.who_met,
        "timeline": hubs.timeline,
        "roles": hubs.roles,
    }
    lists: dict[str, dict[str, list[Any]]] = {}  # those made again
    seeds: list[tuple[str, Any, str]] = []  # the texts of entries of the live lists

    def live_list(who: str, which: str) -> list[Any] | None:
        """A live list, whole (None: none; raises _NotWhole if only its first part is)."""
        if (who, which) not in kept_raw:
            return lists.get(who, {}).get(which)
        got = read[which](who)
        if got is None or not got.whole:
            raise _NotWhole
        # Its entries' texts, known for those of the unchanged events (their entries are
        # the same: kg.hubs._encode writes them as they were, rather than anew). A list
        # is "[" + its entries joined by "," + "]", each entry a JSON array of strings and
        # numbers (and a meeting's array of topic numbers): split where one ends and the
        # next starts, unless that is not as many texts as entries.
        raw = kept_raw[(who, which)][0]
        texts = raw[2:-2].decode("utf-8").split("],[") if len(raw) > 2 else []
        if len(texts) == len(got):
            seeds.extend(
                (which, x, f"[{text}]")
                for x, text in zip(got, texts, strict=True)
                if getattr(x, "event", None) not in events
            )
        return list(got)

    def put(who: str, which: str, items: list[Any]) -> None:
        kept_raw.pop((who, which), None)
        if len(items) > HUB or who == "":  # (the whole graph's lists, however short)
            lists.setdefault(who, {})[which] = items
        elif which in lists.get(who, {}):
            del lists[who][which]

    # Each changed meeting's entries, before and now.
    here: set[str] = set()
    met_old: dict[str, dict[str, Any]] = {}
    met_new: dict[str, dict[str, Any]] = {}
    for e in changed:
        for graph, known, parts, into in (
            (old, old_known, parts_old, met_old),
            (new, new_known, parts_new, met_new),
        ):
            if e in known:
                whom, into[e] = graph.meeting(known[e], parts.get(e, set()))
                here |= whom
            else:
                into[e] = {}

    # Who-met lists: the changed meetings' entries out and in, in meeting order.
    place = {m.event: i for i, m in enumerate(meetings)}
    counted: dict[str, int] = {}  # entity -> its meetings (involved), where counted
    for who in sorted({w for e in changed for w in (*met_old[e], *met_new[e])}):
        kept = live_list(who, "who-met")
        before = {e: met_old[e][who] for e in changed if who in met_old[e]}
        now = [met_new[e][who] for e in changed if who in met_new[e]]
        if kept is not None:
            if {x.event: x for x in kept if x.event in events} != before:
                return None  # not the list the live graph makes
            items = [x for x in kept if x.event not in events] + now
            if any(x.event not in place for x in items):
                return None
            put(who, "who-met", sorted(items, key=lambda x: place[x.event]))
        elif len(now) > len(before):  # may have grown past HUB: counted again
            counted[who], items = new.entity(who)
            put(who, "who-met", items)

    # Which of the entities the changed events involve are hubs now (involved > HUB).
    def hub(who: str) -> bool:
        if len(live_list(who, "who-met") or ()) > HUB:
            return True  # (a meeting of its who-met list involves it)
        if who not in counted:
            counted[who] = new.entity(who)[0]
        return counted[who] > HUB

    # Timelines: every dated event's rows (one per class), by timeline_key.
    def dated(store: Any, known: dict[str, Any], asked: list[Any]) -> dict[str, list[Any]]:
        rows: dict[str, list[Any]] = {}
        others = set()
        for event, type_ in named(store, "event-types", ("event", "type"), asked):
            if (m := known.get(event)) is not None:
                key = (m.earliest, m.latest, m.label, event, type_)
                rows.setdefault(event, []).append((key, HubEvent(event, type_, *m[1:3])))
            elif event:
                others.add(event)
        fields = ("event", "type", "earliest", "latest")
        if others:
            ask = [NamedNode(e) for e in sorted(others)]
            for r in store.select(with_values(load_query("event-order").text, ["event"],
                                              [[t] for t in ask])):  # fmt: skip
                row = HubEvent._make(value(r.get(f)) for f in fields)
                rows.setdefault(row.event, []).append((timeline_key(r), row))
        return rows

    dated_old = dated(old_store, old_known, terms)
    dated_new = dated(new_store, new_known, terms)

    def involving(store: Any, parts: dict[str, Any]) -> dict[str, set[str]]:
        """entity -> the changed events in its timeline (events-involving, and the
        events of its side's stated participations)."""
        found: dict[str, set[str]] = {}
        text = _bound_in_each(load_query("events-involving").text, "event", terms)
        for r in store.raw(text):
            if isinstance(r["entity"], NamedNode):
                found.setdefault(r["entity"].value, set()).add(r["event"].value)
        for e in changed:
            for _, side, inferred in parts.get(e, ()):
                if not inferred:
                    found.setdefault(side, set()).add(e)
        return found

    in_old, in_new = involving(old_store, parts_old), involving(new_store, parts_new)
    labels: dict[str, str] = {}  # other events than meetings: their label (event-order)

    def key(row: Any) -> tuple[str, ...]:
        m = new_known.get(row.event)
        label = m.label if m is not None else labels[row.event]
        return (row.earliest, row.latest, label, row.event, row.type)

    def patched(kept: list[Any], rows: list[tuple[tuple[str, ...], Any]]) -> list[Any] | None:
        """A timeline's rows but the changed events', with these rows put in their place."""
        items = [x for x in kept if x.event not in events]
        unknown = sorted({x.event for x in items if x.event not in new_known} - labels.keys())
        if unknown:
            got: dict[tuple[str, str], set[str]] = {}
            text = with_values(load_query("event-order").text, ["event"],
                               [[NamedNode(e)] for e in unknown])  # fmt: skip
            for r in new_store.select(text):
                got.setdefault((value(r.get("event")), value(r.get("type"))), set()).add(
                    value(r.get("eventLabel"))
                )
            for (event, _), said in got.items():
                if len(said) != 1 or labels.setdefault(event, next(iter(said))) not in said:
                    return None  # an event of two labels: its rows are not told apart here
            if set(unknown) - labels.keys():
                return None
        keys = [key(x) for x in items]
        for k, row in sorted(rows):
            at = bisect_left(keys, k)
            if at < len(keys) and keys[at] == k:
                return None
            keys.insert(at, k)
            items.insert(at, row)
        return items

    everyone_rows = [x for e in changed for x in dated_new.get(e, ())]
    kept_all = live_list("", "timeline")
    if kept_all is None:
        return None
    timeline = patched(kept_all, everyone_rows)
    if timeline is None:
        return None
    put("", "timeline", timeline)
    for who in sorted((here | in_old.keys() | in_new.keys()) - {""}):
        kept = live_list(who, "timeline")
        if not hub(who):
            put(who, "timeline", [])
        elif kept is not None:
            was = {(x.event, x.type) for x in kept if x.event in events}
            if was != {
                (x.event, x.type) for e in in_old.get(who, ()) for _, x in dated_old.get(e, ())
            }:
                return None  # not the list the live graph makes
            rows = [r for e in sorted(in_new.get(who, ())) for r in dated_new.get(e, ())]
            timeline_of = patched(kept, rows)
            if timeline_of is None:
                return None
            put(who, "timeline", timeline_of)
        else:  # a hub now without a kept timeline: made as hub_index makes it
            from kg.hubs import timeline_order

            text = with_values(load_query("meeting-sides").text, ["side"], [[NamedNode(who)]])
            sided = {e for e, side in texts(new_store, text, ("event", "side")) if side == who}
            found = new_store.raw(load_query("events-involving").text,
                                  bindings={"entity": NamedNode(who)})  # fmt: skip
            asked = sorted(sided | {value(s["event"]) for s in found})
            rows_of_events = dated(new_store, new_known, [NamedNode(e) for e in asked])
            put(who, "timeline", timeline_order(new_store, who, rows_of_events, sided))

    # The whole graph's who-met and each topic's meetings (of which the first part is
    # kept), made again from the meeting index as hub_index makes them.
    everyone = [HubMeeting(*m[:3], m.kind, m.topics, m.rows, m.inferred) for m in meetings]
    put("", "who-met", everyone)
    mine = {t for m in meetings for t in m.topics}
    mine |= {t for e in changed if e in old_known for t in old_known[e].topics}
    above = {t: {value(r.get("broader")) for r in run(new_store, "broader", topic=t)}
             for t in sorted(mine)}  # fmt: skip
    # A topic's list is the same but where a changed meeting is (or was) on the topic.
    touched = {
        up
        for e in changed
        for m in (old_known.get(e), new_known.get(e))
        if m is not None
        for t in m.topics
        for up in above[t]
    }
    for who, which in list(kept_raw):
        if which == "topic-meetings" and who in touched:
            del kept_raw[(who, which)]
    on_topic: dict[str, list[Any]] = {}
    ups: dict[tuple[str, ...], list[str]] = {}  # a meeting's topics -> what they fall under
    for one in everyone:
        if (under := ups.get(tuple(one.topics))) is None:
            under = ups[tuple(one.topics)] = sorted({up for t in one.topics for up in above[t]})
        for topic in under:
            on_topic.setdefault(topic, []).append(one)
    for topic, meetings_on in on_topic.items():
        if len(meetings_on) > HUB and topic in touched:
            lists.setdefault(topic, {})["topic-meetings"] = meetings_on
    partial = {("", "who-met")} | {(topic, "topic-meetings") for topic in on_topic}
    lists = {who: have for who, have in lists.items() if have}
    # The tables numbering kinds, topics and classes are those of every meeting and dated
    # event (the whole graph's lists, made again): if they are the live ones, the other
    # lists' bytes are the same.
    tables = {
        "kinds": sorted({m.kind for m in everyone}),
        "topics": sorted({t for m in everyone for t in m.topics}),
        "types": sorted({e.type for e in timeline}),
    }
    if any(header[k] != v for k, v in tables.items()):
        for who, which in list(kept_raw):
            lists.setdefault(who, {})[which] = live_list(who, which) or []
        kept_raw, seeds = {}, []  # (their texts numbered by the live tables)
    space = id_space(new_store)
    return _encode(space, lists, set(meeting_kinds(new_store)), partial, kept_raw, seeds)
