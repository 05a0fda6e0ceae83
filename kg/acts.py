"""The party index: which acts (agreements, pledges, proposals, offers) count for each party.

`kg agreements --party X` keeps the acts one of whose parties is X, a part of X, a post in
X or a state X governs. Asked in one query, that test comes after every act's changes and
citations are joined: 11 s at 1M triples, 61 s at 5M. `kg build` therefore keeps, for each
actor an act counts for, the sorted list of those acts (party-acts.json, made from
party-acts.rq), and the lookup asks the graph for those acts only (kg.lookups.agreements).

Both the build (which writes it) and the lookups (which read it) import this module; it
imports only the store and the named queries. A store without the file (a server, a build
of older code) is asked as before.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pyoxigraph import NamedNode

from kg.query import id_space, run
from kg.store import Store, value

NAME = "party-acts"  # the sidecar (party-acts.json) and the named query it is made from
VERSION = 1
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")  # a whole IRI, as kg.hubs tells one


def party_index(store: Store) -> bytes:
    """The party index of a graph as party-acts.json holds it: {"version", "space",
    "parties": {party: [act, …]}}, IRIs in the id space written without it, each list and
    the parties sorted, so that the same graph always gives the same bytes."""
    space = id_space(store)

    def rel(iri: str) -> str:
        return iri[len(space) :] if iri.startswith(space) else iri

    parties: dict[str, list[str]] = {}
    for r in run(store, NAME):
        parties.setdefault(rel(value(r["party"])), []).append(rel(value(r["agreement"])))
    data = {
        "version": VERSION,
        "space": space,
        "parties": {p: sorted(set(acts)) for p, acts in sorted(parties.items())},
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def party_acts(store: Store, party: str) -> list[NamedNode] | None:
    """The acts that count for the party (an IRI), in IRI order; None when the store keeps
    no party index (ask the graph)."""
    index: Any = store.sidecar(NAME)
    if not isinstance(index, dict) or index.get("version") != VERSION:
        return None
    space = index.get("space")
    parties = index.get("parties")
    if not isinstance(space, str) or not isinstance(parties, dict):
        return None
    key = party[len(space) :] if party.startswith(space) else party
    acts = [a if _SCHEME.match(a) else space + a for a in parties.get(key, [])]
    return [NamedNode(a) for a in sorted(acts)]
