"""Text normalisation shared by the build (search keys) and lookups (what analysts type)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalize(text: str) -> str:
    """Return text folded for matching: no accents, case or punctuation, single spaces.

    'Kazemi Qomi', 'kazemi-qomi' and 'Kāzemi QOMI' all become 'kazemi qomi'.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", stripped.casefold()).replace("_", " ").split())


def cell(value: Any) -> str:
    """Render one value as display text (tables, CSV, notebooks)."""
    if value is None:
        return ""
    if isinstance(value, dict) and "line" in value:
        return str(value["line"])
    if isinstance(value, list):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)


# OWASP, "CSV Injection": a spreadsheet reads a cell starting with one of these as a
# formula (or, for tab and CR, as the start of one once it trims them).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """Return a CSV cell that no spreadsheet runs as a formula: `'` before a risky start.

    '=HYPERLINK("http://x")' becomes "'=HYPERLINK(\"http://x\")"; negative numbers too
    ('-2' becomes "'-2"), as OWASP recommends: a cell cannot be known to be a number.
    JSON and RDF outputs keep the exact value; this is for CSV and TSV only.
    """
    return "'" + text if text.startswith(_FORMULA_START) else text


_XSD = "http://www.w3.org/2001/XMLSchema#"
# Literals SPARQL's TSV may write bare (oxigraph does): 2, -2.5, 1e3, true.
_BARE = {_XSD + t for t in ("integer", "decimal", "double", "boolean")}


def solutions_csv(solutions: Any, tsv: bool = False, names: list[str] | None = None) -> bytes:
    """Write SPARQL SELECT results as SPARQL 1.1 CSV (or TSV), every cell through csv_safe.

    CSV cells are the values (IRI, lexical form, _:blank); TSV cells are RDF terms, so a
    risky literal is written in full with the `'` inside its quotes ("'=x"@en), since a
    spreadsheet takes the quotes off. solutions: pyoxigraph QuerySolutions; names: the
    columns in order (default: the solutions' variables).
    """
    import pyoxigraph as ox

    names = names or [v.value for v in solutions.variables]
    rows: list[list[str]] = []
    for sol in solutions:
        row = []
        for n in names:
            term = sol[n]
            if term is None:
                row.append("")
            elif isinstance(term, ox.Literal):
                text = term.value
                if not tsv:
                    row.append(csv_safe(text))
                elif text.startswith(_FORMULA_START):
                    lang, dtype = term.language, term.datatype
                    safe = csv_safe(text)
                    lit = (
                        ox.Literal(safe, language=lang)
                        if lang
                        else ox.Literal(safe, datatype=dtype)
                    )
                    row.append(str(lit))
                elif term.datatype.value in _BARE and text:
                    row.append(text)
                else:
                    row.append(str(term))
            elif isinstance(term, ox.BlankNode):
                row.append(csv_safe("_:" + term.value))
            else:
                row.append(csv_safe(term.value) if not tsv else str(term))
        rows.append(row)
    if tsv:
        lines = ["\t".join("?" + n for n in names), *("\t".join(r) for r in rows)]
        return ("".join(line + "\n" for line in lines)).encode("utf-8")
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(names)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


# Characters a terminal obeys rather than shows: C0 and C1 controls and DEL (ESC starts
# colour, cursor and OSC 8 hyperlink sequences; CR rewrites the line; BEL rings), line and
# paragraph separators, and the bidi controls that reorder what is shown (Trojan Source,
# CVE-2021-42574). ZWJ and ZWNJ are not here: Persian writing needs them.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029" + _BIDI + "]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, keep_newlines: bool = False) -> str:
    """Return text for a terminal: control characters written as escapes (`\\x1b`, `\\u202e`).

    For every human-facing output (tables, cards, build diagnostics, error messages), so that
    text from facts or from a server cannot colour, move, hyperlink or reorder what is shown.
    keep_newlines keeps line feeds (a message of several lines); tabs are escaped too.
    """
    if keep_newlines:
        return "\n".join(_UNSHOWN.sub(_escape, part) for part in text.split("\n"))
    return _UNSHOWN.sub(_escape, text)
