"""The indexes of a graph on disk, written a group at a time from sorted run files
(kg.indexfiles): the same bytes as those made whole in memory (kg.build.precompute)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg import streaming
from kg.build import precompute
from tests.conftest import synthetic_facts

SIDECARS = ("meetings", "tenures", "hubs", "hub-lists", "actors", "aggregates", "party-acts")


def _graph(build: Path) -> tuple[Any, dict[str, Any]]:
    """A built graph, copied into memory, and the schema summary it was built with."""
    gen = (build / "current").resolve()
    store = ox.Store()
    store.bulk_extend(ox.Store.read_only(str(gen / "store")).quads_for_pattern(None, None, None))
    return store, json.loads((gen / "schema.json").read_text(encoding="utf-8"))


def _both(store: Any, schema: dict[str, Any], into: Path, memory: int) -> tuple[dict, dict]:
    """Each sidecar's bytes, made in memory and written a group at a time into `into`."""
    whole = precompute(store, {}, schema)
    into.mkdir()
    parts = precompute(store, {}, schema, into, memory)
    read = {k: v.read_bytes() if isinstance(v, Path) else v for k, v in parts.items()}
    assert sorted(p.name for p in into.iterdir()) == sorted(
        f"{k}.json" for k, v in parts.items() if isinstance(v, Path)
    ), "the run files are gone, the outputs left"
    return whole, read


@pytest.mark.parametrize("tool", [True, False], ids=["sort", "python"])
@pytest.mark.parametrize(("hub", "first"), [(100, 500), (1, 2)], ids=["as-shipped", "hub-1"])
def test_the_shipped_graph_indexed_in_parts_is_the_same_bytes(
    shipped_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    tool: bool, hub: int, first: int,
) -> None:  # fmt: skip
    """With every entity in more than one meeting, event or tenure a hub (lists of every
    kind, first parts cut short) and as shipped; with GNU sort and with the runs merged in
    Python, each holding a few KiB at a time."""
    if tool and streaming._gnu_sort() is None:
        pytest.skip("no GNU sort here")
    if not tool:
        monkeypatch.setattr("kg.streaming._gnu_sort", lambda: None)
    monkeypatch.setattr("kg.hubs.HUB", hub)
    monkeypatch.setattr("kg.hubs.FIRST", first)
    store, schema = _graph(shipped_build)
    whole, parts = _both(store, schema, tmp_path / "parts", 4096)
    assert sorted(whole) == sorted(parts) == sorted(SIDECARS)
    for name in SIDECARS:
        assert parts[name] == whole[name], name
    header = json.loads(parts["hubs"])
    lists = {which for kept in header["lists"].values() for which in kept}
    if hub == 1:  # every kind of list is there, some cut to their first part
        assert lists == {"who-met", "timeline", "roles", "topic-meetings"}, lists
        spots = [spot for kept in header["lists"].values() for spot in kept.values()]
        assert any(not whole for *_, whole in spots), "a list kept in part"
        assert any(whole and head < size for _, size, head, _, whole in spots), "a long one"
    else:
        assert set(header["lists"]) == {""}, "only the whole graph's lists, as built"


@pytest.mark.slow
def test_a_synthetic_build_on_disk_writes_the_indexes_of_one_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full build on disk (a setting too small to hold the graph) takes the
    group-at-a-time path, with the Python merge of many small runs, and publishes the
    same sidecar files as one in memory; with hubs (states in hundreds of meetings)."""
    from kg.build import build

    data = synthetic_facts(tmp_path / "data", 20_000, 2)
    facts, sources = data / "facts", [data / "sources"]
    roomy = build(facts, tmp_path / "roomy", sources, full=True, memory=4 << 30)
    monkeypatch.setattr("kg.streaming._gnu_sort", lambda: None)
    written: list[Path] = []
    import kg.indexfiles

    real = kg.indexfiles.write_indexes
    monkeypatch.setattr(
        "kg.indexfiles.write_indexes", lambda s, into, m: (written.append(into), real(s, into, m))[1]
    )
    small = build(facts, tmp_path / "small", sources, full=True, memory=64 << 10)
    assert written, "the small setting wrote the indexes a group at a time"
    assert small.triples == roomy.triples
    names = [f"{name}.json" for name in SIDECARS]
    gens = [(tmp_path / out / "current").resolve() for out in ("roomy", "small")]
    assert gens[0].name == gens[1].name  # (named by their bytes: the same generation)
    for name in names:
        assert (gens[1] / name).read_bytes() == (gens[0] / name).read_bytes(), name
    header = json.loads((gens[1] / "hubs.json").read_bytes())
    assert len(header["lists"]) > 4, "states and others at the hub"
    assert not [p for p in gens[1].iterdir() if p.name.startswith("indexes-")]
