"""A full build's work beside its main line: the aggregates made in a forked child while the
build validates, and the published store loaded by a writer started as soon as the facts
are converted. Their outputs must be those of the same work done in turn, and a build
that stops must leave no process behind."""

from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph
import pytest

from kg.build import _aggregates, _Forked, build, class_counts
from kg.diagnostics import Diagnostic, FactsError
from tests.conftest import FACTS, SHARED_SOURCES


def _outputs(build_dir: Path) -> dict[str, bytes]:
    """The published files a user reads (kg.ttl and every sidecar), by name (not the seal,
    which lists the store's files: RocksDB's are not the same bytes from build to build)."""
    gen = (build_dir / "current").resolve()
    return {
        p.name: p.read_bytes()
        for p in sorted(gen.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }


def _children() -> list[int]:
    """The processes this one started that still run (or are unreaped)."""
    pids = []
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        with open(f"/proc/{os.getpid()}/task/{task}/children") as fh:
            pids += [int(p) for p in fh.read().split()]
    return pids


def _counting_forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The children os.fork makes from now on (their pids), as they are made."""
    forks: list[int] = []
    fork = os.fork

    def counted() -> int:
        pid = fork()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counted)
    return forks


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork: the aggregates are made in turn")
def test_aggregates_made_beside_validation_are_those_made_in_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forks = _counting_forks(monkeypatch)
    beside = build(FACTS, tmp_path / "beside", [SHARED_SOURCES], full=True)
    assert forks, "the aggregates were not made in a forked child"
    monkeypatch.delattr(os, "fork")  # as where there is none: made in turn
    in_turn = build(FACTS, tmp_path / "in-turn", [SHARED_SOURCES], full=True)

    made, expected = _outputs(tmp_path / "beside"), _outputs(tmp_path / "in-turn")
    assert sorted(made) == sorted(expected)
    assert {"kg.ttl", "aggregates.json", "meetings.json", "hub-lists.json"} <= set(made)
    for name in expected:
        assert made[name] == expected[name], name
    assert beside.counts == in_turn.counts and beside.counts["Person"] == 14
    # The same generation, and its store (loaded early, then told the rest) holds them all.
    assert (tmp_path / "beside/current").resolve().name == (
        (tmp_path / "in-turn/current").resolve().name
    )
    store = pyoxigraph.Store.read_only(str(tmp_path / "beside" / "store"))
    assert len(store) == beside.triples
    assert _children() == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork: the aggregates are made in turn")
def test_no_fork_when_a_copy_of_the_build_would_pass_the_memory_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forks = _counting_forks(monkeypatch)
    # The shipped graph fits in 64M, but this process (pytest, kg, the graph) and a copy
    # of it do not: the aggregates are made in turn, and the build says so.
    small = build(FACTS, tmp_path / "small", [SHARED_SOURCES], full=True, memory=64 << 20)
    assert forks == []
    assert any("made in turn" in note and "--memory" in note for note in small.notes)
    roomy = build(FACTS, tmp_path / "roomy", [SHARED_SOURCES], full=True, memory=64 << 30)
    assert forks and not any("made in turn" in note for note in roomy.notes)
    assert _outputs(tmp_path / "small") == _outputs(tmp_path / "roomy")


def test_a_build_stopped_by_validation_leaves_no_process_and_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kg.build

    def refuse(*args: object, **kwargs: object) -> None:
        raise FactsError([Diagnostic("facts/x.yaml", 3, "a broken shape")])

    monkeypatch.setattr(kg.build, "_validate", refuse)
    out = tmp_path / "build"
    with pytest.raises(FactsError) as raised:
        build(FACTS, out, [SHARED_SOURCES], full=True)
    assert [d.message for d in raised.value.diagnostics] == ["a broken shape"]
    assert _children() == []  # the store writer and the aggregates' child are gone
    assert not (out / "current").exists()
    assert sorted(p.name for p in out.iterdir() if p.name.startswith((".staging", "gen-"))) == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_a_forked_computation_runs_in_a_child() -> None:
    assert _Forked(os.getpid).result() != os.getpid()


def test_a_forked_computation_whose_child_fails_is_made_here() -> None:
    parent = os.getpid()

    def work() -> str:
        if os.getpid() != parent:
            os._exit(3)  # the child dies without a word
        return "made here"

    assert _Forked(work).result() == "made here"
    assert _children() == []


def test_the_counts_taken_from_the_stats_are_those_asked(shipped_build: Path) -> None:
    from kg.build import _load_ontology

    onto = _load_ontology([])
    store = pyoxigraph.Store()
    store.load(path=str(shipped_build / "kg.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    counts = _aggregates(store, onto.schema.summary(onto.extra))[1]
    assert counts == class_counts(store)
    assert counts["Person"] == 14 and counts["Meeting"] >= 6
