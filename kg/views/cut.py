"""Cut a view down: to an ego's neighbourhood, a topic, a span of dates; mark a path.

Each works on a View alone (no store), so a view is cut the same however it was assembled.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace

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


def highlight_path(view: View, a: str, b: str) -> list[str]:
    """Mark the shortest chain between a and b; return its node ids (empty when none)."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(sorted(view.nodes))
    graph.add_edges_from(sorted({(i.a, i.b) for i in view.items}))
    try:
        path: list[str] = nx.shortest_path(graph, a, b)
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return []
    view.highlight |= set(path)
    view.highlight |= {"|".join(sorted(p)) for p in itertools.pairwise(path)}
    return path
