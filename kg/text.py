"""Text normalisation shared by the build (search keys) and lookups (what analysts type)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalize(text: str) -> str:
    """Return text folded for matching: no accents, case or punctuation, single spaces.

    'Kazemi Qomi', 'kazemi-qomi' and 'Kāzemi QOMI' all become 'kazemi qomi'.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", stripped.casefold()).replace("_", " ").split())


def cell(value: Any) -> str:
    """Render one value as display text (tables, CSV, notebooks)."""
    if value is None:
        return ""
    if isinstance(value, dict) and "line" in value:
        return str(value["line"])
    if isinstance(value, list):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)
