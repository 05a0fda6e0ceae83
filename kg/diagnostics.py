"""Problems found in curated facts, reported the way a compiler reports them."""

from __future__ import annotations

from dataclasses import dataclass

from kg.errors import KgError
from kg.text import visible


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
        # The message quotes facts: their control characters are shown, not obeyed.
        return visible(f"{where}: {prefix}{self.message}", keep_newlines=True)


class FactsError(KgError):
    """Raised when curated facts cannot be built; carries every problem found."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} problem(s) in the facts")
        self.diagnostics = diagnostics


def a(noun: str) -> str:
    """Return the noun with its indefinite article ('an organization', 'a person')."""
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun
