"""How the view draws each kind of node: the one place that reads the style data.

Only style() reads the data and only category() maps a node's class to its category, so
their source (today kg/views/style.yaml) can change without touching assembly or rendering.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

STYLE_FILE = Path(__file__).resolve().parent / "style.yaml"


@cache
def style() -> dict[str, Any]:
    """Return the view style (categories, colours, shapes) from style.yaml."""
    with STYLE_FILE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def category(type_iri: str) -> str:
    """Return the id of the first style category listing the class (local name), or "group"."""
    local = type_iri.rsplit("#", 1)[-1]
    for cat in style()["categories"]:
        if local in cat["classes"]:
            return str(cat["id"])
    return "group"
