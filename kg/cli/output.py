"""Print rows as an 80-column table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
import shutil
import textwrap
from collections.abc import Sequence
from typing import Any

import click

from kg.text import cell, csv_safe, visible

FORMATS = ("table", "json", "csv")

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for reading, json (stable fields, see README) or csv for tools.",
)


def _fit(widths: list[int], total: int) -> list[int]:
    # Shrink the widest column, one character at a time, until the row fits.
    widths = list(widths)
    while sum(widths) + 2 * (len(widths) - 1) > total and max(widths) > 10:
        widths[widths.index(max(widths))] -= 1
    return widths


def table(columns: Sequence[tuple[str, str]], rows: Sequence[dict[str, Any]]) -> str:
    """Return rows as an aligned text table no wider than the terminal (80 when piped)."""
    # Control characters shown as escapes: a fact cannot colour, move or reorder the screen.
    heads = [visible(h) for h, _ in columns]
    cells = [[visible(cell(r.get(k)).replace("\n", " ")) for _, k in columns] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(heads)]
    total = shutil.get_terminal_size((80, 24)).columns
    widths = _fit(widths, max(total, 40))

    def line(values: list[str]) -> str:
        # Wrap rather than cut: an analyst must see every word of a name or a source.
        wrapped = [
            textwrap.wrap(v, w, break_on_hyphens=False) or [""]
            for v, w in zip(values, widths, strict=True)
        ]
        out = []
        for i in range(max(len(w) for w in wrapped)):
            parts = [
                (w[i] if i < len(w) else "").ljust(width)
                for w, width in zip(wrapped, widths, strict=True)
            ]
            out.append("  ".join(parts).rstrip())
        return "\n".join(out)

    text = [line(heads), "  ".join("-" * w for w in widths)]
    text += [line(c) for c in cells]
    return "\n".join(text)


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
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        buf = io.StringIO()
        keys = list(rows[0]) if rows else [k for _, k in columns]
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(keys)
        for r in rows:
            writer.writerow([csv_safe(_csv_cell(r.get(k))) for k in keys])
        click.echo(buf.getvalue(), nl=False)
    else:
        if not rows:
            click.echo(f"({empty})")
            return
        click.echo(table(columns, _marked(rows, mark) if mark else rows))
        docs = documents(rows)
        if docs:
            click.echo(
                visible(f"\n{len(rows)} row(s); line numbers refer to {', '.join(docs)}", True)
            )
        for note in footnotes(rows) if mark else []:
            click.echo(
                textwrap.fill(visible(note), max(shutil.get_terminal_size((80, 24)).columns, 40))
            )


def _csv_cell(value: Any) -> str:
    if isinstance(value, dict) and "rule" in value:  # an inferred row's reason
        return f"{value['rule']} ({_csv_cell(value['premises'])})"
    if isinstance(value, dict) and "line" in value:
        return f"{value['document']}:{value['line']}"
    if isinstance(value, list):
        return "; ".join(_csv_cell(v) for v in value)
    return cell(value)
