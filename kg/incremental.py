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

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.diagnostics import Diagnostic
from kg.facts import file_digest, probe_source

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
    parts: dict[str, Any] = {
        "format": FORMAT,
        "python": list(sys.version_info[:3]),
        "libraries": _libraries(),
        "kg": _tree(_PACKAGE),
        # An installed kg carries the ontology inside the package (hashed above already).
        "ontology": [] if onto.is_relative_to(_PACKAGE) else _tree(onto),
        "schema": schemas,
        "base": base,
        "validator": validator,
        # As given and as resolved: a warning names the folders as given.
        "sources": [(str(d), str(d.resolve())) for d in source_dirs],
        "facts": sorted(facts.items()),
    }
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return Inputs(hashlib.sha256(text).hexdigest(), facts)


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
