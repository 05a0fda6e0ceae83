"""Checked records: what the checker hands the converter (kept below both)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kg.diagnostics import Diagnostic
from kg.facts.dates import FuzzyDate
from kg.facts.yamlload import LDict


@dataclass(frozen=True)
class Citation:
    """One source line supporting a record."""

    source: str
    line: int
    note: str | None = None


@dataclass(frozen=True)
class Quantity:
    """An amount with its unit and what it counts (350,000 tons of oil)."""

    amount: Decimal
    unit: str | None
    of: str | None


@dataclass(frozen=True)
class StatusChange:
    """An agreement reaching a status on a date, at an event, by some actors, on evidence."""

    status: str
    date: FuzzyDate
    evidence: tuple[Citation, ...]
    at: str | None = None
    by: tuple[str, ...] = ()
    note: str | None = None
    line: int = 0  # where the change is written


@dataclass(slots=True)  # (no instance dict: a build holds one a record)
class Record:
    """One curated record, with where it was written and its checked field values."""

    kind: str
    id: str
    file: str
    line: int
    raw: LDict
    values: dict[str, Any] = field(default_factory=dict)
    evidence: list[Citation] = field(default_factory=list)
    note: str | None = None
    # A frozen record (freeze) keeps the rest pickled here; whole() gives it all again.
    frozen: bytes | None = None

    def line_of(self, name: str) -> int:
        """Return the line of field `name`, or the record's own line."""
        return self.raw.lines.get(name, self.line)

    def freeze(self, values: set[str], lines: set[str]) -> None:
        """Keep only these values and the lines of these fields as objects, the rest
        pickled: once every record is checked, others read only a few values of a record
        (its label, the values `same:` compares), and only its conversion reads it whole
        (whole()). Frozen, the checked records of a 5M-triple graph took a third of the
        memory."""
        import pickle

        raw = self.raw
        self.frozen = pickle.dumps(
            (self.values, self.evidence, self.note, raw.lines), pickle.HIGHEST_PROTOCOL
        )
        kept = LDict({k: raw[k] for k in ("id", "file") if k in raw})
        kept.line, kept.lines = raw.line, {k: n for k, n in raw.lines.items() if k in lines}
        self.raw = kept
        self.values = {k: v for k, v in self.values.items() if k in values}
        self.evidence, self.note = [], None

    def whole(self) -> Record:
        """The record with all its values (a copy, if it is frozen)."""
        if self.frozen is None:
            return self
        import pickle

        values, evidence, note, lines = pickle.loads(self.frozen)
        raw = LDict({k: self.raw[k] for k in ("id", "file") if k in self.raw})
        raw.line, raw.lines = self.raw.line, lines
        return Record(self.kind, self.id, self.file, self.line, raw, values, evidence, note)


@dataclass
class Facts:
    """Every checked record, by id, and the warnings found on the way."""

    records: dict[str, Record]
    warnings: list[Diagnostic]
    topics: set[str]
    # The source files checking the evidence looked for, and what it found (probe_source).
    probes: dict[str, list[str]] = field(default_factory=dict)
    # The files whose records are stubs, their check kept from an earlier build (kg.facts
    # .check's Memo): kind, id, line and the values other records read of them; unstub
    # reads files whole (every value), for a conversion.
    stubs: set[str] = field(default_factory=set)
    unstub: Callable[[set[str]], None] = lambda files: None
