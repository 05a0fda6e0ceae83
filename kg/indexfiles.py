"""The sidecar indexes of a graph too big to index in memory, written a group at a time.

kg.build.precompute makes meetings.json, hubs.json, hub-lists.json and actors.json from
Python structures of the whole graph: every meeting's participations, the meeting index,
each hub's lists, the actor network's ties (kg.indexes, kg.hubs). At 20M triples on disk
they took the build from 2.8 to 4.7 GiB. For a graph built on disk they are made here
instead, the same bytes (a test holds them so): the rows of the named queries go to run
files as lines whose bytes sort in the order wanted (kg.streaming.sort_lines: GNU sort
bounded by the memory setting, or runs merged in Python), and each output is written from
a sorted file one group at a time (an event's rows, a meeting, a list). What stays in
memory grows with the entities, not with the meetings and events: the actors, posts and
tenures, how many meetings each entity is in, the hubs' header.

A line is `KEY\\tPAYLOAD`: KEY its fields in hex (UTF-8), each ended by a space, so that
the lines sort as Python sorts tuples of those strings (a field that is a prefix of
another sorts first, as the space is below every hex digit); PAYLOAD JSON (which escapes
every line end and tab), or an entry's text as the hub index writes it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path
from typing import IO, Any

import kg.hubs as hubs
from kg.hubs import DATA, HEADER, LISTS, VERSION, pair_rows, posts
from kg.indexes import Meeting, named, tenure_index
from kg.query import id_space, load_query, run
from kg.store import Store, value
from kg.streaming import sort_lines

# The hub lists' numbers in a line's key, in the order _encode writes them.
WHO_MET, TIMELINE, ROLES, TOPIC = (LISTS.index(x) for x in LISTS)


def _h(text: str) -> str:
    return text.encode("utf-8").hex()


def _unh(text: str) -> str:
    return bytes.fromhex(text).decode("utf-8")


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class _Runs:
    """The run files of one build of the indexes, in a folder of their own."""

    def __init__(self, folder: Path, memory: int) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="indexes-", dir=folder))
        # The sort is a child process beside this one, which holds its own indexes.
        self.memory = max(memory // 4, 64 << 10)

    def open(self, name: str, mode: str = "w") -> IO[str]:
        return open(self.folder / name, mode, encoding="utf-8", newline="\n")

    def sorted(self, name: str) -> Iterator[str]:
        """The lines of run file `name`, sorted as bytes, without their line ends (the
        unsorted file goes once sorted)."""
        src, dst = self.folder / name, self.folder / f"{name}.sorted"
        sort_lines(src, dst, self.memory, self.folder)
        src.unlink()
        with open(dst, encoding="utf-8", newline="\n") as fh:
            for line in fh:
                if line := line.rstrip("\n"):
                    yield line
        dst.unlink()

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _group(line: str) -> str:
    """A line's first key field (hex)."""
    return line[: line.index(" ")]


def write_indexes(store: Store, into: Path, memory: int) -> dict[str, bytes | Path]:
    """meetings.json, tenures.json, hubs.json, hub-lists.json and actors.json of the graph,
    as precompute makes them (the big ones written into `into`, given by their path),
    holding about `memory` bytes of their rows at a time."""
    runs = _Runs(into, memory)
    try:
        return _write(store, into, runs)
    finally:
        runs.close()


def _write(store: Store, into: Path, runs: _Runs) -> dict[str, bytes | Path]:
    import pyoxigraph as ox

    from kg.eventkinds import meeting_kinds
    from kg.kinds import actor_kinds

    space = id_space(store)

    def rel(iri: str) -> str:  # as kg.hubs._encode writes an IRI
        from kg.hubs import _SCHEME

        rest = iri[len(space) :] if iri.startswith(space) else iri
        return rest if rest and not _SCHEME.match(rest) else iri

    tenures = tenure_index(store)
    whom, tenure_of = posts(store)
    kinds_of = [(ox.NamedNode(cls), ox.Literal(name)) for cls, name in actor_kinds(store)]
    fields = ("actor", "label", "kind", "typeLabel")
    found = {a: (label, kind, t) for a, label, kind, t in
             named(store, "actors", fields, table=kinds_of)}  # fmt: skip
    nodes = sorted((iri, *rest) for iri, rest in found.items())
    del found
    number = {n[0]: i for i, n in enumerate(nodes)}

    # 1. Every event's rows, by event: its meeting rows (0), topics (1), participations (2),
    # classes (3) and, for the timeline of an event no meeting row dates, its dated rows (4).
    with runs.open("events") as out:
        w = out.write
        meeting_fields = ("event", "earliest", "latest", "eventLabel", "kind")
        for e, *rest in named(store, "meeting-events", meeting_fields, share=False):
            w(f"{_h(e)} 0\t{_dumps(rest)}\n")
        for e, topic in named(store, "meeting-topics", ("event", "topic"), share=False):
            w(f"{_h(e)} 1\t{_dumps(topic)}\n")
        for name, flag in (("meeting-sides", 0), ("meeting-inferred-sides", 1)):
            for e, a, side in named(store, name, ("event", "actor", "side"), share=False):
                w(f"{_h(e)} 2\t{_dumps([a, side, flag])}\n")
        for e, type_ in named(store, "event-types", ("event", "type"), share=False):
            if e:
                w(f"{_h(e)} 3\t{_dumps(type_)}\n")
        order_fields = ("event", "type", "earliest", "latest", "eventLabel")
        for e, *rest in named(store, "event-order", order_fields, share=False):
            w(f"{_h(e)} 4\t{_dumps(rest)}\n")

    # 2. A pass over them, event by event: each meeting's index row with its participants
    # (to be sorted in who-met's order), every dated timeline row (in timeline's order),
    # which sides' events each is (an entity's timeline), how many meetings each entity
    # is in.
    involved: dict[str, int] = {}
    kinds: set[str] = set()
    topics: set[str] = set()
    types: set[str] = set()
    with runs.open("meetings") as met, runs.open("dated") as dated, runs.open("joined") as join:
        for hexed, lines in groupby(runs.sorted("events"), key=_group):
            event = _unh(hexed)
            rows: list[list[str]] = []
            tags: set[str] = set()
            actors: set[tuple[str, str, bool]] = set()
            classes: list[str] = []
            order: list[list[str]] = []
            at = len(hexed) + 1
            for line in lines:
                tag, payload = line[at], json.loads(line[at + 2 :])
                if tag == "0":
                    rows.append(payload)
                elif tag == "1":
                    tags.add(payload)
                elif tag == "2":
                    actors.add((payload[0], payload[1], bool(payload[2])))
                elif tag == "3":
                    classes.append(payload)
                else:
                    order.append(payload)
            for side in {side for _, side, inferred in actors if not inferred}:
                join.write(f"{hexed} 1\t{_h(side)}\n")
            meetings = []
            for earliest, latest, label, kind in rows:
                pairs = {(a, sa, b, sb, ia or ib)
                         for a, sa, ia in actors for b, sb, ib in actors if sa < sb}  # fmt: skip
                m = Meeting(event, earliest, latest, label, len(pairs), sorted(tags), kind,
                            sum(1 for p in pairs if p[4]))  # fmt: skip
                meetings.append(m)
                here = set(m.topics)
                for a, side, _ in actors:
                    here |= whom(m, a, side)
                for who in here:
                    involved[who] = involved.get(who, 0) + 1
                kinds.add(kind)
                topics.update(tags)
                key = f"{_h(earliest)} {_h(label)} {hexed}"
                met.write(f"{key}\t{_dumps([list(m), sorted(actors)])}\n")
            if meetings:
                # (The meeting index's last row of the event gives its dates and name.)
                m = max(meetings, key=lambda m: (m.earliest, m.label))
                dated_rows = [(t, m.earliest, m.latest, m.label) for t in classes]
            else:
                dated_rows = [(t, a, b, label) for t, a, b, label in order] if classes else []
            for t, a, b, label in dated_rows:
                types.add(t)
                key = f"{_h(a)} {_h(b)} {_h(label)} {hexed} {_h(t)}"
                dated.write(f"{key}\t{_dumps([event, t, a, b])}\n")
        many = {w for w, n in involved.items() if n > hubs.HUB}
        del involved
        # The events each entity at the hub is involved in but as a side (timeline_order).
        query = load_query("events-involving").text
        for who in sorted(many):
            found_events = store.raw(query, bindings={"entity": ox.NamedNode(who)})
            hexed_who = _h(who)
            for s in found_events:
                join.write(f"{_h(value(s['event']))} 1\t{hexed_who}\n")

    kind_no = {x: i for i, x in enumerate(sorted(kinds))}
    topic_no = {x: i for i, x in enumerate(sorted(topics))}
    type_no = {x: i for i, x in enumerate(sorted(types))}
    counted = set(meeting_kinds(store))
    counts: dict[tuple[str, int], int] = {}  # (who hex, list) -> its entries
    ties = runs.open("ties")

    def tie(a: str, b: str) -> None:
        if a in number and b in number:
            i, j = number[a], number[b]
            ties.write(f"{min(i, j):010d} {max(i, j):010d}\n")

    # 3. The meetings in who-met's order: meetings.json; the who-met and topic lists' entries
    # (to be sorted by entity); the actor network's ties of each meeting.
    above = {t: {value(r.get("broader")) for r in run(store, "broader", topic=t)}
             for t in sorted(topics)}  # fmt: skip
    meetings_json = into / "meetings.json"
    with open(meetings_json, "w", encoding="utf-8", newline="\n") as index, \
            runs.open("lists") as lists:  # fmt: skip
        index.write("[")
        for seq, line in enumerate(runs.sorted("meetings")):
            row, actors_list = json.loads(line[line.index("\t") + 1 :])
            m = Meeting(*row)
            index.write(("" if seq == 0 else ", ") + json.dumps(row, ensure_ascii=False))
            actors = {(a, side, inferred) for a, side, inferred in actors_list}
            head = _dumps([rel(m.event), m.earliest, m.latest, kind_no[m.kind],
                           [topic_no[t] for t in m.topics]])[:-1]  # fmt: skip
            entries = [("", WHO_MET, m.rows, m.inferred)]
            entries += [(_h(topic), TOPIC, m.rows, m.inferred)
                        for topic in sorted({up for t in m.topics for up in above[t]})]  # fmt: skip

            def count(a: str, side: str, m: Meeting = m) -> set[str]:
                return whom(m, a, side) & many

            entries += [(_h(who), WHO_MET, len(pairs), sum(pairs.values()))
                        for who, pairs in pair_rows(actors, count).items()]  # fmt: skip
            weighed = m.kind in counted
            for who, which, n_rows, inferred in entries:
                n = n_rows if weighed else 0
                lists.write(f"{who} {which} {seq:012d}\t{n}\t{head},{n_rows},{inferred}]\n")
                counts[(who, which)] = counts.get((who, which), 0) + 1
            stated = {(a, side) for a, side, inferred in actors if not inferred}
            for a, b in {(a, b) for a, sa in stated for b, sb in stated if sa < sb}:
                tie(a, b)
        index.write("]")
        for a, b in named(store, "actor-ties", ("a", "b"), share=False):
            if a != b:
                tie(a, b)

        # 4. The timeline rows in timeline's order: the whole graph's list, and each event's
        # rows beside the entities at the hub it involves (to be joined).
        with runs.open("joined", "a") as join:
            for o, line in enumerate(runs.sorted("dated")):
                event, t, a, b = json.loads(line[line.index("\t") + 1 :])
                text = _dumps([rel(event), type_no[t], a, b])
                lists.write(f" {TIMELINE} {o:012d}\t1\t{text}\n")
                join.write(f"{_h(event)} 0 {o:012d}\t{text}\n")
        counts[("", TIMELINE)] = 1
        for hexed, lines in groupby(runs.sorted("joined"), key=_group):
            dated_rows_of: list[str] = []
            whos: set[str] = set()
            at = len(hexed) + 1
            for line in lines:
                if line[at] == "0":
                    dated_rows_of.append(line[at + 2 :])  # "ordinal\ttext"
                elif _unh(who_hex := line[at + 2 :]) in many:
                    whos.add(who_hex)
            for who_hex in whos:
                for row in dated_rows_of:
                    ordinal, text = row.split("\t", 1)
                    lists.write(f"{who_hex} {TIMELINE} {ordinal}\t1\t{text}\n")
                counts[(who_hex, TIMELINE)] = counts.get((who_hex, TIMELINE), 0) + len(
                    dated_rows_of
                )
        # 5. The tenures of each entity, in roles' order.
        for o, x in enumerate(tenures):
            text = _dumps([rel(x.tenure), x.earliest, x.latest, x.holder_label, rel(x.post),
                           x.post_label, x.outer_earliest, x.outer_latest])  # fmt: skip
            for who in tenure_of.get(x.tenure, ()):
                lists.write(f"{_h(who)} {ROLES} {o:012d}\t1\t{text}\n")
                counts[(_h(who), ROLES)] = counts.get((_h(who), ROLES), 0) + 1
    ties.close()

    actors_json = into / "actors.json"
    _write_actors(actors_json, nodes, runs.sorted("ties"))

    where = _write_lists(into / f"{DATA}.json", runs.sorted("lists"), counts)
    header = {
        "version": VERSION,
        "hub": hubs.HUB,
        "first": hubs.FIRST,
        "meeting kinds": sorted(counted),
        "space": space,
        "kinds": sorted(kinds),
        "topics": sorted(topics),
        "types": sorted(types),
        "lists": where,
    }
    return {
        "meetings": meetings_json,
        "tenures": json.dumps(tenures, ensure_ascii=False).encode(),
        HEADER: json.dumps(header, ensure_ascii=False, sort_keys=True).encode("utf-8"),
        DATA: into / f"{DATA}.json",
        "actors": actors_json,
    }


def _write_lists(
    path: Path, lines: Iterator[str], counts: dict[tuple[str, int], int]
) -> dict[str, dict[str, list[int]]]:
    """hub-lists.json from the sorted lines of the lists' entries, entity by entity, as
    kg.hubs._encode writes it (the lists of HUB entries or fewer left out); return where
    each list is (the header's "lists")."""

    def kept(who: str, which: int) -> bool:
        return who == "" or counts.get((who, which), 0) > hubs.HUB

    where: dict[str, dict[str, list[int]]] = {}
    with open(path, "wb") as out:
        out.write(b"[\n")
        at = 2
        for key, group in _with_whole_lists(lines):
            who_hex, which = key.split(" ")
            number_of = int(which)
            if not kept(who_hex, number_of):
                continue
            if at > 2:
                out.write(b",\n")
            whole = not (number_of == TOPIC or (who_hex == "" and number_of == WHO_MET))
            size, head, total = _write_list(out, group, whole)
            spot = [at, size, head, total, int(whole)]
            where.setdefault(_unh(who_hex), {})[LISTS[number_of]] = spot
            at += size + 2
        out.write(b"\n]\n")
    return where


def _with_whole_lists(lines: Iterator[str]) -> Iterator[tuple[str, Iterator[str]]]:
    """The lines grouped by list (entity hex, list number), with the whole graph's who-met
    and timeline lists ('' 0 and '' 1) there even when empty (a graph without events)."""
    pending = [f" {WHO_MET}", f" {TIMELINE}"]
    for key, group in groupby(lines, key=lambda line: line[: line.index(" ", line.index(" ") + 1)]):
        while pending and pending[0] < key:
            yield pending.pop(0), iter(())
        if pending and pending[0] == key:
            pending.pop(0)
        yield key, group
    for key in pending:
        yield key, iter(())


def _write_list(out: IO[bytes], lines: Iterator[str], whole: bool) -> tuple[int, int, int]:
    """Write one list ('[' its entries ']'; partial: only its first part) from its lines
    (`key\\tweight\\ttext`, in order); return its size, its first part's size and the
    rows it gives a lookup without filters (kg.hubs._encode)."""
    out.write(b"[")
    size, rows, total, n = 1, 0, 0, 0
    head = -1
    for line in lines:
        _, weight_text, text = line.split("\t", 2)
        weight = int(weight_text)
        if head < 0 and rows >= hubs.FIRST:
            head = size  # the first part ends before this entry
        total += weight
        if head < 0:
            rows += weight
        elif not whole:
            continue
        data = text.encode("utf-8")
        if n:
            out.write(b",")
            size += 1
        out.write(data)
        size += len(data)
        n += 1
    if head < 0:
        head = size
    out.write(b"]")
    return size + 1, head, total


def _write_actors(path: Path, nodes: list[Any], ties: Iterator[str]) -> None:
    """actors.json as json.dumps of kg.indexes.ActorGraph._asdict() writes it (compact):
    the nodes, then each pair's ties counted from the sorted tie lines."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write('{"nodes":[')
        out.write(",".join(_dumps(list(n)) for n in nodes))
        out.write('],"edges":[')
        first = True
        for pair, same in groupby(ties):
            i, j = pair.split(" ")
            out.write(f"{'' if first else ','}[{int(i)},{int(j)},{sum(1 for _ in same)}]")
            first = False
        out.write("]}")
