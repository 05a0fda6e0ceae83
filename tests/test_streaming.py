"""A full build in bounded memory: the memory setting, the external sort, the streamed
Turtle, and a build on disk in runs of records (two workers) equal to one in memory."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kg import streaming
from tests.conftest import ok, run_build, synthetic_facts


def test_memory_sizes_read_as_bytes() -> None:
    assert streaming.parse_memory("512M") == 512 << 20
    assert streaming.parse_memory("1.5G") == 3 << 29
    assert streaming.parse_memory("2GiB") == 2 << 30
    assert streaming.parse_memory("100000000") == 100_000_000


@pytest.mark.parametrize(
    ("size", "says"),
    [("lots", "is not a size: give e.g. 512M"), ("-1G", "is not a size"), ("1M", "too little")],
)
def test_a_bad_memory_setting_is_a_usage_error(mini: Path, size: str, says: str) -> None:
    result = run_build(mini, mini / "build", "--memory", size)
    assert result.exit_code == 2, result.output
    assert "--memory" in result.output and says in result.output
    assert "Traceback" not in result.output
    assert not (mini / "build").exists()


def test_a_bad_memory_setting_in_the_environment_is_named(
    mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(streaming.MEMORY_ENV, "plenty")
    result = run_build(mini, mini / "build")
    assert result.exit_code == 2, result.output
    assert "$KG_BUILD_MEMORY: 'plenty' is not a size" in result.output
    ok(run_build(mini, mini / "build", "--memory", "256M"))  # the option wins


def _lines(n: int, seed: int = 7) -> list[bytes]:
    """N-Triples-like lines: shared prefixes, non-ASCII, duplicates, a prefix of another."""
    rnd = random.Random(seed)
    words = ["<https://w3id.org/kg/id/", "<https://w3id.org/kg/id/person/", '"é', '"\\u00e9', "z"]
    lines = [
        f"{rnd.choice(words)}{rnd.randrange(10**rnd.randrange(1, 6))}> <p> "
        f'"{rnd.choice("aé€𝄞")}" .'.encode()
        for _ in range(n)
    ]
    return lines + lines[:50] + [lines[0].rsplit(b" ", 1)[0]]


@pytest.mark.parametrize("tool", [True, False], ids=["sort", "python"])
def test_the_external_sort_sorts_as_python_does(tmp_path: Path, tool: bool) -> None:
    if tool and streaming._gnu_sort() is None:
        pytest.skip("no GNU sort here")
    lines = _lines(5000)
    src, dst = tmp_path / "in.nt", tmp_path / "out.nt"
    src.write_bytes(b"\n".join(lines) + b"\n")
    # A tiny buffer: the Python sort writes and merges dozens of runs, GNU sort spills too.
    streaming.sort_lines(src, dst, 4096, tmp_path, tool=tool)
    assert dst.read_bytes().splitlines() == sorted(lines)
    assert [p.name for p in tmp_path.iterdir()] != [] and not list(tmp_path.glob("runs-*"))


def _shipped_ntriples(shipped_build: Path) -> bytes:
    import pyoxigraph as ox

    store = ox.Store.read_only(str(shipped_build / "store"))
    return store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()) or b""


def test_the_streamed_turtle_is_the_in_memory_one(shipped_build: Path, tmp_path: Path) -> None:
    """The shipped graph's Turtle and its index made from a file, sorted outside memory
    and read back in small chunks, are serialize_indexed's, byte for byte."""
    from kg.build import DEFAULT_BASE, serialize, serialize_file, serialize_indexed

    nt = _shipped_ntriples(shipped_build)
    (tmp_path / "graph.nt").write_bytes(nt)
    path, index = serialize_file(tmp_path / "graph.nt", tmp_path, DEFAULT_BASE + "id/", 1 << 16)
    turtle, expected = serialize_indexed(nt)
    assert path.read_bytes() == turtle == serialize(nt)
    assert index is not None and index == expected
    assert (shipped_build / "kg.ttl").read_bytes() == turtle


def test_block_starts_read_in_chunks_are_those_of_the_whole(
    shipped_build: Path, tmp_path: Path
) -> None:
    """Where each subject's block starts, found a chunk at a time (of any size), is where
    kg.incremental.index_turtle finds it in the whole file."""
    from kg.incremental import index_turtle
    from kg.prefixes import PREFIXES

    ttl = (shipped_build / "kg.ttl").read_bytes()
    lines = _shipped_ntriples(shipped_build).splitlines()
    subjects = sorted({line.split(b" ", 1)[0] for line in lines if line})
    index = index_turtle(ttl, subjects, len(PREFIXES) + 1)
    assert index is not None and len(index.offsets) > 100
    path = tmp_path / "kg.ttl"
    path.write_bytes(ttl)
    for chunk in (1, 2, 3, 64, 1000, 1 << 20):
        found = streaming.block_starts(path, len(PREFIXES) + 1, chunk)
        assert found == (index.header, index.offsets, len(ttl))


def _synthetic(tmp: Path, triples: int = 4000, files: int = 3) -> Path:
    return synthetic_facts(tmp / "data", triples, files)


def _outputs(out: Path) -> dict[str, bytes]:
    """Every file of the live generation, the store as its sorted dump, and its name."""
    import pyoxigraph as ox

    gen = (out / "current").resolve()
    files = {p.name: p.read_bytes() for p in gen.iterdir() if p.is_file()}
    del files[".complete"]  # the sizes of the store's own files, which RocksDB decides
    dump = ox.Store.read_only(str(gen / "store")).dump(format=ox.RdfFormat.N_QUADS) or b""
    files["store, sorted"] = b"\n".join(sorted(dump.splitlines()))
    files["generation"] = gen.name.encode()
    return files


@pytest.mark.slow
def test_a_build_on_disk_in_parallel_runs_equals_one_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same facts built in memory by one process, and on disk (a memory setting too
    small to hold the graph) in runs of 8 records by two workers with the Python sort: the
    same kg.ttl, sidecars, store and generation; then the same again after an edit, built
    incrementally on disk and afresh."""
    from kg.build import build

    data = _synthetic(tmp_path)
    facts, sources = data / "facts", [data / "sources"]
    serial = build(facts, tmp_path / "serial", sources, workers=1)
    assert serial.how == "full"

    monkeypatch.setattr("kg.build.RUN_LEAST", 8)
    monkeypatch.setattr("kg.streaming._gnu_sort", lambda: None)
    made: list[int] = []
    real = streaming.load_bulk
    monkeypatch.setattr(
        "kg.streaming.load_bulk", lambda s, p, m: (made.append(1), real(s, p, m))[1]
    )
    parallel = build(facts, tmp_path / "parallel", sources, memory=4096, workers=2)
    assert made, "the small setting built on disk"
    assert parallel.triples == serial.triples
    assert _outputs(tmp_path / "parallel") == _outputs(tmp_path / "serial")

    first = sorted(facts.glob("*.yaml"))[0]
    text = first.read_text(encoding="utf-8")
    first.write_text(text.replace("name: Meeting ", "name: Renamed meeting ", 1), "utf-8")
    again = build(facts, tmp_path / "parallel", sources, memory=4096, workers=2)
    afresh = build(facts, tmp_path / "afresh", sources, memory=4096, workers=2)
    assert again.how == "incremental" and afresh.how == "full"
    assert _outputs(tmp_path / "parallel") == _outputs(tmp_path / "afresh")
    assert _outputs(tmp_path / "afresh") != _outputs(tmp_path / "serial")


def test_a_build_shows_its_progress_on_a_terminal_only(
    mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import click.testing

    piped = ok(run_build(mini, mini / "build"))
    assert "\r" not in piped.output and "elapsed" not in piped.output
    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True)
    shown = ok(run_build(mini, mini / "again"))
    lines = shown.stderr.split("\r")
    said = [line for line in lines if line.startswith("kg build: ")]
    stages = ["reading and checking facts", "converting to RDF", "validating against the"]
    for stage in stages:
        assert any(line.startswith(f"kg build: {stage}") for line in said), said
    assert all("elapsed" in line for line in said)
    assert [seg for seg in lines if seg and not seg.strip()]  # the line cleared at the end
    assert "built " in shown.stdout and "kg build:" not in shown.stdout


def test_the_share_of_a_build_done_grows_stage_by_stage() -> None:
    from kg.build import STAGES, stage_share

    shares = [stage_share(stage, w) for stage in STAGES for w in (0.0, 0.5, 1.0)]
    assert shares == sorted(shares) and shares[0] == 0.0
    assert stage_share("writing the store", 1.0) == pytest.approx(1.0)


def test_each_build_of_a_process_stages_in_a_folder_of_its_own(tmp_path: Path) -> None:
    """Two builds in one process never share a staging path: RocksDB refused a store at a
    path the process had locked before while that store was not yet freed."""
    from kg.publish import new_staging

    first = new_staging(tmp_path)
    first.rename(tmp_path / "published")  # as publishing does
    second = new_staging(tmp_path)
    assert first != second and second.is_dir() and second.name.startswith(".staging-")
