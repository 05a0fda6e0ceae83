"""Builds that skip work: a build whose inputs are unchanged publishes nothing new."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import BuildRunner


def _generations(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("gen-"))


def _with_a_warning(mini: Path) -> None:
    """A second source whose text is not in the sources folder: a build warns about it."""
    path = mini / "facts" / "mini.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "    file: mini.txt\n",
            "    file: mini.txt\n  - id: lost\n    title: Lost\n    file: lost.txt\n",
        )
        + "  - id: other\n    name: Other deal\n    kind: arrangement\n"
        "    history: [{status: agreed, date: 2022-07-16, evidence: 2}]\n"
        "    parties: [taliban, iran]\n    evidence: [{source: lost, line: 3}]\n",
        encoding="utf-8",
    )


def _summary(result: Result) -> tuple[str, str]:
    """What a build says but its timings: the summary (stdout) and the warnings (stderr)."""
    out = result.stdout.split(" warning(s)\n")[0]
    assert out != result.stdout, result.stdout
    return out, result.stderr


def test_an_unchanged_build_publishes_nothing_and_reports_the_same(
    build_mini: BuildRunner, mini: Path
) -> None:
    _with_a_warning(mini)
    first = build_mini()
    assert first.exit_code == 0, first.output
    assert "warning: source file lost.txt not found" in first.stderr, first.stderr
    out = mini / "build"
    gen = (out / "current").resolve()
    made = {p.name: p.stat().st_mtime_ns for p in gen.iterdir()}

    again = build_mini("--timings")
    assert again.exit_code == 0, again.output
    assert _summary(again) == _summary(first)
    assert "unchanged build: the inputs are those of " + gen.name in again.stdout, again.stdout
    assert (out / "current").resolve() == gen
    assert _generations(out) == [gen.name]
    assert {p.name: p.stat().st_mtime_ns for p in gen.iterdir()} == made


def test_full_builds_anyway(build_mini: BuildRunner, mini: Path) -> None:
    assert build_mini().exit_code == 0
    gen = (mini / "build" / "current").resolve()
    seal = (gen / ".complete").stat().st_mtime_ns
    result = build_mini("--full", "--timings")
    assert result.exit_code == 0, result.output
    assert "full build: --full" in result.stdout, result.stdout
    assert "validate (SHACL)" in result.stdout, result.stdout
    # The same inputs make the same generation, which is kept, not made again.
    assert (mini / "build" / "current").resolve() == gen
    assert (gen / ".complete").stat().st_mtime_ns == seal


def _edit_facts(mini: Path) -> None:
    path = mini / "facts" / "mini.yaml"
    path.write_text(path.read_text().replace("name: A deal", "name: A bigger deal"))


def _edit_source(mini: Path) -> None:
    path = mini / "sources" / "mini.txt"
    path.write_text(path.read_text(encoding="utf-8") + "One more line.\n", encoding="utf-8")


def _add_facts_file(mini: Path) -> None:
    (mini / "facts" / "more.yaml").write_text(
        "people:\n  - id: someone-else\n    name: Someone Else\n"
        "    evidence: [{source: mini, line: 1}]\n",
        encoding="utf-8",
    )


def _new_sources_folder(mini: Path) -> None:
    shutil.move(mini / "sources", mini / "texts")


@pytest.mark.parametrize(
    ("edit", "extra", "why"),
    [
        (_edit_facts, (), "inputs changed"),
        (_add_facts_file, (), "inputs changed"),
        (_edit_source, (), "source text mini.txt changed"),
        (_new_sources_folder, (), "inputs changed"),
        (None, ("--base-iri", "https://example.org/kg/"), "the ontology, rules, --schema"),
    ],
    ids=["facts-edited", "facts-file-added", "source-text-edited", "sources-moved", "option"],
)
def test_a_changed_input_builds(
    build_mini: BuildRunner, mini: Path, edit: object, extra: tuple[str, ...], why: str
) -> None:
    assert build_mini().exit_code == 0
    if callable(edit):
        edit(mini)
    if (mini / "texts").is_dir():
        (mini / "sources").mkdir()  # empty: the texts are in texts/ now
        extra = ("--sources", str(mini / "texts"))
    result = build_mini("--timings", *extra)
    assert result.exit_code == 0, result.output
    assert f" build: {why}" in result.stdout, result.stdout
    assert "unchanged build" not in result.stdout, result.stdout


def test_a_source_text_that_vanishes_is_warned_about_again(
    build_mini: BuildRunner, mini: Path
) -> None:
    assert build_mini().exit_code == 0
    (mini / "sources" / "mini.txt").unlink()
    result = build_mini("--timings")
    assert result.exit_code == 0, result.output
    assert " build: source text mini.txt changed" in result.stdout, result.stdout
    assert "warning: source file mini.txt not found" in result.stderr, result.stderr


def test_a_changed_schema_file_builds(build_mini: BuildRunner, mini: Path) -> None:
    schema = mini / "extra.yaml"
    schema.write_text("kinds: {}\n", encoding="utf-8")
    assert build_mini("--schema", str(schema)).exit_code == 0
    again = build_mini("--schema", str(schema), "--timings")
    assert "unchanged build" in again.stdout, again.stdout
    schema.write_text("kinds: {}\n# edited\n", encoding="utf-8")
    result = build_mini("--schema", str(schema), "--timings")
    assert result.exit_code == 0, result.output
    assert "full build: the ontology, rules, --schema files" in result.stdout, result.stdout


def test_kg_itself_is_an_input(mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another kg (its code or the ontology it ships) is another digest."""
    import kg.incremental
    from kg.facts import fact_files
    from kg.locations import ontology_dir

    def digest() -> str:
        files = fact_files(mini / "facts")
        return kg.incremental.gather(
            mini / "facts", files, [mini / "sources"], [], "https://w3id.org/kg/", "auto"
        ).digest

    code = tmp_path / "kg"
    shutil.copytree(Path(kg.incremental.__file__).parent, code)
    monkeypatch.setattr(kg.incremental, "_PACKAGE", code)
    before = digest()
    assert digest() == before
    (code / "convert.py").write_text("# another kg\n", encoding="utf-8")
    changed = digest()
    assert changed != before
    onto = tmp_path / "ontology"
    shutil.copytree(ontology_dir(), onto)
    monkeypatch.setattr("kg.locations.ontology_dir", lambda: onto)
    assert digest() == changed
    (onto / "rules" / "10-org-shortcuts.rq").write_text("# rule: x\n", encoding="utf-8")
    assert digest() != changed


@pytest.mark.parametrize(
    "damage",
    ["not json", json.dumps({"format": "something else"}), json.dumps([1, 2])],
    ids=["garbled", "foreign", "wrong-shape"],
)
def test_a_summary_it_cannot_read_is_never_trusted(
    build_mini: BuildRunner, mini: Path, damage: str
) -> None:
    """build.json that is not what kg wrote: the build builds (and replaces it)."""
    from kg.publish import _seal

    assert build_mini().exit_code == 0
    gen = (mini / "build" / "current").resolve()
    (gen / "build.json").write_text(damage, encoding="utf-8")
    (gen / ".complete").unlink()
    _seal(gen)  # as if whole: only what it says is wrong
    result = build_mini("--timings")
    assert result.exit_code == 0, result.output
    assert " build: the live build has no record of its inputs" in result.stdout, result.stdout
    assert json.loads((mini / "build" / "current" / "build.json").read_text())["inputs"]


# ---------------------------------------------------------------- incremental equals full


def _synthetic(tmp: Path, triples: int = 3000, files: int = 4) -> Path:
    """Facts made by benchmarks/generate.py (FILES files), with their sources."""
    from tests.conftest import synthetic_facts

    return synthetic_facts(tmp / "data", triples, files)


def _generation(out: Path) -> dict[str, bytes]:
    """Every file of the live generation (the store as its sorted dump), and its name."""
    import pyoxigraph

    gen = (out / "current").resolve()
    files = {p.name: p.read_bytes() for p in gen.iterdir() if p.is_file()}
    del files[".complete"]  # the sizes of the store's own files, which RocksDB decides
    assert {"kg.ttl", "build.json", "aggregates.json", "meetings.json"} <= set(files), files
    store = pyoxigraph.Store.read_only(str(gen / "store"))
    dump = store.dump(format=pyoxigraph.RdfFormat.N_QUADS) or b""
    files["store, sorted"] = b"\n".join(sorted(dump.splitlines()))
    files["generation"] = gen.name.encode()
    return files


def _same(incremental: Path, full: Path) -> None:
    a, b = _generation(incremental), _generation(full)
    assert a.keys() == b.keys()
    differ = [name for name in a if a[name] != b[name]]
    assert not differ, differ


class Builds:
    """An incremental build folder and a full one (--full, built afresh) of the same facts."""

    def __init__(self, data: Path, *extra: str) -> None:
        self.data = data
        self.extra = extra
        self.steps = 0

    def incremental(self, *extra: str) -> Result:
        from tests.conftest import run_build

        return run_build(self.data, self.data / "inc", "--timings", *self.extra, *extra)

    def full(self, *extra: str) -> Result:
        from tests.conftest import run_build

        self.steps += 1
        out = self.data / f"full-{self.steps}"
        return run_build(self.data, out, "--full", *self.extra, *extra)

    def both(self, *extra: str) -> Result:
        """Build both ways; assert they say the same and publish the same bytes."""
        inc, full = self.incremental(*extra), self.full(*extra)
        assert inc.exit_code == full.exit_code == 0, inc.output + full.output
        other = str(self.data / f"full-{self.steps}")
        said = tuple(text.replace(other, str(self.data / "inc")) for text in _summary(full))
        assert _summary(inc) == said
        _same(self.data / "inc", self.data / f"full-{self.steps}")
        return inc


def _facts(data: Path, n: int) -> Path:
    return data / "facts" / f"synthetic-{n:03d}.yaml"


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def _cut(path: Path, rid: str) -> str:
    """Remove the record `rid` from a facts file; return its lines."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index(f"  - id: {rid}\n")
    end = start + 1
    while end < len(lines) and lines[end].startswith("    "):
        end += 1
    path.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")
    return "".join(lines[start:end])


def _unreferenced_meeting(data: Path, n: int) -> str:
    text = _facts(data, n).read_text(encoding="utf-8")
    every = "".join(p.read_text(encoding="utf-8") for p in (data / "facts").iterdir())
    for line in text.splitlines():
        if line.startswith("  - id: meeting-"):
            rid = line.split(": ")[1]
            if f"{rid}]" not in every and f"{rid}," not in every:
                return rid
    raise AssertionError("no meeting that nothing names")


def _reused(result: Result) -> tuple[int, int]:
    """How many facts files a build took from its cache: (read, converted)."""
    import re

    m = re.search(r"of \d+ facts files, (\d+) read and (\d+) converted before", result.stdout)
    assert m, result.stdout
    return int(m[1]), int(m[2])


@pytest.mark.slow
@pytest.mark.parametrize("validator", ["pyshacl", "sparql"])
def test_incremental_builds_equal_full_builds_over_a_series_of_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validator: str
) -> None:
    """Each edit is built twice, incrementally (reusing the files an earlier build made)
    and from scratch: the same summary, warnings and generation, byte for byte. With
    either validator: pySHACL validates the whole graph each time, the shapes compiled to
    SPARQL only what an edit may have changed."""
    import re

    if validator == "sparql":  # as for a graph of more than PYSHACL_LIMIT triples
        monkeypatch.setattr("kg.build.PYSHACL_LIMIT", 0)
        monkeypatch.setattr("kg.patch.PATCH_FROM", 0)  # the live store patched, as above it
    data = _synthetic(tmp_path)
    builds = Builds(data)
    builds.both()

    # Add a record.
    _edit(
        _facts(data, 3),
        "people:\n",
        "people:\n  - id: person-new\n    name: New Person\n    evidence: 5\n",
    )
    assert _reused(builds.both()) == (3, 3)

    # Change a value another file's RDF shows: a post's name is in its tenures' labels.
    post = re.search(r"post: (minister-\d+-\d+)", _facts(data, 2).read_text())
    assert post, "no tenure in file 2"
    owner = next(n for n in range(4) if f"id: {post[1]}\n" in _facts(data, n).read_text())
    assert owner != 2
    _edit(
        _facts(data, owner),
        f"  - id: {post[1]}\n    name: Minister",
        f"  - id: {post[1]}\n    name: Chief Minister",
    )
    inc = builds.both()
    assert "Chief Minister" in (data / "inc" / "kg.ttl").read_text(encoding="utf-8")
    assert _reused(inc)[1] < 3, inc.stdout  # file 2 converted again, its bytes unchanged
    if validator == "sparql":
        assert re.search(r"validated \d+ nodes for the \d+ predicates that changed", inc.stdout)
        # The live store and Turtle patched, not written anew.
        assert re.search(r"rewrote the Turtle and the store of \d+ subjects", inc.stdout)
        assert "dump N-Triples" not in inc.stdout, inc.stdout
    # The aggregates no label is part of are kept (stats-kinds counts events per kind).
    assert re.search(r"reused \d+ of the aggregates and indexes: \[.*'stats-kinds'", inc.stdout)

    # Delete a record.
    _cut(_facts(data, 1), _unreferenced_meeting(data, 1))
    builds.both()

    # Rename a slug, and every reference to it.
    for path in (data / "facts").iterdir():
        path.write_text(re.sub(r"person-2(?!\d)", "person-two", path.read_text()))
    builds.both()

    # Move a record from one file to another.
    moved = _cut(_facts(data, 0), _unreferenced_meeting(data, 0))
    _edit(_facts(data, 2), "events:\n", "events:\n" + moved)
    builds.both()

    # Break a file: the build fails as a full build does and keeps the last good build.
    live = _generation(data / "inc")
    good = _facts(data, 1).read_text()
    broken_ones = [
        good.replace("name: State 1\n", "name: State 1\n  bad indent\n"),  # YAML
        re.sub(r"state-1: \[person-\d+", "state-1: [person-nobody", good, count=1),  # a check
        # What only the shapes find: a meeting of one participant, an agreement of one party.
        re.sub(
            r"    sides:\n      (state-\d+): \[(person-\d+)[^\]]*\]\n      state-\d+: .*\n",
            r"    sides:\n      \1: [\2]\n",
            good,
            count=1,
        ),
        re.sub(r"parties: \[(state-\d+), state-\d+\]", r"parties: [\1]", good, count=1),
    ]
    for broken in broken_ones:
        assert broken != good
        _facts(data, 1).write_text(broken)
        inc, full = builds.incremental(), builds.full()
        assert inc.exit_code == full.exit_code == 1, inc.output + full.output
        shapes = ("a meeting has at least two participants", "an agreement has at least two")
        assert broken_ones.index(broken) < 2 or any(m in inc.stderr for m in shapes), inc.stderr
        assert inc.stderr.replace("/inc/", "/full/") == re.sub(
            r"/full-\d+/", "/full/", full.stderr
        ), inc.stderr
        assert _generation(data / "inc") == live
    # Fixed as it was: the live build's inputs, nothing to build.
    _facts(data, 1).write_text(good)
    assert "unchanged build" in builds.both().stdout
    # Fixed otherwise: a state's name, which other files' party roles show.
    _facts(data, 1).write_text(good.replace("name: State 1\n", "name: State One\n"))
    inc = builds.both()
    assert "State One (party)" in (data / "inc" / "kg.ttl").read_text(encoding="utf-8")
    assert _reused(inc)[0] == 3, inc.stdout


def _meeting(data: Path, n: int, k: int = 0) -> tuple[str, str]:
    """The k-th meeting of a facts file: its id and its record's text."""
    import re

    found = re.findall(r"  - id: (meeting-\d+)\n", _facts(data, n).read_text())
    assert len(found) > k, found
    rid = found[k]
    text = _facts(data, n).read_text()
    start = text.index(f"  - id: {rid}\n")
    end = text.index("  - id: ", start + 1)
    return rid, text[start:end]


def _edit_record(data: Path, n: int, rid: str, old: str, new: str) -> None:
    """Replace text in one record of a facts file (once)."""
    _, record = next(
        (rid, r) for k in range(10_000) for rid2, r in [_meeting(data, n, k)] if rid2 == rid
    )
    assert old in record, (old, record)
    _edit(_facts(data, n), record, record.replace(old, new, 1))


def _kept(result: Result) -> str:
    import re

    m = re.search(r"kept ([^;]*) sidecars of the hub and actor index", result.stdout)
    assert m, result.stdout
    return m[1]


@pytest.mark.slow
def test_hub_lists_actor_network_and_meeting_index_patched_equal_full_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Facts with hub lists (states in more than kg.hubs.HUB meetings): the meeting index is
    asked again for the changed meetings only, the hub lists and the actor network kept
    when an edit cannot change them and made again when it does; every time the same bytes
    as a full build (stats-kinds too, when a meeting is added)."""
    import re

    monkeypatch.setattr("kg.build.PYSHACL_LIMIT", 0)
    monkeypatch.setattr("kg.patch.PATCH_FROM", 0)
    data = _synthetic(tmp_path, triples=20000, files=4)
    # An event of no meeting (no sides) on a day of no meeting: the timelines order the
    # meeting moved to that day below by its label against this one's.
    every = _all(data)
    meeting_days = set(re.findall(r"    date: (\d{4}-\d\d(?:-\d\d)?)\n", every))
    day = next(
        f"2019-03-{d:02d}"
        for d in range(2, 29)  # (a month or a year starts on the 1st: as early as its meetings)
        if f"2019-03-{d:02d}" not in meeting_days
    )
    _edit(
        _facts(data, 0),
        "events:\n",
        f"events:\n  - id: a-killing\n    type: killing\n    name: Beta killing\n"
        f"    date: {day}\n    by: [state-0]\n    evidence: [5]\n",
    )
    builds = Builds(data)
    builds.both()
    hubs = json.loads((data / "inc" / "current" / "hubs.json").read_text())
    assert [w for w in hubs["lists"] if w.endswith("state-0")], "no state with hub lists"

    # A meeting renamed, keeping its place in every list: hubs and actors kept.
    rid, record = _meeting(data, 1)
    _edit_record(data, 1, rid, f"    name: Meeting {rid[8:]}\n", f"    name: Meeting {rid[8:]}b\n")
    inc = builds.both()
    assert "asked the meeting index again for 1 of 1 nodes" in inc.stdout, inc.stdout
    assert _kept(inc) == "actors, hub-lists, hubs", inc.stdout

    # Its date changed (to the killing's day): its place in the lists changes, hubs made
    # again; actors kept.
    date = record.split("    date: ")[1].split("\n")[0]
    _edit_record(data, 1, rid, f"    date: {date}\n", f"    date: {day}\n")
    inc = builds.both()
    assert _kept(inc) == "actors", inc.stdout

    # Renamed to sort before the killing of its day: the meeting index keeps its order, but
    # not the timelines, so the hub lists are made again.
    _edit_record(data, 1, rid, f"    name: Meeting {rid[8:]}b\n", f"    name: AAA {rid[8:]}\n")
    inc = builds.both()
    assert _kept(inc) == "actors", inc.stdout

    # A person renamed: an actor's label (the actor network's node) changes.
    _edit(_facts(data, 0), 'name: "Person 3 ', 'name: "Persona 3 ')
    builds.both()

    # A meeting between other sides: the actor network's ties change, patched by the
    # changed meeting's (kg.deltas), as the stats counting its sides.
    rid2, record2 = _meeting(data, 2, 1)
    sides = re.findall(r"      (state-\d+): \[", record2)
    other = next(f"state-{k}" for k in range(9) if f"state-{k}" not in sides)
    _edit_record(data, 2, rid2, f"      {sides[0]}: [", f"      {other}: [")
    inc = builds.both()
    assert "patched the actor network's ties" in inc.stdout, inc.stdout
    assert "stats-pairs" in _patched_aggregates(inc), inc.stdout

    # A meeting added: stats-kinds counts it, the hub lists of its states grow.
    _edit(
        _facts(data, 3),
        "events:\n",
        "events:\n  - id: meeting-new\n    type: meeting\n    name: New meeting\n"
        "    date: 2020-02-02\n    sides:\n      state-0: [person-1]\n"
        "      state-1: [person-2]\n    topics: [oil]\n    evidence: [5]\n",
    )
    inc = builds.both()
    assert _kept(inc) == "no", inc.stdout
    kinds = json.loads((data / "inc" / "current" / "aggregates.json").read_text())["stats-kinds"]
    meeting = next(r for r in kinds if r["kind"][1] == "meeting")
    assert meeting["events"][1] == str(len(re.findall(r"type: meeting\n", _all(data)))), meeting

    # A meeting deleted.
    _cut(_facts(data, 2), _unreferenced_meeting(data, 2))
    builds.both()

    # A meeting's id renamed: the lists name it anew, the actor network has the same ties.
    rid = _unreferenced_meeting(data, 2)
    _edit(_facts(data, 2), f"  - id: {rid}\n", f"  - id: {rid}-renamed\n")
    inc = builds.both()
    assert _kept(inc) == "actors", inc.stdout


def _patched_aggregates(result: Result) -> list[str]:
    """The aggregates a build patched by the changed nodes (kg.deltas)."""
    import re

    m = re.search(r"patched \d+ aggregates by the \d+ changed nodes: \[([^\]]*)\]", result.stdout)
    return [] if m is None else [name.strip("' ") for name in m[1].split(",") if name]


def _all(data: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted((data / "facts").iterdir()))


@pytest.mark.slow
@pytest.mark.parametrize("what", ["schema", "rule"])
def test_a_changed_schema_or_ontology_builds_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    from kg.locations import ontology_dir

    data = _synthetic(tmp_path, files=2)
    extra: tuple[str, ...] = ()
    if what == "schema":
        schema = data / "extra.yaml"
        schema.write_text("kinds: {}\n", encoding="utf-8")
        extra = ("--schema", str(schema))
    builds = Builds(data, *extra)
    builds.both()
    if what == "schema":
        schema.write_text("kinds: {}\n# another schema\n", encoding="utf-8")
    else:
        onto = tmp_path / "ontology"
        shutil.copytree(ontology_dir(), onto)
        rule = onto / "rules" / "10-org-shortcuts.rq"
        _edit(rule, "  ?person org:memberOf ?org .\n", "")
        monkeypatch.setattr("kg.locations.ontology_dir", lambda: onto)
        monkeypatch.setattr("kg.build.ontology_dir", lambda: onto)
    inc = builds.both()
    assert "full build: the ontology, rules, --schema files, --base-iri or kg itself changed" in (
        inc.stdout
    ), inc.stdout
    assert _reused(inc) == (0, 0)
    if what == "rule":
        assert "memberOf" not in (data / "inc" / "kg.ttl").read_text(encoding="utf-8")


def test_an_edit_to_one_file_reuses_the_others(mini: Path, build_mini: BuildRunner) -> None:
    """A quick check of the same: one file of two edited, the other taken from the cache."""
    (mini / "facts" / "more.yaml").write_text(
        "people:\n  - id: someone-else\n    name: Someone Else\n"
        "    evidence: [{source: mini, line: 1}]\n",
        encoding="utf-8",
    )
    assert build_mini().exit_code == 0
    _edit(mini / "facts" / "mini.yaml", "name: A deal", "name: A bigger deal")
    inc = build_mini("--timings")
    assert inc.exit_code == 0, inc.output
    assert "incremental build: inputs changed; of 2 facts files, 1 read and 1 converted" in (
        inc.stdout
    ), inc.stdout
    from tests.conftest import run_build

    full = run_build(mini, mini / "build-2", "--full")
    said = tuple(text.replace("build-2", "build") for text in _summary(full))
    assert _summary(inc) == said
    _same(mini / "build", mini / "build-2")


def test_the_indexes_read_the_queries_the_build_says(
    build_mini: BuildRunner, mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An incremental build keeps an index when none of the queries it is made from names a
    changed predicate: kg.build.INDEX_QUERIES must list every query each index runs."""
    import pyoxigraph

    import kg.indexes
    import kg.query
    from kg.build import INDEX_QUERIES
    from kg.store import EmbeddedStore

    assert build_mini().exit_code == 0
    graph = pyoxigraph.Store()
    dump = pyoxigraph.Store.read_only(str(mini / "build" / "store")).dump(
        format=pyoxigraph.RdfFormat.N_QUADS
    )
    graph.load(dump or b"", format=pyoxigraph.RdfFormat.N_QUADS)
    asked: list[str] = []
    real = kg.query.run

    def run(store: object, name: str, **params: object) -> object:
        asked.append(name)
        return real(store, name, **params)  # type: ignore[arg-type]

    def named(store: object, name: str, *args: object, **kwargs: object) -> object:
        asked.append(name)
        return real_named(store, name, *args, **kwargs)  # type: ignore[arg-type]

    real_named = kg.indexes.named
    monkeypatch.setattr(kg.indexes, "run", run)
    monkeypatch.setattr(kg.indexes, "named", named)
    for index, make in (
        ("meetings", kg.indexes.meeting_index),
        ("tenures", kg.indexes.tenure_index),
    ):
        asked.clear()
        assert make(EmbeddedStore.in_memory(graph)), index
        assert asked and set(asked) <= set(INDEX_QUERIES[index]), (index, asked)


def _kg_build(data: Path, out: Path, kill_at: str = "") -> subprocess.CompletedProcess[str]:
    """`kg build` of data in a process of its own, validating with the shapes compiled to
    SPARQL (as for a large graph), killed with SIGKILL when it calls kill_at (module.name)."""
    import sys

    from tests.conftest import ROOT

    script = "\n".join(
        [
            "import importlib, os, signal, sys",
            "import kg.build",
            "kg.build.PYSHACL_LIMIT = 0",
            "import kg.patch",
            "kg.patch.PATCH_FROM = 0",
            *(
                [
                    "def die(*args, **kwargs):",
                    "    os.kill(os.getpid(), signal.SIGKILL)",
                    f"module, name = {kill_at.rsplit('.', 1)!r}",
                    "setattr(importlib.import_module(module), name, die)",
                ]
                if kill_at
                else []
            ),
            "from kg.cli import main",
            "sys.argv = ['kg', *sys.argv[1:]]",
            "main()",
        ]
    )
    cmd = [sys.executable, "-c", script, "build", "--timings", "--facts", str(data / "facts")]
    cmd += ["--out", str(out), "--sources", str(data / "sources")]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)


@pytest.mark.slow
@pytest.mark.parametrize(
    "kill_at", ["kg.build.precompute", "kg.patch._rules_hold", "kg.incremental.keep_state"]
)
def test_a_killed_incremental_build_leaves_a_whole_generation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kill_at: str
) -> None:
    """Killed before publishing (the last good generation stays live), while patching the
    store copy (kg.patch: its asserted triples patched, the rules not yet asked), or after
    publishing but before the cache records it: the live generation
    is whole, and the next build equals a full one."""
    import signal

    from kg.publish import is_complete

    data = _synthetic(tmp_path, files=3)
    out = data / "inc"
    first = _kg_build(data, out)
    assert first.returncode == 0, first.stderr
    before = _generation(out)
    _edit(_facts(data, 1), "name: Meeting ", "name: Renamed meeting ", count=1)
    killed = _kg_build(data, out, kill_at)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert is_complete((out / "current").resolve())
    if kill_at.endswith("keep_state"):  # published already: the new generation is live
        assert _generation(out) != before
    else:
        assert _generation(out) == before
    monkeypatch.setattr("kg.build.PYSHACL_LIMIT", 0)
    monkeypatch.setattr("kg.patch.PATCH_FROM", 0)
    builds = Builds(data)
    builds.both()
    assert not [p.name for p in out.iterdir() if p.name.startswith((".staging", ".trash"))]


@pytest.mark.slow
def test_lookups_racing_incremental_builds_never_fail(tmp_path: Path) -> None:
    """Lookups while incremental builds (the store a patched copy of the live one) switch
    build/current under them: each lookup reads one whole generation."""
    import threading

    from kg.lookups import who_met
    from kg.store import EmbeddedStore

    data = _synthetic(tmp_path, files=3)
    out = data / "inc"
    assert _kg_build(data, out).returncode == 0
    path = _facts(data, 1)
    texts = [path.read_text(), path.read_text().replace("name: Meeting ", "name: Meeting no. ")]
    builds, done, problems = 6, threading.Event(), []

    def builder() -> None:
        try:
            for i in range(builds):
                path.write_text(texts[(i + 1) % 2])
                proc = _kg_build(data, out)
                if proc.returncode != 0 or "rewrote the Turtle and the store" not in proc.stdout:
                    problems.append(proc.stdout + proc.stderr)
        finally:
            done.set()

    thread = threading.Thread(target=builder)
    thread.start()
    lookups, failures = 0, []
    while not done.is_set() or lookups < 100:
        try:
            store = EmbeddedStore.open(out / "store")
            assert who_met(store), "no meetings"
            assert store.select("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"), "an empty store"
        except Exception as exc:  # every failure counted, none hidden
            failures.append(repr(exc))
        lookups += 1
    thread.join()
    assert problems == [], problems[:1]
    assert failures == [], (len(failures), lookups, failures[:3])


_TENURES = """PREFIX kg: <https://w3id.org/kg/ont#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?t ?label WHERE { ?t a kg:Tenure ; org:member ?h . ?h skos:prefLabel ?label .
  OPTIONAL { ?t kg:post ?p . ?p skos:prefLabel ?post }
  OPTIONAL { ?t kg:post/skos:altLabel ?other }
  OPTIONAL { ?t kg:post/skos:broader* ?wider } }"""
_KG, _SKOS = "https://w3id.org/kg/ont#", "http://www.w3.org/2004/02/skos/core#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.mark.parametrize(
    ("changed", "touched"),
    [
        # A meeting renamed: no tenure has it as a member, so no match can involve it.
        ([("id:meeting", _SKOS + "prefLabel", None)], False),
        # A holder renamed: a tenure names it.
        ([("id:holder", _SKOS + "prefLabel", None)], True),
        # A post renamed: a tenure names it as its post.
        ([("id:post", _SKOS + "prefLabel", None)], True),
        # The second edge of a path: only if something leads to it by the first.
        ([("id:meeting", _SKOS + "altLabel", None)], False),
        ([("id:post", _SKOS + "altLabel", None)], True),
        # An edge of a path that is not a plain sequence: where it is is not worked out.
        ([("id:meeting", _SKOS + "broader", "id:other")], True),
        # Something the query does not name.
        ([("id:holder", _KG + "searchKey", None)], False),
        # A new type: the tenure pattern it fits holds of the node (it is a tenure now).
        ([("id:tenure", _RDF_TYPE, _KG + "Tenure")], True),
        ([("id:meeting", _RDF_TYPE, _KG + "Meeting")], False),
    ],
)
def test_a_query_is_asked_again_only_if_a_changed_triple_may_match(
    changed: list[tuple[str, str, str | None]], touched: bool
) -> None:
    from kg.incremental import query_patterns, touches

    graph = {
        ("id:tenure", _RDF_TYPE, _KG + "Tenure"),
        ("id:tenure", "http://www.w3.org/ns/org#member", "id:holder"),
        ("id:tenure", _KG + "post", "id:post"),
        ("id:meeting", _RDF_TYPE, _KG + "Meeting"),
    }

    def has(s: str | None, p: str, o: str | None) -> bool:
        return any(
            (s is None or s == gs) and p == gp and (o is None or o == go) for gs, gp, go in graph
        )

    bgps = query_patterns(_TENURES)
    assert bgps, "no patterns read"
    assert touches(bgps, changed, has) is touched
    # A pattern of any predicate matches any change.
    anything = query_patterns("SELECT * WHERE { ?s ?p ?o }")
    assert anything is not None
    assert touches(anything, [("id:tenure", _KG + "other", None)], has)


def _owner(data: Path, rid: str) -> int:
    """The facts file (its number) that defines the record rid."""
    return next(n for n in range(4) if f"  - id: {rid}\n" in _facts(data, n).read_text())


@pytest.mark.slow
def test_kept_checks_and_the_patched_store_equal_full_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What an incremental build keeps of the unchanged files (their checks, by their
    bytes; the live store, patched) gives what a full build gives: a reference that an
    edit to another file breaks fails the same way; a person renamed is shown anew in the
    roles of files whose bytes did not change; a post moved to another organization
    changes what the rules infer (the store is then built as before); a warning of an
    unchanged file is said again."""
    import re

    monkeypatch.setattr("kg.build.PYSHACL_LIMIT", 0)  # validated as a large graph is
    monkeypatch.setattr("kg.patch.PATCH_FROM", 0)  # and the live store patched
    data = _synthetic(tmp_path)
    _with_a_warning_in(data)
    builds = Builds(data)
    first = builds.both()
    assert "warning: source file lost.txt not found" in first.stderr, first.stderr

    # A value edited: the other files' checks kept, the live store patched.
    rid, _ = _meeting(data, 1)
    _edit_record(data, 1, rid, f"    name: Meeting {rid[8:]}\n", f"    name: Meeting {rid[8:]}x\n")
    inc = builds.both()
    assert _reused(inc) == (3, 3), inc.stdout
    assert "patched a copy of the live store (1 triples out, 1 in)" in inc.stdout, inc.stdout
    assert "warning: source file lost.txt not found" in inc.stderr, inc.stderr

    # A person that roles and meetings in other files name, deleted: their files' kept
    # checks no longer hold, and the build fails as a full build does.
    person = re.search(r"holder: (person-\d+)", _facts(data, 1).read_text())
    assert person, "no role in file 1"
    home = _owner(data, person[1])
    good = _facts(data, home).read_text()
    _cut(_facts(data, home), person[1])
    inc, full = builds.incremental(), builds.full()
    assert inc.exit_code == full.exit_code == 1, inc.output + full.output
    assert f"unknown person '{person[1]}' in 'holder'" in inc.stderr, inc.stderr
    assert inc.stderr.replace("/inc/", "/full/") == re.sub(r"/full-\d+/", "/full/", full.stderr), (
        inc.stderr
    )

    # Back, and renamed: the roles' labels (in files whose bytes are the same) change.
    _facts(data, home).write_text(good)
    name = re.search(rf"  - id: {person[1]}\n    name: (\"?)([^\n\"]+)", good)
    assert name, good[:200]
    _edit(_facts(data, home), f"name: {name[1]}{name[2]}", f"name: {name[1]}Renamed {name[2]}")
    inc = builds.both()
    assert f"Renamed {name[2]} — " in (data / "inc" / "kg.ttl").read_text(encoding="utf-8")

    # A post of another organization: org-shortcuts infers another membership.
    post = re.search(r"post: (minister-\d+-\d+)", _facts(data, 1).read_text())
    assert post, "no tenure in file 1"
    org = re.search(
        rf"  - id: {post[1]}\n    name: [^\n]*\n    organization: (ministry-\d+-\d+)",
        _all(data),
    )
    assert org, post[1]
    other = "ministry-0-1" if org[1] != "ministry-0-1" else "ministry-0-2"
    path = _facts(data, _owner(data, post[1]))
    old = path.read_text()
    start = old.index(f"  - id: {post[1]}\n")
    path.write_text(
        old[:start] + old[start:].replace(f"organization: {org[1]}", f"organization: {other}", 1)
    )
    inc = builds.both()
    assert "patched a copy of the live store" not in inc.stdout, inc.stdout


def _with_a_warning_in(data: Path) -> None:
    """A second source whose text is not in the sources folder (file 0 says it), which a
    person of file 3 cites."""
    _edit(
        _facts(data, 0),
        "    file: synthetic.txt\n",
        "    file: synthetic.txt\n  - id: lost\n    title: Lost\n    file: lost.txt\n",
    )
    _edit(
        _facts(data, 3),
        "people:\n",
        "people:\n  - id: person-cited\n    name: Cited Person\n"
        "    evidence: [{source: lost, line: 3}]\n",
    )


_MORE = """source: mini
roles:
  - id: aminian-fm
    holder: bahadur-aminian
    post: foreign-minister
    successor_of: muttaqi-fm
    attested: [2023-01-05]
    evidence: 1
"""


def test_a_kept_check_fails_when_another_file_breaks_what_it_read(
    mini: Path, build_mini: BuildRunner
) -> None:
    """more.yaml's bytes never change, but what its check read of mini.yaml does: the id
    it names is renamed, then the tenure it succeeds moves to another post. Its kept check
    no longer holds, and the build fails with a full build's errors, at more.yaml."""
    import re

    from tests.conftest import run_build

    (mini / "facts" / "more.yaml").write_text(_MORE, encoding="utf-8")
    assert build_mini().exit_code == 0
    good = (mini / "facts" / "mini.yaml").read_text(encoding="utf-8")
    post = "  - id: deputy\n    name: Deputy\n    organization: taliban\n    evidence: 1\n"
    for broken, said in [
        (good.replace("bahadur-aminian", "bahadur"), "unknown person 'bahadur-aminian'"),
        (
            good.replace("posts:\n", "posts:\n" + post).replace(
                "    post: foreign-minister\n", "    post: deputy\n"
            ),
            "'successor_of' names 'muttaqi-fm', whose post is 'deputy'",
        ),
    ]:
        (mini / "facts" / "mini.yaml").write_text(broken, encoding="utf-8")
        inc = build_mini("--timings")
        full = run_build(mini, mini / "build-full", "--full")
        assert inc.exit_code == full.exit_code == 1, inc.output
        assert re.search(rf"more\.yaml:\d+: {re.escape(said)}", inc.stderr), inc.stderr
        assert inc.stderr.replace("/build/", "/") == full.stderr.replace("/build-full/", "/")
    (mini / "facts" / "mini.yaml").write_text(good, encoding="utf-8")
    again = build_mini("--timings")
    assert "unchanged build" in again.stdout, again.stdout


def test_no_aggregate_search_key_or_shape_reads_where_a_record_is_written() -> None:
    """kg:recordFile and kg:recordLine (kg.patch.POSITION) may change for hundreds of
    records when one is added, deleted or moved; an incremental build asks the sidecars
    and the search keys nothing about records of which only these changed. That holds
    while no pattern of their queries may match such a triple (a literal object): the one
    that may, events-involving's `?event ?p ?entity`, gives rows whose literal ?entity the
    hub index never reads (kg.incremental.patch_sidecars)."""
    from kg.build import _aggregate_queries
    from kg.incremental import query_patterns, touches
    from kg.patch import POSITION
    from kg.query import load_query
    from kg.searchkeys import _NAMES

    def anything(s: str | None, p: str, o: str | None) -> bool:
        return True  # whatever else a pattern asks of the node may hold

    moved = [("https://example.org/id/meeting-1", p, None) for p in sorted(POSITION)]
    texts = {name: load_query(name).text for name in _aggregate_queries()}
    texts["search keys"] = _NAMES
    may = set()
    for name, text in texts.items():
        bgps = query_patterns(text)
        assert bgps is not None, name
        if touches(bgps, moved, anything):
            may.add(name)
    assert may == {"events-involving"}
    # Nor does a shape (validation then leaves such records out of the nodes it asks about).
    from rdflib import Graph

    from kg.build import _checks_read
    from kg.locations import ontology_dir

    shapes = Graph().parse(ontology_dir() / "shapes.ttl")
    assert not _checks_read(shapes, POSITION)
    assert _checks_read(shapes, frozenset({"https://w3id.org/kg/ont#side"}))
    # (A pattern naming kg:recordLine would be found: the check is not blind to them.)
    named = query_patterns(
        "PREFIX kg: <https://w3id.org/kg/ont#> SELECT * WHERE { ?e a kg:Meeting ; kg:recordLine ?l }"
    )
    assert named is not None and touches(named, moved, anything)


@pytest.mark.slow
def test_records_that_only_move_patch_the_live_store_and_equal_full_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines added at the top of a file (every later record moves down: more records than
    ON_DISK_LIMIT) and a record moved to another file change only where records are
    written: the live store is patched, every aggregate and sidecar kept. A meeting added
    at the top of a file changes the aggregates too: built in memory. Each time the same
    bytes as a full build."""
    import re

    monkeypatch.setattr("kg.build.PYSHACL_LIMIT", 0)
    monkeypatch.setattr("kg.patch.PATCH_FROM", 0)
    monkeypatch.setattr("kg.patch.ON_DISK_LIMIT", 4)
    data = _synthetic(tmp_path)
    builds = Builds(data)
    builds.both()

    def changed_subjects(result: Result) -> int:
        m = re.search(r"rewrote the Turtle and the store of (\d+) subjects", result.stdout)
        assert m, result.stdout
        return int(m[1])

    # Comment lines at the top of a file's events: its later records move down two lines.
    _edit(_facts(data, 3), "events:\n", "events:\n  # checked by hand\n  # twice\n")
    inc = builds.both()
    assert "patched a copy of the live store" in inc.stdout, inc.stdout
    assert changed_subjects(inc) > 4
    assert "validated 0 nodes for the 1 predicates that changed" in inc.stdout, inc.stdout
    assert "kept actors, hub-lists, hubs sidecars" in inc.stdout, inc.stdout
    assert re.search(r"reused \d+ of the aggregates and indexes: \[.*'stats-pairs'", inc.stdout)

    # A meeting moved to the top of another file's events.
    rid = _unreferenced_meeting(data, 0)
    moved = _cut(_facts(data, 0), rid)
    _edit(_facts(data, 2), "events:\n", "events:\n" + moved)
    inc = builds.both()
    assert "patched a copy of the live store" in inc.stdout, inc.stdout
    assert changed_subjects(inc) > 4
    turtle = (data / "inc" / "kg.ttl").read_text(encoding="utf-8")
    block = turtle[turtle.index(f"id:event\\/{rid} a ") :]
    assert 'kg:recordFile "synthetic-002.yaml"' in block[: block.index(" .\n")], block[:800]

    # A meeting added at the top of a file: the stats count it, so the graph is made in
    # memory (as many changed subjects).
    rid2, record = _meeting(data, 1)
    _edit(_facts(data, 1), "events:\n", "events:\n" + record.replace(rid2, "meeting-added"))
    inc = builds.both()
    assert "patched a copy of the live store" not in inc.stdout, inc.stdout
    assert "id:event\\/meeting-added a " in (data / "inc" / "kg.ttl").read_text(encoding="utf-8")

    # And deleted again.
    _cut(_facts(data, 1), "meeting-added")
    builds.both()
