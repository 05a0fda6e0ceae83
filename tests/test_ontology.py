"""The ontology, topic scheme and record schema agree with each other and with the code."""

from __future__ import annotations

import re
import subprocess
import sys

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.convert import expand
from kg.facts.schema import load_schema
from kg.locations import ontology_dir
from kg.namespaces import KG, TOPIC
from tests.conftest import ROOT

KG_NS = "https://w3id.org/kg/ont#"


def _defined_terms() -> set[str]:
    g = Graph().parse(ontology_dir() / "kg.ttl")
    return {
        str(s)[len(KG_NS) :]
        for s in g.subjects()
        if isinstance(s, URIRef) and str(s).startswith(KG_NS) and len(str(s)) > len(KG_NS)
    }


def test_namespace_module_matches_the_ontology() -> None:
    in_code = set(KG.__annotations__)
    in_ttl = _defined_terms()
    assert in_code == in_ttl, ("run python scripts/gen_namespaces.py", in_code ^ in_ttl)


def test_closed_namespace_rejects_unknown_terms() -> None:
    try:
        _ = KG.Persn
    except AttributeError:
        return
    raise AssertionError("KG.Persn should not exist")


def test_every_kg_term_used_in_shapes_and_rules_is_defined() -> None:
    defined = _defined_terms()
    texts = [ontology_dir() / "shapes.ttl", *sorted((ontology_dir() / "rules").glob("*.rq"))]
    assert len(texts) >= 2
    for path in texts:
        used = set(re.findall(r"\bkg:([A-Za-z]+)", path.read_text()))
        assert used, path
        assert used <= defined, (path.name, used - defined)


def test_every_term_in_the_record_schema_expands() -> None:
    schema = load_schema()
    assert len(schema.kinds) >= 10
    for kind in schema.kinds.values():
        expand(kind.cls)
        for t in kind.types.values():
            expand(t.cls)
        for spec in kind.fields.values():
            if spec.predicate:
                expand(spec.predicate)
            for iri in spec.values.values():
                expand(iri)


def test_ontology_classes_are_declared() -> None:
    g = Graph().parse(ontology_dir() / "kg.ttl")
    classes = {str(c)[len(KG_NS) :] for c in g.subjects(RDF.type, OWL.Class)}
    required = {
        "Person",
        "Organization",
        "State",
        "DeFactoAuthority",
        "Ministry",
        "PublicBody",
        "Company",
        "Bank",
        "ArmedGroup",
        "MilitantGroup",
        "DiplomaticMission",
        "Embassy",
        "Consulate",
        "Post",
        "Tenure",
        "Meeting",
        "Event",
        "Handover",
        "Attack",
        "Killing",
        "Visit",
        "Dialogue",
        "Agreement",
        "Project",
        "Place",
        "Source",
        "ReportedStatistic",
    }
    assert required <= classes, required - classes


def test_topic_scheme() -> None:
    g = Graph().parse(ontology_dir() / "topics.ttl")
    concepts = set(g.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) >= 20
    for c in concepts:
        assert g.value(c, SKOS.prefLabel) is not None, c
    narrower_energy = {str(c)[len(str(TOPIC)) :] for c in g.subjects(SKOS.broader, TOPIC.energy)}
    assert narrower_energy >= {
        "oil",
        "gas",
        "petroleum",
        "electricity",
        "refineries",
        "pipelines",
    }, narrower_energy
    assert {"narcotics", "human-trafficking"} <= {
        str(c)[len(str(TOPIC)) :] for c in g.subjects(SKOS.broader, TOPIC["border-security"])
    }
    # Every concept reaches a top concept, without cycles.
    for c in concepts:
        seen = set()
        node = c
        while g.value(node, SKOS.broader) is not None:
            assert node not in seen, f"cycle at {node}"
            seen.add(node)
            node = g.value(node, SKOS.broader)
        assert (node, SKOS.topConceptOf, None) in g, node


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\nfrom kg.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('rdflib', 'pyshacl', 'networkx', 'pyvis') "
        "if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout


def test_every_command_is_documented_with_an_example() -> None:
    from kg.cli import all_commands

    assert all_commands()
    for name, cmd in all_commands().items():
        assert cmd.help and "Example:" in cmd.help, name


# ---------------------------------------------------------------------------- event kinds
def _event_kinds() -> tuple[Graph, dict[str, URIRef]]:
    """The event-kind scheme (with kg.ttl) and its kinds by notation."""
    g = Graph().parse(ontology_dir() / "kg.ttl").parse(ontology_dir() / "event-kinds.ttl")
    kinds = {str(g.value(k, SKOS.notation)): k for k in g.subjects(SKOS.inScheme, KG.EventKinds)}
    assert len(kinds) >= 13, kinds
    return g, kinds


def test_event_kinds_are_the_schemas_event_types() -> None:
    """records.yaml's event types and the event-kind scheme name the same kinds, each type's
    class being the kind: the vocabulary annotates the classes the schema picks."""
    _, kinds = _event_kinds()
    types = {name: expand(t.cls) for name, t in load_schema().kinds["events"].types.items()}
    assert {n: str(c) for n, c in kinds.items()} == {n: str(c) for n, c in types.items()}
    assert {"meeting", "visit", "invitation", "message", "signing", "handover", "attack",
            "killing", "takeover", "celebration", "security-operation", "dialogue",
            "engagement"} <= set(kinds)  # fmt: skip


def test_every_event_kind_is_defined_counted_and_mapped_to_cameo() -> None:
    """Each kind has a label, a one-line definition, says whether it counts as a meeting,
    and has one CAMEO code (exact or close) or a note saying why none fits."""
    g, kinds = _event_kinds()
    for name, kind in kinds.items():
        assert (kind, RDF.type, KG.EventKind) in g, name
        assert (kind, RDF.type, OWL.Class) in g, name  # the class of its events (kg.ttl)
        assert g.value(kind, RDFS.label) is not None, name
        definition = str(g.value(kind, SKOS.definition) or "")
        assert definition and "\n" not in definition, name
        assert isinstance(g.value(kind, KG.countsAsMeeting).toPython(), bool), name
        codes = [
            str(g.value(c, SKOS.notation))
            for p in (SKOS.exactMatch, SKOS.closeMatch)
            for c in g.objects(kind, p)
        ]
        note = str(g.value(kind, SKOS.editorialNote) or "")
        if codes:
            assert len(codes) == 1 and re.fullmatch(r"\d{3,4}", codes[0]), (name, codes)
        else:
            assert note.startswith("No CAMEO code:"), (name, note)
        # SKOS labels would let name lookups and --topic find a kind (see event-kinds.ttl).
        assert g.value(kind, SKOS.prefLabel) is None, name


def test_what_counts_as_a_meeting() -> None:
    """Two-sided encounters count; an invitation, a message or a handover, one side acting
    toward the other, does not; nor does anything that is no encounter of the sides."""
    g, kinds = _event_kinds()
    counted = {n for n, k in kinds.items() if g.value(k, KG.countsAsMeeting).toPython()}
    assert counted == {"meeting", "visit", "dialogue", "signing", "engagement"}, counted


def test_readme_table_of_event_kinds_is_the_vocabulary() -> None:
    from kg.eventkinds import kinds_table, shipped_kinds

    kinds = shipped_kinds()
    assert len(kinds) >= 13
    table = kinds_table(kinds)
    assert "| `visit` | yes | 042 Make a visit (exact match) |" in table, table
    assert "| `message` | no | 010 " in table and "| `celebration` | no | none: " in table
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert table in readme, "run python scripts/gen_kinds_table.py"
