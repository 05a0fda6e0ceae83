"""Write a deterministic synthetic dataset in kg's own fact format, of roughly N triples.

Usage: python benchmarks/generate.py TRIPLES OUT_DIR [FILES]

OUT_DIR gets facts/*.yaml and sources/synthetic.txt (the text the evidence cites). The
dataset has states, ministries, people with time-scoped posts, meetings of 2-4
participants on two sides with mixed-precision dates and topics from kg's scheme, and
agreements and projects; every record cites source lines. The same N gives the same files.
FILES (default 1: facts/synthetic.yaml) spreads the records of each kind over that many
files (facts/synthetic-NNN.yaml), as a curated collection is kept: an edit to one record
then changes one file (what an incremental build is measured on).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

TOPICS = [
    "energy",
    "oil",
    "gas",
    "electricity",
    "water",
    "trade-and-transit",
    "investment",
    "border-security",
    "narcotics",
    "migration",
    "refugees",
    "health",
    "higher-education",
    "roads",
    "counter-terrorism",
    "diplomacy",
]
TRIPLES_PER_MEETING = 44  # measured: a meeting with its share of people, roles and citations
SOURCE_LINES = 2000


def q(text: str) -> str:
    """Quote a YAML scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def date(rnd: random.Random) -> str:
    y, m, d = rnd.randint(2015, 2024), rnd.randint(1, 12), rnd.randint(1, 28)
    kind = rnd.random()
    if kind < 0.7:
        return f"{y}-{m:02d}-{d:02d}"
    if kind < 0.95:
        return f"{y}-{m:02d}"
    return str(y)


def generate(triples: int, out: Path, files: int = 1) -> dict[str, int]:
    """Write the dataset (in FILES facts files); return how many records of each kind it has."""
    rnd = random.Random(triples)
    meetings = max(20, triples // TRIPLES_PER_MEETING)
    states = max(4, int(meetings**0.25))
    people = max(10, meetings // 5)
    (out / "facts").mkdir(parents=True, exist_ok=True)
    (out / "sources").mkdir(parents=True, exist_ok=True)
    (out / "sources" / "synthetic.txt").write_text(
        "".join(
            f"Synthetic paragraph {i} about meetings and agreements.\n"
            for i in range(1, SOURCE_LINES + 1)
        ),
        encoding="utf-8",
    )

    def ev() -> str:
        return str(rnd.randint(1, SOURCE_LINES))

    w = []
    w.append("source: synthetic\n")
    w.append("sources:\n")
    w.append("  - id: synthetic\n    title: Synthetic source\n    file: synthetic.txt\n")
    w.append("organizations:\n")
    for s in range(states):
        w.append(f"  - id: state-{s}\n    type: state\n    name: State {s}\n    evidence: {ev()}\n")
        for k in range(8):
            w.append(
                f"  - id: ministry-{s}-{k}\n    type: ministry\n    name: Ministry {k} of "
                f"State {s}\n    part_of: state-{s}\n    evidence: {ev()}\n"
            )
    w.append("posts:\n")
    for s in range(states):
        for k in range(8):
            w.append(
                f"  - id: minister-{s}-{k}\n    name: Minister {k} of State {s}\n"
                f"    organization: ministry-{s}-{k}\n    evidence: {ev()}\n"
            )
    home = {}
    w.append("people:\n")
    for p in range(people):
        home[p] = rnd.randrange(states)
        w.append(
            f"  - id: person-{p}\n    name: {q(f'Person {p} Surname{p % 997}')}\n"
            f"    surname: Surname{p % 997}\n    evidence: {ev()}\n"
        )
    w.append("roles:\n")
    for p in range(people):
        s = home[p]
        dates = sorted({date(rnd) for _ in range(rnd.randint(1, 2))})
        w.append(
            f"  - id: role-{p}\n    holder: person-{p}\n    post: minister-{s}-"
            f"{rnd.randrange(8)}\n    attested: [{', '.join(dates)}]\n    evidence: {ev()}\n"
        )
    w.append("events:\n")
    for e in range(meetings):
        a = rnd.randrange(states)
        b = (a + 1 + rnd.randrange(states - 1)) % states
        side_a = sorted({rnd.randrange(people) for _ in range(rnd.randint(1, 2))})
        side_b = sorted({rnd.randrange(people) for _ in range(rnd.randint(1, 2))} - set(side_a))
        if not side_b:
            side_b = [(side_a[0] + 1) % people]
        topics = sorted({rnd.choice(TOPICS) for _ in range(rnd.randint(1, 3))})
        w.append(
            f"  - id: meeting-{e}\n    type: meeting\n    name: Meeting {e}\n"
            f"    date: {date(rnd)}\n    sides:\n"
            f"      state-{a}: [{', '.join(f'person-{p}' for p in side_a)}]\n"
            f"      state-{b}: [{', '.join(f'person-{p}' for p in side_b)}]\n"
            f"    topics: [{', '.join(topics)}]\n    evidence: [{ev()}, {ev()}]\n"
        )
    agreements = meetings // 10
    w.append("agreements:\n")
    for g in range(agreements):
        a, b = rnd.sample(range(states), 2)
        w.append(
            f"  - id: agreement-{g}\n    name: Agreement {g}\n    kind: contract\n"
            f"    history: [{{status: signed, date: {date(rnd)}, evidence: {ev()}}}]\n"
            f"    parties: [state-{a}, state-{b}]\n"
            f"    reached_at: [meeting-{rnd.randrange(meetings)}]\n"
            f"    topics: [{rnd.choice(TOPICS)}]\n"
            f"    quantities: [{{amount: {rnd.randint(1, 10**6)}, unit: tons}}]\n"
            f"    evidence: {ev()}\n"
        )
    w.append("projects:\n")
    for j in range(agreements // 2):
        w.append(
            f"  - id: project-{j}\n    name: Project {j}\n    kind: highway\n"
            f"    status: agreed\n    topics: [roads]\n    evidence: {ev()}\n"
        )
    if files == 1:
        (out / "facts" / "synthetic.yaml").write_text("".join(w), encoding="utf-8")
    else:
        _spread(w, files, out / "facts")
    return {"states": states, "people": people, "meetings": meetings, "agreements": agreements}


def _spread(chunks: list[str], files: int, folder: Path) -> None:
    """Write the records of each kind (a header chunk "kind:\n", then its records) over
    FILES files, in order: file k has the k-th share of every kind."""
    sections: list[tuple[str, list[str]]] = []
    for chunk in chunks[1:]:  # the first is the file's default source
        if not chunk.startswith(" "):
            sections.append((chunk, []))
        else:
            sections[-1][1].append(chunk)
    for k in range(files):
        text = [chunks[0]]
        for header, records in sections:
            share = -(-len(records) // files)
            mine = records[k * share : (k + 1) * share]
            if mine:
                text += [header, *mine]
        (folder / f"synthetic-{k:03d}.yaml").write_text("".join(text), encoding="utf-8")


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) not in (2, 3) or not all(a.isdigit() for a in args[:1] + args[2:]):
        sys.exit("usage: python benchmarks/generate.py TRIPLES OUT_DIR [FILES]")
    counts = generate(int(args[0]), Path(args[1]), int(args[2]) if args[2:] else 1)
    print(counts)
