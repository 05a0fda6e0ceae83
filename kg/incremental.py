"""What lets `kg build` skip work: a digest of a build's inputs, kept in its generation.

A generation records (build.json) the digest of everything that shaped it: the facts
files, the ontology folder (rules included), the --schema files, the options, kg's own
code and the versions of the libraries that write the output, and, file by file, the
source texts its evidence was checked against. A build whose inputs have the same digest
as the live generation's publishes nothing and reports that generation's summary and
warnings again.

This module imports neither rdflib nor pyoxigraph: a build with nothing to do costs
hashing the inputs, not loading the RDF stack.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.diagnostics import Diagnostic
from kg.facts import file_digest, probe_source

if TYPE_CHECKING:
    from kg.convert import FileRDF

FORMAT = "kg-build-inputs-1"  # bump when what goes into the digest changes
SUMMARY = "build"  # the sidecar (build.json) holding the digest and the summary
# The libraries whose versions can change the bytes a build writes (Turtle, store, JSON,
# SHACL messages, what YAML reads as a value).
LIBRARIES = ("pyoxigraph", "rdflib", "pyshacl", "PyYAML")
_PACKAGE = Path(__file__).resolve().parent


def _tree(folder: Path) -> list[tuple[str, str]]:
    """Every file below folder (but compiled Python) with its digest, in a stable order."""
    return [
        (p.relative_to(folder).as_posix(), file_digest(p))
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    ]


def _libraries() -> list[tuple[str, str]]:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in LIBRARIES:
        try:
            out.append((name, version(name)))
        except PackageNotFoundError:
            out.append((name, "absent"))
    return out


@dataclass(frozen=True)
class Inputs:
    """A build's inputs, hashed: the digest of them all and the facts files one by one."""

    digest: str
    files: dict[str, str]  # facts file (relative to the facts folder) -> its digest
    # The digest of what shapes how each file is read and converted, but the file itself:
    # kg's code and libraries, the ontology, the schema files, the base IRI.
    env: str


def gather(
    facts_dir: Path,
    files: list[Path],
    source_dirs: list[Path],
    schema_files: list[Path],
    base: str,
    validator: str,
) -> Inputs:
    """Hash what a build of these facts with these options reads (but the source texts,
    which only checking the facts names: see probe_source and build.json's "sources")."""
    from kg.locations import ontology_dir

    onto = ontology_dir()
    facts = {p.relative_to(facts_dir).as_posix(): file_digest(p) for p in files}
    schemas = []
    for path in schema_files:
        try:
            schemas.append((str(path), path.name, file_digest(path)))
        except OSError:
            schemas.append((str(path), path.name, "unreadable"))
    env = _digest(
        {
            "format": FORMAT,
            "python": list(sys.version_info[:3]),
            "libraries": _libraries(),
            "kg": _tree(_PACKAGE),
            # An installed kg carries the ontology inside the package (hashed above already).
            "ontology": [] if onto.is_relative_to(_PACKAGE) else _tree(onto),
            "schema": schemas,
            "base": base,
        }
    )
    parts = {
        "env": env,
        "validator": validator,
        # As given and as resolved: a warning names the folders as given.
        "sources": [(str(d), str(d.resolve())) for d in source_dirs],
        "facts": sorted(facts.items()),
    }
    return Inputs(_digest(parts), facts, env)


def _digest(parts: dict[str, Any]) -> str:
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(text).hexdigest()


def summary(
    inputs: Inputs,
    probes: dict[str, list[str]],
    triples: int,
    counts: dict[str, int],
    warnings: list[Diagnostic],
) -> bytes:
    """build.json: the digest of the inputs, the source probes, and what the build said."""
    data = {
        "format": FORMAT,
        "inputs": inputs.digest,
        "env": inputs.env,
        "sources": dict(sorted(probes.items())),
        "triples": triples,
        "counts": counts,
        "warnings": [[w.file, w.line, w.message, w.severity] for w in warnings],
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1).encode("utf-8")


@dataclass(frozen=True)
class Unchanged:
    """The live generation, whose inputs are those of this build: what it reported."""

    generation: str
    triples: int
    counts: dict[str, int]
    warnings: list[Diagnostic]


def unchanged(
    build_dir: Path, inputs: Inputs, source_dirs: list[Path]
) -> tuple[Unchanged | None, str]:
    """The live generation if it was built from these very inputs (and is whole, and the
    source texts its evidence was checked against are the same), else None and why not.

    Anything unexpected (no generation yet, an older kg's without build.json, a damaged
    or foreign file) means None: the build then builds, it never trusts what it cannot read.
    """
    from kg.publish import STORE_LINK, is_complete

    current = build_dir / "current"
    try:
        if not current.is_symlink():
            return None, "no build yet"
        for name in ("kg.ttl", STORE_LINK):
            link = build_dir / name
            if not (link.is_symlink() and link.readlink().as_posix() == f"current/{name}"):
                return None, f"{link} is not the live build's"
        gen = current.resolve()
        if gen.parent != build_dir.resolve() or not is_complete(gen):
            return None, "the live build is not whole"
        data = json.loads((gen / f"{SUMMARY}.json").read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return None, "the live build has no record of its inputs kg can read"
        if data["env"] != inputs.env:
            return None, ENV_CHANGED
        if data["inputs"] != inputs.digest:
            return None, "inputs changed"
        for fname, probe in data["sources"].items():
            if probe_source(source_dirs, fname) != probe:
                return None, f"source text {fname} changed"
        warnings = [Diagnostic(str(f), int(n), str(m), str(s)) for f, n, m, s in data["warnings"]]
        counts = {str(k): int(v) for k, v in data["counts"].items()}
        return Unchanged(gen.name, int(data["triples"]), counts, warnings), ""
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None, "the live build has no record of its inputs kg can read"


# Why a build reuses nothing of the live build's (each file's cached RDF depends on these).
ENV_CHANGED = "the ontology, rules, --schema files, --base-iri or kg itself changed"
CACHE = ".cache"  # in the build folder: what a build keeps for the next one (see BuildCache)


class BuildCache:
    """build/.cache/: each facts file's parsed YAML and its RDF, kept for the next build.

    An entry is named by a digest of the environment (kg's code and libraries, the
    ontology, schema files and base IRI: whatever else shapes it), the file's path and the
    digest of its bytes, so the same name always means the same content; each says what it
    holds, and the RDF its own digest. An entry that is missing, torn, garbled or not what
    its name says is ignored (the file is read and converted again), never trusted. A
    build removes the entries no file of its facts uses.
    """

    def __init__(self, build_dir: Path, env: str, read: bool = True) -> None:
        self.root = build_dir / CACHE
        self.env = env
        self.read = read  # False: kg build --full, which makes the entries but uses none
        self.used: set[str] = set()
        self.hits = {"parsed": 0, "converted": 0}
        self.reused: set[str] = set()  # the files read (or whose check was kept) before

    def _name(self, rel: str, digest: str) -> str:
        key = f"{FORMAT}\0{self.env}\0{rel}\0{digest}".encode()
        name = hashlib.sha256(key).hexdigest()[:40]
        self.used.add(name)
        return name

    def _load(self, path: Path) -> Any:
        try:
            return json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None

    def _write(self, path: Path, data: bytes | Iterable[bytes]) -> None:
        """Write a cache file (its bytes, or them in pieces) whole or not at all (a
        failure only loses the entry)."""
        import os

        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                if isinstance(data, bytes):
                    fh.write(data)
                else:
                    fh.writelines(data)
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)

    def parsed(self, rel: str, digest: str) -> Any:
        """The parsed YAML (kg.facts.yamlload's) of a file with these bytes, or None."""
        from kg.facts.yamlload import from_plain

        name = self._name(rel, digest)
        if not self.read:
            return None
        data = self._load(self.root / "parsed" / f"{name}.json")
        try:
            if data["rel"] != rel or data["digest"] != digest or data["env"] != self.env:
                return None
            doc = from_plain(data["doc"])
        except (KeyError, TypeError, ValueError):
            return None
        self.reused.add(rel)
        return doc

    def keep_parsed(self, rel: str, digest: str, doc: Any) -> None:
        from kg.facts.yamlload import plain_json

        name = self._name(rel, digest)
        head = json.dumps({"rel": rel, "digest": digest, "env": self.env})[:-1]
        # Written a record at a time (plain_json): as one JSON value it took the memory
        # of the whole parsed file again.
        parts = (s.encode("utf-8") for s in [head, ', "doc": ', *plain_json(doc), "}"])
        self._write(self.root / "parsed" / f"{name}.json", parts)

    def checked(self, rel: str, digest: str) -> Any:
        """The check (kg.facts.check's Memo) of a file with these bytes, or None."""
        name = self._name(rel, digest)
        if not self.read:
            return None
        data = self._load(self.root / "checked" / f"{name}.json")
        try:
            if data["rel"] != rel or data["digest"] != digest or data["env"] != self.env:
                return None
            return data["check"]
        except (KeyError, TypeError):
            return None

    def keep_checked(self, rel: str, digest: str, check: Any) -> None:
        name = self._name(rel, digest)
        data = {"rel": rel, "digest": digest, "env": self.env, "check": check}
        self._write(self.root / "checked" / f"{name}.json", json.dumps(data).encode("utf-8"))

    def name(self, rel: str, digest: str) -> str:
        """The entry of a file with these bytes (named: kept by prune)."""
        return self._name(rel, digest)

    def ntriples(self, name: str) -> bytes | None:
        """The N-Triples of an entry (by name), if whole."""
        try:
            meta = json.loads((self.root / "rdf" / f"{name}.json").read_bytes())
            nt = (self.root / "rdf" / f"{name}.nt").read_bytes()
            if hashlib.sha256(nt).hexdigest() == meta["ntriples"]:
                return nt
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None

    def deps(self, name: str) -> dict[str, Any] | None:
        """The records an entry's RDF (by name) read (as FileRDF.deps), or None."""
        meta = self._load(self.root / "rdf" / f"{name}.deps.json")
        if meta is None:
            meta = self._load(self.root / "rdf" / f"{name}.json")
        try:
            return {str(ref): (str(k), None if b is None else str(b)) for ref, k, b in meta["deps"]}
        except (KeyError, TypeError, ValueError):
            return None

    def origins(self, name: str) -> dict[str, Any] | None:
        """The origin of each node of an entry's RDF (by name), or None."""
        from kg.convert import Origin

        meta = self._load(self.root / "rdf" / f"{name}.json")
        try:
            rel = str(meta["rel"])
            return {str(n): Origin(rel, int(line), str(r)) for n, line, r in meta["origins"]}
        except (KeyError, TypeError, ValueError):
            return None

    def rule_patterns(self, rule: str, text: str) -> list[list[Pattern]] | None:
        """query_patterns of a rule's query (kept in the cache, as query_patterns')."""
        return self._rule_kept("patterns", rule, text, query_patterns)

    def rule_required(self, rule: str, text: str) -> list[list[Pattern]] | None:
        """required_patterns of a rule's query (kept in the cache beside rule_patterns')."""
        return self._rule_kept("required", rule, text, required_patterns)

    def _rule_kept(
        self, what: str, rule: str, text: str, find: Callable[[str], list[list[Pattern]] | None]
    ) -> list[list[Pattern]] | None:
        """find(text), kept in rules.json under what and the rule, for this query text."""
        path = self.root / "rules.json"
        data: Any = self._load(path) if self.read else None
        try:
            if data["env"] == self.env and data[what][rule][0] == text:
                kept = data[what][rule][1]
                if kept is None or _patterns(kept):
                    return kept  # type: ignore[no-any-return]
        except (KeyError, TypeError, IndexError):
            pass
        found = find(text)
        if not isinstance(data, dict) or data.get("env") != self.env:
            data = {"env": self.env, "patterns": {}}
        data.setdefault(what, {})[rule] = [text, found]
        self._write(path, json.dumps(data, sort_keys=True).encode("utf-8"))
        return found

    def converted(self, rel: str, digest: str) -> FileRDF | None:
        """The RDF made of a file with these bytes, or None. Still to check: its deps (the
        caller counts it in hits["converted"] if it holds)."""
        from kg.convert import FileRDF, Origin

        name = self._name(rel, digest)
        if not self.read:
            return None
        meta = self._load(self.root / "rdf" / f"{name}.json")
        try:
            if meta["rel"] != rel or meta["digest"] != digest or meta["env"] != self.env:
                return None
            nt = (self.root / "rdf" / f"{name}.nt").read_bytes()
            if hashlib.sha256(nt).hexdigest() != meta["ntriples"]:
                return None
            origins = {str(n): Origin(rel, int(line), str(r)) for n, line, r in meta["origins"]}
            deps = {
                str(ref): (str(kind), None if label is None else str(label))
                for ref, kind, label in meta["deps"]
            }
        except (OSError, KeyError, TypeError, ValueError):
            return None
        return FileRDF(nt, origins, deps)

    def keep_converted(self, rel: str, digest: str, rdf: FileRDF) -> None:
        name = self._name(rel, digest)
        # A node of a file's records is remembered at a line of that file (Origin.file).
        origins = [[n, o.line, o.record] for n, o in rdf.origins.items() if o.file == rel]
        meta = {
            "rel": rel,
            "digest": digest,
            "env": self.env,
            "ntriples": hashlib.sha256(rdf.ntriples).hexdigest(),
            "origins": origins,
            "deps": [[ref, kind, label] for ref, (kind, label) in sorted(rdf.deps.items())],
        }
        if len(origins) != len(rdf.origins):
            return  # not what this cache can keep: nothing kept, the file is converted again
        self._write(self.root / "rdf" / f"{name}.nt", rdf.ntriples)
        # Its deps alone too: what an incremental build reads of every unchanged file.
        deps = {"rel": rel, "deps": meta["deps"]}
        self._write(self.root / "rdf" / f"{name}.deps.json", json.dumps(deps).encode("utf-8"))
        self._write(self.root / "rdf" / f"{name}.json", json.dumps(meta).encode("utf-8"))

    def query_patterns(self, names: list[str]) -> dict[str, list[list[Pattern]] | None]:
        """query_patterns of each named query (kg/queries: part of kg, so of the
        environment), kept in the cache: parsing them with rdflib took a second at 1M."""
        from kg.query import load_query

        path = self.root / "queries.json"
        data: Any = self._load(path) if self.read else None
        try:
            if data["env"] == self.env and data["format"] == FORMAT:
                kept = {n: data["patterns"][n] for n in names}
                if all(b is None or _patterns(b) for b in kept.values()):
                    return kept
        except (KeyError, TypeError):
            pass
        found = {n: query_patterns(load_query(n).text) for n in names}
        data = {"env": self.env, "format": FORMAT, "patterns": found}
        self._write(path, json.dumps(data, sort_keys=True).encode("utf-8"))
        return found

    def prune(self) -> None:
        """Remove the entries this build did not name (call with the build lock held)."""
        for sub in ("parsed", "rdf", "checked"):
            folder = self.root / sub
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.name.split(".")[0] not in self.used or path.name.startswith("."):
                    path.unlink(missing_ok=True)


class CheckMemo:
    """kg.facts.check's Memo over the build cache: each file's check, by its bytes."""

    def __init__(self, cache: BuildCache, digests: dict[str, str]) -> None:
        self.cache = cache
        self.digests = digests  # facts file -> the digest of the bytes read (for the build)

    def checked(self, path: Path, rel: str) -> Any:
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return None  # (the read that follows says what is wrong)
        self.digests[rel] = digest
        return self.cache.checked(rel, digest)

    def keep_checked(self, rel: str, data: Any) -> None:
        if rel in self.digests:
            self.cache.keep_checked(rel, self.digests[rel], data)


UNKNOWN = None  # what a build cannot tell changed (then every later stage runs in full)


@dataclass(frozen=True)
class TurtleIndex:
    """Where each subject's block starts in a kg.ttl kg build wrote (sorted Turtle: a
    header of @prefix lines, then one block per subject, in the order of the subjects'
    N-Triples forms as bytes), so an incremental build rewrites the blocks of the subjects
    whose triples changed and copies the rest (splice)."""

    header: int  # bytes of the @prefix lines
    subjects: list[bytes]  # each block's subject, N-Triples form ("<iri>"), in file order
    offsets: list[int]  # where each block starts
    size: int  # bytes of the file


@dataclass(frozen=True)
class State:
    """What the live generation was made of, as its build left it in the cache."""

    generation: str  # gen-<hash>: the state is that generation's only while it is live
    validator: str  # "sparql" or "pyshacl": which validated it
    files: dict[str, str]  # facts file -> the cache entry of its RDF
    rules: bytes  # N-Triples of what the rules added (their nodes and inferences)
    keys: bytes  # N-Triples of the search keys
    index: TurtleIndex | None  # of its kg.ttl (None: not known)


def read_state(cache: BuildCache, live: str | None) -> State | None:
    """The cached state of the live generation `live` (None: none, or not that one's)."""
    from array import array

    if not cache.read or live is None:
        return None
    data = cache._load(cache.root / "state.json")
    try:
        if data["env"] != cache.env or data["generation"] != live:
            return None
        parts = {}
        for name in ("rules.nt", "keys.nt", "turtle.subjects", "turtle.offsets"):
            parts[name] = (cache.root / name).read_bytes()
            if hashlib.sha256(parts[name]).hexdigest() != data["digests"][name]:
                return None
        index = None
        if data["turtle"] is not None:
            offsets = array("q")
            offsets.frombytes(parts["turtle.offsets"])
            subjects = parts["turtle.subjects"].split(b"\n")
            header, size = int(data["turtle"]["header"]), int(data["turtle"]["size"])
            if len(subjects) == len(offsets):
                index = TurtleIndex(header, subjects, offsets.tolist(), size)
        files = {str(rel): str(name) for rel, name in data["files"].items()}
        rules, keys = parts["rules.nt"], parts["keys.nt"]
        return State(str(data["generation"]), str(data["validator"]), files, rules, keys, index)
    except (OSError, KeyError, TypeError, ValueError, AttributeError):
        return None


def keep_state(cache: BuildCache, state: State) -> None:
    """Record the state of the generation just published (with the build lock held)."""
    from array import array

    index = state.index
    parts = {
        "rules.nt": state.rules,
        "keys.nt": state.keys,
        "turtle.subjects": b"\n".join(index.subjects) if index else b"",
        "turtle.offsets": array("q", index.offsets).tobytes() if index else b"",
    }
    for name, data in parts.items():
        cache._write(cache.root / name, data)
    meta = {
        "env": cache.env,
        "generation": state.generation,
        "validator": state.validator,
        "files": state.files,
        "digests": {name: hashlib.sha256(data).hexdigest() for name, data in parts.items()},
        "turtle": {"header": index.header, "size": index.size} if index else None,
    }
    cache._write(cache.root / "state.json", json.dumps(meta, sort_keys=True).encode("utf-8"))


def index_turtle(turtle: bytes, subjects: list[bytes], prefixes: int) -> TurtleIndex | None:
    """Find the subjects' blocks in Turtle written from their sorted triples (None: the
    blocks cannot be told apart, e.g. a literal written over several lines)."""
    import re

    header = 0
    for _ in range(prefixes):
        header = turtle.index(b"\n", header) + 1
    block = re.compile(rb"\n[^\t]")  # a line that does not go on the block before it
    starts = [header] + [m.start() + 1 for m in block.finditer(turtle, header)]
    if len(starts) != len(subjects) or subjects != sorted(subjects):
        return None
    return TurtleIndex(header, subjects, starts, len(turtle))


def splice(old: bytes, index: TurtleIndex, blocks: dict[bytes, bytes]) -> tuple[bytes, TurtleIndex]:
    """The Turtle of old with the blocks of some subjects replaced (an empty block: the
    subject has no triples now; a subject old lacks: its block goes in its place)."""
    from bisect import bisect_left

    out = [old[: index.header]]
    subjects: list[bytes] = []
    offsets: list[int] = []
    size, n, i = index.header, len(index.subjects), 0

    def copy(j: int) -> None:  # old blocks i..j-1, as they are
        nonlocal size
        if j <= i:
            return
        start = index.offsets[i]
        end = index.offsets[j] if j < n else index.size
        out.append(old[start:end])
        subjects.extend(index.subjects[i:j])
        offsets.extend(o + size - start for o in index.offsets[i:j])
        size += end - start

    for subject in sorted(blocks):
        j = bisect_left(index.subjects, subject, i)
        copy(j)
        i = j + 1 if j < n and index.subjects[j] == subject else j
        if blocks[subject]:
            subjects.append(subject)
            offsets.append(size)
            out.append(blocks[subject])
            size += len(blocks[subject])
    copy(n)
    return b"".join(out), TurtleIndex(index.header, subjects, offsets, size)


@dataclass
class Delta:
    """The triples that may differ between the live generation and this build's graph (a
    superset: a triple a changed file no longer makes may still come from another)."""

    lines: set[bytes] = field(default_factory=set)  # N-Triples lines
    known: bool = True  # False: the build cannot tell (then everything counts as changed)

    def add(self, old: bytes | None, new: bytes) -> None:
        """Count what differs between the N-Triples of something before and now."""
        if old is None:
            self.known = False
        elif old != new:
            self.lines |= set(old.splitlines()) ^ set(new.splitlines())

    def predicates(self) -> set[str]:
        """The predicates of the changed triples (IRIs)."""
        return {line.split(b" ", 2)[1][1:-1].decode("utf-8") for line in self.lines if line}

    def subjects(self) -> set[str]:
        """The subjects of the changed triples (IRIs: the graph has no blank nodes)."""
        return {line.split(b" ", 1)[0][1:-1].decode("utf-8") for line in self.lines if line}


# A triple pattern of a query, as JSON: each term ["v", name] (a variable or blank node),
# ["i", iri], ["l"] (a literal) or, as a predicate, a property path: ["p", iris, starts,
# ends, nullable, steps] (every IRI in it; those its first and its last edge may have, or
# null if that cannot be told; whether it may be of length zero; its IRIs if it is a
# plain sequence of them, else null).
Pattern = list[list[Any]]
PathInfo = tuple[set[str], set[str] | None, set[str] | None, bool, list[str] | None]


def _path(path: Any) -> PathInfo:
    """A property path's IRIs, its first and last edges' IRIs, whether it may be of length
    zero, and its steps if it is a plain sequence of IRIs (raise ValueError for a negated
    path, which may read any predicate)."""
    from rdflib.paths import AlternativePath, MulPath, SequencePath
    from rdflib.term import URIRef

    if isinstance(path, URIRef):
        return {str(path)}, {str(path)}, {str(path)}, False, [str(path)]
    if isinstance(path, (SequencePath, AlternativePath)):
        parts = [_path(part) for part in path.args]
        iris = set().union(*(part[0] for part in parts))
        if isinstance(path, AlternativePath):
            starts = (
                None
                if any(x[1] is None for x in parts)
                else set().union(*(x[1] or () for x in parts))
            )
            ends = (
                None
                if any(x[2] is None for x in parts)
                else set().union(*(x[2] or () for x in parts))
            )
            return iris, starts, ends, any(x[3] for x in parts), None
        return (
            iris,
            _edge([(x[1], x[3]) for x in parts]),
            _edge([(x[2], x[3]) for x in reversed(parts)]),
            all(x[3] for x in parts),
            [step for x in parts for step in x[4] or ()]
            if all(x[4] is not None and not x[3] for x in parts)
            else None,
        )
    if isinstance(path, MulPath):
        iris, starts, ends, nullable, _ = _path(path.path)
        return iris, starts, ends, nullable or path.mod in ("*", "?"), None
    # An inverse path: its IRIs are all that is said.
    iris = set()
    todo: list[Any] = [path]
    while todo:
        node = todo.pop()
        if type(node).__name__ == "NegatedPath":
            raise ValueError("a negated path may read any predicate")
        if isinstance(node, URIRef):
            iris.add(str(node))
        elif isinstance(node, list):
            todo += node
        elif hasattr(node, "__dict__"):
            todo += [v for v in vars(node).values() if not isinstance(v, str)]
    return iris, None, None, True, None


def _edge(parts: list[tuple[set[str] | None, bool]]) -> set[str] | None:
    """The IRIs the first edge of a sequence may have: those of its parts up to the first
    that cannot be of length zero (parts: each one's edge IRIs and nullability)."""
    out: set[str] = set()
    for edge, nullable in parts:
        if edge is None:
            return None
        out |= edge
        if not nullable:
            break
    return out


def _parsed(text: str, paths: bool) -> tuple[Any, Callable[[Any], list[Any]]] | None:
    """A query's algebra (None if rdflib cannot parse it) and the function giving a term of
    it as a Pattern's part; paths: a property path as what it may match (_path), else as a
    path only (left out where asked)."""
    from rdflib.paths import Path
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.term import BNode, Literal, URIRef, Variable

    try:
        algebra = prepareQuery(text).algebra
    except Exception:  # rdflib raises many kinds; any means "cannot tell"
        return None

    def term(t: Any) -> list[Any]:
        if isinstance(t, (Variable, BNode)):
            return ["v", str(t)]
        if isinstance(t, URIRef):
            return ["i", str(t)]
        if isinstance(t, Literal):
            return ["l"]
        if isinstance(t, Path) and not paths:
            return ["p", [], None, None, True, None]
        if isinstance(t, Path):
            iris, starts, ends, nullable, steps = _path(t)
            edges = [None if e is None else sorted(e) for e in (starts, ends)]
            return ["p", sorted(iris), *edges, nullable, steps]
        raise ValueError(f"a term kg cannot reason about: {t!r}")

    return algebra, term


def query_patterns(text: str) -> list[list[Pattern]] | None:
    """The basic graph patterns of a SPARQL query (those of its OPTIONALs, EXISTS filters
    and subqueries too), each a list of triple patterns; None if rdflib cannot parse it
    or it has a negated path. A query whose patterns no changed triple can take part in a
    match of answers the same on the changed graph (touches)."""
    parsed = _parsed(text, paths=True)
    if parsed is None:
        return None
    algebra, term = parsed

    bgps: list[list[Pattern]] = []
    walk: list[Any] = [algebra]
    try:
        while walk:
            node = walk.pop()
            if isinstance(node, dict):
                if getattr(node, "name", None) == "BGP":
                    bgps.append([[term(x) for x in t] for t in node.get("triples", ())])
                walk += list(node.values())
            elif isinstance(node, (list, tuple)):
                walk += list(node)
    except ValueError:
        return None
    return bgps


def required_patterns(text: str) -> list[list[Pattern]] | None:
    """The groups of triple patterns of a query (as query_patterns gives them) that every
    solution of its WHERE clause matches, with the same variables: those joined from the
    top, through joins, filters, binds and the left side of OPTIONALs, not into a UNION, an
    OPTIONAL's right side, a MINUS, a filter's EXISTS or a subquery. None if rdflib cannot
    parse it (a rule of kg.patch then asks as before)."""
    parsed = _parsed(text, paths=False)
    if parsed is None:
        return None
    algebra, term = parsed

    out: list[list[Pattern]] = []
    through = {
        "Join": ("p1", "p2"),
        "Filter": ("p",),
        "Extend": ("p",),
        "LeftJoin": ("p1",),
        "Distinct": ("p",),
        "Reduced": ("p",),
        "OrderBy": ("p",),
        "Slice": ("p",),
    }
    top = getattr(algebra, "name", None)
    node = algebra.get("p") if top in ("ConstructQuery", "SelectQuery", "AskQuery") else None
    if node is not None and getattr(node, "name", None) == "Project":
        node = node.get("p")  # (the query's own projection: its variables are the same)
    walk = [node] if node is not None else []
    try:
        while walk:
            n = walk.pop()
            name = getattr(n, "name", None)
            if name == "BGP":
                out.append([[term(x) for x in t] for t in n.get("triples", ())])
            elif name in through:
                walk += [n[k] for k in through[name] if n.get(k) is not None]
    except ValueError:
        return None
    return out


Changed = tuple[str, str, str | None]  # a changed triple: subject, predicate, object IRI or None
Has = Callable[[str | None, str, str | None], bool]  # whether a triple (None: any) is there


def changed_triples(lines: set[bytes]) -> list[Changed]:
    """The changed N-Triples lines as (subject, predicate, object IRI or None: a literal)."""
    out = []
    for line in lines:
        if not line:
            continue
        s, p, o = line.split(b" ", 2)
        obj = o[1 : o.index(b">")].decode("utf-8") if o.startswith(b"<") else None
        out.append((s[1:-1].decode("utf-8"), p[1:-1].decode("utf-8"), obj))
    return out


def touches(
    bgps: list[list[Pattern]], changed: list[Changed], has: Has, about: str | None = None
) -> bool:
    """Whether some changed triple may take part in a match of one of the patterns: it fits
    a triple pattern, and every other pattern of that group that says something of the
    nodes it binds (with an IRI as predicate) holds of them in the graph before or after
    (has). If none may, every group matches as before, and so the query answers the same.
    about: a variable whose own patterns (of a predicate, not a path) are left out: if
    none other may, the rows for each value of it change only through triples about that
    value (its subject).
    """
    for bgp in bgps:
        for s, p, o in changed:
            for k, (ps, pp, po) in enumerate(bgp):
                if about is not None and ps == ["v", about] and pp[0] != "p":
                    continue
                if pp[0] == "p":
                    others = bgp[:k] + bgp[k + 1 :]
                    if p in pp[1] and _on_path(others, ps, pp, po, (s, p, o), has):
                        return True
                    continue
                if pp[0] == "i" and pp[1] != p:
                    continue
                if (ps[0] == "i" and ps[1] != s) or (po[0] == "i" and po[1] != o):
                    continue
                if po[0] == "l" and o is not None:
                    continue
                bound: dict[str, str | None] = {}
                if pp[0] == "v":
                    bound[pp[1]] = p
                if ps[0] == "v":
                    bound[ps[1]] = s
                if po[0] == "v":
                    if po[1] in bound and bound[po[1]] != o:
                        continue
                    bound[po[1]] = o
                others = bgp[:k] + bgp[k + 1 :]
                if all(_holds(others, var, node, has) for var, node in bound.items()):
                    return True
    return False


def _on_path(
    others: list[Pattern], ps: list[Any], pp: list[Any], po: list[Any], t: Changed, has: Has
) -> bool:
    """Whether a changed triple may be an edge of a match of the path pattern (ps pp po):
    for a plain sequence of IRIs, as its k-th edge, its subject is reached by the edge
    before (or is the path's subject, of which the other patterns must hold) and its object
    leads on by the edge after (or is the path's object). Of any other path: it may."""
    s, p, o = t
    steps = pp[5]
    if steps is None:
        return True
    for k, step in enumerate(steps):
        if step != p:
            continue
        if k > 0:
            if not has(None, steps[k - 1], s):
                continue
        elif not _fits(ps, s, others, has):
            continue
        if k < len(steps) - 1:
            if o is None or not has(o, steps[k + 1], None):
                continue
        elif not _fits(po, o, others, has):
            continue
        return True
    return False


def _fits(term: list[Any], node: str | None, others: list[Pattern], has: Has) -> bool:
    """Whether a node may be what a pattern's subject or object term matches."""
    if term[0] == "i":
        return bool(term[1] == node)
    if term[0] == "v":
        return _holds(others, term[1], node, has)
    return node is None  # a literal


def _holds(patterns: list[Pattern], var: str, node: str | None, has: Has) -> bool:
    """Whether what the patterns say of a variable may hold of node (None: a literal)."""
    for qs, qp, qo in patterns:
        if qp[0] == "p":
            # A path says its subject has an edge out, and its object an edge in, among
            # those it may start or end with, unless it may be of length zero.
            starts, ends, nullable = qp[2], qp[3], qp[4]
            if nullable:
                continue
            out = qs == ["v", var] and starts is not None
            if out and (node is None or not any(has(node, e, None) for e in starts)):
                return False
            into = qo == ["v", var] and ends is not None and node is not None
            if into and not any(has(None, e, node) for e in ends):
                return False
            continue
        if qp[0] != "i":
            continue  # a variable predicate: nothing said here
        if qs == ["v", var]:
            if node is None:
                return False  # a literal is no subject
            if not has(node, qp[1], qo[1] if qo[0] == "i" else None):
                return False
        elif (
            qo == ["v", var]
            and node is not None
            and not has(qs[1] if qs[0] == "i" else None, qp[1], node)
        ):
            return False
    return True


def _patterns(value: Any) -> bool:
    """Whether a value read back from JSON is what query_patterns makes."""

    def term(t: Any) -> bool:
        if not isinstance(t, list) or not t:
            return False
        if t[0] in ("v", "i"):
            return len(t) == 2 and type(t[1]) is str
        if t[0] == "p":
            return (
                len(t) == 6
                and _strs(t[1])
                and all(x is None or _strs(x) for x in (t[2], t[3], t[5]))
                and type(t[4]) is bool
            )
        return t == ["l"]

    return isinstance(value, list) and all(
        isinstance(bgp, list)
        and all(isinstance(t, list) and len(t) == 3 and all(map(term, t)) for t in bgp)
        for bgp in value
    )


def _strs(value: Any) -> bool:
    return isinstance(value, list) and all(type(x) is str for x in value)


# ---------------------------------------------------------------------------- sidecars
# The queries the hub index and the actor network read besides the meeting and tenure
# indexes (kg.hubs.hub_index, kg.indexes.actor_graph): an incremental build keeps those
# sidecars when no changed triple can alter their answers.
HUB_QUERIES = ("suborganizations", "post-organizations", "tenure-posts", "broader")
EVENT_QUERIES = ("event-types", "event-order", "events-involving")  # rows per ?event
ACTOR_QUERIES = ("actor-ties",)
SIDECAR_QUERIES = (*HUB_QUERIES, *EVENT_QUERIES, *ACTOR_QUERIES, "actors")
# Above this many changed subjects the meeting index is made again whole.
PATCH_LIMIT = 2_000
_KG = "https://w3id.org/kg/ont#"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")  # as kg.hubs tells a whole IRI


def local_to(bgps: list[list[Pattern]], var: str, predicates: set[str]) -> bool:
    """Whether a query's rows for each value of ?var can change only through triples whose
    subject that value is: no pattern about another node has a changed (or a variable)
    predicate. Then the rows of the unchanged subjects are those of the live build."""
    for bgp in bgps:
        for s, p, _ in bgp:
            if s == ["v", var]:
                continue
            if p[0] == "v" or (p[0] == "i" and p[1] in predicates):
                return False
            if p[0] == "p" and set(p[1]) & predicates:
                return False
    return True


def patch_sidecars(
    live: Path,
    before: Any,
    after: Any,
    changed: list[Changed],
    patterns: dict[str, list[list[Pattern]] | None],
    has: Has,
    keep: dict[str, Any],
    schema: dict[str, Any],
) -> tuple[dict[str, Any], list[str]]:
    """The meeting index, hub index and actor network of the new graph made from the live
    generation's (live: its folder; before: its store; after: the new graph), for an
    incremental build whose changed triples are few: the meeting index with the rows of
    the changed events asked again, the hub index and the actor network kept when what
    they are made from is the same for every changed node. Returns the sidecars (by name,
    as precompute's keep takes them) and notes for --timings; {} when it cannot tell.

    A meeting's row comes from its own triples and its participations' (kg.indexes), so
    the changed events are the changed subjects and the events whose participations
    changed. Each check compares what the live store and the new graph answer for them.
    """
    import pyoxigraph as ox

    from kg.hubs import DATA, HEADER
    from kg.indexes import meeting_index, participations
    from kg.query import load_query, with_values
    from kg.store import EmbeddedStore

    subjects = {s for s, _, _ in changed}
    predicates = {p for _, p, _ in changed}
    if len(subjects) > PATCH_LIMIT:
        return {}, []
    try:
        old_index = json.loads((live / "meetings.json").read_bytes())
    except (OSError, ValueError):
        return {}, []
    links = [ox.NamedNode(_KG + "participation"), ox.NamedNode(_KG + "inferredParticipation")]
    events = set(subjects)
    for s in subjects:
        for store in (before, after):
            for link in links:
                for quad in store.quads_for_pattern(None, link, ox.NamedNode(s), ox.DefaultGraph()):
                    events.add(quad.subject.value)
    terms = [ox.NamedNode(e) for e in sorted(events)]
    old_store = EmbeddedStore.in_memory(before, {"schema": schema})
    new_store = EmbeddedStore.in_memory(after, {"schema": schema})
    parts_old = participations(old_store, terms)
    parts_new = participations(new_store, terms)
    rows_new: list[list[Any]] = [list(m) for m in meeting_index(new_store, parts_new, terms)]
    rows_old = {m[0]: m for m in old_index if m[0] in events}
    index = [m for m in old_index if m[0] not in events] + rows_new
    index.sort(key=lambda m: (m[1], m[3], m[0]))
    out: dict[str, Any] = {}
    notes = []
    if "meetings" not in keep:  # (when kept, no changed triple could alter a row of it)
        out["meetings"] = json.dumps(index, ensure_ascii=False).encode()
        notes.append(f"asked the meeting index again for {len(rows_new)} of {len(events)} nodes")
    new_by = {m[0]: m for m in rows_new}

    def asked(name: str, var: str, table: list[list[Any]] | None = None) -> list[Any]:
        """The rows of a named query about the changed nodes (as ?var), live and new; None
        when rows of other nodes may have changed too (see local_to)."""
        bgps = patterns.get(name)
        if bgps is None or not local_to(bgps, var, predicates):
            return []
        query = load_query(name)
        text = query.text if table is None else with_values(query.text, query.values, table)
        text = with_values(text, [var], [[t] for t in terms])
        return [
            sorted(
                tuple(sorted((k, str(v)) for k, v in r.items()))
                for r in s.select(text)
                # The hub index asks events-involving of an entity (an IRI): a row whose
                # ?entity is a literal (an event's label) is never one it reads.
                if name != "events-involving" or isinstance(r.get("entity"), ox.NamedNode)
            )
            for s in (old_store, new_store)
        ]

    def untouched(name: str) -> bool:
        bgps = patterns.get(name)
        return bgps is not None and not touches(bgps, changed, has)

    def pairs(parts: Any, event: str) -> set[tuple[str, str]]:
        stated = {(a, side) for a, side, inferred in parts.get(event, ()) if not inferred}
        return {(a, b) for a, sa in stated for b, sb in stated if sa < sb}

    # The actor network: the same actors (the actors query of each changed node), the same
    # ties at the changed events (those of a meeting's stated sides), no other tie touched.
    from kg.kinds import actor_kinds

    kinds = [[ox.NamedNode(c), ox.Literal(n)] for c, n in actor_kinds(new_store)]
    # (A meeting adds one to each pair's ties: the same pairs over the changed meetings,
    # as many times, are the same weights, e.g. a meeting whose id was renamed.)
    from collections import Counter

    patched: set[str] = set()  # the sidecars made here of the live ones and the changes
    ties = Counter(p for e in events if e in rows_old for p in pairs(parts_old, e)) == Counter(
        p for e in events if e in new_by for p in pairs(parts_new, e)
    )
    if all(map(untouched, ACTOR_QUERIES)) and _same(asked("actors", "actor", kinds)):
        with contextlib.suppress(OSError, ValueError):
            kept_actors = (live / "actors.json").read_bytes()
            if ties:
                out["actors"] = kept_actors
            else:
                # The same nodes: the changed meetings' ties taken out and put in.
                from kg.deltas import patch_actors, ties_of

                gone = ties_of(parts_old, sorted(e for e in events if e in rows_old))
                made = ties_of(parts_new, sorted(e for e in events if e in new_by))
                actors = patch_actors(json.loads(kept_actors), gone, made)
                if actors is not None:
                    out["actors"] = actors
                    patched.add("actors")
                    notes.append("patched the actor network's ties")

    # The hub index: the same tenures, organizations and topics; the changed events' rows
    # of its event queries, participations and meeting rows the same but for a meeting's
    # label, which only orders the lists: kept if the order is the same.
    same_meetings = all(
        parts_old.get(e, set()) == parts_new.get(e, set())
        and (rows_old[e][:3] + rows_old[e][4:] if e in rows_old else None)
        == (new_by[e][:3] + new_by[e][4:] if e in new_by else None)
        for e in events
    )
    meetings_both = {e for e in events if e in rows_old and e in new_by}
    if (
        "tenures" in keep
        and same_meetings
        and all(map(untouched, HUB_QUERIES))
        and _same(asked("event-types", "event"))
        and _same(asked("events-involving", "event"))
        and _same(_without(asked("event-order", "event"), "event", meetings_both))
        and [m[0] for m in index] == [m[0] for m in old_index]
    ):
        relabelled = {e: (rows_old[e][3], new_by[e][3]) for e in meetings_both
                      if rows_old[e][3] != new_by[e][3]}  # fmt: skip
        if _timeline_order_holds(live, relabelled, index, new_store):
            with contextlib.suppress(OSError):
                for name in (HEADER, DATA):
                    out[name] = (live / f"{name}.json").read_bytes()

    # Else the hub lists patched by the changed events (kg.deltas.patch_hubs), when the
    # rest of what they are made of is the same and the event queries' rows of the other
    # events are (no changed triple may match them but as a triple of the event itself).
    def local(name: str) -> bool:
        bgps = patterns.get(name)
        return bgps is not None and not touches(bgps, changed, has, about="event")

    if (
        HEADER not in out
        and "tenures" in keep
        and all(map(untouched, HUB_QUERIES))
        and all(map(local, EVENT_QUERIES))
    ):
        from kg.deltas import patch_hubs

        hub_lists = patch_hubs(
            live, old_store, new_store, index, events, parts_old, parts_new, rows_old
        )
        if hub_lists is not None:
            out.update(hub_lists)
            patched |= set(hub_lists)
            notes.append(f"patched the hub lists by {len(events)} changed nodes")
    kept = sorted(k for k in out if k != "meetings" and k not in patched)
    notes.append(f"kept {', '.join(kept) if kept else 'no'} sidecars of the hub and actor index")
    return out, notes


def _same(found: list[Any]) -> bool:
    """Whether the live store and the new graph answered the same (found: asked's)."""
    return len(found) == 2 and found[0] == found[1]


def _without(found: list[Any], var: str, nodes: set[str]) -> list[Any]:
    """asked's rows but those whose ?var is one of nodes."""
    terms = {f"<{n}>" for n in nodes}
    return [[r for r in rows if dict(r).get(var) not in terms] for rows in found]


def _timeline_order_holds(
    live: Path, relabelled: dict[str, tuple[str, str]], index: list[Any], store: Any
) -> bool:
    """Whether the meetings whose label changed keep their place in every timeline list of
    the hub index: in the whole graph's timeline (kg.hubs.timeline_key: by first and last
    day, then label and IRI), against each event of the same days, their order by label
    and IRI is the same with the new label as with the old."""
    if not relabelled:
        return True
    import pyoxigraph as ox

    from kg.hubs import DATA, HEADER
    from kg.query import load_query, with_values
    from kg.store import value

    try:
        header = json.loads((live / f"{HEADER}.json").read_bytes())
        at, length = header["lists"][""]["timeline"][:2]
        with open(live / f"{DATA}.json", "rb") as fh:
            fh.seek(at)
            timeline = json.loads(fh.read(length))
        space = header["space"]
    except (OSError, ValueError, KeyError, TypeError):
        return False

    def iri(rel: str) -> str:  # kg.hubs writes IRIs in the id space relative to it
        return rel if _SCHEME.match(rel) else space + rel

    days: dict[tuple[str, str], set[str]] = {}
    for rel, _, earliest, latest in timeline:
        days.setdefault((earliest, latest), set()).add(iri(rel))
    labels = {m[0]: {m[3]} for m in index}
    others: dict[str, set[str]] = {}  # event -> the other events of its days
    for event in relabelled:
        row = next(m for m in index if m[0] == event)
        others[event] = days.get((row[1], row[2]), set()) - {event}
    unknown = sorted({o for os in others.values() for o in os if o not in labels})
    if unknown:
        text = with_values(
            load_query("event-order").text, ["event"], [[ox.NamedNode(e)] for e in unknown]
        )
        for r in store.select(text):
            labels.setdefault(value(r.get("event")), set()).add(value(r.get("eventLabel")))
    for event, (old, new) in relabelled.items():
        for other in others[event]:
            for label in labels.get(other, {""}):
                if ((old, event) < (label, other)) != ((new, event) < (label, other)):
                    return False
    return True
