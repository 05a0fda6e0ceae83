"""Fuzzy matching of what someone typed against the names it may have meant."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def _similarity(word: str, choice: str) -> float:
    # Analysts often type one part of a slug ('mutaqi' for 'amir-khan-muttaqi'), so a
    # choice scores as well as its best hyphen-separated part.
    word = word.lower()
    parts = [choice.lower(), *choice.lower().split("-")]
    return max(difflib.SequenceMatcher(None, word, p).ratio() for p in parts)


def closest(word: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.7) -> list[str]:
    """Return up to n choices most similar to word, best first."""
    scored = sorted((-_similarity(word, c), c) for c in set(choices))
    return [c for score, c in scored[:n] if -score >= cutoff]


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    """Return ` (did you mean 'x'?)` naming the closest choices, or '' when none is close."""
    close = closest(word, choices, n)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)"
