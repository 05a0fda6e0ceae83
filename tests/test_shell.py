"""Shell conventions (issue 15): tables, one-table CSV, not-found messages, completion,
--version, query JSON order, date parameters, and progress on a terminal."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kg.cli import main
from kg.text import cell
from tests.conftest import ok

DOC = "000_278ee63bc767467f.txt"


@pytest.fixture(scope="module")
def kg(shipped_build: Path) -> Any:
    def run(*args: str, input: str | None = None, columns: int = 80) -> Result:
        return CliRunner(env={"COLUMNS": str(columns)}).invoke(
            main, ["--store", str(shipped_build / "store"), *args], input=input
        )

    return run


def words(text: str) -> list[str]:
    return text.split()


# ---------------------------------------------------------------------------- tables
def test_tables_wrap_between_words(kg: Any) -> None:
    """who-met at 80 columns broke 'Iran–Taliban' and 'trafficking' inside the word."""
    table = ok(kg("who-met")).stdout
    assert max(len(line) for line in table.splitlines()) <= 80, table
    tokens = set(words(table))
    assert "Iran–Taliban" in tokens and "trafficking," in tokens, table
    # With room for every word, none is split: each word of each cell is whole.
    rows = json.loads(ok(kg("who-met", "--format", "json")).stdout)
    wide = ok(kg("who-met", columns=120)).stdout
    assert max(len(line) for line in wide.splitlines()) <= 120, wide
    tokens = set(words(wide))
    cut = {
        w for r in rows for k in ("a", "b", "event", "topics") for w in words(cell(r[k]))
    } - tokens
    assert cut == set(), cut


def test_a_word_too_long_for_any_column_is_split_not_overflowing(kg: Any) -> None:
    q = "SELECT ?a ?b ?c WHERE { ?a kg:participant ?b . ?b ?p ?c } LIMIT 3"
    table = ok(kg("query", "-", input=q, columns=60)).stdout
    assert max(len(line) for line in table.splitlines()) <= 60, table


def test_tables_end_with_the_row_count(kg: Any) -> None:
    rows = json.loads(ok(kg("who-met", "--format", "json")).stdout)
    table = ok(kg("who-met")).stdout
    assert table.splitlines()[-1] == f"{len(rows)} rows; line numbers refer to {DOC}", table
    # A page says which rows of the answer it shows, as the note on stderr does.
    paged = ok(kg("who-met", "--limit", "3", "--offset", "2"))
    assert paged.stdout.splitlines()[-1] == f"rows 3–5 of {len(rows)}; line numbers refer to {DOC}"
    assert f"note: showing rows 3–5 of {len(rows)}; use --offset 5 for more" in paged.stderr
    assert ok(kg("rank", "--limit", "1")).stdout.splitlines()[-1] == "1 row"
    q = "SELECT ?p WHERE { ?p a kg:Person }"
    assert ok(kg("query", "-", input=q)).stdout.splitlines()[-1] == "14 rows"


# ---------------------------------------------------------------------------- one-table CSV
def read_csv(text: str) -> Any:
    import pandas as pd

    return pd.read_csv(io.StringIO(text))


@pytest.mark.parametrize(
    ("which", "columns", "key", "want"),
    [
        ("classes", ["class", "count"], ("class", "Person"), ("count", 14)),
        (
            "kinds",
            ["kind", "label", "counts_as_meeting", "events", "with_two_sides"],
            ("kind", "message"),
            ("events", 3),  # lines 22, 25, 28
        ),
        ("months", ["month", "count"], ("month", "2022-08"), ("count", 2)),  # lines 21, 23
        ("topics", ["topic", "count"], ("topic", "Energy"), ("count", 1)),
        ("pairs", ["a", "b", "count"], ("a", "Afghanistan"), ("count", 1)),
    ],
)
def test_stats_csv_is_one_table_pandas_reads(
    kg: Any, which: str, columns: list[str], key: tuple[str, str], want: tuple[str, int]
) -> None:
    """stats --format csv was five `# name` sections in one file: pandas could not read it."""
    df = read_csv(ok(kg("stats", "--table", which, "--format", "csv")).stdout)
    assert list(df.columns) == columns, df
    row = df[df[key[0]] == key[1]]
    assert row[want[0]].tolist() == [want[1]], df
    # The same table as json: its rows, as in the whole object.
    rows = json.loads(ok(kg("stats", "--table", which, "--format", "json")).stdout)
    assert len(rows) == len(df) and rows[0][columns[0]] == df[columns[0]][0]


def test_stats_csv_without_table_is_the_first_and_names_the_others(kg: Any) -> None:
    result = ok(kg("stats", "--format", "csv"))
    df = read_csv(result.stdout)
    assert list(df.columns) == ["class", "count"], df
    assert "note: csv holds one table, classes; --table kinds, months, topics, pairs" in (
        result.stderr
    )
    kinds = read_csv(ok(kg("stats", "--table", "kinds", "--format", "csv")).stdout)
    assert kinds["counts_as_meeting"].dtype == bool, kinds.dtypes
    assert sorted(kinds[kinds["counts_as_meeting"]]["kind"]) == [
        "dialogue",
        "engagement",
        "meeting",
        "signing",
        "visit",
    ]
    table = ok(kg("stats", "--table", "pairs")).stdout
    assert "Classes" not in table and table.splitlines()[-1] == "2 rows", table
    bad = kg("stats", "--table", "nope")
    assert bad.exit_code == 2 and "'classes', 'kinds', 'months', 'topics', 'pairs'" in bad.stderr


def test_engagement_csv_has_the_reported_figures(kg: Any) -> None:
    """engagement --format csv printed the curated counts only: the source's own figures
    (67 meetings; 4th of 58, line 13) were not in it at all."""
    df = read_csv(ok(kg("engagement", "--table", "reported", "--format", "csv")).stdout)
    assert {"statistic", "figure", "value", "rank", "out_of", "sources"} <= set(df.columns)
    meetings = df[df["statistic"] == "Iran–Taliban meetings reported up to March 2023"]
    assert meetings["value"].tolist() == [67], df
    rank = df[df["rank"].notna()]
    assert (rank["rank"].tolist(), rank["out_of"].tolist()) == ([4], [58]), df
    assert set(df["sources"]) == {f"{DOC}:13"}
    # Without --table: the curated counts, and a note naming the other tables.
    counts = ok(kg("engagement", "--by", "pair", "--format", "csv"))
    df = read_csv(counts.stdout)
    assert list(df.columns) == ["a", "b", "count"] and df["count"].sum() == 9, df
    assert "--table kinds, reported" in counts.stderr
    kinds = read_csv(ok(kg("engagement", "--table", "kinds", "--format", "csv")).stdout)
    assert kinds[kinds["kind"] == "message"]["count"].tolist() == [3]
    rows = json.loads(ok(kg("engagement", "--table", "reported", "--format", "json")).stdout)
    assert [r["value"] for r in rows if r["value"]] == ["67", "4"], rows


# ---------------------------------------------------------------------------- not found
def test_build_outside_the_project_names_the_path_and_the_fix(tmp_path: Path) -> None:
    """`kg build` from another folder said only 'facts: facts folder not found'."""
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path) as here:
        result = runner.invoke(main, ["build"])
    assert result.exit_code == 1, result.output
    assert (
        f"facts: facts folder not found (looked for {Path(here) / 'facts'}): run `kg build` in "
        "the folder that holds facts/ (cd into the project), or pass --facts DIR"
    ) in result.stderr, result.stderr
    (tmp_path / "file.yaml").write_text("a: 1\n")
    result = runner.invoke(main, ["build", "--facts", str(tmp_path / "file.yaml")])
    assert "file.yaml: is a file, not a facts folder" in result.stderr, result.stderr


def test_a_lookup_before_any_build_names_the_path_and_the_fix(tmp_path: Path) -> None:
    runner = CliRunner(env={"KG_STORE": None, "KG_ENDPOINT": None})
    with runner.isolated_filesystem(temp_dir=tmp_path) as here:
        result = runner.invoke(main, ["show", "muttaqi"])
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"error: no graph at {Path(here) / 'build' / 'store'}: run `kg build` first, in the "
        "folder that holds facts/ (lookups read build/store there; or cd into a built "
        "project), or pass --store DIR\n"
    ), result.stderr


def test_store_may_name_the_build_folder(shipped_build: Path) -> None:
    """--store build gave RocksDB's 'IO error: No such file or directory: …/CURRENT'."""
    for store in (shipped_build, shipped_build / "current", shipped_build / "store"):
        result = CliRunner().invoke(main, ["--store", str(store), "show", "muttaqi"])
        assert result.exit_code == 0, (store, result.output)
        assert result.stdout.startswith("Amir Khan Muttaqi  (Person)"), result.stdout


def test_a_folder_that_is_no_store_says_what_was_expected(tmp_path: Path) -> None:
    (tmp_path / "facts").mkdir()
    result = CliRunner().invoke(main, ["--store", str(tmp_path / "facts"), "who-met"])
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"error: {tmp_path / 'facts'} is not a kg store (no Oxigraph store there): pass --store "
        "the folder `kg build` wrote (build, or build/store), or run `kg build` first\n"
    ), result.stderr
    assert "RocksDB" not in result.stderr and "CURRENT" not in result.stderr


# ---------------------------------------------------------------------------- a graph without kg data
GRAPH = "https://example.org/kg-shell"


@pytest.fixture(scope="module")
def endpoint(oxigraph_server: str, shipped_build: Path) -> str:
    """An Oxigraph server holding the shipped graph in GRAPH only; its default graph empty."""
    url = f"{oxigraph_server}/query"
    result = CliRunner().invoke(
        main,
        ["push", "--endpoint", url, "--graph", GRAPH, "--turtle", str(shipped_build / "kg.ttl")],
    )
    assert result.exit_code == 0, result.output
    return url


def remote(url: str, graph: str | None, *args: str, input: str | None = None) -> Result:
    options = ["--endpoint", url] + (["--graph", graph] if graph else [])
    return CliRunner(env={"KG_GRAPH": None}).invoke(main, [*options, *args], input=input)


def test_an_empty_endpoint_says_it_holds_no_kg_data(oxigraph_server: str) -> None:
    """An endpoint holding nothing answered "no topic named 'energy'"."""
    url = f"{oxigraph_server}/query"
    for args in (["who-met", "--topic", "energy"], ["show", "muttaqi"], ["who-met"], ["stats"]):
        result = remote(url, None, *args)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr == (
            f"error: the graph at {url} (the default graph: no --graph given) holds no kg "
            "data: check KG_GRAPH / --graph names the graph `kg push --graph IRI` loaded, or "
            "load it with kg push\n"
        ), (args, result.stderr)


def test_a_wrong_or_missing_graph_says_so(endpoint: str) -> None:
    """With the data in a named graph, a missing or wrong KG_GRAPH gave "no topic named"."""
    wrong = remote(endpoint, "https://example.org/nope", "who-met", "--topic", "energy")
    assert wrong.exit_code == 1, wrong.output
    assert wrong.stderr.startswith(
        f"error: the graph at {endpoint} (graph <https://example.org/nope>) holds no kg data: "
        "check KG_GRAPH"
    ), wrong.stderr
    missing = remote(endpoint, None, "roles", "--on", "2022-08-20")
    assert missing.exit_code == 1 and "(the default graph: no --graph given)" in missing.stderr
    right = remote(endpoint, GRAPH, "who-met", "--topic", "energy", "--format", "json")
    assert right.exit_code == 0 and len(json.loads(right.stdout)) == 6, right.output
    # A name kg's graph does not hold is still that, not "no kg data".
    unknown = remote(endpoint, GRAPH, "show", "Nobody Atall")
    assert unknown.exit_code == 1 and "no entity named 'Nobody Atall'" in unknown.stderr
    empty = remote(endpoint, GRAPH, "who-met", "--from", "1900", "--to", "1901")
    assert empty.exit_code == 0 and "no meetings match" in empty.stdout, empty.output


def test_kg_query_on_a_graph_without_kg_data_notes_it(endpoint: str) -> None:
    """kg query may ask any graph: an empty answer there is a note, not an error."""
    q = "SELECT ?p WHERE { ?p a kg:Person }"
    result = remote(endpoint, None, "query", "-", input=q)
    assert result.exit_code == 0 and result.stdout == "(no rows)\n", result.output
    assert result.stderr.startswith(f"note: the graph at {endpoint} (the default graph"), (
        result.stderr
    )
    found = remote(endpoint, GRAPH, "query", "-", "--format", "csv", input=q)
    assert found.exit_code == 0 and found.stderr == "" and len(found.stdout.split()) == 15


def test_a_store_without_kg_data_says_so(tmp_path: Path) -> None:
    import pyoxigraph as ox

    store = ox.Store(str(tmp_path / "other"))
    store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.Literal("c")))
    store.flush()
    del store
    result = CliRunner().invoke(main, ["--store", str(tmp_path / "other"), "show", "Iran"])
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"error: the store at {tmp_path / 'other'} holds no kg data: build one with `kg build`\n"
    ), result.stderr


# ---------------------------------------------------------------------------- kg query --format json
def test_query_json_keeps_the_select_star_order(kg: Any) -> None:
    """SELECT *'s variables came out sorted by name in json (z after a) while the table and
    csv kept the query's order."""
    q = "SELECT * WHERE { ?zeta a kg:Person ; skos:prefLabel ?alpha } ORDER BY ?alpha LIMIT 2"
    data = json.loads(ok(kg("query", "-", "--format", "json", input=q)).stdout)
    assert data["head"]["vars"] == ["zeta", "alpha"], data
    assert [list(b) for b in data["results"]["bindings"]] == [["zeta", "alpha"]] * 2, data
    assert data["results"]["bindings"][0]["alpha"] == {
        "type": "literal",
        "value": "Abdul Baqi Haqqani",
        "xml:lang": "en",
    }
    csv_head = ok(kg("query", "-", "--format", "csv", input=q)).stdout.splitlines()[0]
    assert csv_head == "zeta,alpha"


# ---------------------------------------------------------------------------- --param dates
@pytest.mark.parametrize(
    ("value", "error"),
    [
        # Python's date.fromisoformat took these two as days: no reader means them so.
        ("20220101", "is not a day, YYYY-MM-DD (e.g. 2022-08-20)"),
        ("2022-W01-1", "is not a day, YYYY-MM-DD (e.g. 2022-08-20)"),
        ("2022-08", "is not a day, YYYY-MM-DD (e.g. 2022-08-20)"),
        ("2022-13-01", "is not a day, YYYY-MM-DD (month must be in 1..12)"),
        ("2022-02-30", "is not a day, YYYY-MM-DD (day is out of range for month)"),
    ],
)
def test_a_date_parameter_takes_a_day_only(kg: Any, value: str, error: str) -> None:
    result = kg("query", "who-met", "--param", f"from={value}")
    assert result.exit_code == 1, result.output
    assert result.stderr == f"error: who-met: from={value!r} {error}\n", result.stderr


def test_a_date_parameter_binds_a_day(kg: Any) -> None:
    rows = json.loads(
        ok(kg("query", "who-met", "--param", "from=2022-11-01", "--format", "json")).stdout
    )["results"]["bindings"]
    dates = {r["date"]["value"] for r in rows}
    assert "2022-11-15" in dates and min(dates) >= "2022-11", dates  # line 26 onwards


# ---------------------------------------------------------------------------- --version
def test_version_is_the_package_version() -> None:
    import tomllib

    import kg as package
    from tests.conftest import ROOT

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert package.__version__ == version
    for flag in ("--version", "-V"):
        result = CliRunner().invoke(main, [flag])
        assert result.exit_code == 0 and result.stdout == f"kg, version {version}\n", result.output


# ---------------------------------------------------------------------------- completion
def complete(words: str, shell: str = "bash", **env: str | None) -> Result:
    """What `kg` offers on Tab after `words`, through click's completion machinery."""
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    return CliRunner(env={"KG_STORE": None, "KG_ENDPOINT": None, **env}).invoke(
        main,
        [],
        prog_name="kg",
        env={
            "_KG_COMPLETE": f"{shell}_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(cword),
        },
    )


def offered(result: Result) -> list[str]:
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    return [line.split(",", 1)[1] for line in result.stdout.splitlines() if line]


def test_completion_offers_names_and_topics_from_the_store(shipped_build: Path) -> None:
    store = str(shipped_build / "store")
    names = offered(complete(f"kg --store {store} show mutt"))
    # A word of the name starts so: the person, and the event named after him (line 19).
    assert names == ["2022-07-16-muttaqi-aminian", "amir-khan-muttaqi"], names
    assert offered(complete(f"kg --store {store} who-met --topic ener")) == ["energy"]
    assert "amir-khan-muttaqi" in offered(complete("kg who-met --person ", KG_STORE=store))
    both = offered(complete(f"kg --store {store} path iran qat"))
    assert both[0] == "qatar", both  # its slug starts so: first
    assert "iran" in offered(complete(f"kg --store {store} agreements --party ira"))
    everything = offered(complete(f"kg --store {store} show "))
    assert len(everything) > 100 and "iran" in everything and "energy" not in everything
    # Named queries, without a store.
    assert offered(complete("kg query who-m")) == [
        "who-met", "who-met-counted", "who-met-events", "who-met-of", "who-met-parts",
        "who-met-side",
    ]  # fmt: skip
    # zsh shows each label beside its slug.
    zsh = complete(f"kg --store {store} show amir", shell="zsh").stdout.splitlines()
    assert zsh[:3] == ["plain", "amir-khan-muttaqi", "Amir Khan Muttaqi"], zsh
    # What is offered resolves to the entity it names.
    shown = CliRunner().invoke(main, ["--store", store, "show", "amir-khan-muttaqi"])
    assert shown.stdout.startswith("Amir Khan Muttaqi  (Person)"), shown.output


def test_completion_is_silent_without_a_build_or_with_an_endpoint(tmp_path: Path) -> None:
    assert offered(complete(f"kg --store {tmp_path / 'none'} show mutt")) == []
    assert offered(complete(f"kg --store {tmp_path} who-met --topic e")) == []
    # An endpoint is not asked on every Tab (it could be slow or far away).
    assert offered(complete("kg show mutt", KG_ENDPOINT="http://127.0.0.1:9/query")) == []


def test_the_readme_bash_line_completes_names(shipped_build: Path, tmp_path: Path) -> None:
    """The README's `eval "$(_KG_COMPLETE=bash_source kg)"`, in a real bash."""
    import os
    import shutil
    import subprocess
    import sys

    from tests.conftest import ROOT

    bash = shutil.which("bash")
    assert bash, "bash is needed for this test"
    exe = tmp_path / "bin" / "kg"
    exe.parent.mkdir()
    # This checkout's kg, whatever `kg` the machine has installed.
    exe.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m kg "$@"\n')
    exe.chmod(0o755)
    script = (
        'eval "$(_KG_COMPLETE=bash_source kg)"\n'
        "COMP_WORDS=(kg show kazemi); COMP_CWORD=2; _kg_completion kg\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {
        **os.environ,
        "PATH": f"{exe.parent}:{os.environ['PATH']}",
        "KG_STORE": str(shipped_build / "store"),
    }
    env.pop("KG_ENDPOINT", None)
    proc = subprocess.run(
        [bash, "--norc", "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "hassan-kazemi-qomi" in proc.stdout.splitlines(), proc.stdout


# ---------------------------------------------------------------------------- progress
class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_the_share_and_the_time_left_on_a_terminal() -> None:
    from kg.progress import Progress

    now = [100.0]
    term = FakeTerminal()
    bar = Progress(200, "[1M]", stream=term, clock=lambda: now[0])
    now[0] += 30
    bar.update(50, "build 1/3")
    assert bar.line() == "[1M] build 1/3   25%  0:30 elapsed, about 1:30 left", bar.line()
    now[0] += 30
    bar.update(150, "who-met")
    drawn = term.getvalue().split("\r")
    # Each redraw starts at the line's start and covers what the longer one before left.
    assert drawn == [
        "",
        "[1M] build 1/3   25%  0:30 elapsed, about 1:30 left",
        "[1M] who-met   75%  1:00 elapsed, about 0:20 left  ",
    ], drawn
    bar.close("done")
    assert term.getvalue().split("\r")[3:] == [" " * 49, "done\n"], repr(term.getvalue())
    # Piped (not a terminal): nothing at all.
    piped = io.StringIO()
    quiet = Progress(10, "x", stream=piped)
    quiet.update(5, "half")
    quiet.close("done")
    assert piped.getvalue() == ""


def run_in_pty(args: list[str], timeout: float = 600) -> tuple[int, str, str]:
    """Run a command with stderr on a pseudo-terminal; return its code, stdout, stderr."""
    import os
    import pty
    import subprocess

    from tests.conftest import ROOT

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        args,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=slave,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    os.close(slave)
    err = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the command closed the terminal (it exited)
            break
        if not chunk:
            break
        err += chunk
    out = proc.stdout.read().decode() if proc.stdout else ""
    proc.wait(timeout=timeout)
    os.close(master)
    return proc.returncode, out, err.decode("utf-8", "replace")


def test_push_shows_progress_on_a_terminal_only(oxigraph_server: str, shipped_build: Path) -> None:
    import subprocess
    import sys

    args = [
        sys.executable,
        "-m",
        "kg",
        "push",
        "--endpoint",
        f"{oxigraph_server}/query",
        "--graph",
        "https://example.org/progress",
        "--turtle",
        str(shipped_build / "kg.ttl"),
    ]
    code, out, err = run_in_pty(args)
    assert code == 0, err
    # What goes is N-Triples made from the Turtle (every server reads it alike): the bar
    # counts those bytes, all of them by the end, as the closing line says.
    sent = re.match(r"pushed (\d+) bytes of N-Triples", out)
    assert sent is not None, out
    size = int(sent[1])
    assert size > (shipped_build / "kg.ttl").stat().st_size
    kib = f"{size / 1024:.1f}"
    assert f"pushing kg.ttl (sent; the server is loading it)  {kib} of {kib} KiB" in err, err
    assert "100%" in err and "elapsed" in err, err
    piped = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert piped.returncode == 0 and piped.stderr == "", piped.stderr


@pytest.mark.slow
def test_scale_benchmark_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    """The README's scale command ran for half an hour without a word; piped, it stays
    quiet (tests/test_benchmarks.py)."""
    import sys

    code, out, err = run_in_pty(
        [
            sys.executable,
            "benchmarks/scale.py",
            "--sizes",
            "10k",
            "--runs",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0, err
    for text in (
        "scale.py [10k] generating facts",
        "scale.py [10k] kg build 1/1",
        "scale.py [10k] kg who-met --person 1/1",
        "scale.py [10k] plain rdflib baseline 1/1",
        "elapsed, about",
        "100%",
    ):
        assert text in err, (text, err)
    assert "| triples |" in out, out


def test_scale_benchmark_names_its_sizes() -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    proc = subprocess.run(
        [sys.executable, "benchmarks/scale.py", "--sizes", "2k"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2 and "unknown size '2k' (sizes: 10k, 100k, 1M, 5M)" in proc.stderr
