"""Fuzzy matching of what someone typed against the names it may have meant."""

from __future__ import annotations

from collections.abc import Iterable

# Nobody mistypes a name of more than this many characters; comparing a longer word with
# every name costs O(length x names) (a 10,000-character word took 10-14 s), so it gets
# no suggestion at all.
MAX_WORD = 200


def _similarity(word: str, choice: str, cutoff: float = 0.0) -> float:
    # Analysts often type one part of a slug ('mutaqi' for 'amir-khan-muttaqi'), so a
    # choice scores as well as its best hyphen-separated part.
    # real_quick_ratio (lengths) and quick_ratio (shared characters) are upper bounds of
    # ratio: a part that cannot reach the cutoff is skipped cheaply, as difflib's own
    # get_close_matches does.
    import difflib  # here: a lookup imports this module but needs it only for a mistyped name

    best = 0.0
    for part in (choice.lower(), *choice.lower().split("-")):
        matcher = difflib.SequenceMatcher(None, word, part)
        floor = max(cutoff, best)
        if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
            continue
        best = max(best, matcher.ratio())
    return best


def closest(word: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.7) -> list[str]:
    """Return up to n choices most similar to word, best first (none for an over-long word)."""
    if len(word) > MAX_WORD:
        return []
    word = word.lower()
    scored = sorted((-_similarity(word, c, cutoff), c) for c in set(choices))
    return [c for score, c in scored[:n] if -score >= cutoff]


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    """Return ` (did you mean 'x'?)` naming the closest choices, or '' when none is close."""
    close = closest(word, choices, n)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)"
