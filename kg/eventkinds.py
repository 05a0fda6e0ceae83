"""The event kinds as lookups see them: the kinds, which count as meetings, what --kind means.

The kinds are data (ontology/event-kinds.ttl, loaded into the graph by `kg build`): each is
the class an event record's `type` picks, with a notation (the type's name, e.g. `message`),
a definition, whether it counts as a meeting and its CAMEO code. Nothing here names a kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from kg.errors import KgError
from kg.fuzzy import did_you_mean
from kg.query import run
from kg.store import Store, truth, value

ANY = "any"  # `--kind any`: every kind, meetings or not (and events of no known kind)


# A NamedTuple, not a dataclass: who-met imports this module, and making a dataclass costs
# about a millisecond at import (benchmarks/floor.py).
class EventKind(NamedTuple):
    """One kind of the event-kind scheme."""

    kind: str  # the notation: records.yaml's event type, what --kind and who-met's rows say
    label: str
    definition: str
    counts_as_meeting: bool
    cameo: str | None  # the CAMEO event code, or None (note says why)
    cameo_match: str | None  # "exact" or "close"
    cameo_label: str | None
    note: str | None


class UnknownKind(KgError):
    """--kind names no event kind."""


def event_kinds(store: Store) -> list[EventKind]:
    """Every event kind of the graph's scheme, the kinds that count as meetings first."""
    return [
        EventKind(
            kind=value(r.get("kind")),
            label=value(r.get("label")) or value(r.get("kind")),
            definition=value(r.get("definition")),
            counts_as_meeting=truth(r.get("meeting")),
            cameo=value(r.get("code")) or None,
            cameo_match=value(r.get("match")) or None,
            cameo_label=value(r.get("codeLabel")) or None,
            note=value(r.get("note")) or None,
        )
        for r in run(store, "event-kinds")
    ]


def meeting_kinds(store: Store) -> list[str]:
    """The kinds that count as meetings, in the scheme's order."""
    return [k.kind for k in event_kinds(store) if k.counts_as_meeting]


def _slug(text: str) -> str:
    return "-".join(text.lower().replace("_", " ").replace("-", " ").split())


def resolve_kinds(store: Store, given: Iterable[str]) -> frozenset[str] | None:
    """The event kinds `--kind` asks for: each value a kind or a comma list of kinds.

    None stands for every kind (`any` among them); with nothing given, the kinds that count
    as meetings. A kind is named by its notation or its label, as typed (case, spaces or
    hyphens aside); an unknown one raises UnknownKind with the closest kinds.
    """
    words = [w.strip() for item in given for w in item.split(",") if w.strip()]
    kinds = event_kinds(store)
    if not words:
        return frozenset(k.kind for k in kinds if k.counts_as_meeting)
    names = {k.kind: k.kind for k in kinds} | {_slug(k.label): k.kind for k in kinds}
    wanted = set()
    for word in words:
        slug = _slug(word)
        if slug == ANY:
            return None
        if slug not in names:
            choices = [k.kind for k in kinds] + [ANY]
            hint = did_you_mean(slug, choices) or f" (kinds: {', '.join(choices)})"
            raise UnknownKind(f"no event kind named {word!r}{hint}")
        wanted.add(names[slug])
    return frozenset(wanted)


def shipped_kinds() -> list[EventKind]:
    """The event kinds of kg's own ontology files, read as lookups read a build's (no build
    needed): what the README's table of event kinds is made from."""
    import pyoxigraph as ox

    from kg.locations import ontology_dir
    from kg.store import EmbeddedStore

    store = ox.Store()
    for name in ("kg.ttl", "event-kinds.ttl"):
        store.load(path=str(ontology_dir() / name), format=ox.RdfFormat.TURTLE)
    return event_kinds(EmbeddedStore.in_memory(store))


def kinds_table(kinds: list[EventKind]) -> str:
    """The README's table of event kinds (Markdown): kind, whether it counts as a meeting,
    its CAMEO code (or why none), its definition."""
    lines = [
        "| kind | counts as a meeting | CAMEO code | what it is |",
        "| --- | --- | --- | --- |",
    ]
    for k in kinds:
        if k.cameo:
            cameo = f"{k.cameo} {k.cameo_label or ''} ({k.cameo_match} match)".replace("  ", " ")
        else:
            cameo = "none: " + (k.note or "").removeprefix("No CAMEO code: ")
        meeting = "yes" if k.counts_as_meeting else "no"
        lines.append(f"| `{k.kind}` | {meeting} | {cameo} | {k.definition} |")
    return "\n".join(lines) + "\n"
