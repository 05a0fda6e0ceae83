"""How the view draws each kind of node: the one place that reads the style data.

The node categories (legend order, colour, shape) and the classes each covers come from
the record schema of the build being drawn (ontology/records.yaml, plus any schema file
given to `kg build --schema`), which the build keeps beside the store: a kind names its
category there. style.yaml keeps only how edges and highlights are drawn.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from kg.kinds import kept
from kg.store import Store

EDGE_STYLE_FILE = Path(__file__).resolve().parent / "style.yaml"


@cache
def _edge_style() -> dict[str, Any]:
    with EDGE_STYLE_FILE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def style(store: Store | None = None) -> dict[str, Any]:
    """Return the view style: node categories in legend order (each with the class IRIs it
    covers) from the store's schema, and the edge styles."""
    cats: list[dict[str, Any]] = kept(store)["categories"]
    return {"categories": cats, **_edge_style()}


def categories(st: dict[str, Any]) -> dict[str, str]:
    """Map each class IRI a drawn record may have to its category id (a node whose class
    is not here belongs to a kind that is not drawn)."""
    return {cls: c["id"] for c in st["categories"] for cls in c["classes"]}
