"""Nothing lost, nobody in: fuzzed facts, killed builds, hostile values, Unicode names.

The endpoint's load and abuse tests live in test_endpoint_load.py.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph

from kg.build import build, topic_slugs
from kg.cli import main
from kg.diagnostics import FactsError
from kg.facts.check import check_facts
from kg.facts.schema import load_schema
from kg.locations import ontology_dir
from kg.text import visible
from tests.conftest import MINI, ROOT, BuildRunner

MINI_TEXT = (MINI / "facts" / "mini.yaml").read_text(encoding="utf-8")
LINES = MINI_TEXT.splitlines(keepends=True)
TOPICS = topic_slugs(Graph().parse(ontology_dir() / "topics.ttl"))

# Values an analyst might paste from a hostile or messy source.
NASTY = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Co"]), max_size=12),
    st.sampled_from(
        [
            "\u202eevil\u202c",
            "Muttaqі",
            "متقی",
            "ملا",
            '" . } DROP ALL ;',
            "}",
            "#",
            "\n",
            "<img src=x onerror=alert(1)>",
            "2022-02-30",
            "2022-13",
            "-1",
            "0",
            "1e309",
            "[",
            "{",
            "*a",
            "&a",
            "!!python/object:os.system",
            "? x",
            "- - -",
            "\t",
            "~",
            "null",
            "x" * 100_000,
            "9" * 400,
            "yes",
            "2022-05-13T10:00:00",
        ]
    ),
)


@st.composite
def mutated_facts(draw: Any) -> str:
    """The mini dataset with one to three random edits, the way hand-typing breaks it."""
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(
            st.sampled_from(
                ["value", "insert", "delete", "duplicate", "indent", "truncate", "swap"]
            )
        )
        line = lines[i]
        if op == "value" and ":" in line:
            key = line.split(":", 1)[0]
            lines[i] = f"{key}: {draw(NASTY)}\n"
        elif op == "insert":
            lines.insert(i, draw(NASTY) + "\n")
        elif op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, line)
        elif op == "indent":
            lines[i] = " " * draw(st.integers(0, 9)) + line.lstrip(" ")
        elif op == "truncate":
            lines[i] = line[: draw(st.integers(0, len(line)))]
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


def _assert_clear(diags: list[Any]) -> None:
    assert diags, "a failed check must say why"
    for d in diags:
        assert d.file == "mini.yaml", d  # the only file there
        assert isinstance(d.line, int) and d.line >= 0, d
        assert d.message and "Traceback" not in d.message, d


@pytest.mark.slow
@settings(
    max_examples=2000, deadline=2000, suppress_health_check=list(HealthCheck), derandomize=True
)
@given(text=mutated_facts())
def test_fuzzed_facts_give_a_clear_error_or_a_valid_check(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        facts = Path(tmp) / "facts"
        facts.mkdir()
        (facts / "mini.yaml").write_text(text, encoding="utf-8")
        try:
            check_facts(facts, load_schema(), TOPICS, [MINI / "sources"])
        except FactsError as exc:
            _assert_clear(exc.diagnostics)


@pytest.mark.slow
@settings(
    max_examples=150, deadline=20_000, suppress_health_check=list(HealthCheck), derandomize=True
)
@given(text=mutated_facts())
def test_fuzzed_builds_fail_cleanly_and_keep_the_previous_build(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        facts, out = Path(tmp) / "facts", Path(tmp) / "build"
        facts.mkdir()
        (facts / "mini.yaml").write_text(MINI_TEXT, encoding="utf-8")
        build(facts, out, [MINI / "sources"])
        before = (out / "kg.ttl").read_bytes()
        (facts / "mini.yaml").write_text(text, encoding="utf-8")
        try:
            result = build(facts, out, [MINI / "sources"])
        except FactsError as exc:
            _assert_clear(exc.diagnostics)
            assert (out / "kg.ttl").read_bytes() == before
        else:
            assert result.triples > 0
        store = ox.Store.read_only(str(out / "store"))
        assert len(store) == len(Graph().parse(out / "kg.ttl"))


# ---------------------------------------------------------------------------- crash safety
def _synthetic(tmp: Path, triples: int) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate

    generate(triples, tmp)
    return tmp


def _build_cmd(data: Path, out: Path) -> list[str]:
    """The whole-process `kg build` of a synthetic dataset into out."""
    return [
        sys.executable,
        "-m",
        "kg",
        "build",
        "--facts",
        str(data / "facts"),
        "--out",
        str(out),
        "--sources",
        str(data / "sources"),
    ]


def _consistent(out: Path) -> bytes:
    """Assert build/ holds a readable kg.ttl and a store with the same triples; return kg.ttl."""
    ttl = (out / "kg.ttl").read_bytes()
    store = ox.Store.read_only(str(out / "store"))
    assert len(store) == len(list(ox.parse(ttl, format=ox.RdfFormat.TURTLE)))
    return ttl


@pytest.mark.slow
def test_killed_builds_leave_the_previous_build(tmp_path: Path) -> None:
    data = _synthetic(tmp_path / "data", 30_000)
    out = tmp_path / "build"
    cmd = _build_cmd(data, out)
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    old = _consistent(out)
    facts = data / "facts" / "synthetic.yaml"
    facts.write_text(facts.read_text().replace("name: Meeting 1\n", "name: Meeting one\n"))
    start = time.monotonic()
    subprocess.run(
        [*cmd, "--out", str(tmp_path / "reference")], check=True, capture_output=True, cwd=ROOT
    )
    duration = time.monotonic() - start
    new = (tmp_path / "reference" / "kg.ttl").read_bytes()
    assert new != old
    rnd = random.Random(7)
    outcomes = []
    for _ in range(12):
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0.05, duration * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = _consistent(out)
        assert now in (old, new)
        outcomes.append("new" if now == new else "old")
        if now == new:  # start again from the old facts' build for the next kill
            facts.write_text(facts.read_text().replace("name: Meeting one\n", "name: Meeting 1\n"))
            subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
            facts.write_text(facts.read_text().replace("name: Meeting 1\n", "name: Meeting one\n"))
            assert _consistent(out) == old
    assert "old" in outcomes, outcomes  # at least some kills landed mid-build
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    assert _consistent(out) == new and not list(out.glob(".staging-*"))


@pytest.mark.slow
def test_two_builds_at_once_do_not_corrupt_each_other(tmp_path: Path) -> None:
    data = _synthetic(tmp_path / "data", 20_000)
    out = tmp_path / "build"
    cmd = _build_cmd(data, out)
    procs = [
        subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = [(p.wait(), p.stderr.read().decode() if p.stderr else "") for p in procs]
    assert any(code == 0 for code, _ in results), results
    for code, err in results:
        assert code == 0 or (code == 1 and "another kg build is writing" in err), err
    _consistent(out)


# ---------------------------------------------------------------------------- hostile values
HOSTILE = [
    'x" } ; DROP ALL ; {',
    "}",
    "# comment",
    '" . } DROP ALL ;',
    "<https://w3id.org/kg/id/person/x>",
    "SELECT * WHERE { ?s ?p ?o }",
    "<img src=x onerror=alert(1)>",
    "\u202eevil",
    "line\\nbreak",
    "Muttaqі",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_fact_values_are_stored_and_shown_as_text(
    build_mini: BuildRunner, mini: Path, value: str
) -> None:
    quoted = json.dumps(value)  # a YAML double-quoted scalar
    facts = mini / "facts" / "mini.yaml"
    facts.write_text(
        facts.read_text()
        .replace(
            "    name: Bahadur Aminian\n",
            f"    name: {quoted}\n    aliases: [{quoted}]\n    note: {quoted}\n",
        )
        .replace("    name: A meeting\n", f"    name: {quoted}\n    outcome: {quoted}\n")
    )
    result = build_mini()
    assert result.exit_code == 0, result.output
    store = str(mini / "build" / "store")
    card = json.loads(
        CliRunner().invoke(main, ["--store", store, "show", "muttaqi", "--format", "json"]).stdout
    )
    assert card["label"] == "Amir Khan Muttaqi"
    rows = json.loads(
        CliRunner().invoke(main, ["--store", store, "who-met", "--format", "json"]).stdout
    )
    assert rows and rows[0]["event"] == value and value in (rows[0]["a"], rows[0]["b"])
    table = CliRunner().invoke(main, ["--store", store, "who-met"]).stdout
    # The table wraps long words and shows control characters as escapes (\u202e).
    assert visible(value).split()[0][:8] in table
    count = (
        CliRunner()
        .invoke(
            main,
            ["--store", store, "query", "-", "--format", "csv"],
            input="SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
        )
        .stdout
    )
    assert int(count.split()[-1]) == len(Graph().parse(mini / "build" / "kg.ttl"))


# ---------------------------------------------------------------------------- Unicode names
def test_persian_names_and_transliterations(
    build_mini: BuildRunner, mini: Path, tmp_path: Path, open_page: Any
) -> None:
    facts = mini / "facts" / "mini.yaml"
    facts.write_text(
        facts.read_text().replace(
            "    name: Amir Khan Muttaqi\n",
            "    name: Amir Khan Muttaqi\n    aliases: [Muttaki, Mottaki]\n"
            "    name_fa: امیرخان متقی\n    name_ps: امیر خان متقي\n",
        )
    )
    assert build_mini().exit_code == 0
    store = str(mini / "build" / "store")
    for typed in ("Muttaki", "mottaki", "امیرخان متقی", "متقی", "امیر خان متقي"):
        card = CliRunner().invoke(main, ["--store", store, "show", typed, "--format", "json"])
        assert card.exit_code == 0, (typed, card.output)
        assert json.loads(card.stdout)["label"] == "Amir Khan Muttaqi", typed
    card = json.loads(
        CliRunner().invoke(main, ["--store", store, "show", "Muttaki", "--format", "json"]).stdout
    )
    assert "امیرخان متقی" in card["aliases"]
    ttl = (mini / "build" / "kg.ttl").read_text(encoding="utf-8")
    assert '"امیرخان متقی"@fa' in ttl and '"امیر خان متقي"@ps' in ttl
    page = tmp_path / "fa.html"
    assert CliRunner().invoke(main, ["--store", store, "view", "-o", str(page)]).exit_code == 0
    opened = open_page(page)
    node = next(
        n
        for n in opened.page.evaluate("() => window.kgData.nodes")
        if n["label"] == "Amir Khan Muttaqi"
    )
    from tests.browser import click_node

    click_node(opened.page, node["id"])
    assert "امیرخان متقی" in opened.page.inner_text("#details")
    assert opened.console_errors == [] and opened.requests == []
