"""A new kind is a schema file plus its facts: no Python touched.

tests/fixtures/newkind declares a `Sanction` (a kind of event with who imposed it) only in
its schema.yaml, and records one in facts/sanctions.yaml. These tests build it and show it
checked, converted, validated by SHACL, looked up, counted, exported and drawn.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pyshacl
import pytest
from click.testing import CliRunner, Result
from rdflib import Graph

from kg.cli import main
from kg.facts.schema import load_schema, read_extra
from kg.facts.shapes import declarations, structural_shapes
from kg.locations import ontology_dir
from tests.conftest import MINI

NEWKIND = Path(__file__).resolve().parent / "fixtures" / "newkind"
SCHEMA = NEWKIND / "schema.yaml"


def _build(facts: Path, out: Path) -> Result:
    return CliRunner().invoke(
        main,
        ["build", "--facts", str(facts), "--out", str(out), "--sources", str(MINI / "sources"),
         "--schema", str(SCHEMA)],
    )  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("newkind") / "build"
    result = _build(NEWKIND / "facts", out)
    assert result.exit_code == 0, result.output
    assert "  Sanction " in result.output, result.output
    return out


def _kg(built: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, ["--store", str(built / "store"), *args])
    assert result.exit_code == 0, result.output
    return result


def _edited(tmp_path: Path, old: str, new: str) -> Result:
    """Build the fixture's facts with one text of sanctions.yaml replaced."""
    facts = tmp_path / "facts"
    shutil.copytree(NEWKIND / "facts", facts)
    path = facts / "sanctions.yaml"
    path.write_text(path.read_text().replace(old, new))
    result = _build(facts, tmp_path / "build")
    assert result.exit_code == 1, result.output
    return result


def test_a_bad_reference_is_reported_at_its_line(tmp_path: Path) -> None:
    result = _edited(tmp_path, "imposed_by: [iran]", "imposed_by: [irn]")
    assert (
        "sanctions.yaml:6: unknown organization or person 'irn' in 'imposed_by' "
        "(did you mean 'iran'?)" in result.output
    ), result.output


def test_a_missing_required_field_is_reported(tmp_path: Path) -> None:
    result = _edited(tmp_path, "    imposed_by: [iran]\n", "")
    assert "sanctions.yaml:3: sanction 'asset-freeze' has no 'imposed_by'" in result.output


def test_shacl_checks_the_new_class() -> None:
    """The generated shapes target the new class: a sanction without who imposed it, or
    imposed by a place, violates them (what the checker catches first, SHACL checks too)."""
    schema = load_schema(read_extra([SCHEMA]))
    ontology = Graph().parse(ontology_dir() / "kg.ttl")
    for triple in declarations(schema, ontology):
        ontology.add(triple)
    data = Graph().parse(
        data="""
        @prefix kg: <https://w3id.org/kg/ont#> . @prefix ex: <https://example.org/> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        ex:kabul a kg:Place ; skos:prefLabel "Kabul"@en .
        ex:s1 a kg:Sanction ; skos:prefLabel "S1"@en ; kg:date "2022-08"^^xsd:gYearMonth .
        ex:s2 a kg:Sanction ; skos:prefLabel "S2"@en ; kg:date "2022-08"^^xsd:gYearMonth ;
              kg:imposedBy ex:kabul .""",
        format="turtle",
    )
    conforms, _, text = pyshacl.validate(
        data + ontology, shacl_graph=structural_shapes(schema), advanced=True
    )
    assert not conforms
    assert "a sanction needs 'imposed_by'" in text, text
    assert "'imposed_by' of a sanction is an organization or person" in text, text
    assert "every fact needs at least one piece of evidence" in text, text


def test_show_lists_it(built: Path) -> None:
    card = json.loads(_kg(built, "show", "asset freeze", "--format", "json").output)
    assert card["label"] == "An asset freeze"
    assert card["iri"] == "https://w3id.org/kg/id/sanction/asset-freeze"
    facts = {(s["relation"], s["value"]) for s in card["statements"]}
    assert ("imposed by", "Iran") in facts, facts
    assert ("target", "Taliban") in facts, facts
    assert card["sources"][0]["line"] == 4


def test_timeline_and_stats_count_it(built: Path) -> None:
    rows = json.loads(_kg(built, "timeline", "--format", "json").output)
    assert [(r["date"], r["type"]) for r in rows if r["event"] == "An asset freeze"] == [
        ("2022-08", "Sanction")
    ], rows
    stats = json.loads(_kg(built, "stats", "--format", "json").output)
    assert {"class": "Sanction", "count": 1} in [
        {"class": c["class"], "count": c["count"]} for c in stats["classes"]
    ], stats["classes"]


def test_csv_export_has_its_table(built: Path, tmp_path: Path) -> None:
    _kg(built, "export", "--format", "csv", "-o", str(tmp_path / "csv"))
    with (tmp_path / "csv" / "Sanction.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["label"], r["imposedBy"], r["target"]) for r in rows] == [
        ("An asset freeze", "Iran", "Taliban")
    ], rows


def test_view_draws_it_with_its_own_legend_entry(
    built: Path, tmp_path: Path, open_page: Any
) -> None:
    page_file = tmp_path / "graph.html"
    _kg(built, "view", "-o", str(page_file))
    opened = open_page(page_file)
    data = opened.page.evaluate("() => window.kgData")
    node = next(n for n in data["nodes"] if n["label"] == "An asset freeze")
    assert node["category"] == "sanction", node
    legend = opened.page.inner_text("#legend")
    assert "Sanctions" in legend, legend
    assert "People" in legend, legend  # kg's own categories stay
