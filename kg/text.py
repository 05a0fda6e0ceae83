"""Text normalisation shared by the build (search keys) and lookups (what analysts type)."""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalize(text: str) -> str:
    """Return text folded for matching: no accents, case or punctuation, single spaces.

    'Kazemi Qomi', 'kazemi-qomi' and 'Kāzemi QOMI' all become 'kazemi qomi'.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", stripped.casefold()).replace("_", " ").split())
