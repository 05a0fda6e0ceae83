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
    inside = as_json(
        kg("timeline", "--from", "2022-09-05", "--to", "2022-09-08", "--format", "json")
    )
    assert [(r["date"], r["event"]) for r in inside] == [("2022-09", visit)], inside
    later = as_json(
        kg("timeline", "--from", "2022-09-15", "--to", "2022-09-30", "--format", "json")
    )
    assert visit not in {r["event"] for r in later}, later
    # Line 13: the first engagements of "early October 2021" are not in late October.
    first = "First publicly announced Iran–Taliban diplomatic engagements"
    assert first in {
        r["event"] for r in as_json(kg("timeline", "--to", "2021-10-10", "--format", "json"))
    }
    late = as_json(kg("timeline", "--from", "2021-10-11", "--to", "2021-10-31", "--format", "json"))
    assert first not in {r["event"] for r in late}, late


# ---------------------------------------------------------------------------- office holders
OFFICE_HOLDER = {
    "rule": "office-holder",
    "premises": [{"document": DOC, "line": 19}, {"document": DOC, "line": 22}],
}


def _why(row: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"rule": w["rule"], "premises": w["premises"]} for w in row["because"]]


def test_an_office_resolves_to_its_presumed_holder_marked_inferred(kg: Any) -> None:
    # (the 2022-08-14 event is a message, not a meeting: --kind any lists every kind)
    # Line 22 names only "the Taliban's foreign minister" (2022-08-14); line 19 names
    # Muttaqi foreign minister on 2022-07-16, and no other holder is attested.
    rows = as_json(kg("who-met", "--kind", "any", "--person", "muttaqi", "--format", "json"))
    got = [(r["date"], r["a"], r["b"], r["status"]) for r in rows]
    assert got == [
        ("2022-07-16", "Amir Khan Muttaqi", "Bahadur Aminian", "stated"),
        ("2022-08-14", "Amir Khan Muttaqi", "Alireza Bikdeli", "inferred"),
    ], got
    assert rows[0]["because"] == []
    assert _why(rows[1]) == [OFFICE_HOLDER], rows[1]
    assert rows[1]["because"][0]["actor"] == "Amir Khan Muttaqi"
    table = kg("who-met", "--kind", "any", "--person", "muttaqi").output
    assert "Muttaqi *" in table and "* inferred by rule office-holder" in table, table
    assert f"{DOC}:19, {DOC}:22" in table.replace("\n", " "), table


def test_no_inferred_hides_the_presumed_holder(kg: Any) -> None:
    rows = as_json(
        kg("who-met", "--kind", "any", "--person", "muttaqi", "--no-inferred", "--format", "json")
    )
    assert [(r["date"], r["b"]) for r in rows] == [("2022-07-16", "Bahadur Aminian")], rows
    assert "*" not in kg("who-met", "--kind", "any", "--person", "muttaqi", "--no-inferred").output


def test_every_row_has_a_status_and_the_office_row_stays(kg: Any) -> None:
    rows = as_json(kg("who-met", "--kind", "any", "--format", "json"))
    assert rows and {r["status"] for r in rows} == {"stated", "inferred"}
    inferred = [(r["date"], r["a"], r["b"]) for r in rows if r["status"] == "inferred"]
    assert inferred == [("2022-08-14", "Alireza Bikdeli", "Amir Khan Muttaqi")], inferred
    assert all(r["because"] == [] for r in rows if r["status"] == "stated")
    # What the source says is still there: Bikdeli met the office.
    office = [r for r in rows if r["b"] == "Taliban Minister of Foreign Affairs"]
    assert [(r["date"], r["status"]) for r in office] == [("2022-08-14", "stated")], office
    stated = as_json(kg("who-met", "--kind", "any", "--no-inferred", "--format", "json"))
    assert stated == [r for r in rows if r["status"] == "stated"]
    # The index pages the same rows either way.
    for flags in ((), ("--no-inferred",)):
        whole = as_json(kg("who-met", "--kind", "any", *flags, "--format", "json"))
        pages = [
            as_json(
                kg(
                    "who-met",
                    "--kind",
                    "any",
                    *flags,
                    "--limit",
                    "5",
                    "--offset",
                    str(i),
                    "--format",
                    "json",
                )
            )
            for i in range(0, len(whole), 5)
        ]
        assert [r for p in pages for r in p] == whole


def test_other_offices_in_events_have_no_attested_holder(kg: Any) -> None:
    # Lines 18 and 25 name offices only (the deputy ministers of technical affairs and of
    # public works, the governor of Nangarhar): no holder is attested, nothing is inferred.
    for office in (
        "nangarhar-governor",
        "taliban-deputy-minister-technical-affairs",
        "iran-deputy-minister-public-works",
    ):
        rows = as_json(kg("who-met", "--kind", "any", "--person", office, "--format", "json"))
        assert rows and all(r["status"] == "stated" for r in rows), rows


# ---------------------------------------------------------------------------- roles over time
def _roles(kg: Any, *args: str) -> list[dict[str, Any]]:
    return as_json(kg("roles", *args, "--format", "json"))  # type: ignore[no-any-return]


def test_succession_bounds_aminian_by_kazemi_qomi(kg: Any) -> None:
    # Lines 19, 23, 24: Aminian ambassador July-August 2022; line 28: Kazemi Qomi "by this
    # point Iran's new ambassador" on 2023-02-14. The rule succession bounds both tenures.
    rows = {r["person"]: r for r in _roles(kg, "--post", "Iranian Ambassador to")}
    aminian, qomi = rows["Bahadur Aminian"], rows["Hassan Kazemi Qomi"]
    assert (aminian["attested"], aminian["not_after"]) == (
        ["2022-07-16", "2022-08-20"],
        "2023-02-14",
    ), aminian
    assert (aminian["end"], aminian["status"], aminian["held"]) == (None, "stated", None)
    assert [w["rule"] for w in aminian["because"]] == ["succession"], aminian
    lines = [c["line"] for c in aminian["because"][0]["premises"]]
    assert lines == [19, 23, 24, 28], lines
    assert qomi["not_before"] == "2022-08-20" and "(inferred)" in qomi["when"], qomi


def test_between_aminian_and_kazemi_qomi_either_may_hold_the_post(kg: Any) -> None:
    # The weaker reading: after Aminian's last attestation (2022-08-20) and before Kazemi
    # Qomi's first (2023-02-14) the change fell on a day the source does not give, so
    # neither is presumed: both are listed as possibly holding it, marked inferred.
    rows = _roles(kg, "--post", "Iranian Ambassador to", "--on", "2022-11-01")
    got = [(r["person"], r["held"], r["status"]) for r in rows]
    assert got == [
        ("Bahadur Aminian", "possibly", "inferred"),
        ("Hassan Kazemi Qomi", "possibly", "inferred"),
    ], got
    table = kg("roles", "--post", "Iranian Ambassador to", "--on", "2022-11-01").output
    body, _, notes = table.partition("\n\n")
    assert body.count("*") == 2 and "* inferred by rule succession" in notes, table
    # On a day of their own dates, each holds it as stated; after the bound, Aminian not.
    on = _roles(kg, "--post", "Iranian Ambassador to", "--on", "2022-08-20")
    assert [(r["person"], r["held"], r["status"]) for r in on] == [
        ("Bahadur Aminian", "yes", "stated"),
        ("Hassan Kazemi Qomi", "possibly", "inferred"),  # no earlier than that day
    ], on
    # The bounds are inclusive: the change may have fallen on either attested day itself.
    later = _roles(kg, "--post", "Iranian Ambassador to", "--on", "2023-02-14")
    assert [(r["person"], r["held"]) for r in later] == [
        ("Bahadur Aminian", "possibly"),
        ("Hassan Kazemi Qomi", "yes"),
    ], later
    assert _roles(kg, "Aminian", "--on", "2023-02-15") == []


def test_roles_on_the_day_an_event_names_the_office(kg: Any) -> None:
    # Muttaqi is presumed foreign minister on 2022-08-14 (the visa talk names the office,
    # line 22); on a day no event needs it, nothing is presumed (his role is attested once).
    rows = _roles(kg, "--post", "Taliban Minister of Foreign", "--on", "2022-08-14")
    assert [(r["person"], r["held"], r["status"]) for r in rows] == [
        ("Amir Khan Muttaqi", "presumed", "inferred")
    ], rows
    assert [{"rule": w["rule"], "premises": w["premises"]} for w in rows[0]["because"]] == [
        OFFICE_HOLDER
    ]
    assert _roles(kg, "--post", "Taliban Minister of Foreign", "--on", "2022-09-15") == []


# ---------------------------------------------------------------------------- the rule's limits
OFFICE_EVENT = """source: mini
events:
  - id: office-talk
    type: meeting
    name: Aminian meets the foreign minister
    date: 2022-09-01
    sides:
      iran: [bahadur-aminian]
      taliban: [foreign-minister]
    evidence: 2
"""


LATER_HOLDER = (
    "  - {id: aminian-fm, holder: bahadur-aminian, post: foreign-minister,"
    " attested: [2022-10-01], evidence: 1}\n"
)


@pytest.mark.parametrize(
    ("later", "bounded", "presumed"),
    [
        ("", False, True),  # only Muttaqi attested (2022-07-16): presumed on 2022-09-01
        (LATER_HOLDER, False, False),  # another holder attested after: a change between
        ("", True, False),  # Muttaqi's tenure ended by 2022-08: a change is reported
    ],
    ids=["alone", "later-holder", "bounded"],
)
def test_office_holder_is_presumed_only_without_a_change(
    build_mini: Any, mini: Path, later: str, bounded: bool, presumed: bool
) -> None:
    facts = mini / "facts" / "mini.yaml"
    text = facts.read_text().replace("\nroles:\n", "\nroles:\n" + later, 1)
    if bounded:
        old = "    attested: [2022-07-16]\n"
        text = text.replace(old, old + "    not_after: 2022-08\n", 1)
    facts.write_text(text)
    (mini / "facts" / "office.yaml").write_text(OFFICE_EVENT)
    result = build_mini()
    assert result.exit_code == 0, result.output
    store = ["--store", str(mini / "build" / "store")]
    who = CliRunner().invoke(main, [*store, "who-met", "-p", "muttaqi", "--format", "json"])
    got = [(r["date"], r["status"]) for r in as_json(who) if r["date"] == "2022-09-01"]
    assert got == ([("2022-09-01", "inferred")] if presumed else []), who.output
