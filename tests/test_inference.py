"""What kg infers, and how it says so; and the dates and bounds of time it reasons with.

Tests from the source: each asserts what a user sees on the shipped graph.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kg.cli import main
from kg.facts.dates import parse_date

DOC = "000_278ee63bc767467f.txt"


@pytest.fixture(scope="module")
def kg(shipped_build: Path) -> Any:
    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["--store", str(shipped_build / "store"), *args])

    return run


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ---------------------------------------------------------------------------- early, mid, late
@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("early 2022-09", "2022-09-01", "2022-09-10"),
        ("mid 2022-09", "2022-09-11", "2022-09-20"),
        ("late 2022-09", "2022-09-21", "2022-09-30"),
        ("late 2024-02", "2024-02-21", "2024-02-29"),
    ],
)
def test_part_of_a_month_narrows_its_days_not_its_precision(
    text: str, first: str, last: str
) -> None:
    date = parse_date(text)
    assert (date.earliest.isoformat(), date.latest.isoformat()) == (first, last), date
    assert (date.text, date.xsd) == (text.split()[1], "gYearMonth"), date


@pytest.mark.parametrize("text", ["early 2022", "late 2022-09-01", "earlyish 2022-09"])
def test_part_of_a_month_takes_a_month(text: str) -> None:
    with pytest.raises(ValueError, match="bad date"):
        parse_date(text)


def test_early_september_visit_falls_in_the_first_ten_days(kg: Any) -> None:
    # Line 23: Ebad visits Iran "in early September" (2022): days 1-10, shown as the month.
    visit = "Qalandar Ebad visits Iran to study its health system"
    inside = as_json(kg("timeline", "--from", "2022-09-05", "--to", "2022-09-08", "--format", "json"))
    assert [(r["date"], r["event"]) for r in inside] == [("2022-09", visit)], inside
    later = as_json(kg("timeline", "--from", "2022-09-15", "--to", "2022-09-30", "--format", "json"))
    assert visit not in {r["event"] for r in later}, later
    # Line 13: the first engagements of "early October 2021" are not in late October.
    first = "First publicly announced Iran–Taliban diplomatic engagements"
    assert first in {r["event"] for r in as_json(kg("timeline", "--to", "2021-10-10", "--format", "json"))}
    late = as_json(kg("timeline", "--from", "2021-10-11", "--to", "2021-10-31", "--format", "json"))
    assert first not in {r["event"] for r in late}, late
