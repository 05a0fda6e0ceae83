"""Turn checked records into RDF, built only from rdflib terms."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rdflib import Literal, URIRef

from kg.facts.check import Facts, Quantity, Record
from kg.facts.dates import FuzzyDate
from kg.facts.schema import FieldSpec, KindSpec, Schema
from kg.namespaces import ID, KG, PROV, RDF, SCHEMA, SKOS, TOPIC, XSD
from kg.prefixes import PREFIXES


def expand(curie: str) -> URIRef:
    """Expand 'prefix:local' using kg's prefixes; kg: terms must exist in the ontology."""
    prefix, _, local = curie.partition(":")
    if prefix == "kg":
        return URIRef(KG[local])  # the closed namespace raises on an unknown term
    return URIRef(PREFIXES[prefix] + local)


def number(value: Decimal) -> Literal:
    """Return a whole number as xsd:integer, any other as a normalised xsd:decimal.

    Stores canonicalise numeric literals (pyoxigraph writes 350000.0 as "350000"), so we
    emit the canonical form ourselves and kg.ttl and the store hold identical terms.
    """
    if value == value.to_integral_value():
        return Literal(int(value), datatype=XSD.integer)
    return Literal(format(value.normalize(), "f"), datatype=XSD.decimal)


@dataclass(frozen=True)
class Origin:
    """Where in the curated facts a node was written."""

    file: str
    line: int
    record: str


class Converter:
    """Builds the data graph from records, remembering which record made each node."""

    def __init__(self, schema: Schema, facts: Facts) -> None:
        self.schema = schema
        self.facts = facts
        self.triples: set[tuple[URIRef, URIRef, URIRef | Literal]] = set()
        self.origins: dict[str, Origin] = {}

    def iri(self, ref: str) -> URIRef:
        """Return the IRI of a record id or topic slug."""
        if ref in self.facts.topics:
            return URIRef(TOPIC[ref])
        rec = self.facts.records[ref]
        return URIRef(ID[self.schema.kinds[rec.kind].iri.format(id=ref)])

    def label(self, ref: str) -> str:
        rec = self.facts.records[ref]
        spec = self.schema.kinds[rec.kind]
        if spec.label == "generated":
            return self._generated_label(rec)
        return str(rec.values.get(spec.label, ref))

    def _generated_label(self, rec: Record) -> str:
        # A role reads as "holder — post" so that lists of roles are legible.
        holder, post = rec.values.get("holder"), rec.values.get("post")
        if holder and post:
            return f"{self.label(holder)} — {self.label(post)}"
        return rec.id

    def add(self, s: URIRef, p: URIRef, o: URIRef | Literal) -> None:
        self.triples.add((s, p, o))

    def convert(self) -> set[tuple[URIRef, URIRef, URIRef | Literal]]:
        for rid in sorted(self.facts.records):
            self.convert_record(self.facts.records[rid])
        return self.triples

    def convert_record(self, rec: Record) -> None:
        kind = self.schema.kinds[rec.kind]
        s = self.iri(rec.id)
        self.origins[str(s)] = Origin(rec.file, rec.line, rec.id)
        if kind.type_field is None or kind.add_base_class:
            self.add(s, RDF.type, expand(kind.cls))
        if kind.type_field and kind.type_field in rec.values:
            self.add(s, RDF.type, expand(kind.types[rec.values[kind.type_field]]))
        if kind.label == "generated":
            self.add(s, SKOS.prefLabel, Literal(self._generated_label(rec), lang="en"))
        if rec.note:
            self.add(s, SKOS.note, Literal(rec.note, lang="en"))
        self.add(s, KG.recordFile, Literal(rec.file))
        self.add(s, KG.recordLine, Literal(rec.line, datatype=XSD.integer))
        dates: list[FuzzyDate] = []
        for name, value in rec.values.items():
            spec = kind.fields[name]
            if name == kind.type_field:
                continue
            self.convert_field(s, rec, spec, value)
            if spec.type in ("date", "dates") and spec.bounds:
                dates.extend(value if isinstance(value, list) else [value])
        if dates:
            self.add(s, KG.earliest, Literal(min(d.earliest for d in dates), datatype=XSD.date))
            self.add(s, KG.latest, Literal(max(d.latest for d in dates), datatype=XSD.date))
        if kind.relation_field and kind.relation_field in rec.values and "subject" in rec.values:
            # A claim of "A relation B" is also stated directly, so that graph questions can
            # follow it; the claim node keeps its evidence.
            rel = expand(kind.fields[kind.relation_field].values[rec.values[kind.relation_field]])
            for obj in rec.values.get("object", []):
                self.add(self.iri(rec.values["subject"]), rel, self.iri(obj))
        self.convert_evidence(s, rec)

    def convert_field(self, s: URIRef, rec: Record, spec: FieldSpec, value: Any) -> None:
        t = spec.type
        if t == "sides":
            self.convert_sides(s, rec, value)
            return
        if t == "quantities":
            self.convert_quantities(s, value)
            return
        assert spec.predicate, spec.name
        p = expand(spec.predicate)
        for v in value if isinstance(value, list) else [value]:
            self.add(s, p, self.term(spec, v))

    def term(self, spec: FieldSpec, v: Any) -> URIRef | Literal:
        t = spec.type
        if t in ("text", "texts"):
            return Literal(v, lang=spec.lang) if spec.lang else Literal(v)
        if t == "int":
            return Literal(v, datatype=XSD.integer)
        if t == "decimal":
            return number(Decimal(v))
        if t in ("date", "dates"):
            return Literal(v.text, datatype=XSD[v.xsd])
        if t in ("ref", "refs"):
            return self.iri(v)
        if t == "enum":
            return expand(spec.values[v])
        raise AssertionError(t)

    def convert_sides(self, s: URIRef, rec: Record, sides: list[tuple[str, list[str]]]) -> None:
        for side, actors in sides:
            for actor in actors:
                part = URIRef(f"{s}/participation/{actor}")
                self.origins[str(part)] = Origin(rec.file, rec.line_of("sides"), rec.id)
                self.add(part, RDF.type, KG.Participation)
                self.add(part, KG.actor, self.iri(actor))
                self.add(part, KG.side, self.iri(side))
                self.add(s, KG.participation, part)
                self.add(s, KG.participant, self.iri(actor))

    def convert_quantities(self, s: URIRef, quantities: list[Quantity]) -> None:
        for i, q in enumerate(quantities, start=1):
            node = URIRef(f"{s}/quantity/{i}")
            self.add(node, RDF.type, SCHEMA.QuantitativeValue)
            self.add(node, SCHEMA.value, number(q.amount))
            if q.unit:
                self.add(node, SCHEMA.unitText, Literal(q.unit))
            if q.of:
                self.add(node, SCHEMA.description, Literal(q.of, lang="en"))
            self.add(s, KG.quantity, node)

    def convert_evidence(self, s: URIRef, rec: Record) -> None:
        for cite in rec.evidence:
            node = URIRef(f"{s}/evidence/{cite.source}/{cite.line}")
            self.origins[str(node)] = Origin(rec.file, rec.line_of("evidence"), rec.id)
            src = self.iri(cite.source)
            self.add(node, RDF.type, KG.Citation)
            self.add(node, KG.citedSource, src)
            self.add(node, KG.line, Literal(cite.line, datatype=XSD.integer))
            if cite.note:
                self.add(node, SKOS.note, Literal(cite.note, lang="en"))
            self.add(s, KG.evidence, node)
            self.add(s, PROV.wasDerivedFrom, src)


Triple = tuple[URIRef, URIRef, URIRef | Literal]


def to_rdf(schema: Schema, facts: Facts) -> tuple[set[Triple], dict[str, Origin]]:
    """Convert checked facts to triples of rdflib terms, with the origin of every node."""
    conv = Converter(schema, facts)
    return conv.convert(), conv.origins


def ntriples(triples: set[Triple]) -> bytes:
    """N-Triples of rdflib terms, each written by rdflib's own escaping (term.n3())."""
    return "".join(f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in triples).encode("utf-8")


def kind_class(kind: KindSpec) -> URIRef:
    """Return the class IRI a kind's records are typed with."""
    return expand(kind.cls)
