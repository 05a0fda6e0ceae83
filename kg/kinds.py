"""What the read side knows of the record schema: the view's categories and the actor kinds.

`kg build` keeps them beside the store (schema.json, from the schema it built with,
including `--schema` files), so a lookup or a view reads one small file instead of loading
the schema; a store without the file (a remote endpoint) falls back to kg's own schema.
"""

from __future__ import annotations

from typing import Any

from kg.store import Store


def kept(store: Store | None) -> dict[str, Any]:
    """The schema summary of the store's build (see kg.facts.schema.Schema.summary)."""
    summary = store.sidecar("schema") if store is not None else None
    if isinstance(summary, dict) and {"categories", "actors"} <= set(summary):
        return summary
    from kg.facts.schema import load_schema

    return load_schema().summary()


def actor_kinds(store: Store) -> list[tuple[str, str]]:
    """(class IRI, singular name) of each actor kind: person, organization, post…"""
    return [(str(cls), str(name)) for cls, name in kept(store)["actors"]]
