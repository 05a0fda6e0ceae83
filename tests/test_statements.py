"""Claims say how the source puts them, who asserts them and when they hold (source lines
cited in each test); only what the source states, for no limited time, is a plain fact."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import yaml
from click.testing import CliRunner

from kg.cli import main
from tests.conftest import FACTS, SHARED_SOURCES

KG = "https://w3id.org/kg/ont#"


@pytest.fixture(scope="module")
def kg(shipped_build: Path) -> Any:
    def run(*args: str, code: int = 0) -> Any:
        result = CliRunner().invoke(main, ["--store", str(shipped_build / "store"), *args])
        assert result.exit_code == code, result.output
        return result

    return run


def _json(kg: Any, *args: str) -> Any:
    return json.loads(kg(*args, "--format", "json").stdout)


def test_no_plain_triple_says_more_than_its_claim(shipped_build: Path) -> None:
    """A claim's relation is a plain triple exactly when the source states it and no
    period limits it: a report, a view, a judgement or a time-bound claim never is."""
    store = ox.Store.read_only(str(shipped_build / "store"))
    rows = store.query(
        """PREFIX kg: <https://w3id.org/kg/ont#>
        SELECT ?c ?s ?r ?o ?status (BOUND(?limit) AS ?limited) (EXISTS { ?s ?r ?o } AS ?plain)
        WHERE { ?c a kg:Claim ; kg:subject ?s ; kg:relation ?r ; kg:claimObject ?o ;
                   kg:epistemicStatus ?status .
                OPTIONAL { ?c kg:validFrom|kg:validUntil|kg:during ?limit } }"""
    )
    seen = {}
    for r in rows:
        should = r["status"].value == KG + "Stated" and r["limited"].value == "false"
        assert (r["plain"].value == "true") == should, (r["c"].value, r["o"].value)
        seen[r["c"].value.rsplit("/", 1)[1]] = should
    assert seen["iran-weapons-to-taliban"] is False  # reported (line 11)
    assert seen["iran-objects-to-dam"] is False  # Iran's view (line 21)
    assert seen["taliban-mistreated-hazaras"] is False  # stated, but of the first emirate (7)
    assert seen["saif-al-adel-based-in-iran"] is True  # stated (line 34)


def test_the_weapons_report_is_reported_and_not_a_fact(kg: Any) -> None:
    card = _json(kg, "show", "Iran")
    facts = [s for s in card["statements"] if s["status"] == "stated"]
    assert not [s for s in facts if s["relation"] == "supplied weapons to"], facts
    reported = [s for s in card["statements"] if s["status"] == "reported"]
    assert [(s["relation"], s["asserted_by"], s["holds"], s["sources"][0]["line"])
            for s in reported] == [("supplied weapons to", "unnamed sources", ["until 2021"], 11)]  # fmt: skip
    table = kg("show", "Iran").stdout
    assert "Reported by unnamed sources" in table
    assert "until 2021" in table


def test_irans_view_of_the_dam_is_irans(kg: Any) -> None:
    rows = _json(kg, "claims", "--about", "Hamoun Wetlands")
    dam = [r for r in rows if r["relation"] == "was concerned about"]
    assert [(r["status"], r["asserted_by"], r["subject"], r["source"]["line"]) for r in dam] == [
        ("attributed", "Iran", "Iran", 21)
    ], rows
    assert "Iran's view" in kg("show", "Iran").stdout


def test_first_emirate_claims_hold_only_then(kg: Any) -> None:
    rows = _json(kg, "claims", "--about", "Hazara")
    assert {r["claim_iri"].rsplit("/", 1)[1]: r["holds"] for r in rows} == {
        "taliban-mistreated-hazaras": ["during First Taliban emirate"],
        "iran-security-concerns-first-emirate": ["during First Taliban emirate"],
    }, rows


def test_the_authors_assessments_and_forecasts(kg: Any) -> None:
    assessed = _json(kg, "claims", "--status", "assessed", "--by", "author")
    lines = {r["source"]["line"] for r in assessed}
    assert {5, 7, 11, 13, 15, 30} <= lines, lines  # each of the author's judgements
    predicted = _json(kg, "claims", "--status", "predicted")
    assert {r["source"]["line"] for r in predicted} == {15, 34}, predicted
    assert {r["asserted_by"] for r in predicted} == {"the author"}
    hedged = _json(kg, "claims", "--status", "hedged", "--about", "ISKP")
    assert [(r["relation"], len(r["objects"]), r["source"]["line"]) for r in hedged] == [
        ("not covered by", 12, 30)
    ]


def test_claims_options_say_what_is_wrong(kg: Any) -> None:
    bad = kg("claims", "--status", "reportd", code=1)
    assert "no status 'reportd' (did you mean 'reported'?)" in bad.output
    who = kg("claims", "--by", "Irn", code=1)
    assert "Iran" in who.output and "Traceback" not in who.output


def test_a_derived_fact_cites_its_claim(kg: Any) -> None:
    """Saif al-Adel's base (line 34) is a fact made from a claim: it cites the claim's line."""
    card = _json(kg, "show", "Saif al-Adel")
    based = [s for s in card["statements"] if s["relation"] == "based in"]
    assert [(s["value"], s["status"], [c["line"] for c in s["sources"]]) for s in based] == [
        ("Iran", "stated", [34])
    ]
    assert based[0]["claim_iri"].endswith("/claim/saif-al-adel-based-in-iran")


# ------------------------------------------------------------------------------ wording
NAME_FIELDS = {"name", "aliases", "title", "given_name", "surname", "name_fa", "name_ps"}
NAMED_KINDS = {"people", "organizations", "places", "posts", "sources"}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("’", "'"))


def _values(node: Any, kind: str, key: str) -> Any:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _values(v, kind, k)
    elif isinstance(node, list):
        for v in node:
            yield from _values(v, kind, key)
    elif isinstance(node, str) and not (kind in NAMED_KINDS and key in NAME_FIELDS):
        yield key, node


def test_no_eight_words_of_the_source_in_the_facts() -> None:
    """Facts carry over, sentences do not: no value in facts/ repeats 8 consecutive words
    of a source text (names of people, places, institutions and sources aside)."""
    texts = sorted(SHARED_SOURCES.glob("*.txt"))
    assert texts, SHARED_SOURCES
    grams = set()
    for t in texts:
        w = _words(t.read_text(encoding="utf-8"))
        grams |= {tuple(w[i : i + 8]) for i in range(len(w) - 7)}
    files = sorted(FACTS.glob("*.yaml"))
    assert len(files) >= 5
    shared = []
    for f in files:
        doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for kind, records in doc.items():
            for key, text in _values(records, kind, kind):
                w = _words(text)
                hits = [
                    " ".join(w[i : i + 8])
                    for i in range(len(w) - 7)
                    if tuple(w[i : i + 8]) in grams
                ]
                if hits:
                    shared.append((f.name, key, hits[0]))
    assert shared == [], shared


def test_the_primary_citation_comes_first(kg: Any) -> None:
    """The handover's primary line is 7, which states it; 5 and 34 only weigh it."""
    rows = _json(kg, "timeline", "--from", "2023-02-26", "--to", "2023-02-26")
    handover = [r for r in rows if r["type"] == "Handover"]
    assert [(r["source"]["line"], [c["line"] for c in r["sources"]]) for r in handover] == [
        (7, [7, 5, 34])
    ], rows
    card = _json(kg, "show", "Iran hands the Afghan embassy in Tehran to Taliban diplomats")
    assert [c["line"] for c in card["sources"]] == [7, 5, 34]


def test_every_lookup_row_says_how_the_source_puts_it(kg: Any) -> None:
    """who-met, roles, timeline, path and agreements rows carry status and asserted_by: the
    author for what a record states, kg for what a rule inferred (line 22's office)."""
    met = _json(kg, "who-met", "--person", "muttaqi", "--kind", "any")
    assert {(r["date"], r["status"], r["asserted_by"]) for r in met} == {
        ("2022-07-16", "stated", "the author"),
        ("2022-08-14", "inferred", "kg"),
    }, met
    held = _json(kg, "roles", "--on", "2022-08-14")
    assert ("Amir Khan Muttaqi", "inferred", "kg") in {
        (r["person"], r["status"], r["asserted_by"]) for r in held
    }, held
    for args in (["timeline"], ["path", "muttaqi", "Saif al-Adel"]):
        rows = _json(kg, *args)
        assert rows and {(r["status"], r["asserted_by"]) for r in rows} == {
            ("stated", "the author")
        }
    deals = _json(kg, "agreements")
    assert deals and {(r["epistemic_status"], r["asserted_by"]) for r in deals} == {
        ("stated", "the author")
    }
