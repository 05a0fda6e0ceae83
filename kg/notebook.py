"""Helpers for notebooks: rows as HTML tables, a chain's hops, an engagement chart, a view.

Notebooks call these and the lookups (kg.open()); no logic lives in a notebook. Each returns
an object Jupyter displays (by its `_repr_html_`, or a matplotlib figure).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kg.text import cell

if TYPE_CHECKING:
    from kg.views import View


class Html:
    """HTML for Jupyter to display (its rich display calls `_repr_html_`).

    IPython's own HTML class warns when the markup starts with an iframe (it cannot tell an
    iframe of inline content, as view_inline's, from one that should have been
    IPython.display.IFrame, which only takes a URL); this displays the same way, unwarned.
    """

    def __init__(self, markup: str, what: str) -> None:
        self.markup = markup
        self.what = what

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return f"<{self.what}>"


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> Html:
    """Return rows as an HTML table for display (every value escaped)."""
    cols = list(columns or (rows[0].keys() if rows else []))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell(r.get(c)))}</td>" for c in cols) + "</tr>"
        for r in rows
    )
    return Html(
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>",
        f"table of {len(rows)} row(s)",
    )


def path_table(hops: Sequence[dict[str, Any]]) -> Html:
    """Return a chain's hops (Graph.path) as `kg path` shows them: each relation with the way
    its statement points ('participant →', or '← participant' when it points from `to` back
    to `from`), how the source puts it, and its lines."""
    from kg.chains import arrowed

    rows = [{**h, "relation": arrowed(h), "how": h["status"]} for h in hops]
    return table(rows, ["from", "relation", "to", "how", "sources"])


def _month(text: str) -> dt.date:
    return dt.date(int(text[:4]), int(text[5:7]), 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first day of every month from first's to last's, both included."""
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def engagement_chart(data: dict[str, Any], title: str = "Engagements per month") -> Any:
    """Return a matplotlib bar chart of Graph.engagement('month') on a date axis.

    Every month from the first engagement to the last has its bar, a month without one at
    zero, so gaps in time show as gaps. Engagements known only to the year cannot be put on
    a month: the chart says how many there are.
    """
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    counts = {_month(r["month"]): r["count"] for r in data["rows"] if len(r["month"]) == 7}
    yearly = [r for r in data["rows"] if len(r["month"]) != 7]
    fig, ax = plt.subplots(figsize=(9, 3.5))
    if counts:
        span = months_between(min(counts), max(counts))
        ax.xaxis_date()
        ax.bar(
            mdates.date2num(span),
            [counts.get(m, 0) for m in span],
            width=27,
            align="edge",
            color="#d62728",
        )
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
        ax.xaxis.set_minor_locator(mdates.MonthLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
        ax.set_xlim(mdates.date2num(span[0]) - 5, mdates.date2num(span[-1]) + 32)
        ax.set_ylim(0, max(counts.values()) * 1.35)  # room for the notes above the bars
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    ax.set_ylabel("events with two sides")
    notes = []
    reported = [r for r in data["reported"] if r["value"] and r["unit"] == "meetings"]
    if reported:
        r = reported[0]
        notes.append(
            f"the source reports {r['value']} {r['unit']} in all (line {r['sources'][0]['line']})"
        )
    if yearly:
        known = ", ".join(f"{r['month']}: {r['count']}" for r in yearly)
        notes.append(f"not shown, dated only to the year: {known}")
    if notes:
        ax.text(0.01, 0.95, "\n".join(notes), transform=ax.transAxes, va="top")
    fig.tight_layout()
    plt.close(fig)  # shown once, as the cell's value, not again by the inline backend
    return fig


def view_inline(view: View, height: int = 600) -> Html:
    """Return a view (Graph.view) as an inline frame for display in a notebook: the same
    page `kg view` writes, in a sandboxed frame."""
    from kg.views.render import render

    page = html.escape(render(view), quote=True)
    return Html(
        f'<iframe srcdoc="{page}" style="width:100%;height:{height}px;border:0" '
        'sandbox="allow-scripts"></iframe>',
        f"view: {view.title}, {len(view.nodes)} nodes",
    )

