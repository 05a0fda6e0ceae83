"""Read curated facts and check them against the record schema, collecting every problem."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kg.diagnostics import Diagnostic, FactsError, a
from kg.facts import fact_files, probe_source
from kg.facts.dates import FuzzyDate
from kg.facts.records import Citation, Facts, Quantity, Record
from kg.facts.schema import COMMON_FIELDS, EVIDENCE, KindSpec, Schema
from kg.facts.types import CITATIONS, text_problem
from kg.facts.yamlload import LDict, LList, load_yaml
from kg.fuzzy import did_you_mean

__all__ = ["Citation", "Facts", "Quantity", "Record", "check_facts", "fact_files"]

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


Loader = Callable[[Path, str], Any]  # (path, path relative to the facts) -> the document


class _Checker:
    def __init__(
        self,
        schema: Schema,
        topics: set[str],
        source_dirs: list[Path],
        load: Loader = load_yaml,
    ) -> None:
        self.load = load
        self.schema = schema
        self.topics = topics
        self.source_dirs = source_dirs
        self.problems: list[Diagnostic] = []
        self.records: dict[str, Record] = {}
        self.defaults: dict[str, str | None] = {}  # file -> default source id
        self._source_lines: dict[str, list[str] | None] = {}
        self.probes: dict[str, list[str]] = {}  # source file -> probe_source's

    def err(self, file: str, line: int, msg: str, severity: str = "error") -> None:
        self.problems.append(Diagnostic(file, line, msg, severity))

    # ------------------------------------------------------------------ pass 1: records
    def read_file(self, path: Path, rel: str) -> None:
        try:
            doc = self.load(path, rel)
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
        for rec in self.records.values():
            self.check_same(rec, self.schema.kinds[rec.kind])

    def check_same(self, rec: Record, kind: KindSpec) -> None:
        """A reference declared `same: F` names a record with the same F (a role succeeds
        a role in the same post)."""
        for f in kind.fields.values():
            ref = rec.values.get(f.name)
            if not f.same or not isinstance(ref, str) or ref not in self.records:
                continue
            mine, theirs = rec.values.get(f.same), self.records[ref].values.get(f.same)
            if mine is not None and theirs is not None and mine != theirs:
                self.err(
                    rec.file,
                    rec.line_of(f.name),
                    f"'{f.name}' names '{ref}', whose {f.same} is '{theirs}', not '{mine}'",
                )

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
            value = spec.vtype.check(self, rec, spec, rec.raw[spec.name], rec.line_of(spec.name))
            if value is not None:
                rec.values[spec.name] = value
        note = rec.raw.get("note")
        if note is not None:
            if isinstance(note, str) and (problem := text_problem(note)) is not None:
                self.err(rec.file, rec.line_of("note"), f"'note' {problem}")
            elif isinstance(note, str):
                rec.note = note.strip()
            else:
                self.err(rec.file, rec.line_of("note"), "'note' must be text")
        self.check_evidence(rec, kind)
        self.check_order(rec, kind)

    def check_order(self, rec: Record, kind: KindSpec) -> None:
        """A date declared `after` another (an end after its start) is not before it."""
        for f in kind.fields.values():
            late, early = rec.values.get(f.name), rec.values.get(f.after or "")
            # Either may be a list of dates (attested): its first must not be before the
            # other's day, and the other's last must not be after it.
            if isinstance(late, list) and late and f.after:
                late = min(late, key=lambda d: d.latest if isinstance(d, FuzzyDate) else d)
            if isinstance(early, list) and early and f.after:
                early = max(early, key=lambda d: d.earliest if isinstance(d, FuzzyDate) else d)
            if (
                isinstance(late, FuzzyDate)
                and isinstance(early, FuzzyDate)
                and late.latest < early.earliest
            ):
                self.err(
                    rec.file,
                    rec.line_of(f.name),
                    f"{f.name} {late.shown} is before {f.after} {early.shown}",
                )

    # ------------------------------------------------------------------ for the value types
    def kind_of(self, ref: str) -> str | None:
        if ref in self.topics:
            return "topics"
        rec = self.records.get(ref)
        return rec.kind if rec else None

    def ids_of(self, kinds: Iterable[str]) -> list[str]:
        wanted = set(kinds)
        pool = [i for i, r in self.records.items() if r.kind in wanted]
        if "topics" in wanted:
            pool += list(self.topics)
        return pool

    def singular(self, kind: str) -> str:
        spec = self.schema.kinds.get(kind)
        return spec.singular() if spec else "topic"

    def default_source(self, file: str) -> str | None:
        return self.defaults.get(file)

    # ------------------------------------------------------------------ evidence
    def check_evidence(self, rec: Record, kind: KindSpec) -> None:
        raw = rec.raw.get("evidence")
        if raw is None or raw == []:
            if kind.evidence_required:
                self.err(
                    rec.file,
                    rec.line,
                    f"{kind.singular()} '{rec.id}' has no evidence: "
                    "cite the source line(s) it comes from, e.g. 'evidence: 19'",
                )
            return
        rec.evidence = CITATIONS.check(self, rec, EVIDENCE, raw, rec.line_of("evidence")) or []

    def source_lines(self, source_id: str) -> tuple[str, list[str] | None] | None:
        """The file name and lines of a source record's text (None: no such source)."""
        src = self.records.get(source_id)
        if src is None or src.kind != "sources":
            return None
        fname = src.raw.get("file")
        if src.id in self._source_lines:
            return str(fname), self._source_lines[src.id]
        lines = None
        if isinstance(fname, str) and not _plain_relative(fname):
            self.err(
                src.file,
                src.line_of("file"),
                f"source file {fname!r} must be a plain relative path inside the sources "
                "folder (no leading /, no '..')",
            )
        elif isinstance(fname, str):
            # What this check depends on, for a later build to tell whether it would still
            # find the same (kg.incremental).
            self.probes[fname] = probe_source(self.source_dirs, fname)
            for folder in self.source_dirs:
                path = folder / fname
                if not path.is_file():
                    continue
                # Deny by default: a link inside the folder that leads out of it is refused
                # too, so a facts file can never make the build read the rest of the machine.
                if not path.resolve().is_relative_to(folder.resolve()):
                    self.err(
                        src.file,
                        src.line_of("file"),
                        f"source file {fname} leads outside the sources folder {folder}",
                    )
                    break
                try:
                    lines = path.read_text(encoding="utf-8").splitlines()
                except UnicodeDecodeError as exc:
                    self.err(
                        src.file,
                        src.line_of("file"),
                        f"source file {fname} is not UTF-8 text ({exc.reason})",
                    )
                except OSError as exc:
                    self.err(
                        src.file,
                        src.line_of("file"),
                        f"source file {fname} cannot be read: {exc.strerror}",
                    )
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
        return str(fname), lines


def _plain_relative(name: str) -> bool:
    """Whether a source's `file:` is a relative path that stays below its folder."""
    from pathlib import PurePosixPath, PureWindowsPath

    if not name or "\0" in name or PureWindowsPath(name).drive:
        return False
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return bool(parts) and not name.startswith(("/", "\\")) and ".." not in parts


def check_facts(
    facts_dir: Path,
    schema: Schema,
    topics: set[str],
    source_dirs: list[Path],
    load: Loader = load_yaml,
) -> Facts:
    """Load every facts file and check it; raise FactsError listing every problem found.

    load: reads one file (the build's may take it from its cache: kg.incremental).
    """
    checker = _Checker(schema, topics, source_dirs, load)
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
    return Facts(checker.records, warnings, topics, checker.probes)
