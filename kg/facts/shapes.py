"""The structural part of the SHACL shapes and the class declarations, made from the schema.

ontology/shapes.ttl keeps the shapes that say something a field declaration cannot (a
meeting has two participants, a role's dates are in order). What every kind's declaration
implies is generated here, so a kind added to records.yaml is validated without touching
the shapes file:
- EvidenceShape and LabelShape target every kind that needs evidence / a name;
- one shape per kind: each required field at least once, a single-valued field at most
  once, a reference to the classes of the kinds it names, a date or number of its datatype.
And a kind, type, field or value whose kg: term the ontology does not declare (a kind from
`kg build --schema FILE`) is declared: a class under its parent kind's class, a property.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS
from rdflib.term import Node

from kg.convert import expand, schema_terms
from kg.diagnostics import a
from kg.facts.schema import KindSpec, Schema
from kg.facts.types import FieldSpec

KGSH = Namespace("https://w3id.org/kg/shapes#")
_LABEL_FIELDS = ("name", "generated")  # fields whose value is the node's skos:prefLabel


def _class_of(schema: Schema, kind: str) -> URIRef:
    if kind == "topics":
        return SKOS.Concept
    return expand(schema.kinds[kind].cls, schema_terms(schema))


def _local(curie: str) -> str:
    return curie.partition(":")[2]


class _Shapes:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.declared = schema_terms(schema)
        self.g = Graph()
        self.g.bind("sh", SH)
        self.g.bind("kgsh", KGSH)

    def prop(self, shape: URIRef, path: URIRef, message: str, **constraints: object) -> None:
        node = BNode()
        self.g.add((shape, SH.property, node))
        self.g.add((node, SH.path, path))
        self.g.add((node, SH.message, Literal(message)))
        for name, val in constraints.items():
            if name == "or_":
                items: list[Node] = []
                for key, term in val:  # type: ignore[attr-defined]
                    alt = BNode()
                    self.g.add((alt, SH[key], term))
                    items.append(alt)
                head = BNode()
                Collection(self.g, head, items)
                self.g.add((node, SH["or"], head))
            else:
                self.g.add((node, SH[name], val))  # type: ignore[arg-type]

    def common(self) -> None:
        kinds = self.schema.kinds.values()
        evidence = KGSH.EvidenceShape
        self.g.add((evidence, RDF.type, SH.NodeShape))
        self.g.add((evidence, RDFS.comment, Literal("Every fact carries evidence.")))
        for kind in kinds:
            if kind.evidence_required:
                self.g.add((evidence, SH.targetClass, _class_of(self.schema, kind.name)))
        self.prop(
            evidence,
            URIRef(expand("kg:evidence")),
            "every fact needs at least one piece of evidence (a cited source line)",
            minCount=Literal(1),
            **{"class": URIRef(expand("kg:Citation"))},
        )
        label = KGSH.LabelShape
        self.g.add((label, RDF.type, SH.NodeShape))
        for kind in kinds:
            if kind.label in _LABEL_FIELDS:
                self.g.add((label, SH.targetClass, _class_of(self.schema, kind.name)))
        self.prop(
            label,
            SKOS.prefLabel,
            "a fact needs one name (skos:prefLabel) per language",
            minCount=Literal(1),
            uniqueLang=Literal(True),
        )

    def kind(self, kind: KindSpec) -> None:
        shape = KGSH[f"{_local(kind.cls)}FieldsShape"]
        self.g.add((shape, RDF.type, SH.NodeShape))
        self.g.add((shape, SH.targetClass, _class_of(self.schema, kind.name)))
        shared = Counter(f.predicate for f in kind.fields.values() if f.predicate)
        for f in kind.fields.values():
            if not f.predicate or f.name == kind.type_field:
                continue
            path = expand(f.predicate, self.declared)
            what = f"'{f.name}' of {a(kind.singular())}"
            if f.required:
                needs = f"{a(kind.singular())} needs '{f.name}'"
                self.prop(shape, path, needs, minCount=Literal(1))
            if not f.vtype.many and shared[f.predicate] == 1:
                # A text in a language is single per language (a name in English and one
                # in Persian are both the node's name).
                if f.lang:
                    self.prop(shape, path, f"{what} has one value per language",
                              uniqueLang=Literal(True))  # fmt: skip
                else:
                    self.prop(shape, path, f"{what} has one value", maxCount=Literal(1))
            self.values(shape, path, what, f)

    def values(self, shape: URIRef, path: URIRef, what: str, f: FieldSpec) -> None:
        wanted = f.vtype.shape(f)
        if "kinds" in wanted:
            classes = [_class_of(self.schema, k) for k in wanted["kinds"]]
            names = " or ".join(
                "topic" if k == "topics" else self.schema.kinds[k].singular()
                for k in wanted["kinds"]
            )
            message = f"{what} is {a(names)}"
            if len(classes) == 1:
                self.prop(shape, path, message, **{"class": classes[0]})
            else:
                self.prop(shape, path, message, or_=[("class", c) for c in classes])
        if "datatypes" in wanted:
            types = [URIRef(d) for d in wanted["datatypes"]]
            message = f"{what} is a " + ("date" if f.vtype.is_date else "number")
            if len(types) == 1:
                self.prop(shape, path, message, datatype=types[0])
            else:
                self.prop(shape, path, message, or_=[("datatype", d) for d in types])


def structural_shapes(schema: Schema) -> Graph:
    """The shapes every kind's declaration implies (see the module's docstring)."""
    shapes = _Shapes(schema)
    shapes.common()
    for kind in schema.kinds.values():
        shapes.kind(kind)
    return shapes.g


def declarations(schema: Schema, ontology: Graph) -> Iterator[tuple[URIRef, URIRef, Node]]:
    """Triples declaring the schema's kg: terms that `ontology` does not declare."""
    declared = schema_terms(schema)
    known = set(ontology.subjects())

    def new(curie: str) -> URIRef | None:
        term = expand(curie, declared)
        return term if curie.startswith("kg:") and term not in known else None

    for kind in schema.kinds.values():
        parent = schema.kinds[kind.parent].cls if kind.parent else None
        if (cls := new(kind.cls)) is not None:
            yield cls, RDF.type, OWL.Class
            yield cls, RDFS.label, Literal(kind.singular().capitalize(), lang="en")
            if kind.description:
                yield cls, RDFS.comment, Literal(kind.description, lang="en")
            if parent:
                yield cls, RDFS.subClassOf, expand(parent, declared)
        for slug, t in kind.types.items():
            if (sub := new(t.cls)) is not None:
                yield sub, RDF.type, OWL.Class
                yield sub, RDFS.label, Literal(slug.replace("-", " ").capitalize(), lang="en")
                yield sub, RDFS.subClassOf, expand(kind.cls, declared)
        for f in kind.fields.values():
            if f.predicate and (p := new(f.predicate)) is not None:
                ref = f.type in ("ref", "refs", "enum", "roles", "history")
                yield p, RDF.type, OWL.ObjectProperty if ref else OWL.DatatypeProperty
                yield p, RDFS.label, Literal(f.name.replace("_", " "), lang="en")
            for slug, value in f.values.items():
                if f.name != kind.type_field and (v := new(value)) is not None:
                    yield v, RDF.type, OWL.NamedIndividual
                    yield v, RDFS.label, Literal(slug.replace("-", " "), lang="en")
