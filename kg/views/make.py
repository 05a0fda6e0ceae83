"""Decide what a view draws: the whole graph or an ego's neighbourhood, cut and titled.

make_view is the one entry point `kg view` and the notebook share: it resolves the names an
analyst typed, builds the view, cuts it, marks a path and refuses a view too large to draw.
A view is titled with what it shows: the center of an ego's, else the dataset (the titles
of the sources the facts are taken from), so the title follows the facts, not the code.
"""

from __future__ import annotations

import datetime as dt

from kg.chains import NoPath, shortest_path
from kg.names import resolve, resolve_topic
from kg.query import run
from kg.store import Store, value
from kg.views.assemble import build_view, drawn_as_nodes, ego_view
from kg.views.cut import by_dates, by_topic, highlight_path
from kg.views.model import View, ViewError

MAX_NODES = 2000  # a browser slows down past this many nodes


def dataset_title(store: Store) -> str:
    """Return "kg: " and the titles of the store's sources (kg:Source, dcterms:title)."""
    titles = [value(r["title"]) for r in run(store, "source-titles")]
    return "kg: " + "; ".join(titles) if titles else "kg"


def make_view(
    store: Store,
    ego: str | None = None,
    depth: int = 1,
    topic: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    path: tuple[str, str] | None = None,
    max_nodes: int = MAX_NODES,
) -> View:
    """Return the titled view to draw, or raise ViewError saying why it cannot be drawn.

    ego: only what lies within `depth` links of this name (built from it outward; the whole
    graph's view is never made). topic: only meetings and facts on it (narrower topics
    included) and who they involve. start, end: only what is dated within [start, end].
    path: two names whose chain (kg.chains.shortest_path, as `kg path` gives it) is
    highlighted. Names are resolved as the lookups
    resolve them (kg.names.UnresolvedName when one matches nothing or several things).
    """
    if ego:
        center = resolve(store, ego)
        view = ego_view(store, center.iri, depth)
        if center.iri not in view.nodes:
            raise ViewError(f"{center.label} is drawn as a meeting, not a node; pick an actor")
        view.title = f"kg: {center.label}"
    else:
        view = build_view(store)
        view.title = dataset_title(store)
    if topic:
        t = resolve_topic(store, topic)
        view = by_topic(view, t.iri, t.label)
    if start or end:
        view = by_dates(view, start, end)
    if path:
        a, b = (resolve(store, p) for p in path)
        # The chain `kg path` gives (one function decides it for both), marked on the view.
        try:
            hops = shortest_path(store, a, b)
        except NoPath as exc:
            raise ViewError(str(exc)) from None
        nodes = [a.iri, *(h["to_iri"] for h in hops)]
        labels = {a.iri: a.label, **{h["to_iri"]: h["to"] for h in hops}}
        drawable = drawn_as_nodes(store, nodes)
        left_out = [labels[n] for n in nodes if n in drawable and n not in view.nodes]
        if left_out:
            raise ViewError(
                f"the chain from {a.label} to {b.label} (see kg path) runs through "
                f"{', '.join(left_out)}, which this view leaves out; widen or drop --ego, "
                "--topic, --from/--to"
            )
        drawn = highlight_path(view, hops)
        view.note += f"; path {a.label} → {b.label} in blue ({len(hops)} hops, as kg path)"
        if len(drawn) < 2:
            raise ViewError(f"{a.label} and {b.label} are not both drawn as nodes; pick actors")
    if len(view.nodes) > max_nodes:
        raise ViewError(
            f"the view has {len(view.nodes)} nodes, more than --max-nodes "
            f"{max_nodes}; narrow it with --ego NAME, --topic or --from/--to"
        )
    return view
