"""Names and topics for shell completion: what an analyst may type, with its label.

A completion is an entity's slug (the last part of its IRI: `amir-khan-muttaqi`), which
the lookups resolve as they resolve a name and which a shell inserts as one word (bash
would split a label at its spaces); its label goes beside it where the shell shows help
(zsh, fish). A slug two entities share is offered as their labels instead.
"""

from __future__ import annotations

from collections import Counter

from kg.query import run
from kg.store import Store, value
from kg.text import normalize


def slug(iri: str) -> str:
    """The last part of an IRI's path, as kg.searchkeys keys it."""
    return iri.rstrip("/").rsplit("/", 1)[-1]


def candidates(store: Store, incomplete: str, topics: bool = False) -> list[tuple[str, str]]:
    """(value, label) of the entities, or topics, that `incomplete` may begin to name.

    One matches when a name of it (label, alias, surname, slug) or a word of one starts
    with what was typed, folded as names are (case, accents and punctuation aside): `mutt`
    offers `amir-khan-muttaqi`. Those whose slug starts so come first, each part sorted by
    value; at most 1,000 (a few letters narrow a large graph down).
    """
    key = normalize(incomplete)
    if topics:  # a few dozen: matched here, on each of their folded names
        rows = [
            r
            for r in run(store, "topic-names")
            if value(r["key"]).startswith(key) or f" {key}" in value(r["key"])
        ]
    else:
        rows = run(store, "completions", prefix=key)
    named = [(slug(value(r["entity"])), value(r["label"])) for r in rows]
    shared = Counter(s for s, _ in named)
    found = {s if shared[s] == 1 else label: label for s, label in named}
    return sorted(found.items(), key=lambda vl: (not normalize(vl[0]).startswith(key), vl))
