"""Resolve what an analyst types ('muttaqi', 'Kazemi Qomi', 'energy') to one graph node."""

from __future__ import annotations

from typing import NamedTuple

from kg.errors import KgError
from kg.fuzzy import closest
from kg.query import run
from kg.store import Row, Store, require_kg_data, truth, value
from kg.text import normalize

SKOS_CONCEPT = "http://www.w3.org/2004/02/skos/core#Concept"


# A NamedTuple, not a dataclass: every lookup imports this module, and making a dataclass
# costs about a millisecond at import (benchmarks/floor.py).
class Entity(NamedTuple):
    """A resolved node: its IRI, label and type."""

    iri: str
    label: str
    type: str = ""


class UnresolvedName(KgError):
    """A name matched nothing, or more than one thing; the message says which and why."""

    def __init__(self, message: str, candidates: list[Entity] | None = None) -> None:
        super().__init__(message)
        self.candidates = candidates or []


def _entities(rows: list[Row]) -> list[Entity]:
    """The nodes matched, by label; claims only when no entity matched.

    A claim's text holds the names of what it is about ('Sirajuddin Haqqani met …'), so a
    name would often match an entity and the claims about it: the entity is meant (`kg
    claims --about` finds the claims).
    """
    seen: dict[str, Entity] = {}
    claims: set[str] = set()
    for r in rows:
        iri = value(r["entity"])
        if iri not in seen:
            seen[iri] = Entity(iri, value(r["label"]), value(r["typeLabel"]))
        if truth(r.get("isClaim")):
            claims.add(iri)
    if claims and len(claims) < len(seen):
        seen = {iri: e for iri, e in seen.items() if iri not in claims}
    return sorted(seen.values(), key=lambda e: (e.label, e.iri))


def resolve(store: Store, text: str, kind: str | None = None, what: str = "entity") -> Entity:
    """Return the one node whose name matches text; raise UnresolvedName otherwise.

    An exact match on a folded label, alias, surname or slug wins; failing that, names
    that contain the typed words; failing that, the closest names are suggested.
    """
    key = normalize(text)
    if not key:
        raise UnresolvedName(f"no {what} named {text!r}: give a name")
    kind_iri = kind or "kg:Any"
    for exact in ("yes", "no"):
        # An exact key is an index lookup; "contains" scans the keys, so it comes second.
        rows = (
            run(store, "names-exact", key=key, kind=kind_iri)
            if exact == "yes"
            else run(store, "names", key=key, kind=kind_iri, exact="no")
        )
        found = _entities(rows)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            listing = "\n".join(
                f"  {e.label}" + (f" ({e.type})" if e.type else "") for e in found[:20]
            )
            more = f"\n  … and {len(found) - 20} more" if len(found) > 20 else ""
            raise UnresolvedName(
                f"{text!r} is ambiguous: it names {len(found)} "
                f"{'entities' if what == 'entity' else what + 's'}; be more specific:\n"
                f"{listing}{more}",
                found,
            )
    keys = run(store, "name-keys", kind=kind_iri)
    by_key: dict[str, str] = {}
    for r in keys:
        by_key.setdefault(value(r["key"]), value(r["label"]))
    labels: list[str] = []
    for k in closest(key, by_key, n=6):
        if by_key[k] not in labels:
            labels.append(by_key[k])
    if not labels:
        # No name at all to suggest: an empty graph, or the wrong one (KG_GRAPH), says so.
        require_kg_data(store)
    hint = (" (did you mean " + " or ".join(f"'{x}'" for x in labels[:3]) + "?)") if labels else ""
    raise UnresolvedName(f"no {what} named {text!r}{hint}")


def resolve_topic(store: Store, text: str) -> Entity:
    """Resolve a topic of the SKOS scheme by label, alternative label or slug."""
    return resolve(store, text, SKOS_CONCEPT, what="topic")
