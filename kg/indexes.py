"""The sidecar indexes `kg build` writes beside the store: meetings.json, tenures.json and
actors.json (the hub index is kg.hubs).

Both the build (which writes them) and the lookups (which page through them) import this
module; it imports only the store and the named queries, so the write side never reaches
up into the read side (kg.lookups) to make them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Iterator, Sequence
from typing import NamedTuple

from kg.query import EARLIEST, LATEST, load_query, run, with_values
from kg.store import Row, Store, Term, value


class Meeting(NamedTuple):
    """One meeting of the meeting index (a row of meetings.json, in this field order)."""

    event: str  # IRI
    earliest: str  # first and last possible day, YYYY-MM-DD
    latest: str
    label: str
    rows: int  # who-met rows without a person: pairs of actors on opposite sides, once each
    topics: list[str]  # the event's own topic IRIs, sorted
    # Its kind (fragment event-kind: e.g. "meeting", "message"; "" when its class is in no
    # kind), so who-met without a person pages over the kinds asked for. The default lets
    # an index written before kinds were kept still load (its events then count as no kind).
    kind: str = ""
    inferred: int = 0  # how many of those rows pair an inferred participant (--no-inferred)


class Tenure(NamedTuple):
    """One tenure of the tenure index (a row of tenures.json, in this field order)."""

    tenure: str  # IRI
    earliest: str  # first and last possible day, YYYY-MM-DD
    latest: str
    holder_label: str
    post: str  # IRI
    post_label: str
    # The days it may have been held within its bounds (not_before, not_after, stated or
    # inferred: the tighter), YYYY-MM-DD; without a bound on a side, its own first or last.
    outer_earliest: str = ""
    outer_latest: str = ""


def _v(row: Row, name: str) -> str:
    return value(row.get(name))


def outer_days(r: Row) -> tuple[str, str]:
    """The first and last day a roles or tenures row may have been held, within its bounds:
    the later of its not-before bounds and the earlier of its not-after bounds (stated or
    inferred), or its own earliest and latest where it has none. A bound of a month or year
    counts all its days (kg:notBefore keeps the month, not an `early` in it)."""
    from kg.facts.dates import parse_date

    first = [parse_date(x).earliest for k in ("notBefore", "inferredNotBefore") if (x := _v(r, k))]
    last = [parse_date(x).latest for k in ("notAfter", "inferredNotAfter") if (x := _v(r, k))]
    return (
        max(first).isoformat() if first else _v(r, "earliest"),
        min(last).isoformat() if last else _v(r, "latest"),
    )


def role_key(r: Row) -> tuple[str, ...]:
    """roles' order: by first possible day, holder, post."""
    return tuple(_v(r, k) for k in ("earliest", "holderLabel", "postLabel", "tenure"))


# event -> the (actor, side, inferred) of each of its participations
Parts = dict[str, set[tuple[str, str, bool]]]


def texts(
    store: Store, query: str, names: Sequence[str], share: bool = True
) -> Iterator[tuple[str, ...]]:
    """The rows of a SELECT as tuples of the lexical values of `names` ('' unbound).

    The indexes read a few hundred thousand rows at 1M triples: a dict of terms per row
    (Store.select) and a value() call per field took about 1 s of their 3.5 s CPU.
    share: each value one string (for rows kept in memory); not for rows streamed to a
    file (kg.indexfiles), where the strings seen would be the whole answer held again.
    """
    result = store.raw(query)
    have = [v.value for v in result.variables]
    at = [have.index(n) for n in names]
    if not share:
        for sol in result:
            terms = tuple(sol)
            yield tuple("" if (t := terms[i]) is None else t.value for i in at)
        return
    # Each value once (the same actor, side, topic or event recurs row after row): the
    # indexes built from the rows were the peak of a 5M build on disk, and a string a
    # value half of them.
    seen: dict[str, str] = {}
    for sol in result:
        terms = tuple(sol)
        yield tuple(
            "" if (t := terms[i]) is None else seen.setdefault(v := t.value, v) for i in at
        )


def named(
    store: Store,
    name: str,
    names: Sequence[str],
    events: Sequence[Term] | None = None,
    table: Sequence[Sequence[Term]] | None = None,
    share: bool = True,
) -> Iterator[tuple[str, ...]]:
    """The rows of a named query as the values of `names`: about ?event, of these events
    only (None: every one), or with `table` bound to its `# values` variables."""
    query = load_query(name)
    text = query.text
    if events is not None:
        text = with_values(text, ["event"], [[e] for e in events])
    elif table is not None:
        text = with_values(text, query.values, table)
    return texts(store, text, names, share)


def participations(store: Store, events: Sequence[Term] | None = None) -> Parts:
    """Each meeting's participations, stated and inferred: (actor, side, inferred).
    events: of these events only (an incremental build's changed ones)."""
    parts: Parts = {}
    names = ("event", "actor", "side")
    for event, actor, side in named(store, "meeting-sides", names, events):
        parts.setdefault(event, set()).add((actor, side, False))
    for event, actor, side in named(store, "meeting-inferred-sides", names, events):
        parts.setdefault(event, set()).add((actor, side, True))
    return parts


def meeting_index(
    store: Store, parts: Parts | None = None, events: Sequence[Term] | None = None
) -> list[Meeting]:
    """Every meeting, in who-met's order (by day, label, IRI).

    `kg build` stores it beside the store (meetings.json; a NamedTuple is written as a JSON
    array); other stores compute it here (parts: the participations, if already asked).
    events: the rows of these events only, asked of the graph (an incremental build's
    changed events: a meeting's row comes from its own triples and its participations').
    """
    if events is None and (index := store.sidecar("meetings")) is not None:
        return [Meeting(*m) for m in index]
    if parts is None:
        parts = participations(store, events)
    topics: dict[str, set[str]] = {}
    for event, topic in named(store, "meeting-topics", ("event", "topic"), events):
        topics.setdefault(event, set()).add(topic)
    index = []
    fields = ("event", "earliest", "latest", "eventLabel", "kind")
    for event, earliest, latest, label, kind in named(store, "meeting-events", fields, events):
        actors = parts.get(event, set())
        pairs = {
            (a, sa, b, sb, ia or ib)
            for a, sa, ia in actors
            for b, sb, ib in actors
            if sa < sb
        }
        index.append(
            Meeting(
                event,
                earliest,
                latest,
                label,
                len(pairs),
                sorted(topics.get(event, ())),
                kind,
                sum(1 for p in pairs if p[4]),
            )
        )
    return sorted(index, key=lambda m: (m.earliest, m.label, m.event))


def tenure_index(
    store: Store,
    start: dt.date | None = None,
    end: dt.date | None = None,
    also: Container[str] = (),
) -> list[Tenure]:
    """The tenures that may have been held between start and end (default: all), by their
    dates or within their bounds, and those in `also` whatever their dates, in roles' order.

    `kg build` stores all of them beside the store (tenures.json); other stores ask.
    """
    index = store.sidecar("tenures")
    if index is None:
        fields = ("tenure", "earliest", "latest", "holderLabel", "post", "postLabel")
        rows = sorted(run(store, "tenures"), key=role_key)
        index = [[*(_v(r, f) for f in fields), *outer_days(r)] for r in rows]
    if start is None and end is None:
        return list(map(Tenure._make, index))
    # The rows tested before they are made Tenures (in_range's test): at 20M triples 23k
    # of 91k tenures may have been held on a day, and making all 91k took 0.1 s.
    low, high = (start or EARLIEST).isoformat(), (end or LATEST).isoformat()
    return [
        Tenure._make(t)
        for t in index
        if ((t[7] or t[2]) >= low and (t[6] or t[1]) <= high) or t[0] in also
    ]


def in_range(
    tenures: list[Tenure], start: dt.date | None = None, end: dt.date | None = None
) -> list[Tenure]:
    """The tenures that may have been held between start and end, by their dates or within
    their bounds."""
    if start is None and end is None:
        return list(tenures)
    low, high = (start or EARLIEST).isoformat(), (end or LATEST).isoformat()
    return [
        t
        for t in tenures
        if (t.outer_latest or t.latest) >= low and (t.outer_earliest or t.earliest) <= high
    ]


class ActorGraph(NamedTuple):
    """The actor network as kg rank and kg communities weigh it (actors.json): each pair of
    actors tied once, weighted by its ties (kg.analytics.simple of actor_network)."""

    nodes: list[tuple[str, str, str, str]]  # (IRI, label, kind, class label), by IRI
    edges: list[tuple[int, int, int]]  # (i, j, ties), i <= j indexing nodes, by (i, j)


def actor_graph(
    store: Store, parts: Parts | None = None, meetings: list[Meeting] | None = None
) -> ActorGraph:
    """The actor network's nodes and weighted edges: `kg build` stores it beside the store
    (actors.json), other stores compute it here (parts and meetings: the participations
    and the meeting index, if already at hand).

    Its edges are those of kg.analytics.actor_network (a meeting's pairs of actors on two
    sides, stated; and every tie of actor-ties between two actors), each pair once.
    """
    if (kept := store.sidecar("actors")) is not None:
        return ActorGraph([tuple(n) for n in kept["nodes"]], [tuple(e) for e in kept["edges"]])
    import pyoxigraph as ox

    from kg.kinds import actor_kinds

    kinds = [(ox.NamedNode(cls), ox.Literal(name)) for cls, name in actor_kinds(store)]
    fields = ("actor", "label", "kind", "typeLabel")
    found = {
        actor: (label, kind, type_label)
        for actor, label, kind, type_label in named(store, "actors", fields, table=kinds)
    }
    nodes = sorted((iri, *rest) for iri, rest in found.items())
    number = {n[0]: i for i, n in enumerate(nodes)}
    if parts is None:
        parts = participations(store)
    ties: dict[tuple[int, int], int] = {}

    def tie(a: str, b: str) -> None:
        if a in number and b in number:
            key = (min(number[a], number[b]), max(number[a], number[b]))
            ties[key] = ties.get(key, 0) + 1

    for m in meeting_index(store, parts) if meetings is None else meetings:
        stated = {(a, side) for a, side, inferred in parts.get(m.event, ()) if not inferred}
        for a, b in {(a, b) for a, sa in stated for b, sb in stated if sa < sb}:
            tie(a, b)
    for a, b in named(store, "actor-ties", ("a", "b")):
        if a != b:
            tie(a, b)
    return ActorGraph(nodes, [(i, j, n) for (i, j), n in sorted(ties.items())])
