"""The converter writes N-Triples lines itself: each term as pyoxigraph (literals) and
rdflib (IRIs) wrote it when the conversion made rdflib terms, so the graph is the same."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef

from kg.convert import nt_iri, nt_literal
from kg.facts.dates import parse_date
from kg.facts.types import Date, lit, number_literal, typed

XSD = "http://www.w3.org/2001/XMLSchema#"


def _every_bmp_character() -> list[str]:
    return [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF] + [
        chr(0x1FFFE),
        chr(0x10FFFF),
        "\U0001f600",
    ]


def test_each_character_is_escaped_as_pyoxigraph_escapes_it() -> None:
    for c in _every_bmp_character():
        text = f"a{c}b"
        assert nt_literal(lit(text)) == str(ox.Literal(text)), hex(ord(c))
        assert nt_literal(lit(text, "en")) == str(ox.Literal(text, language="en")), hex(ord(c))


def test_a_note_with_quotes_and_line_breaks_reads_back_as_written() -> None:
    note = 'He said "no" \\ twice,\n\tthen left.\r\x7f\ufffe'
    line = f"<http://e/x> <http://e/p> {nt_literal(lit(note, 'en'))} .\n"
    [triple] = list(ox.parse(line.encode(), format=ox.RdfFormat.N_TRIPLES))
    assert triple.object == ox.Literal(note, language="en")


def test_language_tags_are_written_in_lower_case_and_checked() -> None:
    assert nt_literal(lit("x", "EN-GB")) == '"x"@en-gb'
    with pytest.raises(ValueError):
        nt_literal(lit("x", "not a tag"))


def _as_before(value: object, datatype: str) -> str:
    """What the conversion wrote before: rdflib's lexical form, escaped by pyoxigraph."""
    term = Literal(value, datatype=URIRef(datatype))
    return str(ox.Literal(str(term), datatype=ox.NamedNode(datatype)))


@pytest.mark.parametrize(
    "text", ["2021", "0998", "2021-05", "early 2022-09", "late 2024-02", "2021-05-03", "0001"]
)
def test_dates_are_written_in_rdflib_s_lexical_forms(text: str) -> None:
    date = parse_date(text)
    assert nt_literal(Date().term(None, None, date)) == _as_before(date.text, XSD + date.xsd)  # type: ignore[arg-type]
    for day in (date.earliest, date.latest):
        assert nt_literal(typed(day.isoformat(), XSD + "date")) == _as_before(day, XSD + "date")


@pytest.mark.parametrize(
    "amount", ["350000", "350000.0", "350000.50", "0.0001", "1E-7", "12345678901234567890.5"]
)
def test_numbers_are_written_in_rdflib_s_lexical_forms(amount: str) -> None:
    value = Decimal(amount)
    if value == value.to_integral_value():
        before = _as_before(int(value), XSD + "integer")
    else:
        before = _as_before(format(value.normalize(), "f"), XSD + "decimal")
    assert nt_literal(number_literal(value)) == before


def test_an_iri_is_refused_where_rdflib_refused_it() -> None:
    assert nt_iri("https://w3id.org/kg/id/person/a-b") == "<https://w3id.org/kg/id/person/a-b>"
    # As rdflib refused them, and as pyoxigraph's parser would (the build loads leniently).
    bad_ones = ("https://e/a b", "https://e/<x>", 'https://e/"', "https://e/{x}", "https://e/a\\b")
    for bad in (*bad_ones, "https://e/%zz", "no-scheme"):
        with pytest.raises(ValueError, match="cannot be written as an IRI"):
            nt_iri(bad)


def test_spooled_origins_are_read_back_when_asked(tmp_path: Path) -> None:
    from kg.convert import Origin, SpooledOrigins

    origins = SpooledOrigins(tmp_path)
    origins.add({"a": Origin("f.yaml", 3, "a"), "a/x": Origin("f.yaml", 5, "a")})
    origins.add({"b": Origin("g.yaml", 1, "b"), "a": Origin("g.yaml", 9, "a2")})
    assert list(tmp_path.iterdir()) == []  # (nothing left in the folder, nor published)
    # The later origin of a node wins, as dict.update's would.
    assert origins["a"] == Origin("g.yaml", 9, "a2")
    assert "a/x" in origins and "c" not in origins and origins.get("b") == Origin("g.yaml", 1, "b")
    assert dict(origins.items()) == {
        "a": Origin("g.yaml", 9, "a2"),
        "a/x": Origin("f.yaml", 5, "a"),
        "b": Origin("g.yaml", 1, "b"),
    }
