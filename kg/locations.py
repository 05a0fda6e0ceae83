"""Where kg finds its data files (ontology, shapes, topics, record schema)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def ontology_dir() -> Path:
    """Return the folder holding kg.ttl, shapes.ttl, topics.ttl and records.yaml.

    An installed wheel carries a copy inside the package; a source checkout (including an
    editable install) uses the repository's top-level `ontology/`, the one to edit.
    """
    for candidate in (_PACKAGE / "ontology", _PACKAGE.parent / "ontology"):
        if (candidate / "kg.ttl").is_file():
            return candidate
    raise FileNotFoundError("kg's ontology files are missing from this installation")
