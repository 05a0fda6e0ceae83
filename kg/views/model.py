"""What a view is: nodes, the items (meetings, stated relations) linking them, and edges.

Plain data, no store and no drawing: assembly fills these, the cuts narrow them, the page
renders them. ViewError is here so that every module of the package can raise it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kg.errors import KgError


class ViewError(KgError):
    """The view asked for cannot be drawn; the message says why and what to do instead."""


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
    # Its folded names as name matching knows them (kg:searchKey: label, aliases, surname,
    # slug), for the page's search box.
    keys: list[str] = field(default_factory=list)


@dataclass
class Item:
    """One thing an edge stands for: a meeting, or a stated relation."""

    kind: str  # "met", "relation" (stated) or "claim" (reported, a view, a judgement…)
    text: str  # as shown in tooltips and cards, from the `a` end's point of view
    a: str
    b: str
    sources: list[dict[str, Any]]
    earliest: str | None = None
    latest: str | None = None
    topics: set[str] = field(default_factory=set)
    event: str | None = None
    fact: str | None = None  # the node stating it, when that node is shown
    status: str = "stated"  # how the source puts it (a claim's epistemic status)
    asserted_by: str = ""  # who asserts it, for a claim


@dataclass
class View:
    """Nodes and the items linking them, plus a note on how the view was narrowed."""

    nodes: dict[str, Node]
    items: list[Item]
    title: str = "kg"
    note: str = ""
    highlight: set[str] = field(default_factory=set)  # node ids and "a|b" pair keys
    chain: list[dict[str, Any]] = field(default_factory=list)  # a marked chain's hops (kg path's)
    # How to draw it (kg.views.style): the node categories of the schema it was built with.
    style: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Edge:
    """A statement between two named nodes, as the view draws it."""

    s: str
    relation: str
    o: str
    sources: tuple[tuple[str, int], ...]
