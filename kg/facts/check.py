"""Read curated facts and check them against the record schema, collecting every problem."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from kg.diagnostics import Diagnostic, FactsError, a
from kg.facts import fact_files, probe_source
from kg.facts.dates import FuzzyDate
from kg.facts.records import Citation, Facts, Quantity, Record
from kg.facts.schema import COMMON_FIELDS, EVIDENCE, KindSpec, Schema
from kg.facts.types import CITATIONS, text_problem
from kg.facts.yamlload import LDict, LList, Packed, load_facts, shell
from kg.fuzzy import did_you_mean

__all__ = ["Citation", "Facts", "Quantity", "Record", "check_facts", "fact_files"]

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


Loader = Callable[[Path, str], Any]  # (path, path relative to the facts) -> the document


class Memo(Protocol):
    """Where a build keeps each facts file's check (kg.incremental.BuildCache), so a file
    whose bytes are those of an earlier build, and whose records' references, sources and
    the values it compared with are the same, is not checked again (see _Checker.stub)."""

    def checked(self, path: Path, rel: str) -> Any:
        """The check kept for a file with these bytes (keep_checked's data), or None."""

    def keep_checked(self, rel: str, data: Any) -> None:
        """Keep the check of a file (its bytes: those checked() last read)."""


# A checked file's records as the other files' checks and conversions read them: a stub
# record keeps its kind, id, line, these values (the label the conversion shows, a role's
# holder and post, what `same:` compares) and a source's `file`.
def _exported(schema: Schema) -> dict[str, set[str]]:
    same = {f.same for k in schema.kinds.values() for f in k.fields.values() if f.same}
    return {
        name: ({"holder", "post"} if k.label == "generated" else {k.label}) | same
        for name, k in schema.kinds.items()
    }


class _Checker:
    def __init__(
        self,
        schema: Schema,
        topics: set[str],
        source_dirs: list[Path],
        load: Loader = load_facts,
        memo: Memo | None = None,
    ) -> None:
        self.load = load
        self.memo = memo
        # What each file's check read of the rest (see Memo): the kinds of the ids it
        # named, the sources it cited, the values it compared; its own problems.
        self.current: str | None = None  # the file whose records are being checked
        self.deps: dict[str, dict[str, Any]] = {}
        self.own: dict[str, list[Diagnostic]] = {}
        self.uncacheable: set[str] = set()
        self.stubs: dict[str, Any] = {}  # file -> its kept check, whose records are stubs
        self.paths: dict[str, Path] = {}
        self.exported = _exported(schema)
        # freeze (check_facts): what of a checked record the checks of the others and of
        # `same:` read (Record.freeze), by kind: values, and the lines of fields.
        self.freeze = False
        self.kept_of = {
            name: (
                self.exported[name] | {f.name for f in k.fields.values() if f.same},
                {"id", "file"} | {f.name for f in k.fields.values() if f.same},
            )
            for name, k in schema.kinds.items()
        }
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
        # A source's own problems are said once, by whichever file cites it first.
        if self.current is not None:
            self.own[self.current].append(Diagnostic(file, line, msg, severity))

    def _begin(self, rel: str) -> None:
        self.current = rel
        if rel not in self.deps:
            self.deps[rel] = {"kinds": {}, "sources": {}, "same": []}
            self.own[rel] = []

    # ------------------------------------------------------------------ pass 1: records
    def read_file(self, path: Path, rel: str) -> None:
        kept = self.memo.checked(path, rel) if self.memo is not None else None
        if kept is not None and self.stub(rel, kept):
            return
        before = len(self.problems)
        self._read(path, rel)
        if len(self.problems) != before:
            self.uncacheable.add(rel)  # (its reading said something: read it again)

    def stub(self, rel: str, kept: Any) -> bool:
        """Register a file's records from its kept check, as stubs (False: it cannot be
        read); whether the check still holds is told once every file is read (settle)."""
        try:
            recs = []
            for kind, rid, line, id_line, values, src in kept["records"]:
                raw = LDict()
                raw.line, raw.lines = line, {"id": id_line}
                if src is not None:
                    raw["file"], raw.lines["file"] = src[0], src[1]
                rec = Record(kind, rid, rel, line, raw)
                rec.values = dict(values)
                recs.append(rec)
            problems = [
                Diagnostic(str(f), int(n), str(m), str(s)) for f, n, m, s in kept["problems"]
            ]
            deps = kept["deps"]
            if any(r.kind not in self.schema.kinds for r in recs):
                return False
        except (KeyError, TypeError, ValueError):
            return False
        self.stubs[rel] = (problems, deps)
        for rec in recs:
            self.register(rec, rec.raw.lines["id"])
        return True

    def register(self, rec: Record, id_line: int) -> None:
        """Add a record whose id is well formed, unless another has it or a topic does."""
        rid, rel = rec.id, rec.file
        if rid in self.records:
            first = self.records[rid]
            self.err(
                rel, id_line, f"duplicate id '{rid}' (first defined at {first.file}:{first.line})"
            )
            return
        if rid in self.topics:
            self.err(rel, id_line, f"id '{rid}' is already a topic in topics.ttl")
            return
        self.records[rid] = rec

    def _read(self, path: Path, rel: str, replace: bool = False) -> None:
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
                self.read_record(key, item, rel, items.lines[i], replace)

    def read_record(self, kind: str, item: Any, rel: str, line: int, replace: bool = False) -> None:
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
        if replace:  # a stubbed file read whole: its records take their stubs' places
            had = self.records.get(rid)
            if had is not None and had.file == rel and had.line == line:
                self.records[rid] = Record(kind, rid, rel, line, item)
            return
        self.register(Record(kind, rid, rel, line, item), item.lines["id"])

    # ------------------------------------------------------------------ pass 2: fields
    def check_all(self) -> None:
        self._check([r for r in self.records.values() if r.file not in self.stubs])
        self.settle()
        # What `same:` compares, once every record checked has its values (a stubbed
        # file read again in a later round of settle changes what others compare with).
        for rec in self.records.values():
            if rec.file not in self.stubs:
                self._begin(rec.file)
                self.check_same(rec, self.schema.kinds[rec.kind])
        self.current = None

    def _check(self, records: list[Record]) -> None:
        for rec in records:
            self._begin(rec.file)
            self.check_record(rec, self.schema.kinds[rec.kind])
        self.current = None

    def settle(self) -> None:
        """Keep the stubbed files whose kept check still holds (the ids they name are of
        the same kinds, their sources the same, the values they compared the same), their
        problems said again; read and check the others whole, until all hold."""
        while True:
            stale = sorted(rel for rel, (_, deps) in self.stubs.items() if not self._holds(deps))
            if not stale:
                break
            self.unstub(stale, check=True)
        for problems, _ in self.stubs.values():
            self.problems += problems

    def _holds(self, deps: Any) -> bool:
        try:
            for ref, kind in deps["kinds"].items():
                if self.kind_of(ref, record=False) != kind:
                    return False
            for sid, found in deps["sources"].items():
                if self._source(sid) != found:
                    return False
            for ref, name, value in deps["same"]:
                rec = self.records.get(ref)
                if rec is None or rec.values.get(name) != value:
                    return False
        except (KeyError, TypeError, ValueError, AttributeError):
            return False
        return True

    def unstub(self, files: list[str], check: bool = False) -> None:
        """Read stubbed files whole: their records with every value, checked again (check)
        or, their kept check holding, only read (the conversion needs their values)."""
        todo = [rel for rel in files if rel in self.stubs]
        kept_of = {rel: self.stubs.pop(rel) for rel in todo}
        for rel in todo:
            self._read(self.paths[rel], rel, replace=True)
        records = self.by_file(set(todo))
        saved = len(self.problems)
        self._check([rec for rel in todo for rec in records[rel]])
        if not check:  # the problems are the kept ones: the values alone are wanted
            del self.problems[saved:]
            for rel in todo:
                self.problems += kept_of[rel][0]

    def _source(self, sid: str) -> Any:
        found = self.source_lines(sid)
        if found is None:
            return None
        fname = found[0]
        return [fname, self.probes.get(fname)]

    def by_file(self, files: set[str]) -> dict[str, list[Record]]:
        """The records of these files, by file, in order (one pass over the records)."""
        out: dict[str, list[Record]] = {rel: [] for rel in files}
        for rec in self.records.values():
            if rec.file in out:
                out[rec.file].append(rec)
        return out

    def kept(self, rel: str, recs: list[Record]) -> Any:
        """What keep_checked keeps of a file just checked, of its records recs (None: not
        to be kept)."""
        if rel in self.uncacheable or rel in self.stubs or rel not in self.deps:
            return None
        records = []
        for rec in recs:
            values = {k: rec.values[k] for k in self.exported[rec.kind] if k in rec.values}
            if not all(type(v) is str for v in values.values()):
                return None
            src = rec.raw.get("file") if rec.kind == "sources" else None
            kept_src = [src, rec.raw.lines["file"]] if isinstance(src, str) else None
            records.append(
                [rec.kind, rec.id, rec.line, rec.raw.lines.get("id", rec.line), values, kept_src]
            )
        problems = [[d.file, d.line, d.message, d.severity] for d in self.own[rel]]
        return {"records": records, "problems": problems, "deps": self.deps[rel]}

    def check_same(self, rec: Record, kind: KindSpec) -> None:
        """A reference declared `same: F` names a record with the same F (a role succeeds
        a role in the same post)."""
        for f in kind.fields.values():
            ref = rec.values.get(f.name)
            if not f.same or not isinstance(ref, str) or ref not in self.records:
                continue
            mine, theirs = rec.values.get(f.same), self.records[ref].values.get(f.same)
            if self.current is not None:
                if theirs is not None and type(theirs) is not str:
                    self.uncacheable.add(self.current)
                self.deps[self.current]["same"].append([ref, f.same, theirs])
            if mine is not None and theirs is not None and mine != theirs:
                self.err(
                    rec.file,
                    rec.line_of(f.name),
                    f"'{f.name}' names '{ref}', whose {f.same} is '{theirs}', not '{mine}'",
                )

    def check_record(self, rec: Record, kind: KindSpec) -> None:
        packed = rec.raw
        if isinstance(packed, Packed):
            rec.raw = packed.unpack()
        self._check_record(rec, kind)
        if self.freeze:
            rec.freeze(*self.kept_of[rec.kind])
        elif isinstance(packed, Packed):
            # Checked: its values are all that is read of it now, and its lines (what
            # _slim in kg.build keeps too), so the whole mapping is let go (see Packed).
            rec.raw = shell(rec.raw)

    def _check_record(self, rec: Record, kind: KindSpec) -> None:
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
    def kind_of(self, ref: str, record: bool = True) -> str | None:
        if ref in self.topics:
            kind: str | None = "topics"
        else:
            rec = self.records.get(ref)
            kind = rec.kind if rec else None
        if record and self.current is not None:
            self.deps[self.current]["kinds"][ref] = kind
        return kind

    def ids_of(self, kinds: Iterable[str]) -> list[str]:
        if self.current is not None:
            self.uncacheable.add(self.current)  # (a suggestion from every id: not kept)
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
        current, self.current = self.current, None  # its problems are the source's
        try:
            found = self._read_source(source_id)
        finally:
            self.current = current
        if current is not None:
            self.deps[current]["sources"][source_id] = (
                None if found is None else [found[0], self.probes.get(found[0])]
            )
        return found

    def _read_source(self, source_id: str) -> tuple[str, list[str] | None] | None:
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


def _parallel(checker: _Checker, files: list[Path], rels: list[str], workers: int) -> bool:
    """Read and check with forked workers where that pays (see check_facts)."""
    from kg.facts.parallel import PARALLEL_BYTES, check_parallel

    try:
        size = sum(p.stat().st_size for p in files)
    except OSError:
        return False  # (reading them in turn says what is wrong)
    return size >= PARALLEL_BYTES and check_parallel(checker, files, rels, workers)


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
    load: Loader = load_facts,
    memo: Memo | None = None,
    freeze: bool = False,
    workers: int = 1,
) -> Facts:
    """Load every facts file and check it; raise FactsError listing every problem found.

    load: reads one file (the build's may take it from its cache: kg.incremental).
    memo: keeps each file's check for the next build (see Memo); the records of a file
    whose kept check holds are stubs (facts.stubs: their files), with their kind, id, line
    and the values other records read of them; facts.unstub(files) reads them whole.
    freeze: each record, once checked, is frozen (Record.freeze): Record.whole() gives
    all its values (what a build's conversion does).
    workers: read and check the files with this many forked processes (kg.facts.parallel)
    when there is more than one file and they hold PARALLEL_BYTES or more; the problems
    are the same. Only without kept checks: the memo is given the files' checks but not
    asked for them.
    """
    checker = _Checker(schema, topics, source_dirs, load, memo)
    checker.freeze = freeze
    files = fact_files(facts_dir)
    if not files:
        raise FactsError([Diagnostic(str(facts_dir), 0, "no .yaml files in the facts folder")])
    rels = [path.relative_to(facts_dir).as_posix() for path in files]
    checker.paths = dict(zip(rels, files, strict=True))
    if not (workers > 1 and len(files) > 1 and _parallel(checker, files, rels, workers)):
        checker = _Checker(schema, topics, source_dirs, load, memo)
        checker.freeze = freeze
        checker.paths = dict(zip(rels, files, strict=True))
        for path, rel in zip(files, rels, strict=True):
            checker.read_file(path, rel)
        checker.check_all()
    if memo is not None:
        fresh = checker.by_file(set(checker.paths) - set(checker.stubs))
        for rel, recs in fresh.items():
            kept = checker.kept(rel, recs)
            if kept is not None:
                memo.keep_checked(rel, kept)
    errors = sorted(p for p in checker.problems if p.severity == "error")
    warnings = sorted(p for p in checker.problems if p.severity != "error")
    if errors:
        raise FactsError(errors + warnings)
    facts = Facts(checker.records, warnings, topics, checker.probes)
    facts.stubs = set(checker.stubs)
    facts.unstub = lambda rels: checker.unstub(sorted(rels))
    return facts
