"""Cut a view down: to an ego's neighbourhood, a topic, a span of dates; mark a path.

Each works on a View alone (no store), so a view is cut the same however it was assembled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from kg.views.model import Item, View


def _keep(view: View, items: list[Item], extra: set[str], note: str) -> View:
    ids = set(extra)
    for i in items:
        ids.update((i.a, i.b))
    nodes = {k: v for k, v in view.nodes.items() if k in ids}
    return replace(view, nodes=nodes, items=items, note=note)


def ego(view: View, center: str, depth: int) -> View:
    """Keep the nodes within `depth` links of center."""
    adj: dict[str, set[str]] = {}
    # A claim that is not a stated fact links two nodes already in the view; it never
    # brings new ones in (a report must not stretch an ego's neighbourhood).
    for i in view.items:
        if i.kind == "claim":
            continue
        adj.setdefault(i.a, set()).add(i.b)
        adj.setdefault(i.b, set()).add(i.a)
    seen, frontier = {center}, {center}
    for _ in range(depth):
        frontier = {n for f in frontier for n in adj.get(f, ())} - seen
        seen |= frontier
    items = [i for i in view.items if i.a in seen and i.b in seen]
    label = view.nodes[center].label if center in view.nodes else center
    return _keep(view, items, {center} & set(view.nodes), f"within {depth} link(s) of {label}")


def by_topic(view: View, topic: str, topic_label: str) -> View:
    """Keep meetings and facts tagged with topic (or a narrower one) and who they involve."""
    topical = {k for k, n in view.nodes.items() if topic in n.topics}
    items = [
        i
        for i in view.items
        if (i.kind == "met" and topic in i.topics)
        or (i.kind == "relation" and (i.a in topical or i.b in topical))
        or (i.kind == "claim" and (topic in i.topics or i.a in topical or i.b in topical))
    ]
    return _keep(view, items, topical, f"topic {topic_label} (narrower topics included)")


def by_dates(view: View, start: dt.date | None, end: dt.date | None) -> View:
    """Keep what is dated within [start, end] (by overlap) and what it links."""
    lo = (start or dt.date.min).isoformat()
    hi = (end or dt.date.max).isoformat()

    def inside(earliest: str | None, latest: str | None) -> bool:
        return earliest is not None and latest is not None and latest >= lo and earliest <= hi

    dated = {k for k, n in view.nodes.items() if inside(n.earliest, n.latest)}
    items = [i for i in view.items if inside(i.earliest, i.latest) or i.a in dated or i.b in dated]
    return _keep(view, items, dated, f"from {start or '…'} to {end or '…'}")


def chain_segments(view: View) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """The marked chain (view.chain) as the view draws it: (node, next node, the hops from
    one to the other) for each pair of successive nodes the view draws.

    What the view does not draw as a node is passed over: a meeting (drawn as the edges of
    those who met), a role (the holder's edge to the post), a claim (an edge of its own).
    """
    segments: list[tuple[str, str, list[dict[str, Any]]]] = []
    last: str | None = None
    between: list[dict[str, Any]] = []
    for hop in view.chain:
        if last is None and hop["from_iri"] in view.nodes:
            last = hop["from_iri"]
        between.append(hop)
        if hop["to_iri"] in view.nodes:
            if last is not None:
                segments.append((last, hop["to_iri"], between))
            last, between = hop["to_iri"], []
    return segments


def highlight_path(view: View, hops: list[dict[str, Any]]) -> list[str]:
    """Mark a chain of statements on the view (kg.chains.shortest_path's hops, as `kg path`
    gives them); return the ids of the nodes it draws, in order.

    Each pair of successive drawn nodes has its edge marked: the claim's edge where the
    chain goes through a claim, else the stated one; where the view draws no edge between
    them (a role's organization), the page draws one for the chain (see render).
    """
    view.chain = list(hops)
    segments = chain_segments(view)
    drawn = [segments[0][0], *(y for _, y, _ in segments)] if segments else []
    view.highlight |= set(drawn)
    for x, y, between in segments:
        key = "|".join(sorted((x, y)))
        claimed = any(h.get("claim_iri") for h in between)
        view.highlight |= {key, f"{key}|claim"} if claimed else {key}
    return drawn
