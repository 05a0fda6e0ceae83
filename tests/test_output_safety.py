"""Hostile text in facts or answers stays text: CSV cells, terminals, XML, fuzzy lookups.

OWASP's "CSV Injection" page names the cell starts a spreadsheet runs as a formula:
= + - @ tab and CR. Every CSV path (lookups, `kg query`, `kg export`, the server's CSV and
TSV) prefixes such a cell with `'`; JSON keeps the exact value.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.text import csv_safe
from tests.conftest import MINI
from tests.servers import start_kg_serve, stop

# The names a hostile source could give, and where the mini facts take them.
FORMULAS = {
    "name: Bahadur Aminian": '=HYPERLINK("http://evil.example/","x")',
    "name: A meeting": "@SUM(1+1)*cmd|' /C calc'!A0",
    "name: Iran": "+1",
    "name: Taliban\n": "-2+3",
}
# Cells a query can produce that facts cannot (the build strips leading blanks).
QUERY_CELLS = ["\t=1+1", "\r=1+1", '=HYPERLINK("http://evil.example/")', "+1", "-2+3", "@SUM"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini dataset with formula-like names, built; return its folder."""
    dest = tmp_path_factory.mktemp("hostile") / "mini"
    shutil.copytree(MINI, dest)
    facts = dest / "facts" / "mini.yaml"
    text = facts.read_text(encoding="utf-8")
    for where, value in FORMULAS.items():
        assert where in text, where
        key = where.split(":")[0]
        text = text.replace(
            where, f"{key}: {json.dumps(value)}" + ("\n" if where.endswith("\n") else "")
        )
    facts.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            "build",
            "--facts",
            str(dest / "facts"),
            "--out",
            str(dest / "build"),
            "--sources",
            str(dest / "sources"),
        ],
    )
    assert result.exit_code == 0, result.output
    return dest


def _kg(hostile: Path, *args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(
        main, ["--store", str(hostile / "build" / "store"), *args], input=input
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def _risky(cells: list[str]) -> list[str]:
    return [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_csv_safe() -> None:
    cases = {**{v: "'" + v for v in [*FORMULAS.values(), *QUERY_CELLS]}, "a=b": "a=b", "": ""}
    got = {v: csv_safe(v) for v in cases}
    assert got == cases, got


def test_lookup_csv_is_neutralised_and_json_exact(hostile: Path) -> None:
    rows = list(csv.reader(io.StringIO(_kg(hostile, "who-met", "--format", "csv"))))
    cells = [c for r in rows for c in r]
    assert len(rows) == 2 and not _risky(cells), rows
    for value in (
        '=HYPERLINK("http://evil.example/","x")',
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "+1",
        "-2+3",
    ):
        assert "'" + value in cells, (value, rows)
    data = json.loads(_kg(hostile, "who-met", "--format", "json"))
    assert data[0]["a"] == '=HYPERLINK("http://evil.example/","x")', data
    assert data[0]["event"] == "@SUM(1+1)*cmd|' /C calc'!A0", data


# JSON string escapes (\t, \r, \") are SPARQL string escapes too.
_LITERALS = " ".join(json.dumps(v) for v in QUERY_CELLS)
SELECT_CELLS = f"SELECT ?x WHERE {{ VALUES ?x {{ {_LITERALS} }} }} ORDER BY ?x"


def test_query_csv_is_neutralised(hostile: Path) -> None:
    rows = list(
        csv.reader(io.StringIO(_kg(hostile, "query", "--format", "csv", "-", input=SELECT_CELLS)))
    )
    assert rows[0] == ["x"], rows
    assert sorted(r[0] for r in rows[1:]) == sorted("'" + v for v in QUERY_CELLS), rows
    data = json.loads(_kg(hostile, "query", "--format", "json", "-", input=SELECT_CELLS))
    got = sorted(b["x"]["value"] for b in data["results"]["bindings"])
    assert got == sorted(QUERY_CELLS), got


def test_export_csv_is_neutralised(hostile: Path, tmp_path: Path) -> None:
    _kg(hostile, "export", "--format", "csv", "-o", str(tmp_path / "csv"))
    files = sorted((tmp_path / "csv").glob("*.csv"))
    assert files
    cells = [c for f in files for r in csv.reader(f.open(encoding="utf-8")) for c in r]
    assert not _risky(cells), _risky(cells)
    assert "'+1" in cells and "'-2+3" in cells, cells


@pytest.fixture(scope="module")
def hostile_server(hostile: Path) -> Iterator[str]:
    url, proc = start_kg_serve(hostile / "build" / "store", timeout=5, max_results=500)
    try:
        yield url
    finally:
        stop(proc)


@pytest.mark.parametrize("media", ["text/csv", "text/tab-separated-values"])
def test_server_csv_and_tsv_are_neutralised(hostile_server: str, media: str) -> None:
    query = SELECT_CELLS.replace("?x {", "?x { -2 ")
    req = urllib.request.Request(
        hostile_server + "/sparql",
        data=query.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": media},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        body = resp.read()
    if media == "text/csv":
        rows = list(csv.reader(io.StringIO(body.decode(), newline="")))
        cells = [r[0] for r in rows[1:]]
        assert sorted(cells) == sorted("'" + v for v in [*QUERY_CELLS, "-2"]), rows
        return
    # TSV cells are RDF terms: the quote goes inside the literal, which stays parseable.
    parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV)
    got = sorted(s["x"].value for s in parsed)
    assert got == sorted("'" + v for v in [*QUERY_CELLS, "-2"]), got
    lines = body.decode().splitlines()[1:]
    assert not [c for c in lines if c.strip('"')[:1] in ("=", "+", "-", "@", "\t", "\r")], lines
