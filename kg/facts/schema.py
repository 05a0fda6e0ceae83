"""The record schema (ontology/records.yaml): every kind of fact, declared as data.

A kind declares its class and parent kind, its IRI pattern, its singular and plural names,
its fields (each of a value type from kg.facts.types), how the network view draws it and
whether it is an actor. Everything else that needs a list of kinds or classes takes it from
here: the checker and the converter, the structural SHACL shapes (kg.facts.shapes), the
class declarations of kinds the ontology does not declare, the view's categories and
legend, and the README's table of kinds (a test holds it to this file).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from kg.diagnostics import Diagnostic, FactsError
from kg.facts.types import TYPES, FieldSpec
from kg.facts.yamlload import LDict, load_yaml, parse_yaml
from kg.fuzzy import did_you_mean
from kg.locations import ontology_dir
from kg.prefixes import PREFIXES

# Fields every record may have, whatever its kind.
COMMON_FIELDS = ("id", "note", "evidence")

_KIND_KEYS = {
    "class", "iri", "parent", "singular", "plural", "description", "category", "actor",
    "evidence", "label_field", "type_field", "types", "add_base_class", "relation_field",
    "plain_triple_when", "fields",
}  # fmt: skip
_FIELD_KEYS = {
    "type", "predicate", "required", "to", "values", "lang", "bounds", "after", "same"
}
_CATEGORY_KEYS = {"label", "color", "shape"}


# The `evidence` field every kind has (its type is not one a schema may declare).
EVIDENCE = FieldSpec("evidence", "citations")


@dataclass(frozen=True)
class TypeSpec:
    """One value of a kind's type field: the class it gives and how the view draws it."""

    cls: str
    category: str


@dataclass(frozen=True)
class KindSpec:
    """One kind of record: its class, IRI pattern, names, fields and view category."""

    name: str
    cls: str
    iri: str
    fields: dict[str, FieldSpec]
    singular_name: str = ""
    plural: str = ""
    description: str = ""
    category: str | None = None  # None: not drawn in the network view
    actor: bool = False  # takes part in meetings and the actor network
    parent: str | None = None
    evidence_required: bool = True
    type_field: str | None = None
    types: dict[str, TypeSpec] = field(default_factory=dict)
    add_base_class: bool = True
    label: str = "name"
    relation_field: str | None = None
    # When the relation is also a plain triple: {field: values it must have}, and fields
    # that must be unset (`unset`). Empty: always.
    plain_when: dict[str, tuple[str, ...]] = field(default_factory=dict)
    line: int = 0

    def singular(self) -> str:
        """Return the kind's name for one record ('people' -> 'person')."""
        return self.singular_name or self.name

    def classes(self) -> list[str]:
        """Every class (CURIE) a record of this kind may be typed with."""
        own = [self.cls] if self.type_field is None or self.add_base_class else []
        return own + [t.cls for t in self.types.values()]


@dataclass(frozen=True)
class Category:
    """How the network view draws one category of node (legend order is file order)."""

    id: str
    label: str
    color: str
    shape: str


@dataclass(frozen=True)
class Schema:
    """All record kinds, in the order records.yaml gives them, and the view's categories."""

    kinds: dict[str, KindSpec]
    categories: dict[str, Category] = field(default_factory=dict)

    def category_of_class(self) -> dict[str, str]:
        """Map each class a record may be typed with (CURIE) to its view category."""
        out: dict[str, str] = {}
        for kind in self.kinds.values():
            if kind.category is None:
                continue
            if kind.type_field is None or kind.add_base_class:
                out.setdefault(kind.cls, kind.category)
            for t in kind.types.values():
                out.setdefault(t.cls, t.category)
            out.setdefault(kind.cls, kind.category)  # the fallback for its subclasses
        return out

    def view_categories(self) -> list[dict[str, Any]]:
        """The view's node categories in legend order, each with the class IRIs it covers
        (what `kg build` keeps beside the store, so views need not load the schema)."""
        classes: dict[str, list[str]] = {c: [] for c in self.categories}
        for cls, cat in self.category_of_class().items():
            prefix, _, local = cls.partition(":")
            classes[cat].append(PREFIXES[prefix] + local)
        return [
            {"id": c.id, "label": c.label, "color": c.color, "shape": c.shape,
             "classes": classes[c.id]}
            for c in self.categories.values()
        ]  # fmt: skip

    def actor_kinds(self) -> list[tuple[str, str]]:
        """(class IRI, singular name) of each kind whose records are actors: they meet,
        hold posts and sign, and make up the actor network."""
        out = []
        for k in self.kinds.values():
            if k.actor:
                prefix, _, local = k.cls.partition(":")
                out.append((PREFIXES[prefix] + local, k.singular()))
        return out

    def summary(self, extra: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
        """What the read side needs of the schema, kept by `kg build` beside the store
        (schema.json), so lookups and views need not load it: the schema files added to
        kg's, the view's categories and the actor kinds."""
        return {
            "extra": [list(e) for e in extra],
            "categories": self.view_categories(),
            "actors": [list(a) for a in self.actor_kinds()],
        }


class _Reader:
    """Turns the parsed schema file into specs, reporting mistakes at file:line."""

    def __init__(self, rel: str) -> None:
        self.rel = rel
        self.problems: list[Diagnostic] = []

    def err(self, line: int, msg: str) -> None:
        self.problems.append(Diagnostic(self.rel, line, msg))

    def mapping(self, raw: Any, line: int, what: str) -> LDict | None:
        if not isinstance(raw, LDict):
            self.err(line, f"{what} must be a mapping")
            return None
        return raw

    def unknown_keys(self, raw: LDict, allowed: set[str], what: str) -> None:
        for key in raw:
            if key not in allowed:
                self.err(
                    raw.lines[key],
                    f"unknown key '{key}' in {what}"
                    + (did_you_mean(key, allowed) or f" (keys: {', '.join(sorted(allowed))})"),
                )

    def text(self, raw: LDict, key: str, what: str, default: str | None = None) -> str:
        value = raw.get(key, default)
        if not isinstance(value, str) or not value:
            self.err(raw.lines.get(key, raw.line), f"{what} needs '{key}' (text)")
            return ""
        return value

    def field(
        self, name: str, raw: Any, line: int, kind: str, type_field: bool = False
    ) -> FieldSpec | None:
        spec = self.mapping(raw, line, f"field '{name}' of '{kind}'")
        if spec is None:
            return None
        self.unknown_keys(spec, _FIELD_KEYS, f"field '{name}' of '{kind}'")
        ftype = spec.get("type")
        if ftype not in TYPES or ftype == "citations":
            choices = [t for t in TYPES if t != "citations"]
            self.err(
                spec.lines.get("type", line),
                f"field '{name}' of '{kind}' has unknown type {ftype!r}"
                + (did_you_mean(str(ftype), choices) or f" (types: {', '.join(choices)})"),
            )
            return None
        vtype = TYPES[ftype]
        # A type field needs no predicate: its value picks the record's class.
        if vtype.needs_predicate and not type_field and not isinstance(spec.get("predicate"), str):
            self.err(line, f"field '{name}' of '{kind}' needs a 'predicate' (a CURIE)")
            return None
        to = spec.get("to", [])
        needs_to = ("ref", "refs", "sides", "ref_or_value", "roles", "history")
        if ftype in needs_to and not (isinstance(to, list) and to):
            self.err(line, f"field '{name}' of '{kind}' needs 'to': the kinds it refers to")
            return None
        values = spec.get("values", {})
        if ftype in ("roles", "history") and not (isinstance(values, dict) and values):
            self.err(line, f"field '{name}' of '{kind}' needs 'values': its words and their IRIs")
            return None
        return FieldSpec(
            name=name,
            type=ftype,
            predicate=spec.get("predicate"),
            required=bool(spec.get("required", False)),
            to=tuple(str(t) for t in to),
            values={str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else {},
            lang=spec.get("lang"),
            bounds=bool(spec.get("bounds", True)),
            after=spec.get("after"),
            same=spec.get("same"),
            line=line,
        )

    def kind(self, name: str, raw: Any, line: int, known: dict[str, KindSpec]) -> KindSpec | None:
        spec = self.mapping(raw, line, f"kind '{name}'")
        if spec is None:
            return None
        self.unknown_keys(spec, _KIND_KEYS, f"kind '{name}'")
        parent = known.get(spec["parent"]) if "parent" in spec else None
        if "parent" in spec and parent is None:
            self.err(
                spec.lines["parent"],
                f"kind '{name}': unknown parent kind {spec['parent']!r} "
                "(a parent is declared above its children)"
                + did_you_mean(str(spec["parent"]), known),
            )
            return None
        fields = self.fields(name, spec, line, parent)
        category = spec.get("category", parent.category if parent else None)
        types = self.types(name, spec, category)
        type_field = spec.get("type_field")
        if type_field:
            if type_field not in fields:
                self.err(spec.lines["type_field"], f"kind '{name}': no field '{type_field}'")
                return None
            # The type field's allowed values are the keys of `types`.
            f = fields[type_field]
            fields[type_field] = FieldSpec(
                f.name, "enum", None, f.required, (), {k: t.cls for k, t in types.items()},
                line=f.line,
            )  # fmt: skip
        evidence = spec.get("evidence", "required" if parent is None or parent.evidence_required
                            else "optional")  # fmt: skip
        if evidence not in ("required", "optional"):
            self.err(spec.lines["evidence"], "'evidence' is 'required' or 'optional'")
        return KindSpec(
            name=name,
            cls=self.text(spec, "class", f"kind '{name}'"),
            iri=self.text(spec, "iri", f"kind '{name}'"),
            fields=fields,
            singular_name=str(spec.get("singular", name)),
            plural=str(spec.get("plural", name)),
            description=str(spec.get("description", "")),
            category=None if category is None else str(category),
            actor=bool(spec.get("actor", parent.actor if parent else False)),
            parent=parent.name if parent else None,
            evidence_required=evidence != "optional",
            type_field=type_field,
            types=types,
            add_base_class=bool(spec.get("add_base_class", True)),
            label=str(spec.get("label_field", parent.label if parent else "name")),
            relation_field=spec.get("relation_field"),
            plain_when=self.plain_when(name, spec),
            line=line,
        )

    def plain_when(self, name: str, spec: LDict) -> dict[str, tuple[str, ...]]:
        raw = spec.get("plain_triple_when")
        if raw is None:
            return {}
        if not isinstance(raw, LDict) or not all(isinstance(v, list) for v in raw.values()):
            self.err(
                spec.lines["plain_triple_when"],
                f"kind '{name}': 'plain_triple_when' maps fields to lists of values "
                "(and 'unset' to a list of fields)",
            )
            return {}
        return {str(k): tuple(str(x) for x in v) for k, v in raw.items()}

    def fields(
        self, name: str, spec: LDict, line: int, parent: KindSpec | None
    ) -> dict[str, FieldSpec]:
        fields: dict[str, FieldSpec] = {}
        if parent is not None:
            # A kind inherits its parent's fields, but not the field that picks the
            # parent's own subclasses (a Sanction is not a Meeting).
            fields = {n: f for n, f in parent.fields.items() if n != parent.type_field}
        where = spec.lines.get("fields", line)
        raw = self.mapping(spec.get("fields", LDict()), where, f"'fields' of '{name}'")
        for fname, fraw in (raw or LDict()).items():
            fline = raw.lines[fname] if raw is not None else line
            if fname in COMMON_FIELDS:
                self.err(fline, f"'{fname}' is a field of every kind")
                continue
            is_type = fname == spec.get("type_field")
            if (f := self.field(fname, fraw, fline, name, type_field=is_type)) is not None:
                fields[fname] = f
        return fields

    def types(self, name: str, spec: LDict, category: str | None) -> dict[str, TypeSpec]:
        types: dict[str, TypeSpec] = {}
        raw_types = spec.get("types", {})
        for tname, traw in raw_types.items() if isinstance(raw_types, dict) else ():
            if isinstance(traw, str):
                types[str(tname)] = TypeSpec(traw, str(category or ""))
            elif isinstance(traw, LDict):
                self.unknown_keys(traw, {"class", "category"}, f"type '{tname}' of '{name}'")
                types[str(tname)] = TypeSpec(
                    self.text(traw, "class", f"type '{tname}'"),
                    str(traw.get("category", category or "")),
                )
            else:
                self.err(spec.lines.get("types", 0), f"type '{tname}' of '{name}' names a class")
        return types

    def check_kinds(self, kinds: dict[str, KindSpec], categories: dict[str, Category]) -> None:
        for kind in kinds.values():
            cats = [kind.category] + [t.category for t in kind.types.values()]
            for cat in cats:
                if cat and cat not in categories:
                    self.err(
                        kind.line,
                        f"kind '{kind.name}': unknown view category '{cat}'"
                        + did_you_mean(cat, categories),
                    )
            for f in kind.fields.values():
                if f.after and f.after not in kind.fields:
                    self.err(f.line, f"field '{f.name}' of '{kind.name}': no field '{f.after}'")
                if f.same and f.same not in kind.fields:
                    self.err(f.line, f"field '{f.name}' of '{kind.name}': no field '{f.same}'")
                for target in f.to:
                    if target != "topics" and target not in kinds:
                        self.err(
                            f.line,
                            f"field '{f.name}' of '{kind.name}' refers to unknown kind '{target}'"
                            + did_you_mean(target, [*kinds, "topics"]),
                        )


def parse_schema(docs: list[tuple[str, Any]]) -> Schema:
    """Build a Schema from parsed schema files (the shipped one first, then additions).

    Raise FactsError listing every mistake at its file:line.
    """
    kinds: dict[str, KindSpec] = {}
    categories: dict[str, Category] = {}
    problems: list[Diagnostic] = []
    for rel, doc in docs:
        r = _Reader(rel)
        top = r.mapping(doc, 1, "a schema file")
        if top is not None:
            r.unknown_keys(top, {"categories", "kinds"}, "the schema")
            cats = r.mapping(top.get("categories", LDict()), top.lines.get("categories", 1),
                             "'categories'")  # fmt: skip
            for cid, craw in (cats or {}).items():
                c = r.mapping(craw, cats.lines[cid], f"category '{cid}'")  # type: ignore[union-attr]
                if c is None:
                    continue
                r.unknown_keys(c, _CATEGORY_KEYS, f"category '{cid}'")
                categories[cid] = Category(
                    cid, *(r.text(c, k, f"category '{cid}'") for k in ("label", "color", "shape"))
                )
            raw_kinds = r.mapping(top.get("kinds"), top.lines.get("kinds", 1), "'kinds'")
            for name, raw in (raw_kinds or {}).items():
                line = raw_kinds.lines[name]  # type: ignore[union-attr]
                if name in kinds or name == "topics":
                    r.err(line, f"kind '{name}' is declared already")
                    continue
                kind = r.kind(name, raw, line, kinds)
                if kind is not None:
                    kinds[name] = kind
        problems += r.problems
    if not problems:
        checker = _Reader(docs[-1][0] if docs else "records.yaml")
        checker.check_kinds(kinds, categories)
        problems += checker.problems
    if problems:
        raise FactsError(problems)
    return Schema(kinds, categories)


def schema_path() -> Path:
    """The schema shipped with kg (the one to edit to add a kind to the dataset)."""
    return ontology_dir() / "records.yaml"


def read_extra(paths: Iterable[Path]) -> tuple[tuple[str, str], ...]:
    """Read extra schema files as (name, text) pairs; raise FactsError naming a missing one."""
    out = []
    for path in paths:
        try:
            out.append((path.name, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            reason = "not found" if isinstance(exc, FileNotFoundError) else "cannot be read"
            raise FactsError([Diagnostic(str(path), 0, f"schema file {reason}")]) from None
    return tuple(out)


@cache
def load_schema(extra: tuple[tuple[str, str], ...] = ()) -> Schema:
    """Load the shipped schema, plus the kinds declared in `extra` (name, text) schema files.

    `kg build --schema FILE` passes its files' texts here, and keeps them beside the store
    (schema.json) so that the lookups and views of that build read the same schema.
    """
    docs: list[tuple[str, Any]] = [("records.yaml", load_yaml(schema_path(), "records.yaml"))]
    docs += [(name, parse_yaml(text, name)) for name, text in extra]
    return parse_schema(docs)


def kinds_table(schema: Schema) -> str:
    """The README's table of kinds, as Markdown (scripts/gen_kinds_table.py writes it)."""
    rows = ["| kind | what | fields |", "| --- | --- | --- |"]
    for kind in schema.kinds.values():
        fields = ", ".join(
            f"`{f.name}`" + ("*" if f.required else "") for f in kind.fields.values()
        )
        rows.append(f"| `{kind.name}` | {kind.description} | {fields} |")
    return "\n".join(rows) + "\n"
