"""Problems found in curated facts, reported the way a compiler reports them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem: where it is (file and line), how bad, and what is wrong."""

    file: str
    line: int
    message: str
    severity: str = "error"  # "error" stops the build; "warning" is reported only

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        prefix = "" if self.severity == "error" else "warning: "
        return f"{where}: {prefix}{self.message}"


class FactsError(Exception):
    """Raised when curated facts cannot be built; carries every problem found."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} problem(s) in the facts")
        self.diagnostics = diagnostics


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


def a(noun: str) -> str:
    """Return the noun with its indefinite article ('an organization', 'a person')."""
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun
