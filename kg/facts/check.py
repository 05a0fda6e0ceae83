"""Read curated facts and check them against the record schema, collecting every problem."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from kg.diagnostics import Diagnostic, FactsError, a
from kg.facts.dates import FuzzyDate, parse_date
from kg.facts.schema import COMMON_FIELDS, FieldSpec, KindSpec, Schema
from kg.facts.yamlload import LDict, LList, load_yaml
from kg.fuzzy import did_you_mean

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


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


@dataclass
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

    def line_of(self, name: str) -> int:
        """Return the line of field `name`, or the record's own line."""
        return self.raw.lines.get(name, self.line)


@dataclass
class Facts:
    """Every checked record, by id, and the warnings found on the way."""

    records: dict[str, Record]
    warnings: list[Diagnostic]
    topics: set[str]


class _Checker:
    def __init__(self, schema: Schema, topics: set[str], source_dirs: list[Path]) -> None:
        self.schema = schema
        self.topics = topics
        self.source_dirs = source_dirs
        self.problems: list[Diagnostic] = []
        self.records: dict[str, Record] = {}
        self.defaults: dict[str, str | None] = {}  # file -> default source id
        self._source_lines: dict[str, list[str] | None] = {}

    def err(self, file: str, line: int, msg: str, severity: str = "error") -> None:
        self.problems.append(Diagnostic(file, line, msg, severity))

    # ------------------------------------------------------------------ pass 1: records
    def read_file(self, path: Path, rel: str) -> None:
        try:
            doc = load_yaml(path, rel)
        except FactsError as exc:
            self.problems.extend(exc.diagnostics)
            return
        if doc is None:
            self.err(rel, 0, "file is empty", "warning")
            return
        if not isinstance(doc, LDict):
            self.err(
                rel,
                1,
                "a facts file must be a mapping of kinds to lists of records "
                f"(kinds: {', '.join(self.schema.kinds)})",
            )
            return
        default = doc.get("source")
        if default is not None and not isinstance(default, str):
            self.err(rel, doc.lines["source"], "'source' must be the id of a source record")
            default = None
        self.defaults[rel] = default
        for key, items in doc.items():
            if key == "source":
                continue
            if key not in self.schema.kinds:
                self.err(
                    rel,
                    doc.lines[key],
                    f"unknown kind '{key}'"
                    + (
                        did_you_mean(key, self.schema.kinds)
                        or f" (kinds: {', '.join(self.schema.kinds)})"
                    ),
                )
                continue
            if not isinstance(items, LList):
                self.err(rel, doc.lines[key], f"'{key}' must be a list of records")
                continue
            for i, item in enumerate(items):
                self.read_record(key, item, rel, items.lines[i])

    def read_record(self, kind: str, item: Any, rel: str, line: int) -> None:
        if not isinstance(item, LDict):
            self.err(
                rel,
                line,
                f"{a(self.schema.kinds[kind].singular())} record must be a mapping of fields",
            )
            return
        rid = item.get("id")
        if rid is None:
            self.err(rel, line, "record has no 'id'")
            return
        if not isinstance(rid, str) or not SLUG.match(rid):
            self.err(
                rel,
                item.lines["id"],
                f"bad id {rid!r}: use lower-case words joined by hyphens, e.g. 'amir-khan-muttaqi'",
            )
            return
        if rid in self.records:
            first = self.records[rid]
            self.err(
                rel,
                item.lines["id"],
                f"duplicate id '{rid}' (first defined at {first.file}:{first.line})",
            )
            return
        if rid in self.topics:
            self.err(rel, item.lines["id"], f"id '{rid}' is already a topic in topics.ttl")
            return
        self.records[rid] = Record(kind, rid, rel, line, item)

    # ------------------------------------------------------------------ pass 2: fields
    def check_all(self) -> None:
        for rec in self.records.values():
            self.check_record(rec, self.schema.kinds[rec.kind])

    def check_record(self, rec: Record, kind: KindSpec) -> None:
        allowed = [*COMMON_FIELDS, *kind.fields]
        for name in rec.raw:
            if name not in allowed:
                self.err(
                    rec.file,
                    rec.line_of(name),
                    f"unknown field '{name}' for {a(kind.singular())}"
                    + (did_you_mean(name, allowed) or f" (fields: {', '.join(allowed)})"),
                )
        for spec in kind.fields.values():
            if spec.name not in rec.raw or rec.raw[spec.name] is None:
                if spec.required:
                    self.err(
                        rec.file, rec.line, f"{kind.singular()} '{rec.id}' has no '{spec.name}'"
                    )
                continue
            value = self.check_value(rec, spec, rec.raw[spec.name])
            if value is not None:
                rec.values[spec.name] = value
        note = rec.raw.get("note")
        if note is not None:
            if isinstance(note, str):
                rec.note = note.strip()
            else:
                self.err(rec.file, rec.line_of("note"), "'note' must be text")
        self.check_evidence(rec, kind)
        self.check_order(rec)

    def check_order(self, rec: Record) -> None:
        start, end = rec.values.get("start"), rec.values.get("end")
        if (
            isinstance(start, FuzzyDate)
            and isinstance(end, FuzzyDate)
            and end.latest < start.earliest
        ):
            self.err(rec.file, rec.line_of("end"), f"end {end.text} is before start {start.text}")

    def check_value(self, rec: Record, spec: FieldSpec, raw: Any) -> Any:
        where = rec.line_of(spec.name)
        t = spec.type
        if t == "text":
            if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
                self.err(rec.file, where, f"'{spec.name}' must be text")
                return None
            text = str(raw).strip()
            if not text:
                self.err(rec.file, where, f"'{spec.name}' is empty")
                return None
            return text
        if t == "texts":
            items = self._as_list(raw)
            out = [self.check_value(rec, FieldSpec(spec.name, "text"), x) for x in items]
            return [x for x in out if x is not None]
        if t in ("int", "decimal"):
            if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
                self.err(rec.file, where, f"'{spec.name}' must be a number")
                return None
            try:
                num = Decimal(str(raw).replace(",", "").replace("_", ""))
            except InvalidOperation:
                self.err(rec.file, where, f"'{spec.name}' must be a number, not {raw!r}")
                return None
            if t == "int":
                if num != num.to_integral_value() or num < 1:
                    self.err(rec.file, where, f"'{spec.name}' must be a whole number ≥ 1")
                    return None
                return int(num)
            return num
        if t == "date":
            try:
                return parse_date(raw)
            except ValueError as exc:
                self.err(rec.file, where, f"'{spec.name}': {exc}")
                return None
        if t == "dates":
            out = [
                self.check_value(rec, FieldSpec(spec.name, "date"), x) for x in self._as_list(raw)
            ]
            return [x for x in out if x is not None]
        if t == "enum":
            if not isinstance(raw, str) or raw not in spec.values:
                self.err(
                    rec.file,
                    where,
                    f"'{spec.name}' must be one of "
                    f"{', '.join(spec.values)}, not {raw!r}"
                    + (did_you_mean(str(raw), spec.values) if isinstance(raw, str) else ""),
                )
                return None
            return raw
        if t == "ref":
            if isinstance(raw, list):
                self.err(rec.file, where, f"'{spec.name}' takes one id, not a list")
                return None
            return self.check_ref(rec, spec, raw, where)
        if t == "refs":
            items = self._as_list(raw)
            lines = raw.lines if isinstance(raw, LList) else [where] * len(items)
            refs = [self.check_ref(rec, spec, x, ln) for x, ln in zip(items, lines, strict=True)]
            return [r for r in refs if r is not None]
        if t == "sides":
            return self.check_sides(rec, spec, raw, where)
        if t == "quantities":
            return self.check_quantities(rec, spec, raw, where)
        raise AssertionError(t)

    @staticmethod
    def _as_list(raw: Any) -> list[Any]:
        return list(raw) if isinstance(raw, list) else [raw]

    def kind_of(self, ref: str) -> str | None:
        if ref in self.topics:
            return "topics"
        rec = self.records.get(ref)
        return rec.kind if rec else None

    def check_ref(self, rec: Record, spec: FieldSpec, ref: Any, line: int) -> str | None:
        if not isinstance(ref, str):
            self.err(rec.file, line, f"'{spec.name}' must name an id, not {ref!r}")
            return None
        kind = self.kind_of(ref)
        wanted = " or ".join(self._singular(k) for k in spec.to)
        if kind is None:
            pool = [i for i, r in self.records.items() if r.kind in spec.to]
            if "topics" in spec.to:
                pool += list(self.topics)
            self.err(
                rec.file,
                line,
                f"unknown {wanted} '{ref}' in '{spec.name}'" + did_you_mean(ref, pool),
            )
            return None
        if kind not in spec.to:
            self.err(
                rec.file,
                line,
                f"'{ref}' is {a(self._singular(kind))}, but '{spec.name}' takes {a(wanted)}",
            )
            return None
        if ref == rec.id:
            self.err(rec.file, line, f"'{spec.name}' of '{rec.id}' refers to itself")
            return None
        return ref

    def _singular(self, kind: str) -> str:
        spec = self.schema.kinds.get(kind)
        return spec.singular() if spec else "topic"

    def check_sides(
        self, rec: Record, spec: FieldSpec, raw: Any, where: int
    ) -> list[tuple[str, list[str]]] | None:
        if not isinstance(raw, LDict):
            self.err(
                rec.file,
                where,
                "'sides' must map each side (a state or authority id) "
                "to the list of actors who acted for it",
            )
            return None
        out: list[tuple[str, list[str]]] = []
        side_spec = FieldSpec("sides", "ref", to=("organizations",))
        seen: dict[str, str] = {}
        for side, actors in raw.items():
            line = raw.lines[side]
            side_id = self.check_ref(rec, side_spec, side, line)
            actor_lines = actors.lines if isinstance(actors, LList) else [line]
            refs = []
            for actor, aline in zip(self._as_list(actors), actor_lines, strict=True):
                ref = self.check_ref(rec, FieldSpec("sides", "ref", to=spec.to), actor, aline)
                if ref is None:
                    continue
                if ref in seen:
                    self.err(
                        rec.file, aline, f"'{ref}' is on two sides ('{seen[ref]}' and '{side}')"
                    )
                    continue
                seen[ref] = str(side)
                refs.append(ref)
            if side_id is not None:
                out.append((side_id, refs))
        return out

    def check_quantities(
        self, rec: Record, spec: FieldSpec, raw: Any, where: int
    ) -> list[Quantity] | None:
        out = []
        items = self._as_list(raw)
        lines = raw.lines if isinstance(raw, LList) else [where]
        for item, line in zip(items, lines, strict=True):
            if not isinstance(item, LDict) or "amount" not in item:
                self.err(rec.file, line, "a quantity needs 'amount' (and optionally 'unit', 'of')")
                continue
            extra = set(item) - {"amount", "unit", "of"}
            for name in sorted(extra):
                self.err(
                    rec.file,
                    item.lines[name],
                    f"unknown field '{name}' in a quantity"
                    + did_you_mean(name, ["amount", "unit", "of"]),
                )
            tmp = Record(rec.kind, rec.id, rec.file, line, item)
            amount = self.check_value(tmp, FieldSpec("amount", "decimal"), item["amount"])
            unit = item.get("unit")
            of = item.get("of")
            if amount is not None:
                out.append(
                    Quantity(
                        amount, None if unit is None else str(unit), None if of is None else str(of)
                    )
                )
        return out

    # ------------------------------------------------------------------ evidence
    def check_evidence(self, rec: Record, kind: KindSpec) -> None:
        raw = rec.raw.get("evidence")
        where = rec.line_of("evidence")
        if raw is None or raw == []:
            if kind.evidence_required:
                self.err(
                    rec.file,
                    rec.line,
                    f"{kind.singular()} '{rec.id}' has no evidence: "
                    "cite the source line(s) it comes from, e.g. 'evidence: 19'",
                )
            return
        items = self._as_list(raw)
        lines = raw.lines if isinstance(raw, LList) else [where]
        for item, line in zip(items, lines, strict=True):
            cite = self.check_citation(rec, item, line)
            if cite is not None and cite not in rec.evidence:
                rec.evidence.append(cite)

    def check_citation(self, rec: Record, item: Any, line: int) -> Citation | None:
        note = None
        if isinstance(item, LDict):
            extra = set(item) - {"source", "line", "note"}
            for name in sorted(extra):
                self.err(
                    rec.file,
                    item.lines[name],
                    f"unknown field '{name}' in evidence"
                    + did_you_mean(name, ["source", "line", "note"]),
                )
            source, number, note = item.get("source"), item.get("line"), item.get("note")
            source = source if source is not None else self.defaults.get(rec.file)
        else:
            source, number = self.defaults.get(rec.file), item
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            self.err(rec.file, line, f"evidence line must be a line number ≥ 1, not {number!r}")
            return None
        if source is None:
            self.err(
                rec.file,
                line,
                "evidence names no source: add 'source: ID' at the top of "
                "the file or to the citation",
            )
            return None
        src = self.records.get(str(source))
        if src is None or src.kind != "sources":
            pool = [i for i, r in self.records.items() if r.kind == "sources"]
            self.err(rec.file, line, f"unknown source '{source}'" + did_you_mean(str(source), pool))
            return None
        text = self.source_lines(src)
        if text is not None:
            fname = src.values.get("file", "")
            if number > len(text):
                self.err(
                    rec.file,
                    line,
                    f"evidence line {number} is past the end of {fname} ({len(text)} lines)",
                )
                return None
            if not text[number - 1].strip():
                self.err(rec.file, line, f"evidence line {number} of {fname} is blank")
                return None
        return Citation(src.id, number, str(note).strip() if note is not None else None)

    def source_lines(self, src: Record) -> list[str] | None:
        if src.id in self._source_lines:
            return self._source_lines[src.id]
        fname = src.raw.get("file")
        lines = None
        if isinstance(fname, str):
            for folder in self.source_dirs:
                path = folder / fname
                if path.is_file():
                    lines = path.read_text(encoding="utf-8").splitlines()
                    break
            else:
                self.err(
                    src.file,
                    src.line_of("file"),
                    f"source file {fname} not found in "
                    f"{', '.join(str(d) for d in self.source_dirs) or 'any sources folder'}"
                    "; evidence line numbers were not checked (use --sources DIR)",
                    "warning",
                )
        self._source_lines[src.id] = lines
        return lines


def fact_files(facts_dir: Path) -> list[Path]:
    """Return the YAML files of a facts folder, in a stable order."""
    return sorted(p for p in facts_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def check_facts(
    facts_dir: Path, schema: Schema, topics: set[str], source_dirs: list[Path]
) -> Facts:
    """Load every facts file and check it; raise FactsError listing every problem found."""
    checker = _Checker(schema, topics, source_dirs)
    files = fact_files(facts_dir)
    if not files:
        raise FactsError([Diagnostic(str(facts_dir), 0, "no .yaml files in the facts folder")])
    for path in files:
        checker.read_file(path, path.relative_to(facts_dir).as_posix())
    checker.check_all()
    errors = sorted(p for p in checker.problems if p.severity == "error")
    warnings = sorted(p for p in checker.problems if p.severity != "error")
    if errors:
        raise FactsError(errors + warnings)
    return Facts(checker.records, warnings, topics)
