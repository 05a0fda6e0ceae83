"""The record schema (ontology/records.yaml): which kinds of fact exist and their fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from kg.locations import ontology_dir

FIELD_TYPES = {
    "text",
    "texts",
    "int",
    "decimal",
    "date",
    "dates",
    "ref",
    "refs",
    "enum",
    "sides",
    "quantities",
}
# Fields every record may have, whatever its kind.
COMMON_FIELDS = ("id", "note", "evidence")


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record kind."""

    name: str
    type: str
    predicate: str | None = None
    required: bool = False
    to: tuple[str, ...] = ()
    values: dict[str, str] = field(default_factory=dict)
    lang: str | None = None
    bounds: bool = True  # whether its dates count towards the node's earliest/latest


@dataclass(frozen=True)
class KindSpec:
    """One kind of record: its class, IRI pattern and fields."""

    name: str
    cls: str
    iri: str
    fields: dict[str, FieldSpec]
    evidence_required: bool = True
    type_field: str | None = None
    types: dict[str, str] = field(default_factory=dict)
    add_base_class: bool = True
    label: str = "name"
    relation_field: str | None = None

    def singular(self) -> str:
        """Return the kind's name for one record ('people' -> 'person')."""
        return {"people": "person", "statistics": "statistic", "topics": "topic"}.get(
            self.name, self.name.rstrip("s")
        )


@dataclass(frozen=True)
class Schema:
    """All record kinds, in the order records.yaml gives them."""

    kinds: dict[str, KindSpec]


def _field(name: str, raw: dict[str, Any]) -> FieldSpec:
    ftype = raw["type"]
    if ftype not in FIELD_TYPES:
        raise ValueError(f"records.yaml: field '{name}' has unknown type '{ftype}'")
    return FieldSpec(
        name=name,
        type=ftype,
        predicate=raw.get("predicate"),
        required=bool(raw.get("required", False)),
        to=tuple(raw.get("to", ())),
        values=dict(raw.get("values", {})),
        lang=raw.get("lang"),
        bounds=bool(raw.get("bounds", True)),
    )


def parse_schema(raw: dict[str, Any]) -> Schema:
    """Build a Schema from the parsed records.yaml."""
    kinds: dict[str, KindSpec] = {}
    for name, spec in raw.items():
        fields = {fname: _field(fname, fraw) for fname, fraw in spec["fields"].items()}
        types = dict(spec.get("types", {}))
        type_field = spec.get("type_field")
        if type_field:
            # The type field's allowed values are the keys of `types`.
            f = fields[type_field]
            fields[type_field] = FieldSpec(f.name, "enum", None, f.required, (), types)
        kinds[name] = KindSpec(
            name=name,
            cls=spec["class"],
            iri=spec["iri"],
            fields=fields,
            evidence_required=spec.get("evidence", "required") != "optional",
            type_field=type_field,
            types=types,
            add_base_class=bool(spec.get("add_base_class", True)),
            label=spec.get("label", "name"),
            relation_field=spec.get("relation_field"),
        )
    return Schema(kinds)


@cache
def load_schema(path: Path | None = None) -> Schema:
    """Load and cache the record schema shipped with kg."""
    path = path or ontology_dir() / "records.yaml"
    with path.open(encoding="utf-8") as fh:
        return parse_schema(yaml.safe_load(fh))
