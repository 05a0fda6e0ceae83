"""Validate the built graph against ontology/shapes.ttl and trace violations to the facts."""

from __future__ import annotations

from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import SH

from kg.convert import Origin
from kg.diagnostics import Diagnostic


def _origin_of(node: str, origins: dict[str, Origin]) -> Origin | None:
    # Sub-nodes (participations, citations, quantities) have IRIs below their record's IRI.
    while node:
        if node in origins:
            return origins[node]
        if "/" not in node:
            return None
        node = node.rsplit("/", 1)[0]
    return None


def _short(term: object) -> str:
    text = str(term)
    for sep in ("#", "/"):
        if sep in text:
            text = text.rsplit(sep, 1)[1]
    return text


def _located(focus: str, text: str, origins: dict[str, Origin], severity: str) -> Diagnostic:
    origin = _origin_of(focus, origins)
    if origin is not None:
        return Diagnostic(origin.file, origin.line, f"{origin.record}: {text}", severity)
    return Diagnostic("<graph>", 0, f"{focus}: {text}", severity)


def validate(data: Graph, shapes: Graph, origins: dict[str, Origin]) -> list[Diagnostic]:
    """Run pySHACL; return one diagnostic per violation, located at the record behind it.

    The data graph holds the ontology too: class membership (sh:class) follows its
    rdfs:subClassOf links and its kind and status individuals.
    """
    import pyshacl

    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    if conforms:
        return []
    out: list[Diagnostic] = []
    for result in report.subjects(predicate=SH.focusNode):
        focus = report.value(result, SH.focusNode)
        message = report.value(result, SH.resultMessage)
        path = report.value(result, SH.resultPath)
        severity = report.value(result, SH.resultSeverity)
        text = str(message) if message is not None else "violates a shape"
        if path is not None and isinstance(path, URIRef):
            text += f" [{_short(path)}]"
        level = "warning" if severity in (SH.Warning, SH.Info) else "error"
        out.append(_located(str(focus), text, origins, level))
    return sorted(set(out))


def validate_sparql(
    store: Any,
    shapes: Graph,
    origins: dict[str, Origin],
    changed: set[str] | None = None,
    focus: list[str] | None = None,
) -> list[Diagnostic]:
    """Validate with the shapes compiled to SPARQL (for graphs too large for pySHACL);
    changed and focus: only what may have changed since a graph without violations
    (kg.shacl_sparql.violations)."""
    from kg.shacl_sparql import compile_shapes, violations

    out = set()
    for node, check in violations(store, compile_shapes(shapes), changed, focus):
        text = check.message + (f" [{_short(check.path)}]" if check.path else "")
        out.add(_located(node, text, origins, "error"))
    return sorted(out)
