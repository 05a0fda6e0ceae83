"""Interactive network views: the graph as people, institutions and events an analyst can explore.

make_view decides what to draw (for `kg view` and the notebook alike) and render.write
writes the page. Beneath them, in layers: model (the dataclasses), style (the one reader of
the style data), assemble (a view from the store), cut (narrowing a view), layout (node
positions) and render (the HTML page); screenshot takes a PNG of a page.
"""

from __future__ import annotations

from kg.views.assemble import build_view, ego_view
from kg.views.cut import by_dates, by_topic, ego, highlight_path
from kg.views.make import MAX_NODES, make_view
from kg.views.model import Edge, Item, Node, View, ViewError
from kg.views.style import style

__all__ = [
    "MAX_NODES",
    "Edge",
    "Item",
    "Node",
    "View",
    "ViewError",
    "build_view",
    "by_dates",
    "by_topic",
    "ego",
    "ego_view",
    "highlight_path",
    "make_view",
    "style",
]
