"""Named queries say what they share once: fragments (kg/queries/fragments) and their expansion."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import query as q
from kg.query import FRAGMENT_DIR, QUERY_DIR, FragmentError, all_queries, bindings, expand

QUERY_FILES = sorted(QUERY_DIR.glob("*.rq"))
FRAGMENT_FILES = sorted(FRAGMENT_DIR.glob("*.rq"))

# What used to be spelled out in several queries (a pattern of it), and the one fragment that
# now says it.
SAID_ONCE = {
    r"kg:notCoveredBy": "negative-relations",  # the relations saying two things are not linked
    r"kg:citedSource/kg:file": "evidence",  # a fact's citations, their file and line
    r'CONCAT\(\?file, "#"': "sources",  # those packed in one cell (kg.lookups.citations reads)
    r"!\(\?te\w* > \?": "held-during",  # a post counts for its holder only while held
    r"\?\w*[sS]ide = \?": "counts-as",  # who an actor on a side counts as
}


@pytest.fixture
def fragments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty fragment folder in place of kg's (the fragment cache emptied around it)."""
    monkeypatch.setattr(q, "FRAGMENT_FOLDER", str(tmp_path))
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


@pytest.mark.slow
def test_expanded_queries_are_standard_sparql_for_rdflib_too() -> None:
    from rdflib.plugins.sparql import prepareQuery

    queries = all_queries()
    assert queries
    for nq in queries:
        prepareQuery(nq.text)  # rdflib's parser follows the SPARQL 1.1 grammar


def test_what_queries_share_is_spelled_out_in_its_fragment_only() -> None:
    assert QUERY_FILES and FRAGMENT_FILES
    for marker, fragment in SAID_ONCE.items():
        where = [
            p.name for p in [*QUERY_FILES, *FRAGMENT_FILES] if re.search(marker, p.read_text())
        ]
        assert where == [f"{fragment}.rq"], (marker, where)


def test_no_query_compares_with_less_or_equal() -> None:
    # Virtuoso 7 never finds a stored date <= a bound one (>=, < and > work): queries write
    # a <= b as !(a > b), the same test wherever a and b compare (tests/test_virtuoso.py).
    assert QUERY_FILES and FRAGMENT_FILES
    found = [p.name for p in [*QUERY_FILES, *FRAGMENT_FILES] if "<=" in p.read_text()]
    assert found == [], found


def test_every_fragment_is_used() -> None:
    # The build's rules (ontology/rules) use fragments too: presumed-holding is the rule
    # office-holder's condition.
    rules = sorted((Path(__file__).resolve().parents[1] / "ontology" / "rules").glob("*.rq"))
    assert rules
    texts = [p.read_text() for p in [*QUERY_FILES, *FRAGMENT_FILES, *rules]]
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


def test_a_post_counts_for_its_holder_only_while_held(shipped_build: Path) -> None:
    """Muttaqi is attested as foreign minister on 2022-07-16 only (facts: roles); the post's
    2022-08-14 visa talk is the post's, not his: held-during says so for who-met (through
    who-met-of's holder) and for timeline alike. (The rule office-holder then presumes him
    there, a row marked inferred: tests/test_inference.py; --no-inferred leaves it out.)"""
    from click.testing import CliRunner

    from kg.cli import main

    def event_iris(*args: str) -> list[str]:
        store = ["--store", str(shipped_build / "store")]
        result = CliRunner().invoke(main, [*store, *args, "--format", "json"])
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)
        return [r["event_iri"] for r in rows]

    visa = "https://w3id.org/kg/id/event/2022-08-14-visa-announcement"
    # A message, not a meeting (line 22): who-met lists it when asked for every kind.
    assert visa in event_iris("who-met", "--person", "taliban-foreign-minister", "--kind", "any")
    assert visa in event_iris("timeline", "taliban-foreign-minister")
    for command in ("who-met", "timeline"):
        args = (
            [command, "--person", "muttaqi", "--kind", "any", "--no-inferred"]
            if command == "who-met"
            else [command, "muttaqi"]
        )
        got = event_iris(*args)
        assert got and visa not in got, (command, got)
