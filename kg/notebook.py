"""Helpers for notebooks: rows as HTML tables, an engagement chart, a view shown inline.

Notebooks call these and the lookups; no logic lives in a notebook.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kg.text import cell

if TYPE_CHECKING:
    from kg.store import Store


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


def view_inline(store: Store, height: int = 600, **what: Any) -> Any:
    """Return a kg view as an inline frame for display in a notebook.

    `what` is what to draw, as kg.views.make_view takes it (ego="muttaqi", depth=2, topic=…),
    so a notebook and `kg view` draw the same page for the same choice.
    """
    from IPython.display import HTML

    from kg.views import make_view
    from kg.views.render import render

    page = html.escape(render(make_view(store, **what)), quote=True)
    return HTML(
        f'<iframe srcdoc="{page}" style="width:100%;height:{height}px;border:0" '
        'sandbox="allow-scripts"></iframe>'
    )
