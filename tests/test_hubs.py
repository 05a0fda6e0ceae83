"""The hub index (kg.hubs) and the actor graph (actors.json): lookups of the entities at
the hub of the graph page through lists kept at build, and answer exactly as the graph
does without them (the paths a remote store takes)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kg import analytics, lookups
from kg.cli import main
from kg.hubs import HEADER, Hubs, hubs
from kg.names import Entity, resolve
from kg.store import EmbeddedStore, Row, Term
from tests.conftest import FACTS, ROOT, SHARED_SOURCES, run_build

INDEX_FILES = ("hubs.json", "hub-lists.json", "actors.json")


class WithoutIndex:
    """A store as a remote endpoint is: no hub index and no actor graph beside it (the
    lookups ask the graph), every other sidecar as built."""

    def __init__(self, store: EmbeddedStore) -> None:
        self.store = store

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[Row]:
        return self.store.select(query, bindings)

    def raw(self, query: str, prefixes: Any = None, bindings: Any = None) -> Any:
        return self.store.raw(query, prefixes, bindings)

    def sidecar(self, name: str) -> Any:
        return None if name in (HEADER, "actors") else self.store.sidecar(name)

    def precomputed(self, name: str) -> list[Row] | None:
        return self.store.precomputed(name)


def build_with_hub(facts: Path, sources: Path, out: Path, hub: int, first: int = 3) -> Path:
    """Build with every entity in more than `hub` meetings, events or tenures a hub, and
    the first part of each list `first` rows long."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("kg.hubs.HUB", hub)
        mp.setattr("kg.hubs.FIRST", first)
        result = CliRunner().invoke(
            main, ["build", "--facts", str(facts), "--out", str(out), "--sources", str(sources)]
        )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def every_hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped facts built with HUB = 0: every list of every entity in a meeting is
    kept, so every lookup takes the index's path; and the first part of each list three
    rows long, so a first page of up to three rows reads only that."""
    return build_with_hub(FACTS, SHARED_SOURCES, tmp_path_factory.mktemp("hubs") / "b", 0)


@pytest.fixture(scope="module")
def stores(every_hub: Path) -> Iterator[tuple[EmbeddedStore, WithoutIndex]]:
    store = EmbeddedStore.open(every_hub / "store")
    yield store, WithoutIndex(store)


def entities(store: EmbeddedStore) -> list[Entity]:
    rows = store.select(
        "PREFIX kg: <https://w3id.org/kg/ont#> "
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "SELECT DISTINCT ?e ?l WHERE { ?e kg:searchKey [] ; skos:prefLabel ?l } ORDER BY ?e"
    )
    found = [Entity(str(r["e"].value), str(r["l"].value)) for r in rows]  # type: ignore[union-attr]
    assert len(found) > 100, len(found)
    return found


def answers(store: Any, e: Entity) -> dict[str, Any]:
    """Every paged lookup of one entity, in several shapes (pages crossing events)."""
    d = dt.date
    calls: dict[str, Callable[[], Any]] = {
        "who": lambda: lookups.who_met(store, person=e),
        "who-noinf": lambda: lookups.who_met(store, person=e, inferred=False),
        "who-any": lambda: lookups.who_met(store, person=e, kinds=["any"]),
        "who-page": lambda: lookups.who_met(store, person=e, offset=3, limit=7),
        "who-first": lambda: lookups.who_met(store, person=e, limit=2),
        "who-first-1": lambda: lookups.who_met(store, person=e, offset=1, limit=2),
        "who-dates": lambda: lookups.who_met(
            store, person=e, start=d(2022, 1, 1), end=d(2022, 9, 30), offset=1, limit=50
        ),
        "with-only": lambda: lookups.who_met(store, with_=e, offset=1, limit=30),
        "timeline": lambda: lookups.timeline(store, e),
        "timeline-page": lambda: lookups.timeline(store, e, offset=5, limit=9),
        "timeline-first": lambda: lookups.timeline(store, e, offset=1, limit=2),
        "timeline-dates": lambda: lookups.timeline(store, e, start=d(2022, 1, 1), limit=20),
        "roles": lambda: lookups.roles(store, e),
        "roles-page": lambda: lookups.roles(store, e, offset=2, limit=5),
        "roles-on": lambda: lookups.roles(store, e, start=d(2022, 8, 14), end=d(2022, 8, 14)),
    }
    out = {}
    for name, call in calls.items():
        rows = call()
        out[name] = (list(rows), rows.total, rows.offset)
    return out


MAIN = ["Iran", "Taliban", "muttaqi", "Kazemi Qomi", "oil", "Taliban Ministry of Trade"]


def test_hubs_answer_as_the_graph_does(stores: tuple[EmbeddedStore, WithoutIndex]) -> None:
    store, bare = stores
    index = hubs(store)
    assert index is not None and hubs(bare) is None  # type: ignore[arg-type]
    for name in MAIN:
        e = resolve(store, name)
        kept = index.header["lists"].get(e.iri, {})
        assert kept, f"{name} has no list: the index's path would not be taken"
        got, want = answers(store, e), answers(bare, e)
        for key in want:
            assert got[key] == want[key], (name, key)
    # Iran's meetings: more than a page, with inferred rows (the presumed holders).
    iran = answers(store, resolve(store, "Iran"))
    assert iran["who"][1] > 10 and iran["who-page"][1] == iran["who"][1]
    assert iran["who-page"][0] == iran["who"][0][3:10]


def test_who_met_with_and_the_whole_graph(stores: tuple[EmbeddedStore, WithoutIndex]) -> None:
    store, bare = stores
    d = dt.date
    pairs = [("Iran", "Taliban"), ("Taliban", "Iran"), ("Iran", "muttaqi"), ("muttaqi", "Iran")]
    for a, b in pairs:
        x, y = resolve(store, a), resolve(store, b)
        got = lookups.who_met(store, person=x, with_=y)
        assert got == lookups.who_met(bare, person=x, with_=y), (a, b)
        assert got, (a, b)
    energy = resolve(store, "energy")
    oil = resolve(store, "oil")
    calls: list[Callable[[Any], Any]] = [
        lambda s: lookups.who_met(s, limit=3),
        lambda s: lookups.who_met(s, offset=1, limit=2),
        lambda s: lookups.who_met(s, topic=energy, limit=3),
        lambda s: lookups.who_met(s, topic=oil, offset=2, limit=1),
        lambda s: lookups.timeline(s, limit=3),
        lambda s: lookups.who_met(s, offset=5, limit=40),
        lambda s: lookups.who_met(s, inferred=False),
        lambda s: lookups.who_met(s, kinds=["any"], start=d(2022, 1, 1)),
        lambda s: lookups.who_met(s, topic=energy, limit=50),
        lambda s: lookups.timeline(s),
        lambda s: lookups.timeline(s, start=d(2021, 9, 1), offset=7, limit=20),
    ]
    for call in calls:
        got, want = call(store), call(bare)
        assert (list(got), got.total) == (list(want), want.total)
        assert got


@pytest.mark.slow
def test_every_entity_answers_as_the_graph_does(
    stores: tuple[EmbeddedStore, WithoutIndex],
) -> None:
    store, bare = stores
    for e in entities(store):
        assert answers(store, e) == answers(bare, e), e
        card = lookups.show(store, e)
        # The shipped graph's cards stay whole.
        assert card["statements_more"] == [], e
        assert card["statements_total"] == len(card["statements"]), e


def test_rank_and_communities_from_the_actor_graph(
    stores: tuple[EmbeddedStore, WithoutIndex],
) -> None:
    import networkx as nx

    store, bare = stores
    assert store.sidecar("actors") is not None
    # What rank measured before the actor graph was kept: networkx on actor_network.
    graph = analytics.simple(analytics.actor_network(store, sources=False))
    degree = nx.degree_centrality(graph)
    ranked = analytics.rank(store)
    assert len(ranked) == graph.number_of_nodes() > 50
    assert {r["iri"]: (r["score"], r["ties"]) for r in ranked} == {
        v: (round(degree[v], 6), graph.degree(v)) for v in graph
    }
    for by in analytics.MEASURES:
        for kind in (None, "person"):
            assert analytics.rank(store, by, kind) == analytics.rank(bare, by, kind), (by, kind)
    assert analytics.communities(store) == analytics.communities(bare)
    assert nx.utils.graphs_equal(analytics.network(store), graph)


def test_a_card_counts_the_relations_it_has_too_many_of(
    stores: tuple[EmbeddedStore, WithoutIndex], every_hub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, bare = stores
    iran = resolve(store, "Iran")
    whole = lookups.show(store, iran)
    assert whole["statements_more"] == [] and whole["statements_total"] > 40
    monkeypatch.setattr(lookups, "CARD_STATEMENTS", 2)
    card = lookups.show(store, iran)
    assert card == lookups.show(bare, iran)
    groups: dict[tuple[str, str], list[Any]] = {}
    for st in whole["statements"]:
        groups.setdefault((st["direction"], st["relation"]), []).append(st)
    # The relations with two statements at most are listed as on the whole card, each with
    # its lines; claims, the first two; the others are counted.
    assert card["statements"] == [
        st
        for st in whole["statements"]
        if len(groups[(k := (st["direction"], st["relation"]))]) <= 2
        or (k[0] == "claim" and groups[k].index(st) < 2)
    ]
    assert card["statements_total"] == whole["statements_total"]
    cut = {(g["direction"], g["relation"]): (g["shown"], g["total"]) for g in card["statements_more"]}
    assert cut == {
        k: (2 if k[0] == "claim" else 0, len(v)) for k, v in groups.items() if len(v) > 2
    }
    assert len(cut) > 2, cut
    # The table says so, and how to list them all.
    shown = CliRunner().invoke(main, ["--store", str(every_hub / "store"), "show", "Iran"])
    assert shown.exit_code == 0, shown.output
    everything = f"`kg query statements --param 'entity=<{iran.iri}>'` lists them all)"
    for (direction, relation), (first, total) in cut.items():
        arrow = "← " if direction == "in" else ""
        listed = f"the first {first} of " if first else "not listed: "
        assert f"({listed}{total} '{arrow}{relation}' statements; {everything}" in shown.output
    # That command does list them all.
    listed = CliRunner().invoke(
        main,
        ["--store", str(every_hub / "store"), "query", "statements", "--param",
         f"entity=<{iran.iri}>", "--format", "json"],
    )  # fmt: skip
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)["results"]["bindings"]
    for (direction, relation), (_, total) in cut.items():
        if direction != "claim":
            named = [
                r for r in rows
                if r["direction"]["value"] == direction
                and (r.get("pLabel") or r["p"])["value"].rsplit("/", 1)[-1].rsplit("#", 1)[-1]
                == relation
            ]  # fmt: skip
            assert len(named) >= total, (direction, relation)


def test_the_index_is_reproducible_and_read_in_slices(every_hub: Path, tmp_path: Path) -> None:
    again = build_with_hub(FACTS, SHARED_SOURCES, tmp_path / "b", 0)
    for name in INDEX_FILES:
        a = (every_hub / "current" / name).read_bytes()
        assert a == (again / "current" / name).read_bytes(), name
    header = json.loads((every_hub / "current" / "hubs.json").read_bytes())
    data = (every_hub / "current" / "hub-lists.json").read_bytes()
    whole = json.loads(data)  # the lists file is itself one JSON array of the lists
    places = sorted((at, which) for lists in header["lists"].values() for which, at in lists.items())
    assert len(whole) == len(places) > 100
    counted = {header["kinds"].index(k) for k in header["meeting kinds"] if k in header["kinds"]}

    def rows(which: str, entries: list[Any]) -> int:
        """What the entries give a lookup without filters (who-met: meetings' rows)."""
        if which in ("who-met", "topic-meetings"):
            return sum(e[5] for e in entries if e[3] in counted)
        return len(entries)

    for ((offset, length, first, total, kept_whole), which), value in zip(places, whole,
                                                                          strict=True):
        assert json.loads(data[offset : offset + length]) == value
        # Its first part, closed, starts it and holds its first three rows (the lookups
        # read only that for a page among them); a list kept whole holds its total.
        start = json.loads(data[offset : offset + first] + b"]")
        assert value[: len(start)] == start
        assert rows(which, start) >= min(3, total) and rows(which, start[:-1]) < 3
        assert not kept_whole or rows(which, value) == total
    # Lists kept only in their first part: every meeting's, and each topic's.
    assert sorted({w[4] for lists in header["lists"].values() for k, w in lists.items()
                          if k == "topic-meetings"}) == [0]  # fmt: skip
    assert header["lists"][""]["who-met"][4] == 0 and header["first"] == 3


def test_a_damaged_or_missing_index_is_asked_of_the_graph(every_hub: Path) -> None:
    store = EmbeddedStore.open(every_hub / "store")
    index = hubs(store)
    assert index is not None
    iran = resolve(store, "Iran").iri
    assert index.who_met(iran) and index.timeline(iran)
    damaged = Hubs(index.header, lambda offset, length: b"x" * length)
    short = Hubs(index.header, lambda offset, length: b"[]")
    for broken in (damaged, short):
        assert broken.who_met(iran) is None and broken.timeline(iran) is None
    assert index.who_met("https://example.org/not-a-hub") is None
    # Well-formed JSON of the wrong shape (as a server holding other files might send,
    # kg.remote) is not used either: the lookup asks the graph, with no traceback.
    where = index.header["lists"][iran]["who-met"]
    for wrong in (b'[["a"]]', b'[[1, 2, 3, 4, 5, 6, 7]]', b'{"a": 1}', b"[[null]]"):
        misshapen = Hubs(index.header, lambda offset, length, w=wrong: w.ljust(length))
        assert misshapen.who_met(iran) is None and misshapen.timeline(iran) is None
        assert misshapen.roles(iran) is None
    odd = {**index.header, "lists": {iran: {"who-met": where[:2], "timeline": "x"}}}
    assert Hubs(odd, index._read).who_met(iran) is None
    assert Hubs(odd, index._read).timeline(iran) is None
    assert Hubs({**index.header, "lists": []}, index._read).has(iran, "who-met") is False
    # A store being built has no files beside it.
    assert store.sidecar_part("hub-lists", 0, 10) is not None
    assert EmbeddedStore.in_memory(store._store).sidecar_part("hub-lists", 0, 10) is None


@pytest.mark.slow
def test_hubs_of_synthetic_facts_answer_as_the_graph_does(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate

    counts = generate(20_000, tmp_path)  # 4 states, each in some 220 of 454 meetings
    result = run_build(tmp_path, tmp_path / "build")
    assert result.exit_code == 0, result.output
    store = EmbeddedStore.open(tmp_path / "build" / "store")
    bare = WithoutIndex(store)
    index = hubs(store)
    assert index is not None
    states = [resolve(store, f"State {s}") for s in range(counts["states"])]
    person = resolve(store, "Person 1 Surname1")
    # Every state is a hub (the old paths of two, asked each way, take a minute).
    assert all(index.has(s.iri, "who-met") and index.has(s.iri, "timeline") for s in states)
    for state in states[:2]:
        assert answers(store, state) == answers(bare, state), state
        first = lookups.who_met(store, person=state, limit=50)
        assert first.total > 100 and len(first) == 50
        for x, y in ((state, person), (person, state), (state, states[-1])):
            assert lookups.who_met(store, person=x, with_=y) == lookups.who_met(
                bare, person=x, with_=y
            )
        assert lookups.show(store, state) == lookups.show(bare, state)
    assert person.iri not in index.header["lists"]
    assert answers(store, person) == answers(bare, person)
    for by in ("degree", "eigenvector"):
        assert analytics.rank(store, by) == analytics.rank(bare, by)
