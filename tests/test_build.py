"""`kg build` on the shipped facts: clean, reproducible, atomic, and isomorphic to a rebuild."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from kg.cli import main
from kg.publish import build_lock
from tests.conftest import FACTS, ROOT, SHARED_SOURCES, BuildRunner


def _build(out: Path, *, seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    cmd = [
        sys.executable,
        "-m",
        "kg",
        "build",
        "--facts",
        str(FACTS),
        "--out",
        str(out),
        "--sources",
        str(SHARED_SOURCES),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    return (out / "kg.ttl").read_bytes()


def test_shipped_facts_build_cleanly(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["build", "--facts", str(FACTS), "--out", str(tmp_path), "--sources", str(SHARED_SOURCES)],
    )
    assert result.exit_code == 0, result.output
    assert "0 warning(s)" in result.output, result.output
    assert result.stderr == "", result.stderr
    # The summary counts classes of the shipped facts.
    lines = {
        ln.split()[0]: int(ln.split()[1])
        for ln in result.output.splitlines()
        if ln.startswith("  ")
    }
    assert lines["Person"] == 14, lines
    assert lines["Meeting"] >= 6 and lines["Message"] == 3, lines


def test_a_build_in_a_python_session_leaves_nothing_open(tmp_path: Path) -> None:
    # The notebook builds in its kernel: a file the build left for the collector to close
    # printed a ResourceWarning into the analyst's cell (the store writer's error log did).
    import gc
    import warnings

    from kg.build import build

    gc.collect()  # (what earlier tests left is theirs, not this build's)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        built = build(FACTS, tmp_path / "build", [SHARED_SOURCES])
        gc.collect()
    assert built.warnings == [], built.warnings
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == [], leaks


@pytest.mark.slow
def test_build_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    first = _build(tmp_path / "a", seed="1")
    second = _build(tmp_path / "b", seed="2")
    assert first == second


def test_store_holds_exactly_the_turtle(shipped_build: Path) -> None:
    ttl = Graph().parse(shipped_build / "kg.ttl")
    store = pyoxigraph.Store.read_only(str(shipped_build / "store"))
    nt = store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=pyoxigraph.DefaultGraph())
    from_store = Graph().parse(data=nt, format="nt")
    assert len(from_store) == len(ttl) > 3000
    assert isomorphic(from_store, ttl)


def test_output_is_isomorphic_to_a_rebuild(shipped_build: Path, tmp_path: Path) -> None:
    from kg.build import build

    rebuilt = build(FACTS, tmp_path / "again", [SHARED_SOURCES])
    g1 = Graph().parse(shipped_build / "kg.ttl")
    g2 = Graph().parse(rebuilt.turtle)
    if not isomorphic(g1, g2):
        _, only1, only2 = graph_diff(to_isomorphic(g1), to_isomorphic(g2))
        pytest.fail(f"only in first: {sorted(only1)[:5]} only in second: {sorted(only2)[:5]}")


def test_running_from_another_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KG_SOURCES"}
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "kg", "build", "--facts", str(FACTS), "--out", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    # Found ../shared/sources beside the checkout by itself: no warning about line numbers.
    assert "0 warning(s)" in proc.stdout, proc.stdout + proc.stderr
    assert (out / "kg.ttl").is_file()


def test_rebuild_replaces_outputs_and_cleans_old_stores(
    build_mini: BuildRunner, mini: Path
) -> None:
    assert build_mini().exit_code == 0
    first_store = (mini / "build" / "store").resolve()
    path = mini / "facts" / "mini.yaml"
    path.write_text(path.read_text().replace("name: A deal", "name: A bigger deal"))
    result = build_mini()
    assert result.exit_code == 0, result.output
    second_store = (mini / "build" / "store").resolve()
    assert second_store != first_store and not first_store.exists()
    assert "A bigger deal" in (mini / "build" / "kg.ttl").read_text()
    store = pyoxigraph.Store.read_only(str(mini / "build" / "store"))
    labels = {
        str(s["l"].value)
        for s in store.query(
            "SELECT ?l WHERE { ?a a <https://w3id.org/kg/ont#Agreement> ; "
            "<http://www.w3.org/2004/02/skos/core#prefLabel> ?l }"
        )
    }
    assert labels == {"A bigger deal"}
    leftovers = [p.name for p in (mini / "build").iterdir() if p.name.startswith(".staging")]
    assert leftovers == []


def test_same_triples_with_new_sidecars_are_a_new_generation(
    build_mini: BuildRunner, mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kg that computes an index or an aggregate differently (a new field of the meeting
    index, say) publishes it on the next build even when the triples are unchanged: the
    sidecars are part of the generation's name, so no stale file is kept."""
    import kg.build

    assert build_mini().exit_code == 0
    first = (mini / "build" / "current").resolve()
    made = kg.build.precompute

    def newer(store: object, *args: object) -> dict[str, bytes]:
        return {**made(store, *args), "meetings": b"[]"}  # type: ignore[arg-type]

    monkeypatch.setattr(kg.build, "precompute", newer)
    # --full: a patched function is no change to kg's code that the inputs' digest sees.
    result = build_mini("--full")
    assert result.exit_code == 0, result.output
    second = (mini / "build" / "current").resolve()
    assert second != first and not first.exists()
    assert (second / "meetings.json").read_bytes() == b"[]"


def test_concurrent_build_is_refused(build_mini: BuildRunner, mini: Path) -> None:
    assert build_mini().exit_code == 0
    before = (mini / "build" / "kg.ttl").read_bytes()
    path = mini / "facts" / "mini.yaml"
    path.write_text(path.read_text().replace("name: A deal", "name: Another deal"))
    with build_lock(mini / "build"):
        result = build_mini()
    assert result.exit_code == 1
    assert "another kg build is writing" in result.stderr, result.stderr
    assert (mini / "build" / "kg.ttl").read_bytes() == before


def test_entity_in_two_sources_is_one_node_with_both_citations(
    build_mini: BuildRunner, mini: Path
) -> None:
    (mini / "sources" / "second.txt").write_text("Muttaqi again.\n", encoding="utf-8")
    (mini / "facts" / "second.yaml").write_text(
        "sources:\n  - id: second\n    title: A second article\n    file: second.txt\n",
        encoding="utf-8",
    )
    path = mini / "facts" / "mini.yaml"
    path.write_text(
        path.read_text().replace(
            "    name: Amir Khan Muttaqi\n    evidence: 1\n",
            "    name: Amir Khan Muttaqi\n    evidence: [1, {source: second, line: 1}]\n",
        )
    )
    result = build_mini()
    assert result.exit_code == 0, result.output
    store = pyoxigraph.Store.read_only(str(mini / "build" / "store"))
    cites = sorted(
        (str(r["title"].value), int(r["line"].value))
        for r in store.query(
            "PREFIX kg: <https://w3id.org/kg/ont#> PREFIX dcterms: <http://purl.org/dc/terms/>"
            " SELECT ?title ?line WHERE { <https://w3id.org/kg/id/person/amir-khan-muttaqi>"
            " kg:evidence ?c . ?c kg:line ?line ; kg:citedSource/dcterms:title ?title }"
        )
    )
    assert cites == [("A second article", 1), ("Mini source", 1)]
