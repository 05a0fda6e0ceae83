"""Limit: `kg agreements --party NAME --format json`.

Usage: python benchmarks/limits/agreements_party.py BUILD NAME [LIMIT]

The party's acts read from the build's party-acts.json and ordered by their latest change's
first day and name (the index holds each act's changes); for the acts of the page, each
act's status changes asked alone (its IRI as VALUES), each change's source lines and each
act's parties alone too.
"""

import sys

import pyoxigraph as ox
from common import (
    EVIDENCE_OF,
    P,
    citations,
    each,
    emit,
    generation,
    local,
    open_store,
    resolve,
    select,
    sidecar,
    split,
    v,
)

CHANGES = (
    P
    + """SELECT ?agreement ?agreementLabel ?kindLabel ?change ?statusLabel ?date ?earliest
       ?latest ?event ?eventLabel
       (GROUP_CONCAT(DISTINCT ?byLabel; separator="|") AS ?by)
       (GROUP_CONCAT(DISTINCT ?topicLabel; separator="|") AS ?topics)
WHERE {
  VALUES ?agreement { ACT }
  ?agreement a kg:Agreement ; skos:prefLabel ?agreementLabel ; kg:statusChange ?change ;
             kg:agreementKind/rdfs:label ?kindLabel .
  ?change kg:status/rdfs:label ?statusLabel ; kg:date ?date ;
          kg:earliest ?earliest ; kg:latest ?latest .
  OPTIONAL { ?change kg:atEvent ?event . ?event skos:prefLabel ?eventLabel }
  OPTIONAL { ?change kg:actor/skos:prefLabel ?byLabel }
  OPTIONAL { ?agreement kg:topic/skos:prefLabel ?topicLabel }
}
GROUP BY ?agreement ?agreementLabel ?kindLabel ?change ?statusLabel ?date ?earliest ?latest
         ?event ?eventLabel"""
)
PARTIES = (
    P
    + """SELECT ?agreement ?actor ?actorLabel
       (GROUP_CONCAT(DISTINCT ?roleLabel; separator="|") AS ?roles)
WHERE {
  ?agreement kg:partyRole ?part .
  ?part kg:actor ?actor ; kg:role/rdfs:label ?roleLabel .
  ?actor skos:prefLabel ?actorLabel .
}
GROUP BY ?agreement ?actor ?actorLabel"""
)

gen = generation(sys.argv[1])
store = open_store(gen)
party, _ = resolve(store, sys.argv[2])
index = sidecar(gen, "party-acts")
space = index["space"]
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 0
order = []
for act in index["parties"].get(party.removeprefix(space), []):
    name, changes = index["acts"][act]
    earliest = max(changes, key=lambda c: (c[0], c[1], c[2]))[0]
    order.append((earliest, name, act if ":" in act.split("/", 1)[0] else space + act))
acts = [iri for _, _, iri in sorted(order)[: limit or None]]
rows = []
for act in acts:
    # The act as VALUES, so that the planner starts from it (bound as a substitution, the
    # query joins every act's changes first); the IRI as an ox.NamedNode writes it (<…>).
    rows += select(store, CHANGES.replace("ACT", str(ox.NamedNode(act))))
changes = sorted({r["change"] for r in rows}, key=lambda t: t.value)
cites: dict[str, list[str]] = {}
for r in each(store, EVIDENCE_OF, "fact", changes):
    cites.setdefault(v(r, "fact"), []).append(f"{v(r, 'file')}#{v(r, 'line')}#{v(r, 'order')}")
history: dict[str, list] = {}
for r in rows:
    history.setdefault(v(r, "agreement"), []).append(r)
parties: dict[str, list] = {}
for act in sorted(history):
    found = select(store, PARTIES, agreement=ox.NamedNode(act))
    parties[act] = [
        {"actor": v(r, "actorLabel"), "roles": split(v(r, "roles")), "actor_iri": v(r, "actor")}
        for r in sorted(found, key=lambda r: (v(r, "actorLabel"), v(r, "actor")))
    ]


def change(r) -> dict:
    found = citations("|".join(cites.get(v(r, "change"), [])))
    return {
        "status": v(r, "statusLabel"),
        "date": v(r, "date"),
        "event": v(r, "eventLabel") or None,
        "by": split(v(r, "by")),
        "source": found[0] if found else None,
        "sources": found,
        "event_iri": v(r, "event") or None,
    }


out = []
for act, changes_of in history.items():
    changes_of.sort(key=lambda r: (v(r, "earliest"), v(r, "latest"), int(local(v(r, "change")))))
    now = changes_of[-1]
    current = change(now)
    out.append(
        {
            "date": current["date"],
            "status": current["status"],
            "agreement": v(now, "agreementLabel"),
            "kind": v(now, "kindLabel"),
            "parties": parties[act],
            "roles": "; ".join(f"{p['actor']} ({', '.join(p['roles'])})" for p in parties[act]),
            "by": current["by"],
            "event": current["event"],
            "topics": split(v(now, "topics")),
            "source": current["source"],
            "sources": current["sources"],
            "history": [change(r) for r in changes_of],
            "agreement_iri": act,
            "event_iri": current["event_iri"],
            "epistemic_status": "stated",
            "asserted_by": "the author",
            "_order": (v(now, "earliest"), v(now, "agreementLabel"), act),
        }
    )
out.sort(key=lambda a: a.pop("_order"))
emit(out)
