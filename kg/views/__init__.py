"""Interactive network views: the graph as people, institutions and events an analyst can explore.

The view is built from the same named queries as the lookups. Meetings between two sides
become one edge per pair of actors, carrying every meeting (date, topics, source line);
other statements become labelled edges; every node carries a card with its sources.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from kg.lookups import citations, roles, who_met
from kg.query import run
from kg.store import Store, value

STYLE_FILE = Path(__file__).resolve().parent / "style.yaml"


@cache
def style() -> dict[str, Any]:
    """Return the view style (categories, colours, shapes) from style.yaml."""
    with STYLE_FILE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def _category(type_iri: str) -> str:
    local = type_iri.rsplit("#", 1)[-1]
    for cat in style()["categories"]:
        if local in cat["classes"]:
            return str(cat["id"])
    return "group"


def _lines(cites: list[dict[str, Any]]) -> str:
    return ", ".join(str(c["line"]) for c in cites)


@dataclass
class Node:
    """A node of the view."""

    id: str
    label: str
    type: str
    category: str
    aliases: list[str] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    earliest: str | None = None
    latest: str | None = None
    date: str | None = None
    topics: set[str] = field(default_factory=set)


@dataclass
class Item:
    """One thing an edge stands for: a meeting, or a stated relation."""

    kind: str  # "met" or "relation"
    text: str  # as shown in tooltips and cards, from the `a` end's point of view
    a: str
    b: str
    sources: list[dict[str, Any]]
    earliest: str | None = None
    latest: str | None = None
    topics: set[str] = field(default_factory=set)
    event: str | None = None
    fact: str | None = None  # the node stating it, when that node is shown


@dataclass
class View:
    """Nodes and the items linking them, plus a note on how the view was narrowed."""

    nodes: dict[str, Node]
    items: list[Item]
    title: str = "kg"
    note: str = ""
    highlight: set[str] = field(default_factory=set)  # node ids and "a|b" pair keys


def build_view(store: Store) -> View:
    """Build the whole-graph view from the store."""
    nodes: dict[str, Node] = {}
    for r in run(store, "view-nodes"):
        nid = value(r["node"])
        if nid in nodes:
            continue
        nodes[nid] = Node(
            id=nid,
            label=value(r["label"]),
            type=value(r["typeLabel"]),
            category=_category(value(r["type"])),
            aliases=sorted(filter(None, value(r["aliases"]).split("|"))),
            sources=citations(value(r["sources"])),
            earliest=value(r["earliest"]) or None,
            latest=value(r["latest"]) or None,
            date=value(r["date"]) or None,
            topics=set(filter(None, value(r["topics"]).split("|"))),
        )
    items: list[Item] = []
    meetings: dict[str, set[str]] = {}
    for m in who_met(store):
        meetings.setdefault(m["event_iri"], set()).update((m["a_iri"], m["b_iri"]))
        ev = nodes.get(m["event_iri"])
        items.append(
            Item(
                "met",
                f"{m['date']}: {m['event']}",
                m["a_iri"],
                m["b_iri"],
                m["sources"],
                ev.earliest if ev else None,
                ev.latest if ev else None,
                ev.topics if ev else set(),
                m["event"],
            )
        )
    # A meeting is drawn as edges between the people who met, not as a node of its own;
    # what is said of it (what it concerned, agreements reached at it) is tied to them.
    held = {e: nodes.pop(e) for e in meetings if e in nodes}
    for role in roles(store):
        text = f"{role['post']} ({role['when']})" if role["when"] else role["post"]
        items.append(
            Item(
                "relation",
                f"holds: {text}",
                role["person_iri"],
                role["post_iri"],
                role["sources"],
                None,
                None,
            )
        )
    for r in run(store, "graph-edges"):
        s, o = value(r["s"]), value(r["o"])
        rel = value(r["pLabel"]) or value(r["p"]).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        cites = citations(value(r["sources"]))
        for meeting, other in ((s, o), (o, s)):
            if meeting in held and other in nodes:
                ev = held[meeting]
                for actor in sorted(meetings[meeting]):
                    items.append(
                        Item(
                            "relation",
                            f"{ev.date}: {ev.label} — {rel}",
                            actor,
                            other,
                            cites,
                            ev.earliest,
                            ev.latest,
                            set(ev.topics),
                            event=ev.label,
                        )
                    )
        if s not in nodes or o not in nodes or s == o:
            continue
        fact = nodes[s]
        items.append(
            Item(
                "relation",
                f"{fact.label} — {rel} → {nodes[o].label}",
                s,
                o,
                cites,
                fact.earliest,
                fact.latest,
                set(fact.topics),
                fact=s,
            )
        )
    items = [i for i in items if i.a in nodes and i.b in nodes and i.a != i.b]
    return View(nodes, items, note="whole graph")


def _keep(view: View, items: list[Item], extra: set[str], note: str) -> View:
    ids = set(extra)
    for i in items:
        ids.update((i.a, i.b))
    return View(
        {k: v for k, v in view.nodes.items() if k in ids}, items, view.title, note, view.highlight
    )


def ego(view: View, center: str, depth: int) -> View:
    """Keep the nodes within `depth` links of center."""
    adj: dict[str, set[str]] = {}
    for i in view.items:
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
