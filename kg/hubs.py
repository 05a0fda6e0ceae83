"""The hub index: each list a lookup pages through, kept in order for the entities at the hub.

A state meets, holds and signs thousands of things: to show the first fifty of its who-met
rows, the lookups asked for all of them (30 s at 5M triples), and a card or a timeline
ordered every event of the graph first. `kg build` therefore keeps, for each entity with
more than HUB meetings, events or tenures, each such list in its lookup's order: its
meetings with its own number of who-met rows at each, its dated events, its tenures. A
lookup reads the one list it needs, keeps the entries its filters want, counts, and asks
the graph for the rows of the requested page only. An entity with fewer is asked as
before, by its few keys, so every first page costs about the same at any size.

The lists go in hub-lists.json, one JSON array per list (the file is itself one JSON
array), and hubs.json, a small header, says at which byte each list starts and how long it
is, so a lookup reads one slice of the file, not all of it. IRIs in the id space are kept
without it, and kinds, topics and classes as numbers into the header's tables.

Both the build (which writes it) and the lookups (which read it) import this module; it
imports only the store, the named queries and the other indexes.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol, runtime_checkable

from pyoxigraph import NamedNode

from kg.eventkinds import meeting_kinds
from kg.indexes import Meeting, Parts, Tenure, named
from kg.query import id_space, load_query, run, run_each
from kg.store import Row, Store, value

# An entity with more than this many meetings, events or tenures gets that list kept; with
# fewer, a lookup asks for each of its keys (about 1-2 ms each), as fast as reading a list.
HUB = 100
# A list's first part holds this many rows of it at least (a table's page unless told), so
# that the first page of a lookup without filters reads that part only, however long the
# list: a state's who-met list at 5M triples takes 0.1 s to read whole, every meeting's 1 s.
FIRST = 500
VERSION = 2
LISTS = ("who-met", "timeline", "roles", "topic-meetings")
HEADER, DATA = "hubs", "hub-lists"  # the sidecars: hubs.json, hub-lists.json


class HubMeeting(NamedTuple):
    """A meeting of an entity's who-met list, with the entity's rows at it."""

    event: str  # IRI
    earliest: str  # first and last possible day, YYYY-MM-DD
    latest: str
    kind: str  # its event kind (Meeting.kind)
    topics: list[str]  # its own topic IRIs, sorted
    rows: int  # who-met --person rows: pairs with an actor that counts as the entity first
    inferred: int  # how many of them pair an inferred participant


class HubEvent(NamedTuple):
    """A row of an entity's timeline (an event, once per class it has)."""

    event: str  # IRI
    type: str  # class IRI
    earliest: str
    latest: str


# ---------------------------------------------------------------------------- reading
@runtime_checkable
class PartialSidecars(Protocol):
    """A store whose sidecar files can be read in part (the embedded one)."""

    def sidecar_part(self, name: str, offset: int, length: int) -> bytes | None:
        """Bytes offset..offset+length of NAME.json, or None without the file."""
        ...


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


class HubList(list[Any]):
    """A list of the hub index, whole or only its first part, with its total: how many rows
    it gives a lookup without filters (who-met: of the kinds that count as meetings)."""

    def __init__(self, entries: list[Any], total: int, whole: bool) -> None:
        super().__init__(entries)
        self.total = total
        self.whole = whole


class Hubs:
    """The hub index of one store: which entities have which lists, and the lists."""

    def __init__(self, header: dict[str, Any], read: Callable[[int, int], bytes | None]):
        self.header = header
        self._read = read
        self._space: str = header["space"]
        self.first_rows: int = header["first"]  # rows a list's first part holds at least
        self.meeting_kinds = frozenset(header["meeting kinds"])  # what totals count

    def _iri(self, text: str) -> str:
        return text if _SCHEME.match(text) else self._space + text

    def has(self, iri: str, which: str) -> bool:
        """Whether the entity has that list (is a hub for that lookup)."""
        with _misshapen():
            return which in self.header["lists"].get(iri, {})
        return False

    def _list(self, iri: str, which: str, first: bool) -> tuple[list[Any], int, bool] | None:
        with _misshapen():
            where = self.header["lists"].get(iri, {}).get(which)
            if where is None:
                return None
            offset, length, first_length, total, whole = where
            return self._entries(offset, length, first_length, total, whole, first)
        return None

    def _entries(
        self, offset: int, length: int, first_length: int, total: int, whole: Any, first: bool
    ) -> tuple[list[Any], int, bool] | None:
        if not (first or whole):
            return None  # only the first part is kept: ask the graph
        size = first_length if first else length
        data = self._read(offset, size)
        if data is None or len(data) != size:
            return None  # a file cut short: ask the graph, as without an index
        try:
            entries = json.loads(data + b"]" if first else data)
        except ValueError:
            return None  # not the list the header says (a damaged file): the same
        return (entries, total, bool(whole) and not first) if isinstance(entries, list) else None

    def who_met(self, iri: str, which: str = "who-met", first: bool = False) -> HubList | None:
        """The entity's meetings in who-met's order, or None (not a hub: ask the graph);
        "": every meeting, with its rows in who-met without a person; which="topic-meetings":
        a topic's meetings (it or a narrower one), with those rows. first: only the list's
        first part (the first_rows rows without filters, at least), if that is all kept."""
        found = self._list(iri, which, first)
        if found is None:
            return None
        entries, total, whole = found
        kinds, topics = self.header["kinds"], self.header["topics"]
        with _misshapen():
            return HubList(
                [
                    HubMeeting(self._iri(e), a, b, kinds[k], [topics[i] for i in ts], n, inf)
                    for e, a, b, k, ts, n, inf in entries
                ],
                total,
                whole,
            )
        return None

    def timeline(self, iri: str, first: bool = False) -> HubList | None:
        """The entity's timeline rows in timeline's order, or None (not a hub); "": every
        dated event's. first: only the list's first part (first_rows rows at least)."""
        found = self._list(iri, "timeline", first)
        if found is None:
            return None
        entries, total, whole = found
        types = self.header["types"]
        with _misshapen():
            return HubList([HubEvent(self._iri(e), types[t], a, b) for e, t, a, b in entries],
                           total, whole)  # fmt: skip
        return None

    def roles(self, iri: str) -> HubList | None:
        """The entity's tenures in roles' order, or None (not a hub)."""
        found = self._list(iri, "roles", False)
        if found is None:
            return None
        entries, total, whole = found
        with _misshapen():
            return HubList(
                [
                    Tenure(self._iri(t), a, b, holder, self._iri(p), post, oa, ob)
                    for t, a, b, holder, p, post, oa, ob in entries
                ],
                total,
                whole,
            )
        return None


# Entries not of the shape this kg writes (a damaged file, or one a server sent: the lists
# may come from an endpoint, kg.remote) are not used: the lookup asks the graph, as for an
# entity with no list, rather than failing with a traceback.
_MISSHAPEN = (ValueError, TypeError, IndexError, KeyError, AttributeError)


def _misshapen() -> contextlib.suppress:
    return contextlib.suppress(*_MISSHAPEN)


def hubs(store: Store) -> Hubs | None:
    """The store's hub index, or None (a remote store, a store being built, an older build:
    the lookups then ask the graph, as for any entity that is no hub)."""
    if not isinstance(store, PartialSidecars):
        return None
    header = store.sidecar(HEADER)
    if not isinstance(header, dict) or header.get("version") != VERSION:
        return None

    def read(offset: int, length: int) -> bytes | None:
        return store.sidecar_part(DATA, offset, length)

    with _misshapen():  # a header without the parts this kg writes: no hub index
        return Hubs(header, read)
    return None


# ---------------------------------------------------------------------------- building
def _v(row: Row, name: str) -> str:
    return value(row.get(name))


def pair_rows(
    actors: set[tuple[str, str, bool]], whos: Callable[[str, str], set[str]]
) -> dict[str, dict[tuple[str, str], bool]]:
    """A meeting's who-met rows by entity: entity -> (a, b) -> inferred, for each pair of
    actors on opposite sides, under each entity whos(a, side) says a counts as (kg.deltas
    patches the lists with the same rows)."""
    rows: dict[str, dict[tuple[str, str], bool]] = {}
    for a, side, a_inferred in actors:
        if not (counted := whos(a, side)):
            continue
        for b, b_side, b_inferred in actors:
            if b_side == side:
                continue
            inferred = a_inferred or b_inferred
            for who in counted:
                pairs = rows.setdefault(who, {})
                # One row per pair (kg.lookups keeps a stated one over an inferred one).
                pairs[(a, b)] = pairs.get((a, b), True) and inferred
    return rows


class Whom(Protocol):
    def __call__(self, m: Meeting, a: str, side: str) -> set[str]: ...


def posts(store: Store) -> tuple[Whom, dict[str, set[str]]]:
    """Whom an actor of a meeting counts as (whom(meeting, actor, side)), and whose roles
    list each tenure is in (tenure -> entities: fragment tenures-of). Of the graph's posts,
    organizations and tenures: a few per entity, held in memory at any size."""
    wholes: dict[str, set[str]] = {}  # organization -> every organization it is part of
    for org, whole in named(store, "suborganizations", ("org", "whole")):
        wholes.setdefault(org, set()).add(whole)
    orgs: dict[str, set[str]] = {}  # post -> its organizations and what they are part of
    for post, org in named(store, "post-organizations", ("post", "org")):
        orgs.setdefault(post, set()).update({org, *wholes.get(org, ())})
    held: dict[str, list[tuple[str, str, str]]] = {}  # post -> (holder, earliest, latest)
    tenure_of: dict[str, set[str]] = {}  # tenure -> whose roles list it is in (tenures-of)
    held_fields = ("tenure", "holder", "post", "earliest", "latest")
    for t, holder, post, earliest, latest in named(store, "tenure-posts", held_fields):
        held.setdefault(post, []).append((holder, earliest, latest))
        tenure_of.setdefault(t, set()).update({holder, post, *orgs.get(post, ())})

    def whom(m: Meeting, a: str, side: str) -> set[str]:
        # Whom a, on side, counts as (fragment counts-as): itself, its side, what it is part
        # of, and, a post, whoever held it at the time (fragment held-during).
        whos = {a, side, *wholes.get(a, ())}
        return whos | {h for h, te, tl in held.get(a, ()) if te <= m.latest and tl >= m.earliest}

    return whom, tenure_of


def hub_index(
    store: Store,
    meetings: list[Meeting],
    parts: Parts,
    tenures: list[Tenure],
) -> dict[str, bytes]:
    """The hub index of a store being built, as the sidecars hubs.json and hub-lists.json.

    meetings and tenures: the meeting and tenure indexes; parts: each meeting's
    participations (kg.indexes.participations). Who-met and roles lists are counted here
    from them (as the fragments counts-as and held-during, and tenures-of, say); a timeline
    list is asked of events-involving, for the entities in more than HUB meetings only.
    """
    whom, tenure_of = posts(store)

    # First count the meetings each entity is in (as participant, side, or by them as a
    # whole or a post's holder, or as a topic), then make the lists of those in many.
    involved: dict[str, int] = {}
    for m in meetings:
        here = set(m.topics)
        for a, side, _ in parts.get(m.event, ()):
            here |= whom(m, a, side)
        for who in here:
            involved[who] = involved.get(who, 0) + 1
    many = {w for w, n in involved.items() if n > HUB}
    met: dict[str, list[HubMeeting]] = {}
    for m in meetings:

        def counted(a: str, side: str, m: Meeting = m) -> set[str]:
            return whom(m, a, side) & many

        rows = pair_rows(parts.get(m.event, set()), counted)
        for who, pairs in rows.items():
            met.setdefault(who, []).append(
                HubMeeting(*m[:3], m.kind, m.topics, len(pairs), sum(pairs.values()))
            )
    lists: dict[str, dict[str, list[Any]]] = {}
    for who, meetings_of in met.items():
        if len(meetings_of) > HUB:
            lists.setdefault(who, {})["who-met"] = meetings_of

    # Every dated event's timeline rows (one per class), each with its timeline_key: a
    # meeting's dates and name are the meeting index's, the other events' are asked.
    dated: dict[str, list[tuple[tuple[str, ...], HubEvent]]] = {}
    known = {m.event: m for m in meetings}
    others: set[str] = set()
    for event, type_ in named(store, "event-types", ("event", "type")):
        if (meeting := known.get(event)) is not None:
            key = (meeting.earliest, meeting.latest, meeting.label, event, type_)
            dated.setdefault(event, []).append((key, HubEvent(event, type_, *meeting[1:3])))
        elif event:
            others.add(event)
    fields = ("event", "type", "earliest", "latest")
    # (The graph has no blank nodes: every event is an IRI.)
    for r in run_each(store, "event-order", "event", [NamedNode(e) for e in sorted(others)]):
        row = HubEvent._make(_v(r, f) for f in fields)
        dated.setdefault(row.event, []).append((timeline_key(r), row))
    # The whole graph's lists go under "": who-met (its first part: past it, or with a
    # filter, who-met reads the meeting index) and the timeline without a name.
    everyone = [HubMeeting(*m[:3], m.kind, m.topics, m.rows, m.inferred) for m in meetings]
    lists[""] = {
        "who-met": everyone,
        "timeline": [row for _, row in sorted(x for rows in dated.values() for x in rows)],
    }
    # Each topic's meetings (tagged with it or a narrower one), for who-met --topic: their
    # first part too.
    above = {t: {_v(r, "broader") for r in run(store, "broader", topic=t)}
             for t in sorted({t for m in meetings for t in m.topics})}  # fmt: skip
    on_topic: dict[str, list[HubMeeting]] = {}
    for one in everyone:
        for topic in sorted({up for t in one.topics for up in above[t]}):
            on_topic.setdefault(topic, []).append(one)
    for topic, meetings_on in on_topic.items():
        if len(meetings_on) > HUB:
            lists.setdefault(topic, {})["topic-meetings"] = meetings_on
    sided: dict[str, set[str]] = {}  # side -> the events of its (stated) participations
    for event, actors in parts.items():
        for _, side, inferred in actors:
            if not inferred:
                sided.setdefault(side, set()).add(event)
    for who in sorted(many):
        events = timeline_order(store, who, dated, sided.get(who, set()))
        if len(events) > HUB:
            lists.setdefault(who, {})["timeline"] = events
    held_by: dict[str, list[Tenure]] = {}
    for tenure in tenures:  # in roles' order
        for who in tenure_of.get(tenure.tenure, ()):
            held_by.setdefault(who, []).append(tenure)
    for who, tenures_of in held_by.items():
        if len(tenures_of) > HUB:
            lists.setdefault(who, {})["roles"] = tenures_of
    partial = {("", "who-met")} | {(topic, "topic-meetings") for topic in on_topic}
    return _encode(id_space(store), lists, set(meeting_kinds(store)), partial)


def _encode(
    space: str,
    lists: dict[str, dict[str, list[Any]]],
    counted: set[str],
    partial: set[tuple[str, str]],
    kept: dict[tuple[str, str], tuple[bytes, list[int]]] | None = None,
    seeds: list[tuple[str, Any, str]] | None = None,
) -> dict[str, bytes]:
    """The two sidecars, the same bytes for the same lists. counted: the kinds whose who-met
    rows a list's total counts (those that count as meetings); partial: the lists only the
    first part of which is kept. kept: lists written as they are (an incremental build's,
    kg.deltas, unchanged and numbered by the same tables): (who, which) -> their bytes and
    their header entry. seeds: entries whose text is known (which list, entry, its text
    as written before), not written out again."""
    kept = kept or {}
    meets = ("who-met", "topic-meetings")
    kinds = sorted({m.kind for w in lists.values() for k in meets for m in w.get(k, ())})
    topics = sorted({t for w in lists.values() for k in meets for m in w.get(k, ())
                     for t in m.topics})  # fmt: skip
    types = sorted({e.type for w in lists.values() for e in w.get("timeline", ())})
    kind_no, topic_no, type_no = ({x: i for i, x in enumerate(xs)} for xs in (kinds, topics, types))

    def rel(iri: str) -> str:
        # Relative to the id space (such a rest never starts with a scheme, so it reads back).
        rest = iri[len(space) :] if iri.startswith(space) else iri
        return rest if rest and not _SCHEME.match(rest) else iri

    # One encoder for the 50k entries at 1M triples (json.dumps with options makes one a
    # call): the same text.
    dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    # An event is in many lists (every entity's it involves): each is written out once.
    # A meeting's entries all come from its one row of the meeting index, so its IRI is
    # key enough to the text they share.
    seen: dict[Any, str] = {}
    heads: dict[str, str] = {}
    for which, x, text in seeds or ():
        if which in meets:  # (the text but its own numbers of rows: see entry)
            heads[x.event] = text[: text.rfind(",", 0, text.rfind(","))]
        else:
            seen[x] = text

    def entry(which: str, x: Any) -> str:
        if which in meets:  # its own numbers of rows end it: the rest is the event's
            if (head := heads.get(x.event)) is None:
                topics_no = [topic_no[t] for t in x.topics]
                head = dump([rel(x.event), x.earliest, x.latest, kind_no[x.kind], topics_no])
                head = heads[x.event] = head[:-1]
            return f"{head},{x.rows},{x.inferred}]"
        if (text := seen.get(x)) is None:
            if which == "timeline":
                text = dump([rel(x.event), type_no[x.type], x.earliest, x.latest])
            else:
                text = dump([rel(x.tenure), x.earliest, x.latest, x.holder_label, rel(x.post),
                             x.post_label, x.outer_earliest, x.outer_latest])  # fmt: skip
            seen[x] = text
        return text

    def weight(which: str, x: Any) -> int:
        """The rows an entry gives a lookup without filters."""
        return (x.rows if x.kind in counted else 0) if which in meets else 1

    chunks: list[bytes] = []
    where: dict[str, dict[str, list[int]]] = {}
    at = 2  # after "[\n"
    for who in sorted(lists.keys() | {w for w, _ in kept}):
        for which in LISTS:
            if (who, which) in kept:
                raw, spot = kept[(who, which)]
                where.setdefault(who, {})[which] = [at, *spot[1:]]
                chunks.append(raw)
                at += len(raw) + 2
                continue
            if which not in lists.get(who, {}):
                continue
            items = lists[who][which]
            weights = [weight(which, x) for x in items]
            rows, first = 0, len(items)
            for i, w in enumerate(weights):
                if rows >= FIRST:
                    first = i
                    break
                rows += w
            # Its first part is the text up to the end of its first entries ("]" added).
            head = ("[" + ",".join(entry(which, x) for x in items[:first])).encode("utf-8")
            whole = (who, which) not in partial
            rest = "".join("," + entry(which, x) for x in items[first:]) if whole else ""
            data = head + (rest.lstrip(",") if not first else rest).encode("utf-8") + b"]"
            where.setdefault(who, {})[which] = [at, len(data), len(head), sum(weights), int(whole)]
            chunks.append(data)
            at += len(data) + 2  # ",\n"
    header = {
        "version": VERSION,
        "hub": HUB,
        "first": FIRST,
        "meeting kinds": sorted(counted),
        "space": space,
        "kinds": kinds,
        "topics": topics,
        "types": types,
        "lists": where,
    }
    return {
        HEADER: json.dumps(header, ensure_ascii=False, sort_keys=True).encode("utf-8"),
        DATA: b"[\n" + b",\n".join(chunks) + b"\n]\n",
    }


def timeline_order(
    store: Store,
    entity: str,
    dated: dict[str, list[tuple[tuple[str, ...], HubEvent]]],
    sided: set[str],
) -> list[HubEvent]:
    """An entity's timeline rows in timeline's order: of every dated event's (dated: its
    rows, each with its timeline_key), those of the events events-of finds for it, which are
    those events-involving finds and those of its side's participations (sided)."""
    query = load_query("events-involving").text
    found = store.raw(query, bindings={"entity": NamedNode(entity)})
    events = sided | {value(s["event"]) for s in found}  # thousands: no dict per row
    return [row for _, row in sorted(x for e in events for x in dated.get(e, ()))]


def timeline_key(r: Row) -> tuple[str, ...]:
    """timeline's order: by first and last possible day, then name."""
    return tuple(_v(r, k) for k in ("earliest", "latest", "eventLabel", "event", "type"))
