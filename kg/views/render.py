"""Render a View as one self-contained, offline HTML page (pyvis data, our own template).

pyvis 0.3.2's `in_line` mode still links Bootstrap from a CDN and its `from_nx` is slow,
so we make the node and edge lists in pyvis's form ourselves and render them with our own
template, inlining the vis-network script pyvis ships (read from its folder: importing
pyvis costs 0.4 s, a third of `kg view --ego`'s budget). All text reaches the page as JSON
in a non-executable script element and is put into the DOM with textContent only.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import jinja2

from kg.text import normalize
from kg.views.cut import chain_segments
from kg.views.layout import LAYOUT_LIMIT, SEED, layout
from kg.views.model import Item, Node, View, ViewError
from kg.views.style import style

TEMPLATE_DIR = Path(__file__).resolve().parent


class RenderError(ViewError):
    """The page cannot be made (what is missing is in the message)."""


def _vis_assets() -> tuple[str, str]:
    import importlib.util

    # Located, not imported: importing pyvis costs 0.4 s, and we use only its files.
    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise RenderError(
            "pyvis is not installed (the page inlines the vis-network script it ships): "
            "pip install pyvis"
        )
    lib = Path(next(iter(spec.submodule_search_locations))) / "lib" / "vis-9.1.2"
    return (
        (lib / "vis-network.min.js").read_text(encoding="utf-8"),
        (lib / "vis-network.css").read_text(encoding="utf-8"),
    )


def _pair(i: Item) -> tuple[str, str]:
    return (i.a, i.b) if i.a < i.b else (i.b, i.a)


def _cite(sources: list[dict[str, Any]]) -> str:
    return ", ".join(f"line {c['line']}" for c in sources)


def _item_order(i: Item) -> tuple[str, ...]:
    """A total order of the items on one edge: the page must not depend on how the view
    was assembled (whole graph or an ego's neighbourhood)."""
    return (i.earliest or "", i.text, i.kind, i.a, i.b, repr(i.sources))


Links = dict[tuple[str, str, bool], list[Item]]  # (a, b, is a claim) -> the items of one edge


def page_data(view: View) -> dict[str, Any]:
    """Return the nodes, edges, cards and legend the page shows, as plain JSON data."""
    st = view.style or style()
    # One edge per pair for what is stated (meetings, relations) and, apart, one for the
    # claims that are not stated facts, so the page can show or hide those alone.
    links: Links = defaultdict(list)
    for i in view.items:
        links[(*_pair(i), i.kind == "claim")].append(i)
    keys = sorted(links)
    pairs = sorted({(a, b) for a, b, _ in keys})
    pos = layout(view.nodes, pairs)
    degree: dict[str, int] = defaultdict(int)
    for a, b in pairs:
        degree[a] += 1
        degree[b] += 1

    cards = _cards(view, links)
    nodes = _nodes(view, st, degree, pos)
    edges = _edges(view, st, links)
    present = {n["category"] for n in nodes}
    legend = [
        {"label": c["label"], "color": c["color"], "shape": c["shape"]}
        for c in st["categories"]
        if c["id"] in present
    ]
    if any(not e["dashes"] for e in edges):
        legend.append(
            {
                "label": "met (width: number of meetings)",
                "color": st["meeting_edge"]["color"],
                "shape": "line",
            }
        )
    if any(e["dashes"] is True for e in edges):
        legend.append(
            {"label": "other relation", "color": st["relation_edge"]["color"], "shape": "dashes"}
        )
    if any(e.get("claim") for e in edges):
        legend.append(
            {
                # (reported, a party's view, the author's judgement, or true for a while)
                "label": "claim, not a plain fact",
                "color": st["claim_edge"]["color"],
                "shape": "dashes",
                "toggle": "claims",
            }
        )
    settled = len(nodes) <= LAYOUT_LIMIT
    return {
        "title": view.title,
        "note": view.note,
        "nodes": nodes,
        "edges": edges,
        "cards": cards,
        "legend": legend,
        "positioned": settled,
        "seed": SEED,
        # The search box ranks equally good matches by category, in legend order (people
        # and institutions before agreements, events and figures).
        "search": {"categories": [c["id"] for c in st["categories"]]},
    }




def _cards(view: View, links: Links) -> dict[str, dict[str, Any]]:
    """Each node's card: its names and sources, and the meetings, relations and claims
    (who asserts what) on its edges, each with its source lines."""
    cards: dict[str, dict[str, Any]] = {}
    for nid, n in sorted(view.nodes.items()):
        cards[nid] = {
            "label": n.label,
            "type": n.type,
            "aliases": n.aliases,
            "date": n.date or "",
            "sources": _cite(n.sources),
            "documents": sorted({c["document"] for c in n.sources}),
            "meetings": [],
            "relations": [],
            "claims": [],
        }
    # A statement about a meeting (what it concerned, where it was) is an item from each of
    # the meeting's actors to the other end, one edge each; the other end's card lists the
    # statement once. An item's text names the statement, so equal text and lines are one fact.
    listed: set[tuple[str, str, str, str]] = set()
    for a, b, claimed in sorted(links):
        for i in sorted(links[(a, b, claimed)], key=_item_order):
            for here, there in ((a, b), (b, a)):
                section = {"met": "meetings", "claim": "claims"}.get(i.kind, "relations")
                text = i.text + (f" — with {view.nodes[there].label}" if i.kind == "met" else "")
                entry = (here, section, text, _cite(i.sources))
                if entry in listed:
                    continue
                listed.add(entry)
                docs = set(cards[here]["documents"]) | {c["document"] for c in i.sources}
                cards[here]["documents"] = sorted(docs)
                cards[here][section].append({"text": text, "cite": entry[3]})
    return cards


def _search_keys(n: Node) -> list[str]:
    """The node's search keys as name matching has them (kg:searchKey, made by kg build
    with kg.text.normalize), and its label, aliases and slug folded the same way (a view
    made without a store has only these)."""
    slug = n.id.rstrip("/").rsplit("/", 1)[-1]
    names = {normalize(x) for x in (n.label, *n.aliases, slug)}
    return sorted((set(n.keys) | names) - {""})


def _nodes(
    view: View, st: dict[str, Any], degree: dict[str, int], pos: dict[str, tuple[int, int]]
) -> list[dict[str, Any]]:
    """The nodes as vis-network draws them: category shape and colour, size by degree."""
    cats = {c["id"]: c for c in st["categories"]}
    nodes = []
    for nid, n in sorted(view.nodes.items()):
        cat = cats.get(n.category, cats["group"])
        hl = nid in view.highlight
        node: dict[str, Any] = {
            "id": nid,
            "label": n.label,
            "shape": cat["shape"],
            "category": n.category,
            "color": st["highlight"]["color"] if hl else cat["color"],
            "size": min(48, 14 + 3 * degree[nid]),
            "borderWidth": 4 if hl else 1,
            "tip": [
                n.label,
                n.type + (f", {n.date}" if n.date else ""),
                f"sources: {_cite(n.sources)}" if n.sources else "no sources",
            ],
        }
        if nid in pos:
            node["x"], node["y"] = pos[nid]
        node["keys"] = _search_keys(n)
        nodes.append(node)
    return nodes


def _edges(view: View, st: dict[str, Any], links: Links) -> list[dict[str, Any]]:
    """One edge per pair for what is stated and one apart for claims, labelled and with
    every item it stands for in its tooltip."""
    edges = []
    for k, (a, b, claimed) in enumerate(sorted(links)):
        items = sorted(links[(a, b, claimed)], key=_item_order)
        met = [i for i in items if i.kind == "met"]
        rel = [i for i in items if i.kind != "met"]
        parts = []
        if met:
            parts.append(f"met ×{len(met)}" if len(met) > 1 else "met")
        if rel and claimed:
            parts.append(", ".join(sorted({i.status for i in rel})))
        elif rel:
            first = rel[0].text.split(" — ")[-1].split(" → ")[0]
            parts.append(first + (" …" if len(rel) > 1 else ""))
        # A chain's hop through a claim marks the claim's edge, when there is one.
        key = f"{a}|{b}"
        hl = key in view.highlight and (
            (f"{key}|claim" in view.highlight) == claimed
            or (a, b, not claimed) not in links
        )
        color = (
            st["highlight"]["color"]
            if hl
            else st["meeting_edge"]["color"]
            if met
            else st["claim_edge"]["color"]
            if claimed
            else st["relation_edge"]["color"]
        )
        tip = [f"{view.nodes[a].label} — {view.nodes[b].label}"]
        tip += [f"met {i.text} ({_cite(i.sources)})" for i in met]
        tip += [f"{i.text} ({_cite(i.sources)})" for i in rel]
        edge = {
            "id": f"e{k}",
            "from": a,
            "to": b,
            "label": " · ".join(parts),
            "width": (2 + 2 * len(met)) if met else 1,
            "color": color,
            "dashes": [2, 6] if claimed else not met,
            "tip": tip,
            "weight": len(items),
            "highlight": hl,
        }
        if claimed:
            edge["claim"] = True  # the page's toggle shows or hides these
        edges.append(edge)
    # A step of a marked chain between two nodes the view draws no edge between (a role's
    # organization, reached through the role): drawn for the chain alone.
    for k, (a, b, hops) in enumerate(chain_segments(view)):
        if any((*sorted((a, b)), c) in links for c in (False, True)):
            continue
        steps = [
            f"{h['to']} — {h['relation']} → {h['from']}"
            if h["inverse"]
            else f"{h['from']} — {h['relation']} → {h['to']}"
            for h in hops
        ]
        edges.append(
            {
                "id": f"p{k}",
                "from": a,
                "to": b,
                "label": "path",
                "width": 3,
                "color": st["highlight"]["color"],
                "dashes": True,
                "tip": [
                    f"{view.nodes[a].label} — {view.nodes[b].label} (the chain of kg path)",
                    *(f"{t} ({_cite(h['sources'])})" for t, h in zip(steps, hops, strict=True)),
                ],
                "weight": 1,
                "highlight": True,
            }
        )
    return edges


def _options(positioned: bool, size: int) -> dict[str, Any]:
    return {
        "layout": {"randomSeed": SEED, "improvedLayout": size <= 100},
        "physics": {
            "enabled": not positioned,
            "solver": "barnesHut",
            "stabilization": {"enabled": True, "iterations": 40, "fit": True},
        },
        "interaction": {
            "hover": True,
            "tooltipDelay": 120,
            "dragNodes": True,
            "dragView": True,
            "zoomView": True,
            "keyboard": False,
            "hideEdgesOnDrag": size > 1000,
        },
        # Large type: the whole graph is first seen zoomed out to fit the window.
        "nodes": {
            "font": {"size": 24, "face": "sans-serif", "strokeWidth": 4, "strokeColor": "#ffffff"},
            "widthConstraint": {"maximum": 260},
        },
        "edges": {
            "font": {
                "size": 14,
                "align": "middle",
                "color": "#444",
                "strokeWidth": 3,
                "strokeColor": "#ffffff",
            },
            "smooth": False,
            "color": {"inherit": False},
        },
    }


def _script_json(data: Any) -> str:
    # JSON inside <script type="application/json">: escape what could end the element.
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(view: View) -> str:
    """Return the page as HTML text."""
    data = page_data(view)
    # The node and edge lists are in the form pyvis's Network holds them (its add_node and
    # from_nx are slow at size, and filled directly its get_network_data only hands them
    # back), so they go to the page as they are, with the vis-network options.
    options = _options(data["positioned"], len(data["nodes"]))
    js, css = _vis_assets()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True, keep_trailing_newline=True
    )
    return env.get_template("template.html").render(
        title=view.title,
        vis_js=js,
        vis_css=css,
        data=_script_json({**data, "options": options}),
    )


def write(view: View, path: Path) -> Path:
    """Write the page to path atomically (a temporary file renamed into place)."""
    from kg.errors import OutputError

    html = render(view)
    if path.is_dir():
        raise OutputError(f"-o {path} is a folder; a view is one HTML file")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
