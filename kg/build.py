"""`kg build`: facts -> checked records -> RDF -> SHACL -> build/kg.ttl + an on-disk store."""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import Graph

from kg.diagnostics import Diagnostic, FactsError
from kg.locations import ontology_dir

if TYPE_CHECKING:
    from kg.convert import Origin
    from kg.facts.check import Facts
    from kg.facts.schema import Schema


@dataclass
class BuildResult:
    """What a build made: counts per class, warnings, where the outputs are, stage times."""

    counts: dict[str, int]
    triples: int
    warnings: list[Diagnostic]
    turtle: Path
    store: Path
    timings: dict[str, float] = field(default_factory=dict)


def default_source_dirs(facts_dir: Path) -> list[Path]:
    """Where source texts are looked for: $KG_SOURCES, then beside or above the facts."""
    dirs = []
    env = os.environ.get("KG_SOURCES")
    if env:
        dirs.append(Path(env))
    base = facts_dir.resolve().parent
    dirs += [base / "sources", base.parent / "shared" / "sources"]
    return dirs


# Entity IRIs are <base>id/<kind>/<slug>; `kg build --base-iri` names another base, so a
# deployment can serve its own namespace. The ontology (kg:), topics and CAMEO codes keep
# theirs: they are kg's vocabulary, not the data.
DEFAULT_BASE = "https://w3id.org/kg/"
_NOT_IRI = r"\x00-\x20\x7f<>\"{}|\\^`#?"  # nor a query or fragment
_BASE = re.compile(r"https?://[^/" + _NOT_IRI + r"]+(?:/[^" + _NOT_IRI + r"]*)?/")


def check_base_iri(base: str) -> str | None:
    """Say what is wrong with a base IRI for the entities (None: it will do)."""
    if not _BASE.fullmatch(base):
        return (
            "a base IRI is an http(s) IRI ending in '/', with no query, fragment, spaces "
            "or <>\"{}|\\^` (e.g. https://example.org/kg/)"
        )
    return None


def topic_slugs(topics: Graph) -> set[str]:
    """Return the slugs of the SKOS concepts of the topic scheme."""
    from kg.namespaces import RDF, SKOS, TOPIC

    prefix = str(TOPIC)
    return {
        str(c)[len(prefix) :]
        for c in topics.subjects(RDF.type, SKOS.Concept)
        if str(c).startswith(prefix)
    }


@dataclass(frozen=True)
class Rule:
    """A build rule (ontology/rules/NN-NAME.rq): a CONSTRUCT, its name and what it means."""

    name: str
    means: str
    text: str  # the query, its fragments ({{NAME ?var…}}, kg/queries/fragments) expanded

    def iri(self, space: str) -> str:
        """The rule's node among the entities of the id space SPACE."""
        return f"{space}rule/{self.name}"


_RULE_HEADER = re.compile(r"^#\s*(rule|means)\s*:\s*(.+?)\s*$")


def load_rules(rules_dir: Path) -> list[Rule]:
    """The rules in the order the build applies them (by file name), with their headers.

    Each file starts `# rule: NAME` and `# means: ONE LINE`: the rule's node in the graph
    (kg:Rule, its name and definition) comes from them, and so what `who-met`
    and `roles` show as the reason of an inferred row.
    """
    from kg.query import expand

    rules = []
    for path in sorted(rules_dir.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        head: dict[str, str] = {
            m[1]: m[2] for line in text.splitlines() if (m := _RULE_HEADER.match(line))
        }
        if "rule" not in head or "means" not in head:
            raise ValueError(f"{path}: a rule starts with '# rule: NAME' and '# means: ...'")
        rules.append(Rule(head["rule"], head["means"], expand(text)))
    return rules


def apply_rules(store: Any, rules_dir: Path, space: str) -> int:
    """Add each rule's node and what its CONSTRUCT derives; return the triples derived.

    A rule's query sees the variable ?rule bound (a VALUES block opening its WHERE clause;
    pyoxigraph substitutes only projected variables) to its own node, which an inference it
    makes names (kg:rule); the rules run in order, each on what the previous ones added.
    """
    import pyoxigraph as ox

    from kg.namespaces import KG, RDF, RDFS, SKOS
    from kg.query import with_values

    added = 0
    for rule in load_rules(rules_dir):
        node = ox.NamedNode(rule.iri(space))
        store.extend(
            [
                ox.Quad(node, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(KG.Rule))),
                ox.Quad(node, ox.NamedNode(str(RDFS.label)), ox.Literal(rule.name)),
                ox.Quad(
                    node, ox.NamedNode(str(SKOS.definition)), ox.Literal(rule.means, language="en")
                ),
            ]
        )
        new = [
            ox.Quad(t.subject, t.predicate, t.object)
            for t in store.query(with_values(rule.text, ["rule"], [[node]]))
        ]
        store.extend(new)
        added += len(new)
    return added


_COUNTS = """SELECT ?class (COUNT(DISTINCT ?x) AS ?n) WHERE {
  ?dataset <http://rdfs.org/ns/void#uriSpace> ?space .
  ?x a ?class . FILTER(STRSTARTS(STR(?x), ?space)) } GROUP BY ?class"""


def class_counts(store: Any) -> dict[str, int]:
    """Count the instances of each class among the curated nodes, by class local name."""
    counts = {}
    for sol in store.query(_COUNTS):
        name = sol["class"].value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        counts[name] = int(sol["n"].value)
    return dict(sorted(counts.items()))


def serialize(nt: bytes, space: str = DEFAULT_BASE + "id/") -> bytes:
    """Serialise the graph's N-Triples as Turtle, byte-for-byte the same for the same triples.

    The N-Triples lines are sorted as bytes (a C sort; sorting term objects in Python took
    6 s at a million triples) and pyoxigraph writes them as Turtle in that order, so
    subjects group the same way every time; the graph has no blank nodes. `id:` is the
    graph's id space.
    """
    import pyoxigraph as ox

    from kg.prefixes import PREFIXES

    lines = b"\n".join(sorted(line for line in nt.splitlines() if line))
    triples = ox.parse(lines, format=ox.RdfFormat.N_TRIPLES)
    prefixes = {**PREFIXES, "id": space}
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes) or b""


def precompute(store: Any, schema: dict[str, Any] | None = None) -> dict[str, bytes]:
    """Run the whole-graph aggregate queries and the indexes once; return them as JSON.

    schema: the summary schema.json will hold (the actor kinds of the build's schema).
    """
    import json

    from kg.hubs import hub_index
    from kg.indexes import actor_graph, meeting_index, participations, tenure_index
    from kg.query import PRECOMPUTED, load_query
    from kg.store import EmbeddedStore, encode_rows

    out = {}
    for name in PRECOMPUTED:
        result = store.query(load_query(name).text)
        names = [v.value for v in result.variables]
        rows = encode_rows([{n: sol[n] for n in names} for sol in result])
        for row in rows:
            # GROUP_CONCAT joins in no fixed order: sort the parts so builds are reproducible.
            for var in CONCATENATED & set(row):
                row[var][1] = "|".join(sorted(row[var][1].split("|")))
        out[name] = rows  # in the query's own ORDER BY, which is total for these queries
    graph = EmbeddedStore.in_memory(store, {"schema": schema} if schema else None)
    parts = participations(graph)
    meetings, tenures = meeting_index(graph, parts), tenure_index(graph)
    return {
        "aggregates": json.dumps(out, sort_keys=True, ensure_ascii=False).encode("utf-8"),
        # Both indexes come sorted (totally: their IRIs end the keys), so builds reproduce.
        "meetings": json.dumps(meetings, ensure_ascii=False).encode("utf-8"),
        "tenures": json.dumps(tenures, ensure_ascii=False).encode("utf-8"),
        # The lists of the entities at the hub (hubs.json, hub-lists.json: kg.hubs).
        **hub_index(graph, meetings, parts, tenures),
        # The actor network kg rank and kg communities weigh.
        "actors": json.dumps(
            actor_graph(graph, parts, meetings)._asdict(), ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8"),
    }


# Variables the named queries fill with GROUP_CONCAT(…; separator="|").
CONCATENATED = {"sources", "topics", "trails", "alts", "attested", "relateds"}


# Up to this many triples pySHACL validates; above it, the same shapes compiled to SPARQL
# (kg.shacl_sparql) run on the store, as pySHACL grows too slow (4.7 s at 74k triples).
PYSHACL_LIMIT = 50_000


def build(
    facts_dir: Path,
    build_dir: Path,
    source_dirs: list[Path] | None = None,
    validator: str = "auto",
    progress: Callable[[str], None] | None = None,
    schema_files: list[Path] | None = None,
    base_iri: str = DEFAULT_BASE,
) -> BuildResult:
    """Build the knowledge graph; raise FactsError (every problem) or BuildBusy.

    validator: "pyshacl", "sparql" or "auto" (pySHACL up to PYSHACL_LIMIT triples).
    progress: called with the name of each stage as it starts.
    schema_files: schema files whose kinds are added to ontology/records.yaml's.
    base_iri: the entities' IRIs are <base_iri>id/<kind>/<slug> (see check_base_iri).
    """
    problem = check_base_iri(base_iri)
    if problem is not None:
        raise ValueError(f"--base-iri {base_iri!r}: {problem}")
    import gc

    # A build makes millions of small objects (YAML nodes, records, terms) and no garbage
    # cycles worth collecting; Python's cycle collector, walking them again and again,
    # took most of the time of reading the facts (YAML at 1M triples: 5-9 s with it,
    # 0.9 s without).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(
            facts_dir, build_dir, source_dirs, validator, progress, schema_files or [], base_iri
        )
    finally:
        if enabled:
            gc.enable()


@dataclass
class _Ontology:
    """The ontology, topic scheme, shapes and record schema a build reads first."""

    folder: Path
    ontology: Graph
    topics: Graph
    shapes: Graph
    schema: Schema
    extra: tuple[tuple[str, str], ...]  # the schema files added to kg's: (name, text)


def _load_ontology(schema_files: list[Path]) -> _Ontology:
    """Read the ontology files and the record schema (raise FactsError at a file:line of
    a schema file). The kinds kg.ttl does not declare are declared from the schema, and
    the structural shapes every kind's declaration implies join shapes.ttl's."""
    from kg.facts.schema import load_schema, read_extra
    from kg.facts.shapes import declarations, structural_shapes

    onto = ontology_dir()
    extra = read_extra(schema_files)
    schema = load_schema(extra)
    ontology = Graph().parse(onto / "kg.ttl")
    # The event kinds annotate kg.ttl's event classes (what each means, whether it counts
    # as a meeting, its CAMEO code): part of the ontology, as the lookups read them.
    ontology.parse(onto / "event-kinds.ttl")
    for triple in list(declarations(schema, ontology)):
        ontology.add(triple)
    return _Ontology(
        onto,
        ontology,
        Graph().parse(onto / "topics.ttl"),
        Graph().parse(onto / "shapes.ttl") + structural_shapes(schema),
        schema,
        extra,
    )


def _to_store(onto: _Ontology, facts: Facts, base: str) -> tuple[Any, dict[str, Origin]]:
    """Convert checked facts to RDF in an in-memory store, beside the ontology and topics,
    with the entities' IRIs under <base>id/ and that id space said in VoID (void:uriSpace),
    where the lookups and any SPARQL client read it.

    Rules, search keys, validation and sorting all run on this store. The RDF made here is
    freed on return (the store has it): with the store written alongside validation, the
    Python copies took the peak at 1M triples from 1.89 to 2.09 GiB.
    """
    import pyoxigraph as ox

    from kg.convert import ntriples, to_rdf
    from kg.namespaces import RDF
    from kg.prefixes import PREFIXES

    data, origins = to_rdf(onto.schema, facts, base + "id/")
    store = ox.Store()
    void = PREFIXES["void"]
    dataset = ox.NamedNode(base)
    store.add(ox.Quad(dataset, ox.NamedNode(str(RDF.type)), ox.NamedNode(void + "Dataset")))
    store.add(ox.Quad(dataset, ox.NamedNode(void + "uriSpace"), ox.Literal(base + "id/")))
    nt = ox.RdfFormat.N_TRIPLES
    store.load(onto.ontology.serialize(format="nt", encoding="utf-8"), format=nt)
    store.load(onto.topics.serialize(format="nt", encoding="utf-8"), format=nt)
    store.load(ntriples(data), format=nt)
    return store, origins


def _validate(
    store: Any,
    nt: bytes,
    onto: _Ontology,
    origins: dict[str, Origin],
    use_pyshacl: bool,
    warnings: list[Diagnostic],
) -> list[Diagnostic]:
    """Validate the graph against the shapes; return the warnings (the facts' first), or
    raise FactsError with every error and warning."""
    from kg.validate import validate, validate_sparql

    if use_pyshacl:
        problems = validate(Graph().parse(data=nt, format="nt"), onto.shapes, origins)
    else:
        problems = validate_sparql(store, onto.shapes, origins)
    errors = [p for p in problems if p.severity == "error"]
    warnings = warnings + [p for p in problems if p.severity != "error"]
    if errors:
        raise FactsError(errors + warnings)
    return warnings


@contextlib.contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Record how long a stage took (a stage that raises records nothing)."""
    t = time.perf_counter()
    yield
    timings[stage] = time.perf_counter() - t


def _build(
    facts_dir: Path,
    build_dir: Path,
    source_dirs: list[Path] | None,
    validator: str,
    progress: Callable[[str], None] | None,
    schema_files: list[Path],
    base: str,
) -> BuildResult:
    import json

    import pyoxigraph as ox

    from kg.facts.check import check_facts
    from kg.publish import staged
    from kg.searchkeys import search_keys

    def say(stage: str) -> None:
        if progress is not None:
            progress(stage)

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with _timed(timings, "load ontology"):
        if not facts_dir.is_dir():
            raise FactsError([Diagnostic(str(facts_dir), 0, "facts folder not found")])
        onto = _load_ontology(schema_files)

    say("reading and checking facts")
    with _timed(timings, "read and check facts"):
        sources = source_dirs if source_dirs is not None else default_source_dirs(facts_dir)
        facts = check_facts(facts_dir, onto.schema, topic_slugs(onto.topics), sources)

    say("converting to RDF")
    with _timed(timings, "convert to RDF"):
        store, origins = _to_store(onto, facts, base)
        fact_warnings = facts.warnings
        del facts  # the store has them now (see _to_store)
        apply_rules(store, onto.folder / "rules", base + "id/")
        search_keys(store)
        triples = len(store)

    with staged(build_dir) as staging:
        nt = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()) or b""
        staging.write_store(nt)  # in a thread, while the stages below run

        say("validating against the shapes")
        with _timed(timings, "validate (SHACL)"):
            pyshacl = validator == "pyshacl" or (validator == "auto" and triples <= PYSHACL_LIMIT)
            warnings = _validate(store, nt, onto, origins, pyshacl, fact_warnings)

        say("serialising")
        with _timed(timings, "serialise"):
            turtle = serialize(nt, base + "id/")
        with _timed(timings, "aggregates"):
            # The schema's view categories and the schema files added to kg's, so the
            # lookups and views of this build draw and name its kinds as the build did.
            kept = onto.schema.summary(onto.extra)
            sidecars = precompute(store, kept)
            sidecars["schema"] = json.dumps(kept, ensure_ascii=False).encode("utf-8")

        say("writing the store")
        # Only the part of loading the store that validation and the rest did not hide.
        with _timed(timings, "write store"):
            published = staging.publish(turtle, sidecars)
    timings["total"] = time.perf_counter() - t0
    return BuildResult(
        class_counts(store), triples, warnings, build_dir / "kg.ttl", published, timings
    )
