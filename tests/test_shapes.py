"""Every SHACL shape in ontology/shapes.ttl has a conforming and a violating example, and so
do the evidence and label shapes generated from the record schema."""

from __future__ import annotations

import pyshacl
import pytest
from rdflib import Graph, Namespace
from rdflib.namespace import RDF, SH

from kg.facts.schema import load_schema
from kg.facts.shapes import structural_shapes
from kg.locations import ontology_dir

KGSH = Namespace("https://w3id.org/kg/shapes#")

HEADER = """
@prefix kg: <https://w3id.org/kg/ont#> .
@prefix ex: <https://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema: <https://schema.org/> .
"""

# A small graph that conforms to every shape; each example adds to it.
BASE = """
ex:src a kg:Source ; dcterms:title "S" ; kg:file "s.txt" .
ex:cite a kg:Citation ; kg:citedSource ex:src ; kg:line 1 .
ex:iran a kg:State ; skos:prefLabel "Iran"@en ; kg:evidence ex:cite .
ex:taliban a kg:DeFactoAuthority ; skos:prefLabel "Taliban"@en ; kg:evidence ex:cite .
ex:a a kg:Person ; skos:prefLabel "A"@en ; kg:evidence ex:cite .
ex:b a kg:Person ; skos:prefLabel "B"@en ; kg:evidence ex:cite .
ex:post a kg:Post ; skos:prefLabel "Minister"@en ; org:postIn ex:taliban ; kg:evidence ex:cite .
"""

FACT = 'skos:prefLabel "X"@en ; kg:evidence ex:cite'
CLAIMED = "kg:epistemicStatus kg:Reported ; kg:assertedBy kg:UnnamedSources"
AGREEMENT = f"{FACT} ; kg:statusChange ex:change"  # a history is required

# shape -> (conforming addition, violating addition)
EXAMPLES: dict[str, tuple[str, str]] = {
    "SourceShape": (
        'ex:s2 a kg:Source ; dcterms:title "T" ; kg:file "t.txt" .',
        'ex:s2 a kg:Source ; dcterms:title "T" .',
    ),
    "EvidenceShape": (
        f"ex:x a kg:Place ; {FACT} .",
        'ex:x a kg:Place ; skos:prefLabel "X"@en .',
    ),
    "LabelShape": (
        f'ex:x a kg:Place ; {FACT} ; skos:prefLabel "Y"@fa .',
        f'ex:x a kg:Place ; {FACT} ; skos:prefLabel "Y"@en .',
    ),
    "CitationShape": (
        "ex:c2 a kg:Citation ; kg:citedSource ex:src ; kg:line 3 .",
        "ex:c2 a kg:Citation ; kg:citedSource ex:src ; kg:line 0 .",
    ),
    "OrganizationShape": (
        f"ex:m a kg:Ministry ; {FACT} ; org:subOrganizationOf ex:taliban .",
        f"ex:m a kg:Ministry ; {FACT} ; org:subOrganizationOf ex:a .",
    ),
    "PostShape": (
        f"ex:p2 a kg:Post ; {FACT} ; org:postIn ex:iran .",
        f"ex:p2 a kg:Post ; {FACT} .",
    ),
    "TenureShape": (
        f"ex:t a kg:Tenure ; {FACT} ; org:member ex:a ; kg:post ex:post ;"
        ' kg:earliest "2022-07-16"^^xsd:date ; kg:latest "2022-08-20"^^xsd:date .',
        f"ex:t a kg:Tenure ; {FACT} ; org:member ex:a ; kg:post ex:post ;"
        ' kg:earliest "2022-08-20"^^xsd:date ; kg:latest "2022-07-16"^^xsd:date .',
    ),
    "EventShape": (
        f'ex:e a kg:Visit ; {FACT} ; kg:date "2022-09"^^xsd:gYearMonth .',
        f'ex:e a kg:Visit ; {FACT} ; kg:date "early September 2022" .',
    ),
    "MeetingShape": (
        f'ex:e a kg:Meeting ; {FACT} ; kg:date "2022-07-16"^^xsd:date ;'
        " kg:participant ex:a, ex:b .",
        f'ex:e a kg:Meeting ; {FACT} ; kg:date "2022-07-16"^^xsd:date ; kg:participant ex:a .',
    ),
    # An inferred participation (the rule office-holder): the rule and a premise, or not.
    "InferenceShape": (
        "ex:r a kg:Rule . ex:i a kg:Participation, kg:Inference ; kg:actor ex:a ;"
        " kg:side ex:taliban ; kg:epistemicStatus kg:Inferred ; kg:rule ex:r ; kg:premise ex:t .",
        "ex:r a kg:Rule . ex:i a kg:Participation, kg:Inference ; kg:actor ex:a ;"
        " kg:side ex:taliban ; kg:epistemicStatus kg:Inferred ; kg:rule ex:r .",
    ),
    "ParticipationShape": (
        "ex:pt a kg:Participation ; kg:actor ex:a ; kg:side ex:iran .",
        "ex:pt a kg:Participation ; kg:actor ex:a ; kg:side ex:b .",
    ),
    "AgreementShape": (
        f"ex:g a kg:Agreement ; {AGREEMENT} ; kg:party ex:iran, ex:taliban ;"
        " kg:agreementKind kg:Treaty ; kg:status kg:Signed .",
        f"ex:g a kg:Agreement ; {AGREEMENT} ; kg:party ex:iran, ex:taliban ;"
        " kg:agreementKind kg:Treaty ; kg:status kg:Signed, kg:Agreed .",
    ),
    "AgreementPartiesShape": (
        f"ex:g a kg:Agreement ; {AGREEMENT} ; kg:party ex:iran, ex:taliban ;"
        " kg:agreementKind kg:Treaty ; kg:status kg:Signed .",
        f"ex:g a kg:Agreement ; {AGREEMENT} ; kg:party ex:iran ;"
        " kg:agreementKind kg:Treaty ; kg:status kg:Signed .",
    ),
    "OneSidedActShape": (
        f"ex:g a kg:Agreement ; {AGREEMENT} ; kg:party ex:iran ; kg:partyRole ex:g-iran ;"
        " kg:agreementKind kg:Pledge ; kg:status kg:Pledged ."
        " ex:g-iran a kg:PartyRole ; kg:actor ex:iran ; kg:role kg:Pledger .",
        f"ex:g a kg:Agreement ; {AGREEMENT} ; kg:party ex:iran ; kg:partyRole ex:g-iran ;"
        " kg:agreementKind kg:Pledge ; kg:status kg:Pledged ."
        " ex:g-iran a kg:PartyRole ; kg:actor ex:iran ; kg:role kg:Addressee .",
    ),
    "QuantityShape": (
        "ex:q a schema:QuantitativeValue ; schema:value 350000 .",
        'ex:q a schema:QuantitativeValue ; schema:value "lots" .',
    ),
    "ProjectShape": (
        f"ex:j a kg:Project ; {FACT} ; kg:projectKind kg:Highway .",
        f"ex:j a kg:Project ; {FACT} .",
    ),
    "PlaceShape": (
        f"ex:x a kg:Place ; {FACT} ; schema:containedInPlace ex:iran .",
        f"ex:x a kg:Place ; {FACT} ; schema:containedInPlace ex:a .",
    ),
    "ReportedStatisticShape": (
        f'ex:s a kg:ReportedStatistic ; {FACT} ; kg:measure "meetings" ; schema:value 67 .',
        f'ex:s a kg:ReportedStatistic ; {FACT} ; kg:measure "meetings" .',
    ),
    "ClaimShape": (
        f"ex:k a kg:Claim ; {FACT} ; {CLAIMED} ; kg:subject ex:a .",
        f"ex:k a kg:Claim ; {FACT} ; {CLAIMED} ; kg:subject ex:a, ex:b .",
    ),
}


def _shapes() -> Graph:
    # The hand-written shapes and those generated from the record schema, as kg build uses.
    return Graph().parse(ontology_dir() / "shapes.ttl") + structural_shapes(load_schema())


def _validate(extra: str, shapes: Graph | None = None) -> tuple[bool, Graph]:
    data = Graph().parse(data=HEADER + BASE + extra, format="turtle")
    data += Graph().parse(ontology_dir() / "kg.ttl")
    shapes = shapes if shapes is not None else _shapes()
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, advanced=True)
    return bool(conforms), report


def _owning_shape(shapes: Graph, source: object) -> object:
    """Return the node shape a property shape belongs to (or the shape itself)."""
    owner = shapes.value(predicate=SH.property, object=source)  # type: ignore[arg-type]
    return owner if owner is not None else source


def test_every_shape_has_examples() -> None:
    # Each kind's generated FieldsShape has its examples as files: tests/examples/<kind>/.
    shapes = _shapes()
    names = sorted(
        name
        for s in shapes.subjects(RDF.type, SH.NodeShape)
        if not (name := str(s).split("#")[1]).endswith("FieldsShape")
    )
    assert names, "no shapes found"
    assert names == sorted(EXAMPLES), set(names) ^ set(EXAMPLES)


def test_base_conforms() -> None:
    conforms, report = _validate("")
    assert conforms, report.serialize(format="turtle")


@pytest.mark.parametrize("shape", sorted(EXAMPLES))
def test_conforming_example(shape: str) -> None:
    conforms, report = _validate(EXAMPLES[shape][0])
    assert conforms, report.serialize(format="turtle")


@pytest.mark.parametrize("shape", sorted(EXAMPLES))
def test_violating_example(shape: str) -> None:
    shapes = _shapes()
    conforms, report = _validate(EXAMPLES[shape][1], shapes)
    assert not conforms
    sources = {_owning_shape(shapes, s) for s in report.objects(None, SH.sourceShape)}
    assert KGSH[shape] in sources, sources
    messages = [str(m) for m in report.objects(None, SH.resultMessage)]
    assert messages and all(m for m in messages), messages


# ------------------------------------------------------------------------------ SPARQL twin
def _sparql_violations(extra: str) -> set[str]:
    import pyoxigraph as ox

    from kg.shacl_sparql import compile_shapes, violations

    data = Graph().parse(data=HEADER + BASE + extra, format="turtle")
    data += Graph().parse(ontology_dir() / "kg.ttl")
    store = ox.Store()
    store.load(data.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return {check.shape.split("#")[1] for _, check in violations(store, compile_shapes(_shapes()))}


@pytest.mark.parametrize("shape", sorted(EXAMPLES))
def test_compiled_shapes_agree_with_pyshacl(shape: str) -> None:
    """The SPARQL validator used for large graphs flags exactly what pySHACL flags."""
    good, bad = EXAMPLES[shape]
    assert _sparql_violations(good) == set()
    shapes = _shapes()
    _, report = _validate(bad, shapes)
    by_pyshacl = {
        str(_owning_shape(shapes, s)).split("#")[1] for s in report.objects(None, SH.sourceShape)
    }
    assert _sparql_violations(bad) == by_pyshacl


def test_compiler_refuses_constraints_it_does_not_know() -> None:
    from kg.shacl_sparql import compile_shapes

    extra = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ;
             sh:property [ sh:path ex:p ; sh:pattern "^a" ] .""",
        format="turtle",
    )
    with pytest.raises(ValueError, match="not supported here"):
        compile_shapes(extra)
