"""Named queries say what they share once: fragments (kg/queries/fragments) and their expansion."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import query as q
from kg.query import FRAGMENT_DIR, QUERY_DIR, FragmentError, all_queries, bindings, expand

QUERY_FILES = sorted(QUERY_DIR.glob("*.rq"))
FRAGMENT_FILES = sorted(FRAGMENT_DIR.glob("*.rq"))

# What used to be spelled out in several queries, and the one fragment that now says it.
SAID_ONCE = {
    "kg:notCoveredBy": "link-predicate",  # the predicates whose statements link nothing
    "kg:citedSource/kg:file": "evidence",  # a fact's citations, their file and line
    'CONCAT(?file, "#"': "sources",  # those packed in one cell, as kg.lookups.citations reads
}


@pytest.fixture
def fragments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty fragment folder in place of kg's (the fragment cache emptied around it)."""
    monkeypatch.setattr(q, "FRAGMENT_DIR", tmp_path)
    q.load_fragment.cache_clear()
    yield tmp_path
    q.load_fragment.cache_clear()


def test_every_named_query_expands_to_plain_sparql() -> None:
    queries = all_queries()
    assert len(queries) == len(QUERY_FILES) > 0, [p.name for p in QUERY_FILES]
    empty = ox.Store()
    for nq in queries:
        assert "{{" not in nq.text, nq.name
        # Parses and runs (on nothing) with its parameters bound as kg binds them.
        subs = {ox.Variable(k): v for k, v in bindings(nq, {}).items()}
        list(empty.query(nq.text, substitutions=subs))


def test_expanded_queries_are_standard_sparql_for_rdflib_too() -> None:
    from rdflib.plugins.sparql import prepareQuery

    queries = all_queries()
    assert queries
    for nq in queries:
        prepareQuery(nq.text)  # rdflib's parser follows the SPARQL 1.1 grammar


def test_what_queries_share_is_spelled_out_in_its_fragment_only() -> None:
    assert QUERY_FILES and FRAGMENT_FILES
    for marker, fragment in SAID_ONCE.items():
        where = [p.name for p in [*QUERY_FILES, *FRAGMENT_FILES] if marker in p.read_text()]
        assert where == [f"{fragment}.rq"], (marker, where)


def test_every_fragment_is_used() -> None:
    texts = [p.read_text() for p in [*QUERY_FILES, *FRAGMENT_FILES]]
    unused = [
        p.stem
        for p in FRAGMENT_FILES
        if not any(re.search(r"\{\{\s*" + re.escape(p.stem) + r"[\s}]", t) for t in texts)
    ]
    assert FRAGMENT_FILES and not unused, unused


def test_a_fragment_takes_the_variables_of_its_use() -> None:
    assert expand("FILTER({{link-predicate ?rel}})").startswith("FILTER(?rel NOT IN (rdf:type")
    assert expand("FILTER({{link-predicate}})").startswith("FILTER(?p NOT IN (rdf:type")


def test_queries_and_fragments_are_read_once() -> None:
    assert q.load_query("graph-edges") is q.load_query("graph-edges")
    assert q.load_fragment("link-predicate") is q.load_fragment("link-predicate")


def test_an_unknown_fragment_is_a_clear_error() -> None:
    with pytest.raises(FragmentError, match=r"unknown query fragment \{\{no-such\}\} \(known: "):
        expand("SELECT * WHERE { {{no-such ?x}} }")


def test_fragment_mistakes_are_clear_errors(fragments: Path) -> None:
    (fragments / "pair.rq").write_text("# vars: ?a ?b\n?a kg:knows ?b .\n")
    (fragments / "loop.rq").write_text("# no vars\n?x kg:p ?y . {{loop}}\n")
    assert expand("{{pair ?x ?y}}") == "?x kg:knows ?y ."
    assert expand("{{pair}}") == "?a kg:knows ?b ."
    with pytest.raises(
        FragmentError, match=r"\{\{pair\}\} takes 2 variable\(s\) \(\?a \?b\), given 1"
    ):
        expand("{{pair ?x}}")
    with pytest.raises(FragmentError, match=r"\{\{loop\}\} uses itself: loop -> loop"):
        expand("{{loop}}")
    with pytest.raises(
        FragmentError, match=r"unknown query fragment \{\{other\}\} \(known: loop, pair\)"
    ):
        expand("{{other}}")
