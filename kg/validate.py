"""Validate the built graph against ontology/shapes.ttl and trace violations to the facts."""

from __future__ import annotations

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


def validate(
    data: Graph, shapes: Graph, ontology: Graph, origins: dict[str, Origin]
) -> list[Diagnostic]:
    """Run SHACL; return one diagnostic per violation, located at the record that caused it."""
    import pyshacl

    # The ontology is validated with the data: class membership (sh:class) follows its
    # rdfs:subClassOf links and its kind/status individuals.
    conforms, report, _ = pyshacl.validate(
        data + ontology,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    if conforms:
        return []
    out: list[Diagnostic] = []
    for result in report.subjects(predicate=SH.focusNode):
        focus = report.value(result, SH.focusNode)
        message = report.value(result, SH.resultMessage)
        path = report.value(result, SH.resultPath)
        severity = report.value(result, SH.resultSeverity)
        origin = _origin_of(str(focus), origins) if isinstance(focus, URIRef) else None
        text = str(message) if message is not None else "violates a shape"
        if path is not None and isinstance(path, URIRef):
            text += f" [{_short(path)}]"
        if origin is not None:
            where_file, where_line = origin.file, origin.line
            text = f"{origin.record}: {text}"
        else:
            where_file, where_line = "<graph>", 0
            text = f"{focus}: {text}"
        out.append(
            Diagnostic(
                where_file,
                where_line,
                text,
                "warning" if severity in (SH.Warning, SH.Info) else "error",
            )
        )
    return sorted(set(out))
