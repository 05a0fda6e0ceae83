"""Turn checked records into RDF, built only from rdflib terms.

The converter walks each record's fields and hands each value to its field's value type
(kg.facts.types), which knows the value's RDF terms; the converter itself knows only what
every record gets (class, label, note, where it was written, day bounds, evidence).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rdflib import Literal, URIRef

from kg.facts.dates import FuzzyDate
from kg.facts.records import Facts, Record
from kg.facts.schema import EVIDENCE, KindSpec, Schema
from kg.facts.types import Term
from kg.namespaces import ID, KG, RDF, SKOS, TOPIC, XSD
from kg.prefixes import PREFIXES


def expand(curie: str, declared: Iterable[str] = ()) -> URIRef:
    """Expand 'prefix:local' using kg's prefixes.

    A kg: term must exist in the ontology (the closed namespace raises on an unknown one)
    or be among `declared`: the terms a schema file adds, which the build declares.
    """
    prefix, _, local = curie.partition(":")
    if prefix == "kg":
        if curie in declared:
            return URIRef(PREFIXES["kg"] + local)
        return URIRef(KG[local])  # the closed namespace raises on an unknown term
    return URIRef(PREFIXES[prefix] + local)


def schema_terms(schema: Schema) -> set[str]:
    """Every CURIE a schema names: kind and type classes, predicates, enum values."""
    out: set[str] = set()
    for kind in schema.kinds.values():
        out.update(kind.classes())
        out.add(kind.cls)
        for spec in kind.fields.values():
            if spec.predicate:
                out.add(spec.predicate)
            out.update(spec.values.values())
    return out


@dataclass(frozen=True)
class Origin:
    """Where in the curated facts a node was written."""

    file: str
    line: int
    record: str


Triple = tuple[URIRef, URIRef, Term]


class Converter:
    """Builds the data graph from records, remembering which record made each node."""

    def __init__(self, schema: Schema, facts: Facts, space: str = str(ID)) -> None:
        self.schema = schema
        self.facts = facts
        self.space = space  # the namespace of entity IRIs (kg build --base-iri)
        self.triples: set[Triple] = set()
        self.origins: dict[str, Origin] = {}
        self._declared = schema_terms(schema)
        # What the records converted so far read of other records (see convert_file).
        self.deps: dict[str, Dep] = {}

    # ------------------------------------------------------------------ for the value types
    def add(self, s: URIRef, p: URIRef, o: Term) -> None:
        self.triples.add((s, p, o))

    def iri(self, ref: str) -> URIRef:
        """Return the IRI of a record id or topic slug."""
        if ref in self.facts.topics:
            self._depend(ref, TOPICS, None)
            return URIRef(TOPIC[ref])
        rec = self.facts.records[ref]
        self._depend(ref, rec.kind, None)
        return URIRef(self.space + self.schema.kinds[rec.kind].iri.format(id=ref))

    def _depend(self, ref: str, kind: str, label: str | None) -> None:
        had = self.deps.get(ref)
        self.deps[ref] = (kind, label if label is not None else had[1] if had else None)

    def expand(self, curie: str) -> URIRef:
        return expand(curie, self._declared)

    def remember(self, node: URIRef, rec: Record, line: int) -> None:
        self.origins[str(node)] = Origin(rec.file, line, rec.id)

    # ------------------------------------------------------------------ records
    def label(self, ref: str) -> str:
        rec = self.facts.records[ref]
        spec = self.schema.kinds[rec.kind]
        if spec.label == "generated":
            label = self._generated_label(rec)
        else:
            label = str(rec.values.get(spec.label, ref))
        self._depend(ref, rec.kind, label)
        return label

    def _generated_label(self, rec: Record) -> str:
        # A role reads as "holder — post" so that lists of roles are legible.
        holder, post = rec.values.get("holder"), rec.values.get("post")
        if holder and post:
            return f"{self.label(holder)} — {self.label(post)}"
        return rec.id

    def convert(self) -> set[Triple]:
        for rid in sorted(self.facts.records):
            self.convert_record(self.facts.records[rid])
        return self.triples

    def convert_record(self, rec: Record) -> None:
        kind = self.schema.kinds[rec.kind]
        s = self.iri(rec.id)
        self.remember(s, rec, rec.line)
        if kind.type_field is None or kind.add_base_class:
            self.add(s, RDF.type, self.expand(kind.cls))
        if kind.type_field and kind.type_field in rec.values:
            self.add(s, RDF.type, self.expand(kind.types[rec.values[kind.type_field]].cls))
        if kind.label == "generated":
            self.add(s, SKOS.prefLabel, Literal(self._generated_label(rec), lang="en"))
        if rec.note:
            self.add(s, SKOS.note, Literal(rec.note, lang="en"))
        self.add(s, KG.recordFile, Literal(rec.file))
        self.add(s, KG.recordLine, Literal(rec.line, datatype=XSD.integer))
        dates: list[FuzzyDate] = []
        for name, value in rec.values.items():
            if name == kind.type_field:
                continue
            spec = kind.fields[name]
            spec.vtype.emit(self, s, rec, spec, value)
            if spec.bounds:
                dates += spec.vtype.dates(value)
        if dates:
            self.add(s, KG.earliest, Literal(min(d.earliest for d in dates), datatype=XSD.date))
            self.add(s, KG.latest, Literal(max(d.latest for d in dates), datatype=XSD.date))
        related = kind.relation_field in rec.values and "subject" in rec.values
        if kind.relation_field and related and _plain(kind, rec):
            # A claim of "A relation B" the source states, for no limited time, is also a
            # plain triple, so that graph questions can follow it; the claim node keeps its
            # status, asserter and evidence. Any other claim stays on its node alone
            # (records.yaml: plain_triple_when).
            relation = kind.fields[kind.relation_field]
            rel = self.expand(relation.values[rec.values[kind.relation_field]])
            for obj in rec.values.get("object", []):
                self.add(self.iri(rec.values["subject"]), rel, self.iri(obj))
        EVIDENCE.vtype.emit(self, s, rec, EVIDENCE, rec.evidence)


def _plain(kind: KindSpec, rec: Record) -> bool:
    """Whether the record meets its kind's `plain_triple_when` (empty: always)."""
    for name, allowed in kind.plain_when.items():
        if name == "unset":
            if any(f in rec.values for f in allowed):
                return False
        elif rec.values.get(name) not in allowed:
            return False
    return True


TOPICS = "topics"  # the kind a dependency on a topic slug records
Dep = tuple[str, str | None]  # what a conversion read of a record: its kind, its label


@dataclass(frozen=True)
class FileRDF:
    """The RDF of one facts file's records, and what of other records it was made from."""

    ntriples: bytes
    origins: dict[str, Origin]
    # Each record or topic the file's records name: its kind and, where the conversion
    # wrote its label (a role is "holder — post"), that label. The same kinds and labels
    # give the same RDF: then a later build may reuse it (kg.incremental).
    deps: dict[str, Dep]


def convert_file(schema: Schema, facts: Facts, records: Iterable[Record], space: str) -> FileRDF:
    """Convert the records of one facts file (checked, among all of facts)."""
    conv = Converter(schema, facts, space)
    for rec in sorted(records, key=lambda r: r.id):
        conv.convert_record(rec)
    return FileRDF(ntriples(conv.triples), conv.origins, conv.deps)


def deps_hold(schema: Schema, facts: Facts, deps: dict[str, Dep], space: str) -> bool:
    """Whether the records and topics a file's RDF was made from have the same kinds and
    labels among these facts (so converting the file again would make the same RDF)."""
    conv = Converter(schema, facts, space)
    for ref, (kind, label) in deps.items():
        if ref in facts.topics:
            if kind != TOPICS:
                return False
            continue
        rec = facts.records.get(ref)
        if rec is None or rec.kind != kind:
            return False
        if label is not None and conv.label(ref) != label:
            return False
    return True


def to_rdf(
    schema: Schema, facts: Facts, space: str = str(ID)
) -> tuple[set[Triple], dict[str, Origin]]:
    """Convert checked facts to triples of rdflib terms, with the origin of every node; the
    entities' IRIs are SPACE + their kind's path (kg's https://w3id.org/kg/id/ unless told)."""
    conv = Converter(schema, facts, space)
    return conv.convert(), conv.origins


def ntriples(triples: set[Triple]) -> bytes:
    """N-Triples of rdflib terms: IRIs by rdflib's n3(), literals by pyoxigraph's escaping.

    rdflib's Literal.n3() is Turtle: a value with a line break becomes a \"\"\"long string\"\"\"
    that N-Triples does not allow (a note of two lines stopped the build with a traceback).
    """
    import pyoxigraph as ox

    def term(t: Term) -> str:
        if not isinstance(t, Literal):
            return str(t.n3())
        if t.language:
            return str(ox.Literal(str(t), language=t.language))
        dtype = ox.NamedNode(str(t.datatype)) if t.datatype else None
        return str(ox.Literal(str(t), datatype=dtype))

    return "".join(f"{term(s)} {term(p)} {term(o)} .\n" for s, p, o in triples).encode("utf-8")


def merge(parts: list[FileRDF]) -> FileRDF:
    """One FileRDF of the RDF of consecutive runs of a file's records (in record order:
    a node two runs make is remembered where the later made it, as converting them in one
    run does; a dependency keeps the label a run read)."""
    if len(parts) == 1:
        return parts[0]
    origins: dict[str, Origin] = {}
    deps: dict[str, Dep] = {}
    for part in parts:
        origins.update(part.origins)
        for ref, (kind, label) in part.deps.items():
            had = deps.get(ref)
            deps[ref] = (kind, label if label is not None else had[1] if had else None)
    return FileRDF(b"".join(p.ntriples for p in parts), origins, deps)


# What the conversion workers read: set before they are forked, so each sees the checked
# facts without their being pickled and sent (see convert_runs).
_SHARED: tuple[Schema, Facts, str] | None = None


def _convert_run(ids: list[str]) -> FileRDF:
    assert _SHARED is not None
    schema, facts, space = _SHARED
    return convert_file(schema, facts, [facts.records[i] for i in ids], space)


Run = tuple[str, list[str]]  # a facts file and the ids of a run of its records


def convert_runs(
    schema: Schema, facts: Facts, runs: list[Run], space: str, workers: int
) -> Iterator[tuple[str, FileRDF]]:
    """Convert runs of records, yielding (file, RDF) in the order of runs.

    With workers > 1 (and fork, which shares the facts with the workers for free), that
    many processes convert runs while this one takes their results; at most a few runs'
    RDF wait at a time, so memory stays that of a few runs, not of the graph.
    """
    import multiprocessing as mp

    global _SHARED
    if workers <= 1 or len(runs) <= 1 or "fork" not in mp.get_all_start_methods():
        for rel, ids in runs:
            yield rel, convert_file(schema, facts, [facts.records[i] for i in ids], space)
        return
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    _SHARED = (schema, facts, space)
    try:
        # A forked worker shares the facts' pages until it touches them (a reference
        # count is a write): one that converted everything had a copy of all the facts
        # (the 5M build peaked at 7.1 GiB over its processes), so workers are forked
        # afresh every RECYCLE runs.
        for start in range(0, len(runs), RECYCLE):
            group = runs[start : start + RECYCLE]
            with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
                pending: deque[tuple[str, Future[FileRDF]]] = deque()
                for rel, ids in group:
                    pending.append((rel, pool.submit(_convert_run, ids)))
                    if len(pending) > workers:
                        done_rel, future = pending.popleft()
                        yield done_rel, future.result()
                while pending:
                    done_rel, future = pending.popleft()
                    yield done_rel, future.result()
    finally:
        _SHARED = None


RECYCLE = 8  # runs a pair of forked workers converts before a fresh pair takes over
