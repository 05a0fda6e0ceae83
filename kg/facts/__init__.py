"""Curated facts: loading YAML with line numbers, the record schema, and checks."""

from __future__ import annotations

import hashlib
from pathlib import Path


def fact_files(facts_dir: Path) -> list[Path]:
    """Return the YAML files of a facts folder, in a stable order."""
    return sorted(p for p in facts_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def locate_source(source_dirs: list[Path], fname: str) -> Path | None:
    """The file fname in the first source folder that has it (None: in none of them)."""
    for folder in source_dirs:
        path = folder / fname
        if path.is_file():
            return path
    return None


def probe_source(source_dirs: list[Path], fname: str) -> list[str]:
    """What checking evidence finds for a source file: which file, where it leads and its
    digest, or that it is in no source folder. The same probe again tells whether a
    check of that evidence would still find the same (kg.incremental)."""
    path = locate_source(source_dirs, fname)
    if path is None:
        return ["missing"]
    try:
        digest = file_digest(path)
    except OSError as exc:
        digest = f"unreadable: {exc.strerror}"
    return [str(path), str(path.resolve()), digest]
