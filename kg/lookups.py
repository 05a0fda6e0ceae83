"""Lookups an analyst asks for, as rows of plain values with documented field names.

Each function runs named queries (kg/queries) against a store and shapes the rows; the
CLI only formats them. Field names are part of kg's JSON output and listed in the README.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from pyoxigraph import Literal, NamedNode

from kg import query
from kg.acts import party_page
from kg.eventkinds import resolve_kinds
from kg.fuzzy import did_you_mean
from kg.hubs import HubEvent, HubList, HubMeeting, hubs, timeline_key
from kg.indexes import Meeting, in_range, meeting_index, outer_days, role_key, tenure_index
from kg.names import Entity, UnresolvedName
from kg.prefixes import KG
from kg.query import EARLIEST, LATEST, run, run_each
from kg.store import Row, Store, Term, truth, value
from kg.text import normalize

Record = dict[str, Any]


def citations(packed: str) -> list[dict[str, Any]]:
    """Turn 'file#19#1|file#20#2' (file, line, citation order) into
    [{'document': 'file', 'line': 19}, ...]: the primary citation (order 1) first, the
    rest by document and line."""
    found: dict[tuple[str, int], bool] = {}
    for item in filter(None, packed.split("|")):
        doc, line, order = item.rsplit("#", 2)
        key = (doc, int(line))
        found[key] = found.get(key, False) or order == "1"
    return [
        {"document": doc, "line": line}
        for (doc, line) in sorted(found, key=lambda k: (not found[k], k))
    ]


def pack(file: str, line: str, order: str) -> str:
    """One citation as citations() reads it."""
    return f"{file}#{line}#{order}"


def _local(iri: str) -> str:
    """Return the last segment of an IRI, as a fallback label."""
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _split(packed: str) -> list[str]:
    return sorted(filter(None, packed.split("|")))


def _v(row: Row, name: str) -> str:
    return value(row.get(name))


def _keys(rows: list[Row], name: str) -> list[Term]:
    """The distinct terms of one column, in a stable order (the keys of a detail query)."""
    return sorted({t for r in rows if (t := r.get(name)) is not None}, key=value)


def _when(start: str, end: str, attested: list[str]) -> str:
    """Say when a role was held, as far as the source tells."""
    parts = []
    if start or end:
        parts.append(f"{start or '?'} – {end or '?'}")
    if attested:
        parts.append("attested " + ", ".join(attested))
    return "; ".join(parts)


def _source_fields(row: Row) -> Record:
    cites = citations(_v(row, "sources"))
    return {"source": cites[0] if cites else None, "sources": cites}


class Rows(list[Record]):
    """A page of an answer's rows, with the number of rows the whole answer has."""

    def __init__(self, rows: list[Record], total: int | None = None, offset: int = 0) -> None:
        super().__init__(rows)
        self.total = len(rows) if total is None else total
        self.offset = offset

    def to_pandas(self) -> Any:
        """Return the rows as a pandas DataFrame, one column per field (pandas is optional).

        Fields holding lists or dicts (sources, topics) stay Python objects in their cells.
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "Rows.to_pandas() needs pandas, which kg does not install: pip install pandas"
            ) from None
        return pd.DataFrame.from_records(list(self))


def _cut(rows: list[Row], offset: int, limit: int | None, record: Callable[[Row], Record]) -> Rows:
    """The page of rows asked for (limit 0 or None: all the rest), as records."""
    shown = rows[offset : offset + limit] if limit else rows[offset:]
    return Rows(list(map(record, shown)), len(rows), offset)


def _meeting_key(r: Row) -> tuple[str, ...]:
    """who-met's order: by day, event, then the actors' names."""
    return tuple(_v(r, k) for k in ("earliest", "eventLabel", "event", "aLabel", "bLabel"))


def who_met(
    store: Store,
    person: Entity | None = None,
    with_: Entity | None = None,
    topic: Entity | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    offset: int = 0,
    limit: int | None = None,
    kinds: Sequence[str] = (),
    inferred: bool = True,
) -> Rows:
    """Return who met whom: one row per pair of actors on opposite sides of an event.

    kinds: the event kinds to count, as `--kind` takes them (see eventkinds.resolve_kinds):
    none given, the kinds that count as meetings; "any", every kind.

    A row whose actor kg inferred (an office's presumed holder: ontology/rules) has the
    status "inferred" and says why (`because`: each rule and its premises' lines); every
    other row is "stated". inferred=False leaves such rows out.

    With a person, its meetings are found from its anchors (itself, its sub-organizations,
    the posts it held while it held them) and from the side it is, each by an index lookup.
    With only --with, the same from the other end, each row turned round. With neither, the
    meeting index (made at build) gives the matching events in order and each one's number
    of rows, so only the events of the requested page are asked for; so does the hub index
    (kg.hubs) for a person or --with at the hub of the graph (a state meets thousands).
    """
    wanted = resolve_kinds(store, kinds)
    index = hubs(store)
    # A page among the first rows of a list without filters reads only the list's first
    # part (and its total), however long the list.
    first = (
        index is not None
        and bool(limit)
        and offset + (limit or 0) <= index.first_rows
        and start is None
        and end is None
        and inferred
        and wanted == index.meeting_kinds
    )
    if person is not None and with_ is not None:
        # Ask from the end that is no hub (the rows turned round), or, both hubs, only the
        # meetings in both lists.
        if index is None or not index.has(person.iri, "who-met"):
            rows = _meetings_of(store, person, with_, topic, start, end)
        elif not index.has(with_.iri, "who-met"):
            rows = [_turned(r) for r in _meetings_of(store, with_, person, topic, start, end)]
        else:
            mine, theirs = index.who_met(person.iri), index.who_met(with_.iri)
            both = {m.event for m in theirs or ()}
            keys = [NamedNode(m.event) for m in mine or () if m.event in both]
            rows = _page_rows(store, keys, person.iri, with_.iri, topic and topic.iri, start, end)
            rows = _one_per_pair(rows)
    elif person is not None or with_ is not None:
        who = person or with_
        assert who is not None
        listed = None
        if index is not None:
            listed = index.who_met(who.iri, first=first and topic is None)
        if listed is not None:
            page = _who_met_page(store, listed, topic, start, end, offset, limit, wanted,
                                 inferred, who, turned=person is None)  # fmt: skip
            return _explain(store, _noted(store, page))
        rows = _meetings_of(store, who, None, topic, start, end)
        if person is None:
            rows = [_turned(r) for r in rows]
    else:
        # The first page of every meeting's, or of a topic's, is the first part of its list.
        listed = None
        if index is not None and first:
            where, which = (topic.iri, "topic-meetings") if topic else ("", "who-met")
            listed = index.who_met(where, which, first=True)
        page = _who_met_page(store, listed or meeting_index(store), topic, start, end, offset,
                             limit, wanted, inferred)  # fmt: skip
        return _explain(store, _noted(store, page))
    rows = [r for r in rows if wanted is None or _v(r, "kind") in wanted]
    rows = [r for r in rows if inferred or not _is_inferred(r)]
    page = _cut(sorted(rows, key=_meeting_key), offset, limit, _meeting)
    return _explain(store, _noted(store, page))

def _is_inferred(r: Row) -> bool:
    """Whether a who-met row pairs a participant kg inferred (its participation has a rule)."""
    return bool(_v(r, "aRule") or _v(r, "bRule"))


def _explain(store: Store, rows: Rows) -> Rows:
    """Fill each row's `because` from its inferred participations (rule, premises' lines)."""
    nodes = sorted({n for r in rows for n in r["_inferred"]})
    why: dict[str, Record] = {}
    for r in query.run_together(store, "inferences", "node", [NamedNode(n) for n in nodes]):
        rec = why.setdefault(
            _v(r, "node"),
            {
                "rule": _v(r, "ruleName"),
                "means": _v(r, "means"),
                "premises": [],
                "actor": _v(r, "actorLabel") or None,
            },
        )
        if _v(r, "line"):
            rec["premises"].append({"document": _v(r, "file"), "line": int(_v(r, "line"))})
    for rec in why.values():
        rec["premises"].sort(key=lambda c: (c["document"], c["line"]))
    for row in rows:
        row["because"] = [why[n] for n in row.pop("_inferred") if n in why]
        # Who asserts the row: the source's author, or kg itself by the rules in `because`.
        row["asserted_by"] = INFERRER if row["status"] == "inferred" else AUTHOR
    return rows


def _meetings_of(
    store: Store,
    person: Entity,
    with_: Entity | None,
    topic: Entity | None,
    start: dt.date | None,
    end: dt.date | None,
) -> list[Row]:
    """who-met rows (unsorted) of one person: the events of its anchors (itself, its
    sub-organizations, the posts it held) and of its side, each found by an index lookup,
    then their rows for them all at once (see _page_rows)."""
    anchors = [person.iri]
    anchors += [value(a["anchor"]) for a in run(store, "actor-anchors", person=person.iri)]
    events = {e for a in anchors for e in _keys(run(store, "meetings-of", actor=a), "event")}
    events.update(_keys(run(store, "meetings-of-side", actor=person.iri), "event"))
    found = _page_rows(store, sorted(events, key=value), person.iri, with_ and with_.iri,
                       topic and topic.iri, start, end)  # fmt: skip
    return _one_per_pair(found)


def _noted(store: Store, rows: Rows) -> Rows:
    """Fill each who-met or timeline record's topics and sources from event-notes, asked
    once per event of the page (joined in who-met, each pair with every topic and citation
    of its event, it was 4-20x slower on a server and Virtuoso 7 dropped citations; joined
    in timeline, Oxigraph's server joined every citation of the graph first)."""
    events = [NamedNode(e) for e in sorted({r["event_iri"] for r in rows})]
    topics: dict[str, set[str]] = {}
    cites: dict[str, set[str]] = {}
    for n in query.run_together(store, "event-notes", "event", events):
        event = _v(n, "event")
        if _v(n, "topicLabel"):
            topics.setdefault(event, set()).add(_v(n, "topicLabel"))
        if _v(n, "file"):
            cites.setdefault(event, set()).add(pack(_v(n, "file"), _v(n, "line"), _v(n, "order")))
    for rec in rows:
        rec["topics"] = sorted(topics.get(rec["event_iri"], ()))
        rec["sources"] = citations("|".join(cites.get(rec["event_iri"], ())))
        rec["source"] = rec["sources"][0] if rec["sources"] else None
    return rows


def _meeting(r: Row) -> Record:
    return {
        "date": _v(r, "date"),
        "a": _v(r, "aLabel"),
        "b": _v(r, "bLabel"),
        "topics": [],  # topics and sources: filled by _noted
        "event": _v(r, "eventLabel"),
        "kind": _v(r, "kind") or None,
        "source": None,
        "sources": [],
        "a_side": _v(r, "aSideLabel"),
        "b_side": _v(r, "bSideLabel"),
        "a_iri": _v(r, "a"),
        "b_iri": _v(r, "b"),
        "event_iri": _v(r, "event"),
        "status": "inferred" if _is_inferred(r) else "stated",
        "because": [],  # filled by _explain
        "_inferred": [_v(r, p) for p, rule in (("pa", "aRule"), ("pb", "bRule")) if _v(r, rule)],
    }


def _turned(r: Row) -> Row:
    """The same meeting row seen from the other side."""
    names = ("", "Label", "Side", "SideLabel", "Rule")
    swap = {**{f"a{n}": f"b{n}" for n in names}, **{f"b{n}": f"a{n}" for n in names}}
    swap.update(pa="pb", pb="pa")
    return {swap.get(k, k): v for k, v in r.items()}


def _one_per_pair(rows: list[Row]) -> list[Row]:
    """who-met rows once per event and pair of actors (a stated row over an inferred one:
    a pair found both ways is stated), in the order found."""
    found: dict[tuple[str, str, str], Row] = {}
    for r in rows:
        key = (_v(r, "event"), _v(r, "a"), _v(r, "b"))
        if key not in found or _is_inferred(found[key]):
            found[key] = r
    return list(found.values())


def _who_met_page(
    store: Store,
    index: Sequence[Meeting | HubMeeting],
    topic: Entity | None,
    start: dt.date | None,
    end: dt.date | None,
    offset: int,
    limit: int | None,
    kinds: frozenset[str] | None,
    inferred: bool = True,
    person: Entity | None = None,
    turned: bool = False,
) -> Rows:
    """who-met of a meeting index (of all meetings, or of one person's: kg.hubs): the
    requested rows, found through the index (which knows each event's kind and number of
    rows, so pages count only the kinds wanted; None: all), the person's rows turned round
    when it was asked as --with."""
    wanted = None
    if topic is not None:
        wanted = {_v(r, "narrower") for r in run(store, "narrower", topic=topic.iri)}
    low, high = (start or EARLIEST).isoformat(), (end or LATEST).isoformat()
    def count(m: Meeting | HubMeeting) -> int:
        return m.rows if inferred else m.rows - m.inferred

    chosen = [
        m
        for m in index
        if count(m)
        and (kinds is None or m.kind in kinds)
        and m.latest >= low
        and m.earliest <= high
        and (wanted is None or wanted.intersection(m.topics))
    ]
    total = sum(count(m) for m in chosen)
    if isinstance(index, HubList) and not index.whole:
        total = index.total  # only the first part was read: the list's total is kept
    stop = min(total, offset + limit) if limit else total
    seen, first = 0, 0
    keys: list[NamedNode] = []
    for m in chosen:
        if seen >= stop:
            break
        if seen + count(m) > offset:
            first = first if keys else seen
            keys.append(NamedNode(m.event))
        seen += count(m)
    # The topic and dates are the event's own, which the index has weighed already: asked
    # again, the topic's path cost 1-50 ms an event at 5M triples.
    found = _page_rows(store, keys, person and person.iri)
    if person is not None:
        found = _one_per_pair(found)
        found = [_turned(r) for r in found] if turned else found
    rows = sorted((r for r in found if inferred or not _is_inferred(r)), key=_meeting_key)
    return Rows(list(map(_meeting, rows[offset - first : stop - first])), total, offset)


# who-met.rq's columns, in the order a page's rows are first put (before who-met's order).
_PAIR_COLUMNS = (
    "earliest", "eventLabel", "event", "aLabel", "bLabel", "aSide", "bSide", "a", "b",
    "aSideLabel", "bSideLabel", "pa", "pb", "date", "kind", "aRule", "bRule",
)  # fmt: skip


def _page_rows(
    store: Store,
    events: Sequence[Term],
    person: str | None = None,
    with_: str | None = None,
    topic: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[Row]:
    """who-met.rq's rows of the given events (person, with_: the IRIs of the actors they
    count as; topic, start, end: its filters), asked for them all in two queries (one
    more for each of person and with_), never one who-met query an event.

    Each query costs a server its plan, and who-met.rq's planned badly with its event bound:
    Oxigraph's server and Virtuoso join its labels before the event, 0.13 s and 0.8 s an
    event at 1M triples (1-3 s on Virtuoso at 5M), where the page's events, then their
    participations, asked apart with every pattern hanging from the bound events, take
    2-20 ms each. The pairs are made here as who-met.rq makes them: two participations of
    an event on different sides, each pair once (by side) with neither end fixed, else
    those whose actors count as person and with_ (counts-as: the actor itself, its side,
    or, asked of the graph by who-met-counted, one of its sub-organizations or a post it
    held at the time)."""
    if not events:
        return []
    filters = {"topic": topic, "from": start, "to": end}
    details: dict[Term | None, list[Row]] = {}
    for r in query.run_together(store, "who-met-events", "event", events, filters):
        details.setdefault(r["event"], []).append(r)
    parts: dict[Term | None, list[Row]] = {}
    kept = [e for e in events if e in details]
    for r in query.run_together(store, "who-met-parts", "event", kept):
        parts.setdefault(r["event"], []).append(r)
    everyone = [p for ps in parts.values() for p in ps]
    is_person, is_with = _counts_as(store, person, everyone), _counts_as(store, with_, everyone)
    rows: dict[tuple[Term | None, ...], Row] = {}  # SELECT DISTINCT's
    for event, ps in parts.items():
        for pa in filter(is_person, ps):
            for pb in filter(is_with, ps):
                if pa["side"] == pb["side"]:
                    continue
                if person is None and with_ is None and not value(pa["side"]) < value(pb["side"]):
                    continue
                pair = {
                    "a": pa["actor"], "aLabel": pa["actorLabel"], "aSide": pa["side"],
                    "aSideLabel": pa["sideLabel"], "pa": pa["p"], "aRule": pa.get("rule"),
                    "b": pb["actor"], "bLabel": pb["actorLabel"], "bSide": pb["side"],
                    "bSideLabel": pb["sideLabel"], "pb": pb["p"], "bRule": pb.get("rule"),
                }  # fmt: skip
                for d in details[event]:
                    row = {**d, **pair}
                    rows[tuple(row.get(c) for c in _PAIR_COLUMNS)] = row
    # In one order whatever the engine: rows who-met's order ties keep it.
    return sorted(rows.values(), key=lambda r: tuple(_v(r, c) for c in _PAIR_COLUMNS))


def _counts_as(store: Store, who: str | None, parts: list[Row]) -> Callable[[Row], bool]:
    """Whether a participation (of who-met-parts) counts as `who` (None: anyone), as the
    fragment counts-as says: its actor or side is who, or (asked of the graph, for all of
    them in one query) the actor is one of who's sub-organizations or a post who held at
    the time."""
    if who is None:
        return lambda p: True
    # (Columns the queries require: never None.)
    asked = sorted({(p["event"], p["actor"], p["side"]) for p in parts
                    if who not in (value(p["actor"]), value(p["side"]))},
                   key=lambda t: tuple(map(value, t)))  # fmt: skip
    counted: set[tuple[Term | None, ...]] = set()
    for at in range(0, len(asked), query.VALUES_KEYS):
        chunk = [[t for t in ts if t is not None] for ts in asked[at : at + query.VALUES_KEYS]]
        for r in query.run_table(store, "who-met-counted", chunk, person=who):
            counted.add((r["event"], r["actor"], r["side"]))

    def counts(p: Row) -> bool:
        return (
            who in (value(p["actor"]), value(p["side"]))
            or (p["event"], p["actor"], p["side"]) in counted
        )

    return counts


def roles(
    store: Store,
    entity: Entity | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    post: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> Rows:
    """Return who held which post, when; filtered by entity, a date range and post words.

    With a date range, a tenure is listed when its own dates (start to end, or first to
    last attestation) meet the range (held "yes"); when the rule office-holder presumed its
    holder in an office the source names at an event in the range (held "presumed",
    status inferred); or when the range falls outside its dates but within its bounds
    (not_before, not_after: held "possibly"; status inferred where the bound is). Nothing
    else is presumed: an attested tenure is not stretched to other dates.

    An entity's few tenures are asked for one by one. Many tenures (an organization at
    the hub of the graph, or no entity) are ordered from a list of every tenure in the
    date range first, and only those on the requested page are asked for in full.
    """
    if post is not None and not normalize(post):
        raise UnresolvedName(f"no post named {post!r}: give words of its name")
    # roles' own date filter knows only a tenure's dates; bounds and presumption are
    # weighed here, so the details are asked for without dates.
    params: dict[str, object] = {"postText": normalize(post or "")}
    dated = start is not None or end is not None
    low, high = (start or EARLIEST).isoformat(), (end or LATEST).isoformat()
    presumed: dict[str, str] = {}  # tenure -> the inference that presumes it in the range
    if dated:
        for r in run(store, "presumed-tenures", **{"from": start, "to": end}):
            presumed.setdefault(_v(r, "tenure"), _v(r, "inference"))
    record = _role_on(low, high, presumed) if dated else _role

    def shown(r: Row) -> bool:
        outer = outer_days(r)
        return not dated or _v(r, "tenure") in presumed or (outer[1] >= low and outer[0] <= high)

    index = hubs(store)
    listed = index.roles(entity.iri) if index is not None and entity is not None else None
    tenures = None
    if entity is not None and listed is None:
        tenures = _keys(run(store, "tenures-of", entity=entity.iri), "tenure")
        if len(tenures) <= query.MANY_KEYS:
            rows = [r for r in _each_bound(store, "roles", "tenure", tenures, params) if shown(r)]
            rows.sort(key=role_key)
            _cited(store, rows[offset : offset + limit] if limit else rows[offset:], "tenure")
            return _explain(store, _cut(rows, offset, limit, record))
    if listed is None:  # every tenure: those in the range or presumed held then
        order = tenure_index(store, start, end, also=presumed)
    else:  # a hub's own tenures
        order = in_range(listed, start, end)
        known = {t.tenure for t in order}
        order += [t for t in listed if t.tenure in presumed and t.tenure not in known]
    if presumed:
        order.sort(key=lambda t: (t.earliest, t.holder_label, t.post_label, t.tenure))
    if post is not None:
        named = {_v(r, "post") for r in run(store, "posts-named", postText=normalize(post))}
        order = [t for t in order if t.post in named]
    if tenures is not None:
        wanted = {value(t) for t in tenures}
        order = [t for t in order if t.tenure in wanted]
    page = order[offset : offset + limit] if limit else order[offset:]
    keys = [NamedNode(t.tenure) for t in page]
    rows = _cited(store, sorted(_each_bound(store, "roles", "tenure", keys, params), key=role_key))
    return _explain(store, Rows(list(map(record, rows)), len(order), offset))


def _cited(store: Store, rows: list[Row], key: str = "tenure") -> list[Row]:
    """Give each row its `sources` from evidence-of, asked once per fact (`key`) of the rows
    shown: joined into roles as an OPTIONAL, it made Oxigraph's server join every citation of
    the graph to a tenure bound by VALUES (0.44 s a tenure at 100k; 0.006 s without)."""
    cites: dict[str, set[str]] = {}
    for r in _each_bound(store, "evidence-of", "fact", _keys(rows, key)):
        packed = pack(_v(r, "file"), _v(r, "line"), _v(r, "order"))
        cites.setdefault(_v(r, "fact"), set()).add(packed)
    for r in rows:
        r["sources"] = Literal("|".join(sorted(cites.get(_v(r, key), ()))))
    return rows


def _bound(r: Row, stated: str, inferred: str, tighter: Callable[..., str]) -> tuple[str, bool]:
    """A tenure's bound on one side as shown (the tighter of stated and inferred), and
    whether it is the inferred one."""
    a, b = _v(r, stated), _v(r, inferred)
    if a and b:
        return (b, True) if tighter(a, b) == b and a != b else (a, False)
    return (a, False) if a else (b, bool(b))


def _role(r: Row) -> Record:
    before, before_inferred = _bound(r, "notBefore", "inferredNotBefore", max)
    after, after_inferred = _bound(r, "notAfter", "inferredNotAfter", min)
    when = _when(_v(r, "start"), _v(r, "end"), _split(_v(r, "attested")))
    bounds = [
        f"{words} {date}{' (inferred)' if inferred else ''}"
        for words, date, inferred in (
            ("began no earlier than", before, before_inferred),
            ("ended by", after, after_inferred),
        )
        if date
    ]
    return {
        "person": _v(r, "holderLabel"),
        "post": _v(r, "postLabel"),
        "organization": _v(r, "orgLabel"),
        "start": _v(r, "start") or None,
        "end": _v(r, "end") or None,
        "attested": _split(_v(r, "attested")),
        "when": "; ".join([when, *bounds]) if when else "; ".join(bounds),
        **_source_fields(r),
        "person_iri": _v(r, "holder"),
        "post_iri": _v(r, "post"),
        "organization_iri": _v(r, "org"),
        "not_before": before or None,
        "not_after": after or None,
        "held": None,
        "status": "stated",
        "because": [],  # filled by _explain
        "_inferred": _split(_v(r, "bounds")) if before_inferred or after_inferred else [],
    }


def _role_on(low: str, high: str, presumed: dict[str, str]) -> Callable[[Row], Record]:
    """roles rows for a date range: held by their dates ("yes"), by the rule office-holder
    ("presumed"), or within their bounds ("possibly"); inferred when a rule says so."""

    def record(r: Row) -> Record:
        rec = _role(r)
        if _v(r, "latest") >= low and _v(r, "earliest") <= high:
            rec["held"] = "yes"
        elif _v(r, "tenure") in presumed:
            rec.update(held="presumed", status="inferred")
            rec["when"] += "; presumed held then"
            rec["_inferred"] = [presumed[_v(r, "tenure")], *rec["_inferred"]]
        else:
            # Outside its dates, within its bounds: the bound on the side asked decides.
            side = "not_before" if high < _v(r, "earliest") else "not_after"
            word = "Before" if side == "not_before" else "After"
            inferred = bool(_v(r, f"inferredNot{word}")) and (
                _bound(r, f"not{word}", f"inferredNot{word}", max if word == "Before" else min)[1]
            )
            rec.update(held="possibly", status="inferred" if inferred else "stated")
            rec["when"] += "; possibly held then"
        return rec

    return record


def roles_of_tenures(store: Store, tenures: list[Term]) -> list[Record]:
    """roles rows of the given tenures, in roles' order (each asked for by its IRI)."""
    rows = _cited(store, sorted(_each_bound(store, "roles", "tenure", tenures), key=role_key))
    return list(_explain(store, Rows([_role(r) for r in rows])))


def meetings_of_events(store: Store, events: list[Term]) -> list[Record]:
    """who-met rows of the given events, every pair once, in who-met's order."""
    # The view, which asks, shows no statuses: it draws what the source states only.
    rows = [r for r in run_each(store, "who-met", "event", events, many=-1) if not _is_inferred(r)]
    page = Rows([_meeting(r) for r in sorted(rows, key=_meeting_key)])
    return list(_explain(store, _noted(store, page)))


def timeline(
    store: Store,
    entity: Entity | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> Rows:
    """Return dated events in order, optionally only those involving an entity.

    An entity's few events are asked for one by one. Many events (an entity at the hub of
    the graph, or no entity) are ordered from a list of every event first, and only those
    on the requested page are asked for in full: the hub index (kg.hubs), where the build
    kept that list, or else every event's dates and name, asked of the graph.
    """
    params: dict[str, object] = {"from": start, "to": end}
    low, high = (start or EARLIEST).isoformat(), (end or LATEST).isoformat()
    index = hubs(store)
    listed = None
    if index is not None:
        # A page among the first rows without dates reads only the list's first part.
        first = bool(limit) and offset + (limit or 0) <= index.first_rows and not (start or end)
        listed = index.timeline(entity.iri if entity else "", first=first)
    if listed is not None:
        order = [e for e in listed if e.latest >= low and e.earliest <= high]
        total = len(order) if listed.whole else listed.total
        return _timeline_page(store, order, offset, limit, params, total)
    keys = None
    if entity is not None:
        keys = _keys(run(store, "events-of", entity=entity.iri), "event")
        if len(keys) <= query.MANY_KEYS:
            rows = run_each(store, "timeline-event", "event", keys, params)
            return _noted(store, _cut(sorted(rows, key=timeline_key), offset, limit, _event))
    wanted = None if keys is None else set(keys)
    rows = [
        r
        for r in run(store, "event-order")
        if _v(r, "latest") >= low
        and _v(r, "earliest") <= high
        and (wanted is None or r["event"] in wanted)
    ]
    rows.sort(key=timeline_key)
    fields = ("event", "type", "earliest", "latest")
    order = [HubEvent._make(_v(r, f) for f in fields) for r in rows]
    return _timeline_page(store, order, offset, limit, params)


def _timeline_page(
    store: Store,
    order: list[HubEvent],
    offset: int,
    limit: int | None,
    params: dict[str, object],
    total: int | None = None,
) -> Rows:
    """The requested page of the timeline rows `order` lists (of `total`, when it lists
    only the first of them), asked for in full."""
    shown = order[offset : offset + limit] if limit else order[offset:]
    page = {(e.event, e.type) for e in shown}
    events = [NamedNode(e) for e in sorted({e.event for e in shown})]
    if len(events) > query.MANY_KEYS:  # a long page: one pass over the graph is cheaper
        details = run(store, "timeline", **params)
    else:
        details = run_each(store, "timeline-event", "event", events, params)
    rows = sorted(
        (r for r in details if (_v(r, "event"), _v(r, "type")) in page), key=timeline_key
    )
    total = len(order) if total is None else total
    return _noted(store, Rows(list(map(_event, rows)), total, offset))


# What a fact record (an event, a role, an agreement) says, the source states in its
# author's voice; only claims carry another status (kg claims).
AUTHOR = "the author"
INFERRER = "kg"  # who asserts what a rule infers (its row names the rule and premises)
STATED: Record = {"status": "stated", "asserted_by": AUTHOR}


def _event(r: Row) -> Record:
    return {
        "date": _v(r, "date"),
        "event": _v(r, "eventLabel"),
        "type": _v(r, "typeLabel"),
        "topics": [],  # topics and sources: filled by _noted
        "source": None,
        "sources": [],
        "event_iri": _v(r, "event"),
        **STATED,
    }


# A card lists this many roles and events at most, and this many statements of each
# relation (a state at the hub of a large graph has thousands of each; `kg roles NAME`,
# `kg timeline NAME` and `kg query statements` list them all). Each row shown is asked for
# on its own (about 1 ms), so these keep a hub's card as quick as a small one's; the
# shipped graph's largest card (19 events, 7 roles, 31 statements of one relation) is whole.
CARD_ROWS = 25
CARD_STATEMENTS = 40


def show(store: Store, entity: Entity) -> Record:
    """Return an entity's card: names, types, sources, roles, events and statements.

    Roles and events are the first CARD_ROWS of each; roles_total and events_total count
    them all. Statements are listed for each relation with at most CARD_STATEMENTS of them
    (and claims, the first CARD_STATEMENTS); a relation with more (a state is a party to
    thousands of agreements) is only counted. statements_total counts them all, and
    statements_more names each relation not listed whole: how many it lists (`shown`) of
    how many (`total`); `kg query statements` lists them all.
    """
    head = run(store, "entity", entity=entity.iri)
    types = sorted({_v(r, "typeLabel") or _local(_v(r, "type")) for r in head if _v(r, "type")})
    evidence: dict[tuple[str, int], Record] = {}
    primary: set[tuple[str, int]] = set()
    for r in head:
        if _v(r, "line"):
            key = (_v(r, "file"), int(_v(r, "line")))
            evidence[key] = {"document": key[0], "line": key[1], "note": _v(r, "citeNote") or None}
            if _v(r, "order") == "1":
                primary.add(key)
    about = claims(store, about=entity)
    claim_iris = {c["claim_iri"] for c in about}
    # A relation with more statements than a card lists (a state is a party to thousands of
    # agreements) is counted, never asked for; the others are asked one relation at a time.
    counted = {
        (_v(r, "direction"), _v(r, "p")): (int(_v(r, "n")), _v(r, "pLabel") or _local(_v(r, "p")))
        for r in run(store, "statement-counts", entity=entity.iri)
    }
    many = {k: v for k, v in counted.items() if v[0] > CARD_STATEMENTS}
    # What those link it to, as far as the claims about it need them: a claim's own triple
    # is not shown (nor is the claim), and a fact that is a claim is listed as the claim.
    hidden: set[tuple[str, str, str]] = set()  # (direction, relation IRI, other end)
    for (way, p), (n, relation) in list(many.items()) if claim_iris else ():
        others = {_v(r, "other") for r in run(store, "statement-keys", entity=entity.iri,
                                               p=p, way=way)}  # fmt: skip
        n -= len(others & claim_iris) if way == "in" else 0
        if n > CARD_STATEMENTS:
            many[(way, p)] = (n, relation)
            hidden |= {(way, p, other) for other in others}
        else:
            del many[(way, p)]  # mostly claims: few statements, listed after all
    if many:
        rows = [
            r
            for way, p in counted
            if (way, p) not in many
            for r in run(store, "statements-of-relation", entity=entity.iri, p=p, way=way)
        ]
        rows.sort(key=_statement_order)
    else:
        rows = run(store, "statements", entity=entity.iri)
    statements: list[Record] = []
    for r in rows:
        if _v(r, "direction") == "in" and _v(r, "fact") in claim_iris:
            continue  # a claim about it is listed as that claim, with its status, below
        relation = _v(r, "pLabel") or _local(_v(r, "p"))
        other = r.get("other")
        if _v(r, "qvalue"):
            shown = " ".join(x for x in (_v(r, "qvalue"), _v(r, "qunit")) if x)
            if _v(r, "qof"):
                shown += f" of {_v(r, 'qof')}"
            other_iri = None
        elif other is not None and other.__class__.__name__ == "NamedNode":
            shown = _v(r, "otherLabel") or value(other)
            other_iri = value(other)
        else:
            shown, other_iri = value(other), None
        statements.append(
            {
                "direction": _v(r, "direction"),
                "relation": relation,
                "value": shown,
                "value_iri": other_iri,
                "sources": [],  # its fact's lines (asked below, for those shown only)
                "status": "stated",
                "asserted_by": AUTHOR,
                "holds": [],
                "claim_iri": None,
                "_p": _v(r, "p"),
                "_fact": _v(r, "fact"),
            }
        )
    statements += _claim_statements(entity, about, statements, hidden)
    listed, more = _card_cut(statements)
    for (way, _), (n, relation) in many.items():
        more.append({"direction": way, "relation": relation, "shown": 0, "total": n})
    more.sort(key=lambda m: (m["direction"], m["relation"]))
    # The lines of each statement listed that no claim gave its own (a claim's are its own).
    plain = [st for st in listed if st["direction"] != "claim" and st["claim_iri"] is None]
    cites: dict[str, list[str]] = {}
    facts = [NamedNode(f) for f in sorted({st["_fact"] for st in plain})]
    for r in run_each(store, "evidence-of", "fact", facts, many=-1):
        packed = pack(_v(r, "file"), _v(r, "line"), _v(r, "order"))
        cites.setdefault(_v(r, "fact"), []).append(packed)
    for st in plain:
        st["sources"] = citations("|".join(set(cites.get(st["_fact"], []))))
    for st in listed:
        del st["_p"], st["_fact"]
    return {
        "iri": entity.iri,
        "label": entity.label,
        "types": types,
        "aliases": sorted({_v(r, "alias") for r in head if _v(r, "alias")}),
        "notes": sorted({_v(r, "note") for r in head if _v(r, "note")}),
        "sources": [evidence[k] for k in sorted(evidence, key=lambda k: (k not in primary, k))],
        "roles": (held := roles(store, entity, limit=CARD_ROWS)),
        "roles_total": held.total,
        "events": (events := timeline(store, entity, limit=CARD_ROWS)),
        "events_total": events.total,
        "statements": listed,
        "statements_total": len(statements) + sum(m["total"] for m in more if not m["shown"]),
        "statements_more": more,
    }


def _statement_order(r: Row) -> tuple[tuple[bool, bool, str], ...]:
    """statements' order (ORDER BY ?direction ?pLabel ?otherLabel ?other): an unbound
    value first, then IRIs, then literals."""
    return tuple(
        (r.get(k) is not None, isinstance(r.get(k), Literal), _v(r, k))
        for k in ("direction", "pLabel", "otherLabel", "other")
    )


def _card_cut(statements: list[Record]) -> tuple[list[Record], list[Record]]:
    """A card's statements, at most CARD_STATEMENTS of each relation (and direction), in
    order; and what is left out: for each relation cut, how many are shown of how many."""
    count: dict[tuple[str, str], int] = {}
    for st in statements:
        key = (st["direction"], st["relation"])
        count[key] = count.get(key, 0) + 1
    seen: dict[tuple[str, str], int] = {}
    shown = []
    for st in statements:
        key = (st["direction"], st["relation"])
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= CARD_STATEMENTS:
            shown.append(st)
    more = [
        {"direction": d, "relation": r, "shown": CARD_STATEMENTS, "total": n}
        for (d, r), n in count.items()
        if n > CARD_STATEMENTS
    ]
    return shown, more


def agreements(
    store: Store,
    status: str | None = None,
    party: Entity | None = None,
    on: dt.date | None = None,
    topic: Entity | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> Rows:
    """Return agreements, pledges, proposals and offers with the status each had on a day.

    An act's status on a day is its latest status change on or before it (a change known
    only to the month or year counts from its first day); without `on`, its latest change.
    An act with no change by then is left out, and so is one whose status then is not
    `status` (a word of the status vocabulary: proposed, signed, reaffirmed…). The page
    from `offset`, `limit` rows (0 or None: all the rest), with the total.
    """
    wanted = _status_label(store, status) if status is not None else None
    params = {"party": party and party.iri, "topic": topic and topic.iri, "to": on}
    on_topic = None
    if party is not None and topic is not None:
        # Asked apart and intersected: Virtuoso 7 drops the topic test of a query that
        # also tests the party (its tests are independent, so the answer is the same).
        on_topic = {_v(r, "agreement") for r in run(store, "agreements", topic=topic.iri, to=on)}
        params["topic"] = None
    changes: dict[str, list[Row]] = {}
    # The party's acts of the page, ordered and filtered from the build's index (kg.acts;
    # with a topic, all of them, as the topic is tested after), each asked alone; else the
    # graph asked for every act that passes the tests.
    paged = None
    if party is not None:
        cut = (0, None) if topic is not None else (offset, limit)
        paged = party_page(store, party.iri, (on or LATEST).isoformat(), wanted, *cut)
    if paged is None:
        found = run(store, "agreements", **params)
    else:
        found = _act_changes(store, paged[0], on)
    for r in found:
        if on_topic is None or _v(r, "agreement") in on_topic:
            changes.setdefault(_v(r, "agreement"), []).append(r)
    rows = []
    for history in changes.values():
        history.sort(key=_change_key)
        if wanted is None or _v(history[-1], "statusLabel") == wanted:
            rows.append(history)
    # In the order of the dates of the statuses shown, then by name.
    rows.sort(
        key=lambda h: tuple(_v(h[-1], k) for k in ("earliest", "agreementLabel", "agreement"))
    )
    if paged is not None and topic is None:
        total = paged[1]  # the rows are the page already (the index's order and filters)
    else:
        total = len(rows)
        rows = rows[offset : offset + limit] if limit else rows[offset:]
    keys = _keys([h[-1] for h in rows], "agreement")
    parties: dict[str, list[Record]] = {}
    for r in _each_bound(store, "agreement-parties", "agreement", keys):
        parties.setdefault(_v(r, "agreement"), []).append(
            {"actor": _v(r, "actorLabel"), "roles": _split(_v(r, "roles")),
             "actor_iri": _v(r, "actor")}
        )  # fmt: skip
    return Rows(
        [_agreement(h, parties.get(_v(h[-1], "agreement"), [])) for h in rows], total, offset
    )


# Keys bound as one VALUES block, BOUND_KEYS a query: the details of a page (50 tenures' roles,
# 50 acts' changes and parties, their citations) were asked one key a query, most of the
# time parsing and planning (roles of 50 tenures 0.062-0.079 s of CPU at 1M-20M triples;
# bound 50 a query 0.014-0.020 s; agreements: 3 queries an act, 0.08 s for 50 acts at 20M,
# bound 0.04 s). pyoxigraph starts from the VALUES while they are few: roles and
# evidence-of grow linearly to 500-1,000 keys bound, but act-changes with 100 acts bound
# joins every act's changes first (1.1 s at 1M triples, 19 s at 20M; 80 acts 0.018 s).
BOUND_KEYS = 50


def _each_bound(
    store: Store, name: str, var: str, keys: Sequence[Term], params: Record | None = None
) -> list[Row]:
    """The rows of the named query for each key bound to `var` (other parameters: `params`),
    BOUND_KEYS keys a query, bound as VALUES (kg.query.run_together)."""
    return query.run_together(store, name, var, keys, params, per=BOUND_KEYS)


def _act_changes(store: Store, acts: list[NamedNode], on: dt.date | None) -> list[Row]:
    """The rows the agreements query gives for these acts: their changes on or before `on`
    (act-changes, BOUND_KEYS acts a query), with each change's source lines (evidence-of,
    packed as the query's ?sources is)."""
    rows = _each_bound(store, "act-changes", "agreement", acts, {"to": on})
    cites: dict[str, list[str]] = {}
    for r in _each_bound(store, "evidence-of", "fact", _keys(rows, "change")):
        cites.setdefault(_v(r, "fact"), []).append(pack(_v(r, "file"), _v(r, "line"),
                                                        _v(r, "order")))  # fmt: skip
    return [{**r, "sources": Literal("|".join(cites.get(_v(r, "change"), [])))} for r in rows]


def _change_key(r: Row) -> tuple[str, str, int]:
    """A history's order: by first and last possible day, then as written (…/history/N)."""
    return (_v(r, "earliest"), _v(r, "latest"), int(_local(_v(r, "change"))))


def _status_label(store: Store, text: str) -> str:
    """The label of the agreement status typed (case and spacing aside); else raise."""
    labels = [_v(r, "label") for r in run(store, "agreement-statuses")]
    for label in labels:
        if normalize(label) == normalize(text):
            return label
    raise UnresolvedName(
        f"no agreement status {text!r}" + (did_you_mean(text, labels) or
                                           f" (statuses: {', '.join(labels)})")
    )  # fmt: skip


def _change(r: Row) -> Record:
    return {
        "status": _v(r, "statusLabel"),
        "date": _v(r, "date"),
        "event": _v(r, "eventLabel") or None,
        "by": _split(_v(r, "by")),
        **_source_fields(r),
        "event_iri": _v(r, "event") or None,
    }


def _agreement(history: list[Row], parties: list[Record]) -> Record:
    now = history[-1]
    current = _change(now)
    return {
        "date": current["date"],
        "status": current["status"],
        "agreement": _v(now, "agreementLabel"),
        "kind": _v(now, "kindLabel"),
        "parties": parties,
        "roles": "; ".join(f"{p['actor']} ({', '.join(p['roles'])})" for p in parties),
        "by": current["by"],
        "event": current["event"],
        "topics": _split(_v(now, "topics")),
        "source": current["source"],
        "sources": current["sources"],
        "history": [_change(r) for r in history],
        "agreement_iri": _v(now, "agreement"),
        "event_iri": current["event_iri"],
        # `status` is the agreement's own (signed, proposed…); how the source puts it:
        "epistemic_status": STATED["status"],
        "asserted_by": STATED["asserted_by"],
    }


def topics(store: Store) -> list[Record]:
    """Return the topic scheme, each topic with its broader topic and tagged-fact count."""
    rows = run(store, "topics")
    return [
        {
            "id": _v(r, "topic").rsplit("/", 1)[-1],
            "label": _v(r, "label"),
            "broader": _v(r, "broader").rsplit("/", 1)[-1] or None,
            "alt_labels": _split(_v(r, "alts")),
            "related": [t.rsplit("/", 1)[-1] for t in _split(_v(r, "relateds"))],
            "tagged": int(_v(r, "tagged") or 0),
        }
        for r in rows
    ]


def _per_kind(store: Store) -> list[Record]:
    """Each event kind (meeting kinds first): whether it counts as a meeting, its events,
    and how many of them have actors on two sides."""
    return [
        {
            "kind": _v(r, "kind"),
            "label": _v(r, "label"),
            "counts_as_meeting": truth(r.get("meeting")),
            "events": int(_v(r, "events") or 0),
            "with_two_sides": int(_v(r, "twoSided") or 0),
        }
        for r in run(store, "stats-kinds")
    ]


def stats(store: Store) -> Record:
    """Return counts per class and per event kind, and meetings per month, per topic and per
    pair of sides (only the events of the kinds that count as meetings, meeting_kinds)."""
    per_kind = _per_kind(store)
    return {
        "classes": [
            {"class": _v(r, "classLabel") or _local(_v(r, "class")), "count": int(_v(r, "count"))}
            for r in run(store, "stats-classes")
        ],
        "meetings_per_month": [
            {"month": _v(r, "month"), "count": int(_v(r, "count"))}
            for r in run(store, "stats-months")
        ],
        "meetings_per_topic": [
            {"topic": _v(r, "label"), "count": int(_v(r, "count"))}
            for r in run(store, "stats-topics")
        ],
        "meetings_per_pair": [
            {"a": _v(r, "aLabel"), "b": _v(r, "bLabel"), "count": int(_v(r, "count"))}
            for r in run(store, "stats-pairs")
        ],
        "events_per_kind": per_kind,
        "meeting_kinds": [k["kind"] for k in per_kind if k["counts_as_meeting"]],
    }


def engagement(store: Store, by: str = "month") -> dict[str, Any]:
    """Count engagements in the curated events, next to what the source reports.

    An engagement is an event of a kind that counts as a meeting (meeting_kinds) with
    actors on two sides, counted once per pair of sides (not once per direction, nor once
    per participant). per_kind counts the events with two sides of every kind, so what is
    left out (invitations, messages, a handover) stays in view.
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
    kinds = _per_kind(store)
    return {
        "by": by,
        "rows": rows,
        "curated_total": total,
        "reported": reported,
        "per_kind": [
            {
                "kind": k["kind"],
                "counts_as_meeting": k["counts_as_meeting"],
                "count": k["with_two_sides"],
            }
            for k in kinds
        ],
        "meeting_kinds": [k["kind"] for k in kinds if k["counts_as_meeting"]],
    }


def _claim_statements(
    entity: Entity,
    about: list[Record],
    plain: list[Record],
    hidden: set[tuple[str, str, str]] | None = None,
) -> list[Record]:
    """The card's statements from the claims about an entity.

    A claim the graph also holds as a plain triple (stated, for no limited time) is shown
    as that triple, citing the claim's lines (not the subject's own); any other claim is
    a statement of its own, with its status, who asserts it and when it holds. A triple of
    a relation the card only counts (hidden: direction, relation, other end) is not shown,
    nor is its claim.
    """
    out: list[Record] = []
    hidden = hidden or set()
    for c in about:
        relation_iri = c["relation_iri"]
        if relation_iri and (
            (entity.iri == c["subject_iri"]
             and any(("out", relation_iri, o) in hidden for o in c["object_iris"]))
            or (entity.iri in c["object_iris"]
                and ("in", relation_iri, c["subject_iri"]) in hidden)
        ):  # fmt: skip
            continue
        matched = [
            st
            for st in plain
            if c["relation_iri"]
            and st["_p"] == c["relation_iri"]
            and (
                (st["direction"] == "out" and entity.iri == c["subject_iri"]
                 and st["value_iri"] in c["object_iris"])
                or (st["direction"] == "in" and st["_fact"] == c["subject_iri"]
                    and entity.iri in c["object_iris"])
            )
        ]  # fmt: skip
        for st in matched:
            st["sources"] = c["sources"]
            st["claim_iri"] = c["claim_iri"]
        if matched:
            continue
        relation = c["relation"] or "claim"
        if c["relation"] and entity.iri != c["subject_iri"]:
            relation = f"{c['subject']} {c['relation']}" if c["subject"] else relation
        out.append(
            {
                "direction": "claim",
                "relation": relation,
                "value": c["claim"],
                "value_iri": c["claim_iri"],
                "sources": c["sources"],
                "status": c["status"],
                "asserted_by": c["asserted_by"],
                "holds": c["holds"],
                "claim_iri": c["claim_iri"],
                "_p": "",
                "_fact": "",
            }
        )
    return out


# ---------------------------------------------------------------------------- claims
ASSERTERS = {"author": KG + "SourceAuthor", "unnamed": KG + "UnnamedSources"}


def status_slug(iri: str) -> str:
    """The word a status is asked for and shown by: kg:Reported -> 'reported'."""
    return _local(iri).lower()


def statuses(store: Store) -> dict[str, str]:
    """The epistemic statuses of the store's vocabulary: slug -> IRI."""
    return {status_slug(_v(r, "status")): _v(r, "status") for r in run(store, "statuses")}


def status_headings(store: Store) -> dict[str, str]:
    """How a card heads each status's statements: slug -> template ({asserter})."""
    return {
        status_slug(_v(r, "status")): _v(r, "heading") or _v(r, "label")
        for r in run(store, "statuses")
    }


def resolve_status(store: Store, word: str) -> str:
    """Return the IRI of a status named by its word; raise UnresolvedName otherwise."""
    known = statuses(store)
    if word.lower() in known:
        return known[word.lower()]
    from kg.fuzzy import did_you_mean

    raise UnresolvedName(
        f"no status '{word}'"
        + (did_you_mean(word, known) or f" (statuses: {', '.join(sorted(known))})")
    )


def _holds(r: Row) -> list[str]:
    parts = []
    if _v(r, "from"):
        parts.append(f"from {_v(r, 'from')}")
    if _v(r, "until"):
        parts.append(f"until {_v(r, 'until')}")
    return parts


def claims(
    store: Store,
    about: Entity | None = None,
    status: str | None = None,
    by: str | None = None,
) -> list[Record]:
    """Return the claims (optionally about an entity, of a status IRI, by an asserter IRI),
    each with its status, who asserts it, what it relates, when it holds and its sources.

    Ordered by status, then claim; the primary source line first, as the facts give it.
    """
    params = {"about": about.iri if about else None, "status": status, "by": by}
    rows = run(store, "claims", **{k: v for k, v in params.items() if v})
    out: dict[str, Record] = {}
    for r in rows:
        iri = _v(r, "claim")
        rec = out.get(iri)
        if rec is None:
            rec = out[iri] = {
                "claim": _v(r, "claimLabel"),
                "status": status_slug(_v(r, "statusIri")),
                "asserted_by": _v(r, "asserterLabel"),
                "subject": _v(r, "subjectLabel") or None,
                "relation": _v(r, "relationLabel") or None,
                "objects": [],
                "holds": _holds(r),
                "date": _v(r, "date") or None,
                "sources": [],
                "claim_iri": iri,
                "status_iri": _v(r, "statusIri"),
                "asserted_by_iri": _v(r, "asserter"),
                "subject_iri": _v(r, "subject") or None,
                "relation_iri": _v(r, "relation") or None,
                "object_iris": [],
                "topics": [],
                "topic_iris": [],
            }
        if _v(r, "object") and _v(r, "object") not in rec["object_iris"]:
            rec["object_iris"].append(_v(r, "object"))
            rec["objects"].append(_v(r, "objectLabel"))
        for key, col in (("topics", "topicLabel"), ("topic_iris", "topicUp")):
            if _v(r, col) and _v(r, col) not in rec[key]:
                rec[key].append(_v(r, col))
        if _v(r, "periodLabel") and f"during {_v(r, 'periodLabel')}" not in rec["holds"]:
            rec["holds"].append(f"during {_v(r, 'periodLabel')}")
    # Each claim's lines, asked per claim (many: one pass over every citation instead).
    for r in run_each(store, "evidence-of", "fact", _keys(rows, "claim")):
        if (rec := out.get(_v(r, "fact"))) is not None:
            rec["sources"].append(pack(_v(r, "file"), _v(r, "line"), _v(r, "order")))
    for rec in out.values():
        rec["sources"] = citations("|".join(rec["sources"]))
        order = sorted(range(len(rec["objects"])), key=lambda i: rec["objects"][i])
        rec["objects"] = [rec["objects"][i] for i in order]
        rec["object_iris"] = [rec["object_iris"][i] for i in order]
        rec["source"] = rec["sources"][0] if rec["sources"] else None
        rec["topics"].sort()
        rec["topic_iris"].sort()
    return sorted(out.values(), key=lambda c: (c["status"], c["claim"], c["claim_iri"]))
