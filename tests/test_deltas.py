"""kg.deltas: the aggregates, the actor network and the hub lists of an incremental build
patched by what changed, and the same bytes as a full build's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.test_incremental import (
    Builds,
    _all,
    _cut,
    _edit,
    _facts,
    _patched_aggregates,
    _synthetic,
    _unreferenced_meeting,
)

INT = "http://www.w3.org/2001/XMLSchema#integer"


def test_each_patched_aggregate_is_the_query_its_spec_was_worked_out_for() -> None:
    """A spec says by hand which predicates only alter their own key's rows: for the query
    text of its digest. An edited query is patched no more (the build asks it of the whole
    graph) until its spec is checked again and its digest updated here."""
    from kg.deltas import SPECS, restricted, text_digest
    from kg.query import PRECOMPUTED, load_query

    assert set(SPECS) <= set(PRECOMPUTED)
    stale = [n for n, spec in SPECS.items() if text_digest(load_query(n).text) != spec.digest]
    assert not stale, f"check the specs of {stale} against their queries (kg/deltas.py)"
    for name in SPECS:
        assert restricted(name, []) is not None, name  # every anchor found, once


def _row(**cells: str | int) -> dict[str, list[str]]:
    return {
        k: ["lit", str(v), INT] if isinstance(v, int) else ["lit", v, "en"]
        for k, v in cells.items()
    }


def test_counts_go_down_for_the_old_rows_and_up_for_the_new() -> None:
    """stats-pairs (ORDER BY DESC(?count) ?aLabel ?bLabel): a pair's meeting moved to
    another pair; the group that falls to zero goes, a new one comes in its order."""
    from kg.deltas import patch_rows

    live = [
        _row(aLabel="A", bLabel="B", count=3),
        _row(aLabel="A", bLabel="C", count=2),
        _row(aLabel="B", bLabel="C", count=1),
    ]
    old = [_row(aLabel="B", bLabel="C", count=1)]
    new = [_row(aLabel="A", bLabel="D", count=1), _row(aLabel="A", bLabel="C", count=1)]
    got = patch_rows("stats-pairs", live, old, new)
    assert got == [
        _row(aLabel="A", bLabel="B", count=3),
        _row(aLabel="A", bLabel="C", count=3),
        _row(aLabel="A", bLabel="D", count=1),
    ]
    # What the changed keys gave before and give now are the same: the live rows.
    assert patch_rows("stats-pairs", live, old, old) == live


def test_what_cannot_be_patched_exactly_is_left_to_the_whole_graph() -> None:
    from kg.deltas import patch_rows

    live = [_row(aLabel="A", bLabel="B", count=3), _row(aLabel="A", bLabel="C", count=2)]
    # A group the live rows lack, on the live graph: not the live rows.
    assert patch_rows("stats-pairs", live, [_row(aLabel="X", bLabel="Y", count=1)], []) is None
    # A count below zero.
    assert patch_rows("stats-pairs", live, [_row(aLabel="A", bLabel="C", count=3)], []) is None

    # Two rows the ORDER BY does not tell apart (stats-classes: by count, then label; two
    # classes of no label, of as many nodes).
    def unlabelled(iri: str, n: int) -> dict[str, list[str]]:
        return {
            "class": ["iri", iri, ""],
            "classLabel": ["none", "", ""],
            "count": ["lit", str(n), INT],
        }

    classes = [unlabelled("c:1", 2), unlabelled("c:2", 1)]
    assert patch_rows("stats-classes", classes, [], [unlabelled("c:2", 1)]) is None
    assert patch_rows("stats-classes", classes, [], [unlabelled("c:2", 2)]) == [
        unlabelled("c:2", 3),
        unlabelled("c:1", 2),
    ]
    # Live rows not in the order the query says: never patched.
    assert (
        patch_rows("stats-pairs", live[::-1], [], [_row(aLabel="A", bLabel="C", count=1)]) is None
    )


def test_a_row_per_key_query_has_the_changed_keys_rows_replaced() -> None:
    """reported (a row per statistic, ORDER BY ?label)."""
    from kg.deltas import patch_rows

    def stat(iri: str, label: str) -> dict[str, list[str]]:
        return {"stat": ["iri", iri, ""], "label": ["lit", label, "en"]}

    live = [stat("s:1", "Alpha"), stat("s:2", "Beta")]
    got = patch_rows("reported", live, [stat("s:1", "Alpha")], [stat("s:1", "Gamma")], {"s:1"})
    assert got == [stat("s:2", "Beta"), stat("s:1", "Gamma")]
    # Not what the live rows say of the changed key: left to the whole graph.
    assert patch_rows("reported", live, [stat("s:1", "Other")], [], {"s:1"}) is None


def test_the_actor_network_s_ties_are_patched_and_a_tie_at_zero_goes() -> None:
    from collections import Counter

    from kg.deltas import patch_actors

    kept = {
        "nodes": [["a", "A", "person", "Person"], ["b", "B", "person", "Person"],
                  ["c", "C", "state", "State"]],
        "edges": [[0, 1, 2], [0, 2, 1]],
    }  # fmt: skip
    got = patch_actors(kept, Counter({("c", "a"): 1}), Counter({("b", "c"): 1}))
    assert got is not None
    assert json.loads(got) == {"nodes": kept["nodes"], "edges": [[0, 1, 2], [1, 2, 1]]}
    assert patch_actors(kept, Counter({("b", "c"): 1}), Counter()) is None


@pytest.mark.slow
def test_add_delete_and_rename_patch_the_aggregates_and_hub_lists_and_equal_full_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The live store patched for a meeting added, deleted and renamed (as above
    PATCH_FROM), its aggregates, actor network and hub lists patched by the changed
    meetings: the same bytes as a full build each time. With a low hub threshold, so the
    people of the meetings edited are hubs, or cross the threshold, as the edits go; a
    state renamed changes stats-pairs' labels, which is asked of the whole graph."""
    monkeypatch.setattr("kg.build.PYSHACL_LIMIT", 0)
    monkeypatch.setattr("kg.patch.PATCH_FROM", 0)
    monkeypatch.setattr("kg.hubs.HUB", 8)
    data = _synthetic(tmp_path, triples=20000, files=4)
    builds = Builds(data)
    builds.both()
    hubs = json.loads((data / "inc" / "current" / "hubs.json").read_text())
    people = [w for w in hubs["lists"] if "/person/" in w]
    assert people, "no person with hub lists"

    def patched_all(inc_stdout: str) -> None:
        assert "patched a copy of the live store" in inc_stdout, inc_stdout
        assert "patched the hub lists" in inc_stdout, inc_stdout

    # A meeting added between two people of the hub lists (and one of no list).
    person = people[0].rsplit("/", 1)[1]
    every = _all(data)
    quiet = min(
        (f"person-{k}" for k in range(1000) if f"  - id: person-{k}\n" in every),
        key=lambda p: (any(w.endswith(f"/{p}") for w in hubs["lists"]),
                       len(re.findall(rf"{p}\b", every))),
    )  # fmt: skip
    assert not any(w.endswith(f"/{quiet}") for w in hubs["lists"]), quiet
    for n in range(3):
        _edit(
            _facts(data, 3),
            "events:\n",
            f"events:\n  - id: meeting-new-{n}\n    type: meeting\n    name: New {n}\n"
            f"    date: 2020-02-0{n + 1}\n    sides:\n      state-0: [{person}]\n"
            f"      state-1: [{quiet}]\n    topics: [oil]\n    evidence: [5]\n",
        )
        inc = builds.both()
        patched_all(inc.stdout)
        assert {"stats-classes", "stats-pairs", "stats-kinds"} <= set(_patched_aggregates(inc))
    # The quiet person crossed the threshold: a hub now.
    hubs = json.loads((data / "inc" / "current" / "hubs.json").read_text())
    assert any(w.endswith(f"/{quiet}") for w in hubs["lists"]), sorted(hubs["lists"])

    # Deleted again, one by one (below the threshold again).
    for n in range(3):
        _cut(_facts(data, 3), f"meeting-new-{n}")
        patched_all(builds.both().stdout)
    hubs = json.loads((data / "inc" / "current" / "hubs.json").read_text())
    assert not any(w.endswith(f"/{quiet}") for w in hubs["lists"]), sorted(hubs["lists"])

    # A meeting's id renamed.
    rid = _unreferenced_meeting(data, 2)
    _edit(_facts(data, 2), f"  - id: {rid}\n", f"  - id: {rid}-renamed\n")
    inc = builds.both()
    patched_all(inc.stdout)

    # A state renamed: stats-pairs' labels change for every pair of it.
    home = next(n for n in range(4) if "  - id: state-1\n" in _facts(data, n).read_text())
    _edit(_facts(data, home), "name: State 1\n", "name: State One\n")
    inc = builds.both()
    assert "stats-pairs" not in _patched_aggregates(inc), inc.stdout


def test_the_groups_every_match_of_a_rule_matches() -> None:
    """kg.incremental.required_patterns: the groups joined from the top (not a UNION's,
    an OPTIONAL's right side's, a MINUS's or an EXISTS's), which a changed triple's binding
    must match for it to take part in a match of the rule (kg.patch._may_match)."""
    import pyoxigraph as ox

    from kg.incremental import required_patterns
    from kg.patch import _may_match

    text = """PREFIX : <https://example.org/>
    CONSTRUCT { ?e :via ?x } WHERE {
      ?e :part ?p . ?p :actor ?x . ?x a :Post .
      OPTIONAL { ?e :label ?l }
      { ?e :cites ?c } UNION { ?x :cites ?c }
      FILTER NOT EXISTS { ?e :gone ?g }
    }"""
    groups = required_patterns(text)
    assert groups is not None and len(groups) == 1
    predicates = sorted(p[1][1] for p in groups[0])
    assert predicates == [
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        "https://example.org/actor",
        "https://example.org/part",
    ]

    store = ox.Store()
    ex = "https://example.org/"
    store.add(ox.Quad(ox.NamedNode(ex + "m"), ox.NamedNode(ex + "part"), ox.NamedNode(ex + "p")))
    store.add(ox.Quad(ox.NamedNode(ex + "p"), ox.NamedNode(ex + "actor"), ox.NamedNode(ex + "bob")))
    # m's one actor is no post: a triple of m (its citation, say) takes part in no match.
    assert not _may_match(groups[0], {"e": ox.NamedNode(ex + "m")}, (store,))
    store.add(
        ox.Quad(
            ox.NamedNode(ex + "bob"),
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode(ex + "Post"),
        )
    )
    assert _may_match(groups[0], {"e": ox.NamedNode(ex + "m")}, (store,))
    # A variable the group does not have says nothing of it.
    assert _may_match(groups[0], {"c": ox.NamedNode(ex + "m")}, (ox.Store(),))
