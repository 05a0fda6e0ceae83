"""Helpers for notebooks: rows as HTML tables, an engagement chart, a view shown inline.

Notebooks call these and the lookups; no logic lives in a notebook.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from kg.text import cell


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> Any:
    """Return rows as an HTML table for display (every value escaped)."""
    from IPython.display import HTML

    cols = list(columns or (rows[0].keys() if rows else []))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell(r.get(c)))}</td>" for c in cols) + "</tr>"
        for r in rows
    )
    return HTML(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def engagement_chart(data: dict[str, Any], title: str = "Engagements per month") -> Any:
    """Return a matplotlib bar chart of `kg.lookups.engagement(store, 'month')`."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.5))
    months = [r["month"] for r in data["rows"]]
    ax.bar(months, [r["count"] for r in data["rows"]], color="#d62728")
    ax.set_title(title)
    ax.set_ylabel("events with two sides")
    ax.tick_params(axis="x", rotation=60)
    reported = [r for r in data["reported"] if r["value"] and r["unit"] == "meetings"]
    if reported:
        r = reported[0]
        ax.text(
            0.01,
            0.95,
            f"the source reports {r['value']} {r['unit']} in all (line {r['sources'][0]['line']})",
            transform=ax.transAxes,
            va="top",
        )
    fig.tight_layout()
    plt.close(fig)  # shown once, as the cell's value, not again by the inline backend
    return fig


def view_inline(view: Any, height: int = 600) -> Any:
    """Return a kg view as an inline frame for display in a notebook."""
    from IPython.display import HTML

    from kg.views.render import render

    page = html.escape(render(view), quote=True)
    return HTML(
        f'<iframe srcdoc="{page}" style="width:100%;height:{height}px;border:0" '
        'sandbox="allow-scripts"></iframe>'
    )
