"""Every list of kinds or classes outside records.yaml is made from it, or held to it here.

The table of kinds in the README (test_examples.py), the namespace module and the schema's
terms (test_ontology.py) are held elsewhere; these hold the shapes, the view's categories,
the CSV export's tables and the actor kinds.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SH

from kg.cli import main
from kg.convert import expand
from kg.facts.schema import load_schema
from kg.facts.shapes import KGSH, structural_shapes

SCHEMA = load_schema()
KINDS = list(SCHEMA.kinds.values())


def _kg(build: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--store", str(build / "store"), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_every_kind_is_a_target_of_the_generated_shapes() -> None:
    assert len(KINDS) >= 10
    shapes = structural_shapes(SCHEMA)
    evidence = set(shapes.objects(KGSH.EvidenceShape, SH.targetClass))
    targets = set(shapes.objects(None, SH.targetClass))
    for kind in KINDS:
        cls = expand(kind.cls)
        assert cls in targets, kind.name
        assert (cls in evidence) == kind.evidence_required, kind.name
        for f in kind.fields.values():
            if f.required and f.predicate:
                # a minCount 1 on the field's predicate, in the kind's own shape
                shape = KGSH[f"{kind.cls.partition(':')[2]}FieldsShape"]
                paths = {
                    shapes.value(p, SH.path)
                    for p in shapes.objects(shape, SH.property)
                    if shapes.value(p, SH.minCount) is not None
                }
                assert expand(f.predicate) in paths, (kind.name, f.name)


def test_view_nodes_take_the_category_their_kind_declares(shipped_build: Path) -> None:
    by_class = SCHEMA.category_of_class()
    drawn = {k.name for k in KINDS if k.category}
    assert {"people", "organizations", "events"} <= drawn
    result = CliRunner().invoke(
        main,
        [
            "--store",
            str(shipped_build / "store"),
            "view",
            "-o",
            str(shipped_build.parent / "v.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    html = (shipped_build.parent / "v.html").read_text(encoding="utf-8")
    data = json.loads(html.split('id="kg-data">', 1)[1].split("</script>", 1)[0])
    categories = {c["id"] for c in SCHEMA.view_categories()}
    assert data["nodes"], "no nodes drawn"
    for node in data["nodes"]:
        assert node["category"] in categories, node
    # Every category the shipped facts use is in the legend, in the schema's order.
    legend = [e["label"] for e in data["legend"] if e.get("shape") not in ("line", "dashes")]
    order = [c.label for c in SCHEMA.categories.values()]
    assert legend == [label for label in order if label in legend], legend
    assert set(by_class.values()) <= categories


def test_csv_export_has_a_table_for_every_class_of_records(
    shipped_build: Path, tmp_path: Path
) -> None:
    _kg(shipped_build, "export", "--format", "csv", "-o", str(tmp_path / "csv"))
    tables = {p.stem for p in (tmp_path / "csv").glob("*.csv")}
    ttl = Graph().parse(shipped_build / "kg.ttl")
    record_classes = {
        str(o).rsplit("#", 1)[1]
        for s, o in ttl.subject_objects(RDF.type)
        if isinstance(s, URIRef)
        and str(s).startswith("https://w3id.org/kg/id/")
        and str(o).startswith("https://w3id.org/kg/ont#")
        and "/" not in str(s)[len("https://w3id.org/kg/id/") :].split("/", 1)[1]
    }
    assert {"Person", "State", "Meeting", "Agreement", "Tenure", "Source"} <= record_classes
    assert record_classes <= tables, record_classes - tables


def test_actor_kinds_are_the_schemas() -> None:
    names = [name for _, name in SCHEMA.actor_kinds()]
    assert names == ["person", "organization", "post"], names
