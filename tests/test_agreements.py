"""kg agreements on the shipped graph: parties by role and the status an act had on a day,
asserted against the source lines they come from."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kg.cli import main
from tests.conftest import ok
from tests.test_cli_lookups import DOC, as_json

TREATY = "Helmand River Water Treaty"


@pytest.fixture(scope="module")
def kg(shipped_build: Path) -> Any:
    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["--store", str(shipped_build / "store"), *args])

    return run


def _agreements(kg: Any, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = as_json(kg("agreements", *args, "--format", "json"))
    return rows


def _one(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found = [r for r in rows if r["agreement"] == name]
    assert len(found) == 1, [r["agreement"] for r in rows]
    return found[0]


def test_treaty_before_its_reaffirmation_is_as_signed_in_1973(kg: Any) -> None:
    # Line 21: the 1973 treaty, reaffirmed on 2022-08-10. The day before, it stood as signed.
    row = _one(_agreements(kg, "--on", "2022-08-09"), TREATY)
    assert (row["status"], row["date"], row["event"], row["by"]) == ("signed", "1973", None, [])
    assert row["source"] == {"document": DOC, "line": 21}
    assert [c["status"] for c in row["history"]] == ["signed"]
    assert {p["actor"] for p in row["parties"]} == {"Afghanistan", "Iran"}


def test_treaty_on_its_reaffirmation_day(kg: Any) -> None:
    row = _one(_agreements(kg, "--on", "2022-08-10"), TREATY)
    assert (row["status"], row["date"]) == ("reaffirmed", "2022-08-10")
    assert row["by"] == ["Abdul Latif Mansoor"]  # the Taliban minister of energy and water
    assert row["event"].startswith("Mansoor and Mehrabian meet")
    assert row["event_iri"].endswith("/event/2022-08-10-helmand-treaty-meeting")
    assert [(c["status"], c["date"]) for c in row["history"]] == [
        ("signed", "1973"),
        ("reaffirmed", "2022-08-10"),
    ]
    # A month or a year counts from its first day: on 2022-08 the reaffirmation has happened.
    assert _one(_agreements(kg, "--on", "2022-08"), TREATY)["status"] == "reaffirmed"


def test_nothing_before_its_first_change(kg: Any) -> None:
    names = {r["agreement"] for r in _agreements(kg, "--on", "1972")}
    assert names == set(), names
    assert {r["agreement"] for r in _agreements(kg, "--on", "2022-05-12")} == {TREATY}


def test_status_is_the_status_on_that_day(kg: Any) -> None:
    signed = _agreements(kg, "--status", "signed", "--on", "2022-08-09")
    assert [r["agreement"] for r in signed] == [
        TREATY,
        "Contract to import 350,000 tons of Iranian oil",
    ]
    # Today the treaty stands reaffirmed, no longer as last signed.
    assert TREATY not in {r["agreement"] for r in _agreements(kg, "--status", "signed")}


def test_one_sided_pledge_has_its_pledger_and_no_invented_party(kg: Any) -> None:
    # Line 27: Iranian businessmen pledge USD 100 million; the line names nobody it is made to.
    row = _one(
        _agreements(kg, "--party", "Iranian businessmen"),
        "Iranian businessmen's USD 100 million investment pledge",
    )
    assert row["parties"] == [
        {
            "actor": "Iranian businessmen",
            "roles": ["pledger"],
            "actor_iri": "https://w3id.org/kg/id/org/iranian-businessmen",
        }
    ]
    assert (row["kind"], row["status"], row["date"]) == ("pledge", "pledged", "2022-12-13")
    assert row["source"]["line"] == 27


def test_free_economic_zone_proposal_has_proposer_and_addressee(kg: Any) -> None:
    # Line 28: Kazemi Qomi tells the Taliban minister Delawar that Iran wants the zone.
    row = _one(
        _agreements(kg, "--topic", "investment"), "Iranian proposal for a joint free economic zone"
    )
    roles = {p["actor"]: p["roles"] for p in row["parties"]}
    assert roles == {"Iran": ["proposer"], "Taliban": ["addressee"]}
    assert row["by"] == ["Hassan Kazemi Qomi"]
    assert (row["status"], row["date"], row["source"]["line"]) == ("proposed", "2023-02-14", 28)


def test_party_takes_parts_posts_and_what_it_governs(kg: Any) -> None:
    names = {r["agreement"] for r in _agreements(kg, "--party", "Taliban")}
    # The border deal's party is the Taliban's defence ministry; the treaty's, Afghanistan,
    # which the Taliban govern; the airport offer's addressee, a post of the Taliban.
    assert {
        "Iran–Taliban border security deal (May 2022)",
        TREATY,
        "Iranian offer to help rebuild the Nangarhar airport",
    } <= names
    assert "Iranian businessmen's USD 100 million investment pledge" not in names


def test_table_shows_roles_and_lines(kg: Any) -> None:
    out = ok(kg("agreements", "--on", "2022-08-10", "--topic", "water")).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["date", "status", "agreement", "parties", "(roles)", "by", "line"]
    row = lines[2].split()
    assert row[:2] == ["2022-08-10", "reaffirmed"] and row[-1] == "21", out
    for word in ("Afghanistan", "Iran", "(party)", "Mansoor"):
        assert word in out, out


def test_csv_is_flat(kg: Any) -> None:
    out = ok(kg("agreements", "--status", "pledged", "--format", "csv")).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["roles"] for r in rows] == [
        "Iran (pledger); Taliban (addressee)",
        "Iranian businessmen (pledger)",
    ]
    assert "history" not in rows[0] and "parties" not in rows[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--party", "Irann"], "error: no entity named 'Irann' (did you mean 'Iran'"),
        (["--status", "sined"], "error: no agreement status 'sined' (did you mean 'signed'?)"),
        (["--topic", "watr"], "error: no topic named 'watr' (did you mean 'Water'"),
    ],
)
def test_misspelt_names_give_one_line(kg: Any, args: list[str], message: str) -> None:
    result = kg("agreements", *args)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output


def test_party_index_answers_as_the_graph(shipped_build: Path) -> None:
    """`--party` orders and filters the party's acts from party-acts.json (kg.acts) and
    asks the graph for the page's only: the same rows, in the same order and pages, with the
    same totals, as the graph asked whole (a store without the file, as a server), for every
    actor, with and without --on, --status, --limit and --offset."""
    import datetime as dt

    from kg import lookups
    from kg.acts import party_page
    from kg.names import Entity, resolve
    from kg.store import EmbeddedStore

    store = EmbeddedStore.open(shipped_build / "store")
    bare = EmbeddedStore.in_memory(store._store)  # no sidecars: the graph is asked
    taliban = resolve(store, "Taliban").iri  # a party through its ministries only
    assert party_page(bare, taliban, "9999-12-31", None) is None
    found = party_page(store, taliban, "9999-12-31", None)
    assert found is not None
    expected = [r["agreement_iri"] for r in lookups.agreements(bare, party=Entity(taliban, ""))]
    assert expected and ([a.value for a in found[0]], found[1]) == (expected, len(expected))
    actors = sorted({r["actor_iri"] for a in lookups.agreements(store) for r in a["parties"]})
    actors += sorted({r["agreement_iri"] for r in lookups.agreements(store)})[:1]  # no party
    assert len(actors) > 5
    for iri in [*actors, taliban]:
        party = Entity(iri, iri, "")
        for on, status in ((None, None), (dt.date(2022, 8, 9), None), (None, "signed")):
            for offset, limit in ((0, None), (0, 1), (1, 2), (3, 0)):
                cut = {"offset": offset, "limit": limit}
                indexed = lookups.agreements(store, party=party, on=on, status=status, **cut)
                asked = lookups.agreements(bare, party=party, on=on, status=status, **cut)
                assert (indexed, indexed.total) == (asked, asked.total), (iri, on, status, cut)


def test_the_party_index_reads_the_queries_the_build_says(
    shipped_build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An incremental build keeps party-acts.json when no changed triple touches the queries
    kg.build.INDEX_QUERIES names for it: they must be every query kg.acts runs for it."""
    import kg.acts
    from kg.build import INDEX_QUERIES
    from kg.query import run as real
    from kg.store import EmbeddedStore

    asked: list[str] = []

    def run(store: Any, name: str, **params: object) -> Any:
        asked.append(name)
        return real(store, name, **params)

    monkeypatch.setattr(kg.acts, "run", run)
    store = EmbeddedStore.open(shipped_build / "store")
    assert kg.acts.party_index(EmbeddedStore.in_memory(store._store)) == (
        (shipped_build / "current" / "party-acts.json").read_bytes()
    )
    assert sorted(set(asked)) == sorted(INDEX_QUERIES[kg.acts.NAME])
