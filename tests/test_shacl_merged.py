"""The compiled checks of one target run as one query (kg.shacl_sparql._merged): each
violation is still reported once per check, with that check's message and path, exactly
as when every check ran as a query of its own."""

from __future__ import annotations

import dataclasses

import pyoxigraph as ox
import pytest
from rdflib import Graph

from kg.shacl_sparql import Check, compile_shapes, violations

SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://example.org/> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:size ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:integer ;
                  sh:minInclusive 1 ; sh:message "size: one positive integer" ] ,
                [ sh:path ex:name ; sh:minCount 1 ; sh:message "a name is required" ] .
ex:OtherShape a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:size ; sh:maxCount 1 ; sh:message "at most one size" ] .
"""

DATA = """
@prefix ex: <https://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Small rdfs:subClassOf ex:Thing .
ex:ok a ex:Thing ; ex:name "ok" ; ex:size 3 .
ex:twice a ex:Small ; ex:size 1, 2 .
ex:bad a ex:Thing ; ex:name "bad" ; ex:size "big", 0 .
ex:other ex:size 1, 2 .
"""


def _store(turtle: str) -> ox.Store:
    store = ox.Store()
    store.load(turtle.encode(), format=ox.RdfFormat.TURTLE)
    return store


def _alone(checks: list[Check]) -> list[Check]:
    # The same checks without their tests: each runs as a query of its own, as before.
    return [dataclasses.replace(c, test=None) for c in checks]


def _said(found: list[tuple[str, Check]]) -> list[tuple[str, str, str | None, str, str]]:
    # What a report says of each violation (the check's test aside: absent when alone).
    return sorted((node, c.shape, c.path, c.message, c.query) for node, c in found)


def _found(store: ox.Store, checks: list[Check]) -> list[tuple[str, str, str | None]]:
    return sorted(
        (node.rsplit("/", 1)[1], c.message, c.path and c.path.rsplit("/", 1)[1])
        for node, c in violations(store, checks)
    )


def test_a_node_violating_two_merged_checks_reports_both() -> None:
    checks = compile_shapes(Graph().parse(data=SHAPES, format="turtle"))
    assert sum(c.test is not None for c in checks) == 6  # all six run as one query
    found = _found(_store(DATA), checks)
    assert found == [
        ("bad", "at most one size", "size"),
        ("bad", "size: one positive integer", "size"),  # a string
        ("bad", "size: one positive integer", "size"),  # 0 < 1
        ("bad", "size: one positive integer", "size"),  # two values
        ("twice", "a name is required", "name"),  # of a subclass, no name and two sizes
        ("twice", "at most one size", "size"),
        ("twice", "size: one positive integer", "size"),
    ]
    assert found == _found(_store(DATA), _alone(checks))


def test_merged_checks_find_what_each_query_alone_finds_on_every_example() -> None:
    """The real shapes, on each violating example of tests/test_shapes.py."""
    from kg.locations import ontology_dir
    from tests.test_shapes import BASE, EXAMPLES, HEADER, _shapes

    checks = compile_shapes(_shapes())
    assert sum(c.test is not None for c in checks) > 100
    for shape, (_, bad) in sorted(EXAMPLES.items()):
        data = Graph().parse(data=HEADER + BASE + bad, format="turtle")
        data += Graph().parse(ontology_dir() / "kg.ttl")
        store = ox.Store()
        store.load(data.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
        merged = violations(store, checks)
        assert merged, shape
        assert _said(merged) == _said(violations(store, _alone(checks)))


@pytest.mark.parametrize("focus", [["https://example.org/twice"], ["https://example.org/ok"]])
def test_merged_checks_on_focus_nodes(focus: list[str]) -> None:
    """An incremental build's re-check of some nodes finds the same as the checks alone."""
    checks = compile_shapes(Graph().parse(data=SHAPES, format="turtle"))
    store = _store(DATA)
    changed = {"https://example.org/size"}
    merged = violations(store, checks, changed, focus)
    assert _said(merged) == _said(violations(store, _alone(checks), changed, focus))
    assert {n for n, _ in merged} == ({focus[0]} if "twice" in focus[0] else set())
