"""Assemble a view from the store: the whole graph's, or an ego's built from its center out.

The view is built from the same named queries as the lookups. Meetings between two sides
become one edge per pair of actors, carrying every meeting (date, topics, source line);
other statements become labelled edges; every node carries a card with its sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from kg.eventkinds import ANY
from kg.indexes import meeting_index
from kg.lookups import (
    Record,
    citations,
    claims,
    meetings_of_events,
    pack,
    roles,
    roles_of_tenures,
    status_headings,
    who_met,
)
from kg.query import run, run_each
from kg.store import Row, Store, value
from kg.views.cut import ego
from kg.views.model import Edge, Item, Node, View
from kg.views.style import categories, style


def _relation(r: Row) -> str:
    return value(r["pLabel"]) or value(r["p"]).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def build_view(store: Store) -> View:
    """Build the whole-graph view from the store."""
    edges = [
        Edge(
            value(r["s"]),
            _relation(r),
            value(r["o"]),
            tuple((c["document"], c["line"]) for c in citations(value(r["sources"]))),
        )
        for r in run(store, "graph-edges")
    ]
    # Every kind with two sides is drawn (ego_view draws the meeting index's events), as
    # the source states it: an inferred participant (an office's presumed holder) is
    # who-met's, marked there; the view has no marks, so it leaves them out.
    met = list(who_met(store, kinds=(ANY,), inferred=False))
    return _assemble(
        run(store, "view-nodes"),
        met,
        list(roles(store)),
        edges,
        style(store),
        _claims(store),
        run(store, "search-keys"),
    )


def _claims(store: Store) -> list[Record]:
    """The claims a view may draw (those relating two things), each with the heading that
    says who asserts it how ("Reported by unnamed sources: …")."""
    headings = status_headings(store)
    out = []
    for c in claims(store):
        if c["subject_iri"] and c["relation"] and c["object_iris"]:
            heading = str(headings.get(c["status"], c["status"]))
            heading = heading.replace("{asserter}", str(c["asserted_by"]))
            out.append({**c, "heading": heading[:1].upper() + heading[1:]})
    return out


def _nodes(node_rows: list[Row], drawn: dict[str, str], key_rows: list[Row]) -> dict[str, Node]:
    """The view's nodes: the records of a kind with a view category (`drawn`: class IRI ->
    category), each with its names, search keys, sources, dates and topics."""
    keys: dict[str, list[str]] = {}
    for r in key_rows:
        keys.setdefault(value(r["node"]), []).append(value(r["key"]))
    nodes: dict[str, Node] = {}
    for r in node_rows:
        nid = value(r["node"])
        cat = drawn.get(value(r["type"]))
        if nid in nodes or cat is None:
            continue
        nodes[nid] = Node(
            id=nid,
            label=value(r["label"]),
            type=value(r["typeLabel"]),
            category=cat,
            aliases=sorted(filter(None, value(r["aliases"]).split("|"))),
            sources=citations(value(r["sources"])),
            earliest=value(r["earliest"]) or None,
            latest=value(r["latest"]) or None,
            date=value(r["date"]) or None,
            topics=set(filter(None, value(r["topics"]).split("|"))),
            keys=sorted(set(keys.get(nid, []))),
        )
    return nodes


def _claim_items(nodes: dict[str, Node], edges: list[Edge], claimed: list[Record]) -> list[Item]:
    """A claim the graph does not hold as a plain triple (a report, a view, a judgement, a
    time-bound claim) between two drawn nodes: an item drawn apart from stated ones."""
    items = []
    stated = {(e.s, e.relation, e.o) for e in edges}
    for c in claimed:
        for o, o_label in zip(c["object_iris"], c["objects"], strict=True):
            a = c["subject_iri"]
            if a not in nodes or o not in nodes or (a, c["relation"], o) in stated:
                continue
            holds = "".join(f" ({h})" for h in c["holds"])
            items.append(
                Item(
                    "claim",
                    f"{c['heading']}: {c['subject']} {c['relation']} {o_label}{holds}",
                    a,
                    o,
                    c["sources"],
                    topics=set(c["topic_iris"]),
                    fact=c["claim_iri"],
                    status=c["status"],
                    asserted_by=c["asserted_by"],
                )
            )
    return items


def _assemble(
    node_rows: list[Row],
    met: list[Record],
    held_roles: list[Record],
    edges: list[Edge],
    st: dict[str, Any],
    claimed: list[Record],
    key_rows: list[Row],
) -> View:
    """Make the view's nodes and items from the rows of the view queries; `st` is the view
    style, whose categories say which classes are drawn. A claim the graph does not hold
    as a plain triple (a report, a view, a judgement, a time-bound claim) between two drawn
    nodes becomes a "claim" item, drawn apart from stated relations."""
    nodes = _nodes(node_rows, categories(st), key_rows)
    items: list[Item] = []
    meetings: dict[str, set[str]] = {}
    paired: set[tuple[str, str, str]] = set()  # (meeting, actor, actor on another side)
    for m in met:
        meetings.setdefault(m["event_iri"], set()).update((m["a_iri"], m["b_iri"]))
        paired.add((m["event_iri"], m["a_iri"], m["b_iri"]))
        paired.add((m["event_iri"], m["b_iri"], m["a_iri"]))
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
    for role in held_roles:
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
    together: set[tuple[str, str, str]] = set()
    for edge in edges:
        s, o, rel = edge.s, edge.o, edge.relation
        cites = [{"document": d, "line": n} for d, n in edge.sources]
        for meeting, other in ((s, o), (o, s)):
            if meeting not in held or other not in nodes:
                continue
            ev = held[meeting]
            when = f"{ev.date}: {ev.label}"
            # The text names both ends of the statement, so that a card listing it from
            # either end says what it links (and lists it once, not once per actor).
            stated = (
                f"{when} — {rel} → {nodes[other].label}"
                if meeting == s
                else f"{nodes[other].label} — {rel} → {when}"
            )
            for actor in sorted(a for a in meetings[meeting] if a in nodes and a != other):
                text = stated
                if other in meetings[meeting]:
                    # A statement between a meeting and one of its own actors (who took
                    # part, carried it out, received it): across sides it is the "met"
                    # item already; on one side, the two are linked once per pair.
                    pair = (meeting, min(actor, other), max(actor, other))
                    if (meeting, actor, other) in paired or pair in together:
                        continue
                    together.add(pair)
                    names = " and ".join(sorted((nodes[actor].label, nodes[other].label)))
                    text = f"{when} — {names} on the same side"
                items.append(
                    Item(
                        "relation",
                        text,
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
    items += _claim_items(nodes, edges, claimed)
    return View(nodes, items, note="whole graph", style=st)


def drawn_as_nodes(store: Store, iris: list[str]) -> set[str]:
    """Which of these nodes a view draws as nodes: not a meeting (drawn as the edges of
    those who met), nor what it does not draw at all (a role, a claim, a source)."""
    held = {m.event for m in meeting_index(store) if m.rows}
    drawn = categories(style(store))
    keys = [ox.NamedNode(i) for i in sorted(set(iris) - held)]
    rows = run_each(store, "view-nodes", "node", keys, many=-1)
    return {value(r["node"]) for r in rows if value(r["type"]) in drawn}


@dataclass
class _Around:
    """What one node of an ego's neighbourhood touches, fetched once."""

    edges: list[Row]  # edges-at rows with the node as subject or object
    met: list[tuple[str, str]]  # (meeting, actor on another side)
    linked: list[tuple[str, str]]  # (meeting it took part in, what that meeting is linked to)
    tenures: list[tuple[str, str]]  # (tenure, post held or holder)


def ego_view(store: Store, center: str, depth: int) -> View:
    """The nodes within `depth` links of center, built from the center outward.

    Gives the same view as ego(build_view(store), center, depth) (the tests hold it to that)
    without building the whole graph's view: a breadth-first walk asks, per node, for its
    statements, meetings and tenures (index lookups), follows a superset of the view's links,
    then builds the view of the nodes reached and cuts it to depth as ego() does.
    """
    held = {m.event for m in meeting_index(store) if m.rows}  # meetings drawn as edges
    if center in held:
        return View({}, [], note="a meeting is drawn as edges, not a node", style=style(store))
    around: dict[str, _Around] = {}
    actors: dict[str, set[str]] = {}

    def near(node: str) -> _Around:
        if node not in around:
            key = ox.NamedNode(node)
            edges = run(store, "edges-at", s=key) + run(store, "edges-at", o=key)
            links = [
                (value(r["how"]), value(r["event"]), value(r["other"]))
                for r in run(store, "meeting-links", node=key)
            ]
            ends = run(store, "tenure-ends", node=key)
            around[node] = _Around(
                edges,
                [(e, o) for how, e, o in links if how == "met"],
                [(e, o) for how, e, o in links if how != "met"],
                [(value(r["tenure"]), value(r["other"])) for r in ends],
            )
        return around[node]

    def actors_of(meeting: str) -> set[str]:
        if meeting not in actors:
            rows = run(store, "meeting-sides", event=ox.NamedNode(meeting))
            actors[meeting] = {value(r["actor"]) for r in rows}
        return actors[meeting]

    def neighbours(node: str) -> set[str]:
        a = near(node)
        out = {o for _, o in a.met} | {o for _, o in a.linked} | {o for _, o in a.tenures}
        for r in a.edges:
            other = value(r["o"]) if value(r["s"]) == node else value(r["s"])
            out |= actors_of(other) if other in held else {other}
        return out - held - {node}

    seen, frontier = {center}, {center}
    for _ in range(depth):
        frontier = {n for f in sorted(frontier) for n in neighbours(f)} - seen
        seen |= frontier
    # The items among the nodes reached: each is found from one of its ends.
    events: set[str] = set()
    tenures: set[str] = set()
    edges: dict[tuple[str, str, str], Row] = {}
    for node in sorted(seen):
        a = near(node)
        events |= {e for e, o in a.met + a.linked if o in seen and o != node}
        tenures |= {t for t, o in a.tenures if o in seen}
        for r in a.edges:
            s, o = value(r["s"]), value(r["o"])
            if (s in seen or s in held) and (o in seen or o in held):
                edges[(s, value(r["p"]), o)] = r
            for end, other in ((s, o), (o, s)):
                # A meeting's statement ties its actors to the other end (see _assemble).
                if end in held and (actors_of(end) - {other}) & seen:
                    events.add(end)
    for event in sorted(events):
        for r in run(store, "edges-at", s=ox.NamedNode(event)) + run(
            store, "edges-at", o=ox.NamedNode(event)
        ):
            edges[(value(r["s"]), value(r["p"]), value(r["o"]))] = r
    # Only statements between nodes reached, or of a meeting whose actors were reached.
    edges = {
        k: r
        for k, r in edges.items()
        if (k[0] in seen and k[2] in seen) or k[0] in events or k[2] in events
    }
    keys = [ox.NamedNode(n) for n in sorted(seen | events)]
    subjects = sorted({ox.NamedNode(s) for s, _, _ in edges}, key=str)
    packed: dict[str, list[str]] = {}
    for r in run_each(store, "evidence-of", "fact", subjects, many=-1):
        cite = pack(value(r["file"]), value(r["line"]), value(r["order"]))
        packed.setdefault(value(r["fact"]), []).append(cite)
    # In the order the whole view has them: the primary citation first.
    cites = {
        fact: [(c["document"], c["line"]) for c in citations("|".join(p))]
        for fact, p in packed.items()
    }
    local = _assemble(
        run_each(store, "view-nodes", "node", keys, many=-1),
        meetings_of_events(store, [ox.NamedNode(e) for e in sorted(events)]),
        roles_of_tenures(store, [ox.NamedNode(t) for t in sorted(tenures)]),
        [
            Edge(s, _relation(r), o, tuple(cites.get(s, [])))
            for (s, _, o), r in sorted(edges.items())
        ],
        style(store),
        _claims(store),
        run_each(store, "search-keys", "node", keys, many=-1),
    )
    return ego(local, center, depth)
