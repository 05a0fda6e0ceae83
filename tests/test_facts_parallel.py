"""Facts files read and checked by forked workers (kg.facts.parallel) give the same
problems (file:line, message), the same checked records and the same kept checks as one
process reading them in turn; a worker that fails leaves the work to this process."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kg.facts.parallel as parallel
from kg.diagnostics import FactsError
from kg.facts.check import check_facts
from kg.facts.schema import load_schema
from kg.facts.yamlload import load_facts
from tests.conftest import MINI
from tests.test_robustness import MINI_TEXT, TOPICS, mutated_facts

TOP = re.compile(r"^[^\s#-]")


def _files(text: str, copies: int = 0) -> list[str]:
    """The text cut into files at its top-level keys, each with the default source (so
    records cite across files), and `copies` files repeating the blocks from the people
    on (so ids are duplicated across files)."""
    blocks: list[str] = []
    for line in text.splitlines(keepends=True):
        if TOP.match(line) or not blocks:
            blocks.append("")
        blocks[-1] += line
    files = [b if b.startswith("source:") else "source: mini\n" + b for b in blocks]
    return files + files[3 : 3 + copies]


class _Memo:
    """A memo that keeps nothing to give back, and records what it is given."""

    def __init__(self) -> None:
        self.kept: dict[str, str] = {}

    def checked(self, path: Path, rel: str) -> Any:
        return None

    def keep_checked(self, rel: str, data: Any) -> None:
        self.kept[rel] = json.dumps(data, sort_keys=True)


def _checked(facts: Path, workers: int) -> Any:
    memo = _Memo()
    schema = load_schema()
    try:
        got = check_facts(
            facts, schema, TOPICS, [MINI / "sources"], load_facts, memo, freeze=True,
            workers=workers,
        )  # fmt: skip
    except FactsError as exc:
        return ("error", [(d.file, d.line, d.message, d.severity) for d in exc.diagnostics])
    whole = {rid: r.whole() for rid, r in got.records.items()}
    return (
        "checked",
        [(d.file, d.line, d.message) for d in got.warnings],
        # In the same order (what the conversion walks), frozen alike and whole alike.
        [
            (rid, r.kind, r.file, r.line, repr(r.values), dict(r.raw), r.raw.lines)
            for rid, r in got.records.items()
        ],
        {rid: (repr(r.values), r.evidence, r.note, r.raw.lines) for rid, r in whole.items()},
        got.probes,
        memo.kept,
    )


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Any facts go to the workers; the list says each time whether they did the work."""
    ran: list[bool] = []
    real = parallel.check_parallel

    def counted(*args: Any) -> bool:
        ran.append(real(*args))
        return ran[-1]

    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "check_parallel", counted)
    return ran


def _write(folder: Path, files: list[str]) -> Path:
    for i, text in enumerate(files):
        (folder / f"f{i:02}.yaml").write_text(text, encoding="utf-8")
    return folder


# A role in a file of its own that succeeds the mini facts' (same post: fine; another: not).
SUCCESSOR = """
posts:
  - {id: dm, name: Deputy, organization: taliban, evidence: 1}
roles:
  - id: next
    holder: bahadur-aminian
    post: foreign-minister
    successor_of: muttaqi-fm
    attested: [2023-01-01]
    evidence: 1
"""

# Cross-file cases: each a change to the mini facts, cut into files.
EDITS = {
    "valid": (MINI_TEXT, 0),
    "duplicate ids across files": (MINI_TEXT, 2),
    "unknown reference": (MINI_TEXT.replace("[amir-khan-muttaqi]", "[mutaqi]"), 0),
    "wrong kind across files": (
        MINI_TEXT.replace("holder: amir-khan-muttaqi", "holder: taliban"),
        0,
    ),
    "source file missing, cited from many files": (
        MINI_TEXT.replace("file: mini.txt", "file: gone.txt"),
        0,
    ),
    "source file outside": (MINI_TEXT.replace("file: mini.txt", "file: ../x.txt"), 0),
    "evidence past the source's end": (MINI_TEXT.replace("evidence: 1", "evidence: 99"), 0),
    "a successor in the same post (same:)": (MINI_TEXT + SUCCESSOR, 0),
    "a successor in another post (same:)": (
        MINI_TEXT + SUCCESSOR.replace("post: foreign-minister", "post: dm"),
        0,
    ),
    "malformed file": (MINI_TEXT.replace("name: A deal", "name: [A deal"), 0),
    "unknown kind": (MINI_TEXT.replace("events:", "evnts:"), 0),
    "bad id": (MINI_TEXT.replace("id: deal", "id: Deal"), 0),
    "end before start": (
        MINI_TEXT.replace("attested: [2022-07-16]", "start: 2023-01-01\n    end: 2022-01-01"),
        0,
    ),
}


@pytest.mark.parametrize("text,copies", list(EDITS.values()), ids=list(EDITS))
def test_workers_say_what_one_process_says(
    text: str, copies: int, tmp_path: Path, forked: list[bool]
) -> None:
    facts = _write(tmp_path, _files(text, copies))
    alone = _checked(facts, 1)
    assert forked == []
    assert _checked(facts, 2) == alone
    assert forked == [True]


def test_duplicates_across_files_name_the_first_in_file_order(
    tmp_path: Path, forked: list[bool]
) -> None:
    files = _files(MINI_TEXT)
    # The sources' block (f02: the source 'mini') again in f10 and in f12, the last file
    # of the second worker's share: both name the first, in f02, not each other.
    assert files[2].startswith("source: mini\nsources:")
    facts = _write(tmp_path, files + files[1:3] + files[1:3])
    got = _checked(facts, 2)
    assert forked == [True]
    assert [d for d in got[1] if "duplicate" in d[2]] == [
        ("f10.yaml", 3, "duplicate id 'mini' (first defined at f02.yaml:3)", "error"),
        ("f12.yaml", 3, "duplicate id 'mini' (first defined at f02.yaml:3)", "error"),
    ]
    assert got == _checked(facts, 1)


def test_a_failing_worker_leaves_the_work_to_this_process(
    tmp_path: Path, forked: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = _write(tmp_path, _files(MINI_TEXT, 1))
    alone = _checked(facts, 1)

    def broken(*args: Any) -> None:
        raise RuntimeError("a worker's failure")

    monkeypatch.setattr(parallel, "_work", broken)
    assert _checked(facts, 2) == alone
    assert forked == [False]


def test_few_bytes_of_facts_are_read_in_turn(tmp_path: Path) -> None:
    facts = _write(tmp_path, _files(MINI_TEXT))
    ran: list[Any] = []
    real = parallel.check_parallel
    try:
        parallel.check_parallel = lambda *a: ran.append(a) or real(*a)  # type: ignore[assignment]
        assert _checked(facts, 2) == _checked(facts, 1)
    finally:
        parallel.check_parallel = real  # type: ignore[assignment]
    assert ran == []  # (under PARALLEL_BYTES: no worker forked)


def test_shares_are_runs_of_files_in_order(tmp_path: Path) -> None:
    files = []
    for i, size in enumerate([10, 10, 10, 10, 100, 10]):
        path = tmp_path / f"{i}.yaml"
        path.write_bytes(b"x" * size)
        files.append(path)
    assert parallel.shares(files, 2) == [[0, 1, 2, 3, 4], [5]]
    assert parallel.shares(files[:1], 2) == [[0]]
    assert [i for run in parallel.shares(files, 3) for i in run] == list(range(6))


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(text=mutated_facts(), copies=st.integers(0, 3))
def test_fuzzed_facts_in_files_check_alike_in_workers(text: str, copies: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        facts = _write(Path(tmp), _files(text, copies))
        alone = _checked(facts, 1)
        mp.setattr(parallel, "PARALLEL_BYTES", 0)
        assert _checked(facts, 2) == alone


def test_a_build_read_by_workers_is_the_build_read_in_turn(
    tmp_path: Path, forked: list[bool]
) -> None:
    from kg.build import build

    (tmp_path / "facts").mkdir()
    facts = tmp_path / "facts"
    _write(facts, _files(MINI_TEXT + SUCCESSOR))
    outs = []
    for name in ("alone", "workers"):
        if name == "alone":
            parallel.PARALLEL_BYTES = 1 << 40  # (monkeypatched: undone after the test)
        else:
            parallel.PARALLEL_BYTES = 0
        result = build(facts, tmp_path / name, [MINI / "sources"], full=True)
        made = (tmp_path / name / "current").iterdir()
        # (.complete lists the store's files, whose RocksDB log differs from run to run.)
        outs.append({p.name: p.read_bytes() for p in made if p.is_file() and p.name[0] != "."})
        assert result.triples > 50
    assert forked == [True]  # (the first build read the files in turn: not even asked)
    # kg.ttl and every sidecar (the aggregates, hub lists, summary...), byte for byte.
    assert len(outs[0]) > 5 and b"successorOf" in outs[0]["kg.ttl"]
    assert outs[0] == outs[1]
