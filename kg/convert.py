"""Turn checked records into RDF, as N-Triples lines.

The converter walks each record's fields and hands each value to its field's value type
(kg.facts.types), which knows the value's RDF terms (an IRI as a string, a literal as a
kg.facts.types.Lit); the converter itself knows only what every record gets (class,
label, note, where it was written, day bounds, evidence), and writes each triple as an
N-Triples line: an IRI checked once and then kept, a literal escaped as pyoxigraph does.
Lines, not rdflib terms: making, hashing and writing three rdflib terms a triple was most
of a million-triple build's conversion (16 s).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from kg.facts.dates import FuzzyDate
from kg.facts.records import Facts, Record
from kg.facts.schema import EVIDENCE, KindSpec, Schema
from kg.facts.types import Lit, Term, lit, typed
from kg.namespaces import ID, KG, RDF, SKOS, TOPIC, XSD
from kg.prefixes import PREFIXES

if TYPE_CHECKING:
    from rdflib import URIRef


def expand(curie: str, declared: Iterable[str] = ()) -> URIRef:
    """Expand 'prefix:local' using kg's prefixes.

    A kg: term must exist in the ontology (the closed namespace raises on an unknown one)
    or be among `declared`: the terms a schema file adds, which the build declares.
    """
    from rdflib import URIRef

    prefix, _, local = curie.partition(":")
    if prefix == "kg":
        if curie in declared:
            return URIRef(PREFIXES["kg"] + local)
        return URIRef(KG[local])  # the closed namespace raises on an unknown term
    return URIRef(PREFIXES[prefix] + local)


def schema_terms(schema: Schema) -> set[str]:
    """Every CURIE a schema names: kind and type classes, predicates, enum values."""
    out: set[str] = set()
    for kind in schema.kinds.values():
        out.update(kind.classes())
        out.add(kind.cls)
        for spec in kind.fields.values():
            if spec.predicate:
                out.add(spec.predicate)
            out.update(spec.values.values())
    return out


@dataclass(frozen=True)
class Origin:
    """Where in the curated facts a node was written."""

    file: str
    line: int
    record: str


class SpooledOrigins(dict):  # type: ignore[type-arg]
    """Where each node was written (Origin), kept in a file while a build goes on, not in
    its memory: only validation's messages ask, and only when it finds something; the
    first question reads them all back (a file's later origins over its earlier ones, as
    dict.update does). The file is unlinked as soon as it is made (its handle keeps it
    until this goes), so none is left behind nor published. At 20M triples the origins
    were a few hundred MiB of a build's memory held from conversion to validation."""

    def __init__(self, folder: Path) -> None:
        import tempfile

        super().__init__()
        # (closed by _read, or with this object: it lives from conversion to validation)
        self._file: BinaryIO | None = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115

    def add(self, origins: dict[str, Origin]) -> None:
        """Keep these origins (as update would)."""
        import marshal

        assert self._file is not None, "origins are added before they are read"
        values = origins.values()
        marshal.dump(
            (
                list(origins),
                [o.file for o in values],
                [o.line for o in values],
                [o.record for o in values],
            ),
            self._file,
        )

    def close(self) -> None:
        """Let the file go (the origins not read back are not asked for after this)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __del__(self) -> None:
        self.close()

    def _read(self) -> None:
        import marshal

        if self._file is None:
            return
        fh, self._file = self._file, None
        size = fh.tell()
        fh.seek(0)
        with fh:
            while fh.tell() < size:
                nodes, files, lines, records = marshal.load(fh)
                self.update(
                    (n, Origin(f, line, r))
                    for n, f, line, r in zip(nodes, files, lines, records, strict=True)
                )

    def __contains__(self, node: object) -> bool:
        self._read()
        return super().__contains__(node)

    def __getitem__(self, node: str) -> Origin:
        self._read()
        found: Origin = super().__getitem__(node)
        return found

    def get(self, node: str, default: Any = None) -> Any:
        self._read()
        return super().get(node, default)

    def __len__(self) -> int:
        self._read()
        return super().__len__()

    def __iter__(self) -> Iterator[str]:
        self._read()
        return super().__iter__()

    def items(self) -> Any:
        self._read()
        return super().items()

    def values(self) -> Any:
        self._read()
        return super().values()

    def keys(self) -> Any:
        self._read()
        return super().keys()


# Characters rdflib refused in an IRI it wrote (URIRef.n3): never written into a line.
_NOT_IN_IRI = re.compile(r'[<>" {}|\\^`]')
# What pyoxigraph escapes in a literal's N-Triples form (C0 controls, quote, backslash,
# DEL, U+FFFE, U+FFFF: tests/test_convert.py probes every character); a value without any
# is written as it is, one with any by pyoxigraph itself.
_ESCAPED = re.compile('[\x00-\x1f"\\\\\x7f\ufffe\uffff]')


def nt_iri(iri: str) -> str:
    """An IRI as N-Triples (<iri>); raise ValueError for one no N-Triples can hold.

    It is checked here as pyoxigraph's parser checks one (each IRI once: the converter
    keeps them), so the build loads the lines without checking them again (lenient).
    """
    import pyoxigraph as ox

    if _NOT_IN_IRI.search(iri):
        raise ValueError(f"{iri!r} cannot be written as an IRI")
    try:
        ox.NamedNode(iri)
    except ValueError:
        raise ValueError(f"{iri!r} cannot be written as an IRI") from None
    return f"<{iri}>"


def nt_literal(value: Lit) -> str:
    """A literal as N-Triples, escaped as pyoxigraph escapes it."""
    text, suffix = value
    if suffix[:1] == "@":
        suffix = _LANGS.get(suffix) or _LANGS.setdefault(suffix, _language(suffix))
    if _ESCAPED.search(text) is None:
        return f'"{text}"{suffix}'
    import pyoxigraph as ox

    if suffix.startswith("@"):
        return str(ox.Literal(text, language=suffix[1:]))
    if suffix:
        return str(ox.Literal(text, datatype=ox.NamedNode(suffix[3:-1])))
    return str(ox.Literal(text))


def _language(suffix: str) -> str:
    """A language suffix as pyoxigraph writes it (lower case; raise ValueError if it is
    not a language tag)."""
    import pyoxigraph as ox

    return "@" + str(ox.Literal("", language=suffix[1:]).language)


_LANGS: dict[str, str] = {}  # @tag as made -> @tag as written


class Converter:
    """Builds the data graph from records, remembering which record made each node."""

    def __init__(self, schema: Schema, facts: Facts, space: str = str(ID)) -> None:
        self.schema = schema
        self.facts = facts
        self.space = space  # the namespace of entity IRIs (kg build --base-iri)
        # The N-Triples lines made, in the order made (a dict: each once): a record's
        # triples together, which a store loaded from them answers faster than from lines
        # in any order (the 1M validation queries: 3.6 s vs 6.3 s of CPU).
        self.lines: dict[str, None] = {}
        self.origins: dict[str, Origin] = {}
        self._declared = schema_terms(schema)
        # What the records converted so far read of other records (see convert_file).
        self.deps: dict[str, Dep] = {}
        self._nt: dict[str, str] = {}  # IRI -> <IRI>, each checked once
        self._iris: dict[str, str] = {}  # record id or topic slug -> IRI (deps recorded)
        self._curies: dict[str, str] = {}

    # ------------------------------------------------------------------ for the value types
    def add(self, s: str, p: str, o: Term) -> None:
        nt = self._nt
        subject = nt.get(s) or nt.setdefault(s, nt_iri(s))
        predicate = nt.get(p) or nt.setdefault(p, nt_iri(p))
        obj = nt.get(o) or nt.setdefault(o, nt_iri(o)) if isinstance(o, str) else nt_literal(o)
        self.lines[f"{subject} {predicate} {obj} .\n"] = None

    def iri(self, ref: str) -> str:
        """Return the IRI of a record id or topic slug."""
        got = self._iris.get(ref)
        if got is not None:  # its dependency is recorded already
            return got
        if ref in self.facts.topics:
            self._depend(ref, TOPICS, None)
            got = str(TOPIC[ref])
        else:
            rec = self.facts.records[ref]
            self._depend(ref, rec.kind, None)
            got = self.space + self.schema.kinds[rec.kind].iri.format(id=ref)
        self._iris[ref] = got
        return got

    def _depend(self, ref: str, kind: str, label: str | None) -> None:
        had = self.deps.get(ref)
        self.deps[ref] = (kind, label if label is not None else had[1] if had else None)

    def expand(self, curie: str) -> str:
        got = self._curies.get(curie)
        if got is None:
            got = self._curies[curie] = str(expand(curie, self._declared))
        return got

    def remember(self, node: str, rec: Record, line: int) -> None:
        self.origins[node] = Origin(rec.file, line, rec.id)

    # ------------------------------------------------------------------ records
    def label(self, ref: str) -> str:
        rec = self.facts.records[ref]
        spec = self.schema.kinds[rec.kind]
        if spec.label == "generated":
            label = self._generated_label(rec)
        else:
            label = str(rec.values.get(spec.label, ref))
        self._depend(ref, rec.kind, label)
        return label

    def _generated_label(self, rec: Record) -> str:
        # A role reads as "holder — post" so that lists of roles are legible.
        holder, post = rec.values.get("holder"), rec.values.get("post")
        if holder and post:
            return f"{self.label(holder)} — {self.label(post)}"
        return rec.id

    def convert_record(self, rec: Record) -> None:
        kind = self.schema.kinds[rec.kind]
        s = self.iri(rec.id)
        self.remember(s, rec, rec.line)
        if kind.type_field is None or kind.add_base_class:
            self.add(s, _TYPE, self.expand(kind.cls))
        if kind.type_field and kind.type_field in rec.values:
            self.add(s, _TYPE, self.expand(kind.types[rec.values[kind.type_field]].cls))
        if kind.label == "generated":
            self.add(s, _PREF_LABEL, lit(self._generated_label(rec), "en"))
        if rec.note:
            self.add(s, _NOTE, lit(rec.note, "en"))
        self.add(s, _RECORD_FILE, lit(rec.file))
        self.add(s, _RECORD_LINE, typed(str(rec.line), _INTEGER))
        dates: list[FuzzyDate] = []
        for name, value in rec.values.items():
            if name == kind.type_field:
                continue
            spec = kind.fields[name]
            spec.vtype.emit(self, s, rec, spec, value)
            if spec.bounds:
                dates += spec.vtype.dates(value)
        if dates:
            earliest = min(d.earliest for d in dates).isoformat()
            self.add(s, _EARLIEST, typed(earliest, _DATE))
            self.add(s, _LATEST, typed(max(d.latest for d in dates).isoformat(), _DATE))
        related = kind.relation_field in rec.values and "subject" in rec.values
        if kind.relation_field and related and _plain(kind, rec):
            # A claim of "A relation B" the source states, for no limited time, is also a
            # plain triple, so that graph questions can follow it; the claim node keeps its
            # status, asserter and evidence. Any other claim stays on its node alone
            # (records.yaml: plain_triple_when).
            relation = kind.fields[kind.relation_field]
            rel = self.expand(relation.values[rec.values[kind.relation_field]])
            for obj in rec.values.get("object", []):
                self.add(self.iri(rec.values["subject"]), rel, self.iri(obj))
        EVIDENCE.vtype.emit(self, s, rec, EVIDENCE, rec.evidence)


_TYPE, _PREF_LABEL, _NOTE = str(RDF.type), str(SKOS.prefLabel), str(SKOS.note)
_RECORD_FILE, _RECORD_LINE = str(KG.recordFile), str(KG.recordLine)
_EARLIEST, _LATEST = str(KG.earliest), str(KG.latest)
_INTEGER, _DATE = str(XSD.integer), str(XSD.date)


def _plain(kind: KindSpec, rec: Record) -> bool:
    """Whether the record meets its kind's `plain_triple_when` (empty: always)."""
    for name, allowed in kind.plain_when.items():
        if name == "unset":
            if any(f in rec.values for f in allowed):
                return False
        elif rec.values.get(name) not in allowed:
            return False
    return True


TOPICS = "topics"  # the kind a dependency on a topic slug records
Dep = tuple[str, str | None]  # what a conversion read of a record: its kind, its label


@dataclass(frozen=True)
class FileRDF:
    """The RDF of one facts file's records, and what of other records it was made from."""

    ntriples: bytes
    origins: dict[str, Origin]
    # Each record or topic the file's records name: its kind and, where the conversion
    # wrote its label (a role is "holder — post"), that label. The same kinds and labels
    # give the same RDF: then a later build may reuse it (kg.incremental).
    deps: dict[str, Dep]


def convert_file(schema: Schema, facts: Facts, records: Iterable[Record], space: str) -> FileRDF:
    """Convert the records of one facts file (checked, among all of facts)."""
    conv = Converter(schema, facts, space)
    for rec in sorted(records, key=lambda r: r.id):
        conv.convert_record(rec.whole())  # (a frozen record thawed: kg.facts.records)
    return FileRDF("".join(conv.lines).encode("utf-8"), conv.origins, conv.deps)


def deps_check(schema: Schema, facts: Facts, space: str) -> Callable[[dict[str, Dep]], bool]:
    """A test of whether the records and topics a file's RDF was made from have the same
    kinds and labels among these facts (so converting the file again would make the same
    RDF). One converter and its labels serve every file asked about."""
    conv = Converter(schema, facts, space)
    labels: dict[str, str] = {}

    def holds(deps: dict[str, Dep]) -> bool:
        for ref, (kind, label) in deps.items():
            if ref in facts.topics:
                if kind != TOPICS:
                    return False
                continue
            rec = facts.records.get(ref)
            if rec is None or rec.kind != kind:
                return False
            if label is not None:
                if ref not in labels:
                    labels[ref] = conv.label(ref)
                if labels[ref] != label:
                    return False
        return True

    return holds


def merge(parts: list[FileRDF]) -> FileRDF:
    """One FileRDF of the RDF of consecutive runs of a file's records (in record order:
    a node two runs make is remembered where the later made it, as converting them in one
    run does; a dependency keeps the label a run read)."""
    if len(parts) == 1:
        return parts[0]
    origins: dict[str, Origin] = {}
    deps: dict[str, Dep] = {}
    for part in parts:
        origins.update(part.origins)
        for ref, (kind, label) in part.deps.items():
            had = deps.get(ref)
            deps[ref] = (kind, label if label is not None else had[1] if had else None)
    return FileRDF(b"".join(p.ntriples for p in parts), origins, deps)


# What the conversion workers read: set before they are forked, so each sees the checked
# facts without their being pickled and sent (see convert_runs).
_SHARED: tuple[Schema, Facts, str] | None = None


def _convert_run(ids: list[str]) -> FileRDF:
    assert _SHARED is not None
    schema, facts, space = _SHARED
    return convert_file(schema, facts, [facts.records[i] for i in ids], space)


Run = tuple[str, list[str]]  # a facts file and the ids of a run of its records


def convert_runs(
    schema: Schema, facts: Facts, runs: list[Run], space: str, workers: int
) -> Iterator[tuple[str, FileRDF]]:
    """Convert runs of records, yielding (file, RDF) in the order of runs.

    With workers > 1 (and fork, which shares the facts with the workers for free), that
    many processes convert runs while this one takes their results; at most a few runs'
    RDF wait at a time, so memory stays that of a few runs, not of the graph.
    """
    import multiprocessing as mp

    global _SHARED
    if workers <= 1 or len(runs) <= 1 or "fork" not in mp.get_all_start_methods():
        for rel, ids in runs:
            yield rel, convert_file(schema, facts, [facts.records[i] for i in ids], space)
        return
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    _SHARED = (schema, facts, space)
    try:
        # A forked worker shares the facts' pages until it touches them (a reference
        # count is a write): one that converted everything had a copy of all the facts
        # (the 5M build peaked at 7.1 GiB over its processes), so workers are forked
        # afresh every RECYCLE runs.
        for start in range(0, len(runs), RECYCLE):
            group = runs[start : start + RECYCLE]
            with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
                pending: deque[tuple[str, Future[FileRDF]]] = deque()
                for rel, ids in group:
                    pending.append((rel, pool.submit(_convert_run, ids)))
                    if len(pending) > workers:
                        done_rel, future = pending.popleft()
                        yield done_rel, future.result()
                while pending:
                    done_rel, future = pending.popleft()
                    yield done_rel, future.result()
    finally:
        _SHARED = None


RECYCLE = 8  # runs a pair of forked workers converts before a fresh pair takes over
