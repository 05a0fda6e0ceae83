"""Print rows as an 80-column table, JSON or CSV."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import Any

from kg.cli.base import echo
from kg.text import cell, csv_safe, visible


# Only tables need these (and textwrap, shutil, csv only tables and csv, imported where
# used): a lookup asked for JSON does not pay for compiling them.
@cache
def _hyphen() -> re.Pattern[str]:
    """Where a compound may break: after a hyphen between letters ("Consulate-|General"),
    as textwrap's break_on_hyphens does; dates and numbers (2022-05-13) never break."""
    return re.compile(r"(?<=[^\W\d_]-)(?=[^\W\d_])")


@cache
def _mark() -> re.Pattern[str]:
    """The `*` marking an inferred actor."""
    return re.compile(r" \*(?= |$)")


def _longest(texts: Sequence[str], pieces: bool = False) -> int:
    """The longest word in texts (pieces: the longest part of a word between hyphens)."""
    words = [w for t in texts for w in t.split()]
    if pieces:
        hyphen = _hyphen()
        words = [p for w in words for p in hyphen.split(w)]
    return max((len(w) for w in words), default=1)


def _fit(heads: list[str], cells: list[list[str]], total: int) -> list[int]:
    """Column widths that fit `total` characters, lines breaking between words.

    Each column keeps at least its longest word (else: its longest part between hyphens),
    and the room left is shared out in proportion to how much more each column would take
    unwrapped: long texts (events, claims) get the room, a date or a line number keeps
    its own. Only when even those cannot sit side by side (seven columns in 80, or an
    IRI) are the widest columns narrowed further, and their longest words split.
    """
    n = len(heads)
    columns = [[heads[i]] + [c[i] for c in cells] for i in range(n)]
    natural = [max(len(t) for t in col) for col in columns]
    room = total - 2 * (n - 1)
    if sum(natural) <= room:
        return natural
    widths: list[int] = []
    for pieces in (False, True):
        widths = [min(w, _longest(col, pieces)) for w, col in zip(natural, columns, strict=True)]
        if sum(widths) <= room:
            break
    else:
        # Some words must be split: narrow, a character at a time, the column where that
        # splits the fewest words (a date column, all words of ten, is the last to give).
        sizes = [
            Counter(len(p) for t in col for w in t.split() for p in _hyphen().split(w))
            for col in columns
        ]
        while sum(widths) > room:
            narrowable = [i for i in range(n) if widths[i] > 4]
            if not narrowable:
                break
            i = min(narrowable, key=lambda k: (sizes[k][widths[k]], -widths[k], k))
            widths[i] -= 1
        return widths
    spare = room - sum(widths)
    want = [natural[i] - widths[i] for i in range(n)]
    share = [spare * w // sum(want) for w in want]
    widths = [w + s for w, s in zip(widths, share, strict=True)]
    # What rounding left goes to the columns furthest from their unwrapped width.
    for _ in range(spare - sum(share)):
        i = max(range(n), key=lambda k: (natural[k] - widths[k], -k))
        widths[i] += 1
    return widths


def table(columns: Sequence[tuple[str, str]], rows: Sequence[dict[str, Any]]) -> str:
    """Return rows as an aligned text table no wider than the terminal (80 when piped).

    Cells wrap between words; a column too narrow for its longest word breaks compounds
    at their hyphens first, and splits a word only when even that does not fit (see _fit).
    """
    import textwrap

    # Control characters shown as escapes: a fact cannot colour, move or reorder the screen.
    heads = [visible(h) for h, _ in columns]
    # The `*` marking an inferred actor stays with its name: joined by a NUL (no control
    # character is left in cells after visible()) while wrapping, a space when printed.
    cells = [
        [_mark().sub("\0*", visible(cell(r.get(k)).replace("\n", " "))) for _, k in columns]
        for r in rows
    ]
    widths = _fit(heads, cells, max(terminal_width(), 40))
    hyphens = [w < _longest([heads[i]] + [c[i] for c in cells]) for i, w in enumerate(widths)]

    def line(values: list[str]) -> str:
        # Wrap rather than cut: an analyst must see every word of a name or a source.
        wrapped = [
            textwrap.wrap(v, w, break_on_hyphens=h) or [""]
            for v, w, h in zip(values, widths, hyphens, strict=True)
        ]
        out = []
        for i in range(max(len(w) for w in wrapped)):
            parts = [
                (w[i] if i < len(w) else "").ljust(width)
                for w, width in zip(wrapped, widths, strict=True)
            ]
            out.append("  ".join(parts).rstrip().replace("\0", " "))
        return "\n".join(out)

    text = [line(heads), "  ".join("-" * w for w in widths)]
    text += [line(c) for c in cells]
    return "\n".join(text)


class Page(list[Any]):
    """The rows of one page of an answer, knowing the answer's total and the page's offset
    (a table's last line says `rows 51–100 of 21594`)."""

    def __init__(self, rows: Sequence[Any], total: int, offset: int) -> None:
        super().__init__(rows)
        self.total = total
        self.offset = offset


def terminal_width() -> int:
    """The terminal's width in columns ($COLUMNS first), 80 when output is piped."""
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


def row_count(shown: int, total: int | None = None, offset: int = 0) -> str:
    """The line ending a table: `21 rows`, or which rows of how many a page shows."""
    if total is not None and total != shown and shown:
        return f"rows {offset + 1}–{offset + shown} of {total}"
    return f"{shown} row" if shown == 1 else f"{shown} rows"


def one_table(fmt: str, which: str | None, tables: Sequence[str]) -> str | None:
    """The table to print of a command made of several: --table, or for csv (which holds
    one table) the first, with a note on stderr naming the others."""
    if which is None and fmt == "csv":
        which = tables[0]
        others = ", ".join(tables[1:])
        echo(f"note: csv holds one table, {which}; --table {others} for another", err=True)
    return which


def documents(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Return the source documents cited in rows (for a table's footer)."""
    docs = set()
    for r in rows:
        for c in r.get("sources") or []:
            docs.add(c["document"])
    return sorted(docs)


def footnotes(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The reasons of the inferred rows (marked `*`): each rule once, with its premises."""
    seen: dict[tuple[str, str], None] = {}
    for r in rows:
        for why in r.get("because") or []:
            lines = ", ".join(f"{c['document']}:{c['line']}" for c in why["premises"])
            seen[(why["rule"], f"{why['means']} Premises: {lines or 'none cited'}.")] = None
    return [f"* inferred by rule {rule}: {text}" for rule, text in seen]


def _marked(rows: Sequence[dict[str, Any]], fields: Sequence[str]) -> list[dict[str, Any]]:
    """Rows whose status is inferred, with `*` after the inferred actor among `fields` (the
    `actor` its reason names), or after the first of them."""
    out = []
    for r in rows:
        if r.get("status") == "inferred":
            actors = {w.get("actor") for w in r.get("because") or []}
            hit = [f for f in fields if r.get(f) in actors] or list(fields[:1])
            r = {**r, **{f: f"{cell(r.get(f))} *" for f in hit}}
        out.append(r)
    return out


def emit(
    fmt: str,
    columns: Sequence[tuple[str, str]],
    rows: list[dict[str, Any]],
    empty: str = "no rows",
    mark: Sequence[str] = (),
) -> None:
    """Print rows in the chosen format.

    mark: in a table, the fields of an inferred row (status "inferred") that may get a `*`, and
    a footnote below names each rule and its premises' lines (json and csv: `because`).
    """
    if not rows:
        from kg.cli.base import empty_answer

        empty_answer()
    if fmt == "json":
        echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        buf = io.StringIO()
        keys = list(rows[0]) if rows else [k for _, k in columns]
        import csv

        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(keys)
        for r in rows:
            writer.writerow([csv_safe(_csv_cell(r.get(k))) for k in keys])
        echo(buf.getvalue(), nl=False)
    else:
        if not rows:
            echo(f"({empty})")
            return
        import textwrap

        echo(table(columns, _marked(rows, mark) if mark else rows))
        # The row count last: a page says which rows of the answer it holds, as the note
        # on stderr does (rows 1–500 of 21594).
        count = row_count(len(rows), getattr(rows, "total", None), getattr(rows, "offset", 0))
        docs = documents(rows)
        where = f"; line numbers refer to {', '.join(docs)}" if docs else ""
        echo("\n" + textwrap.fill(visible(f"{count}{where}"), max(terminal_width(), 40)))
        for note in footnotes(rows) if mark else []:
            echo(textwrap.fill(visible(note), max(terminal_width(), 40)))


def _csv_cell(value: Any) -> str:
    if isinstance(value, bool):  # what pandas.read_csv and spreadsheets read as booleans
        return "true" if value else "false"
    if isinstance(value, dict) and "rule" in value:  # an inferred row's reason
        return f"{value['rule']} ({_csv_cell(value['premises'])})"
    if isinstance(value, dict) and "line" in value:
        return f"{value['document']}:{value['line']}"
    if isinstance(value, list):
        return "; ".join(_csv_cell(v) for v in value)
    return cell(value)
