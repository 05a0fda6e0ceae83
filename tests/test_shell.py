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

DOC = "000_278ee63bc767467f.txt"


@pytest.fixture(scope="module")
def kg(shipped_build: Path) -> Any:
    def run(*args: str, input: str | None = None, columns: int = 80) -> Result:
        return CliRunner(env={"COLUMNS": str(columns)}).invoke(
            main, ["--store", str(shipped_build / "store"), *args], input=input
        )

    return run


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


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
