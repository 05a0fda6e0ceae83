"""The party index: which acts (agreements, pledges, proposals, offers) count for each party.

`kg agreements --party X` keeps the acts one of whose parties is X, a part of X, a post in
X or a state X governs. Asked in one query, that test comes after every act's changes and
citations are joined: 11 s at 1M triples, 61 s at 5M. `kg build` therefore keeps, for each
actor an act counts for, the list of those acts (party-acts.rq), and each act's name and
status changes (act-order.rq), in party-acts.json: the lookup orders and filters the
party's acts from it and asks the graph for those of the page shown only
(kg.lookups.agreements).

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

NAME = "party-acts"  # the sidecar (party-acts.json) and the named query of its pairs
ORDER = "act-order"  # the named query of each act's changes, for the order of a page
VERSION = 2
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")  # a whole IRI, as kg.hubs tells one


def party_index(store: Store) -> bytes:
    """The party index of a graph as party-acts.json holds it: {"version", "space",
    "parties": {party: [act, …]}, "acts": {act: [name, [[earliest, latest, n, status], …]]}}
    (n: the change's number, …/history/N), IRIs in the id space written without it, every
    list sorted, so that the same graph always gives the same bytes."""
    space = id_space(store)

    def rel(iri: str) -> str:
        return iri[len(space) :] if iri.startswith(space) else iri

    parties: dict[str, set[str]] = {}
    for r in run(store, NAME):
        parties.setdefault(rel(value(r["party"])), set()).add(rel(value(r["agreement"])))
    acts: dict[str, tuple[str, list[tuple[str, str, int, str]]]] = {}
    for r in run(store, ORDER):
        act = rel(value(r["agreement"]))
        changes = acts.setdefault(act, (value(r["agreementLabel"]), []))[1]
        # As kg.lookups orders a history: the change's number ends its IRI (…/history/N).
        number = int(value(r["change"]).rsplit("#", 1)[-1].rsplit("/", 1)[-1])
        changes.append((value(r["earliest"]), value(r["latest"]), number, value(r["statusLabel"])))
    data = {
        "version": VERSION,
        "space": space,
        "parties": {p: sorted(a) for p, a in sorted(parties.items())},
        "acts": {a: [name, sorted(set(ch))] for a, (name, ch) in sorted(acts.items())},
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def party_page(
    store: Store,
    party: str,
    to: str,
    status: str | None,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[list[NamedNode], int] | None:
    """The acts that count for the party (an IRI) in `kg agreements`' order, with a change
    on or before `to` (YYYY-MM-DD) and, if given, the status `status` (a label) by then:
    those of the page asked for (limit 0 or None: all the rest) and how many there are in
    all; None when the store keeps no party index (ask the graph)."""
    index: Any = store.sidecar(NAME)
    if not isinstance(index, dict) or index.get("version") != VERSION:
        return None
    space, parties, acts = index.get("space"), index.get("parties"), index.get("acts")
    if not isinstance(space, str) or not isinstance(parties, dict) or not isinstance(acts, dict):
        return None
    key = party[len(space) :] if party.startswith(space) else party
    order = []
    for act in parties.get(key, []):
        name, changes = acts.get(act, ("", []))
        # An act's status on a day is its latest change by then (kg.lookups.agreements).
        by_then = [c for c in changes if not c[0] > to]
        if not by_then:
            continue
        now = max(by_then, key=lambda c: (c[0], c[1], c[2]))
        if status is not None and now[3] != status:
            continue
        iri = act if _SCHEME.match(act) else space + act
        order.append((now[0], name, iri))
    order.sort()
    shown = order[offset : offset + limit] if limit else order[offset:]
    return [NamedNode(iri) for _, _, iri in shown], len(order)
