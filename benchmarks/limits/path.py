"""Limit: `kg path A B --format json`.

Usage: python benchmarks/limits/path.py BUILD A B

kg.chains' rule (fewest hops, then fewest through claims, then labels), searched outward
from both ends a layer at a time with one index lookup per node and direction (the node
bound as VALUES).
"""

import itertools
import sys

import pyoxigraph as ox
from common import (
    EVIDENCE_OF,
    P,
    each,
    emit,
    generation,
    local,
    open_store,
    resolve,
    select,
    v,
)

_HOP = """SELECT DISTINCT ?other ?otherLabel ?p ?pLabel ?kind ?node WHERE {
  VALUES ?node { NODE }
  OPTIONAL { ?kgDataset <http://rdfs.org/ns/void#uriSpace> ?kgSpace }
  BIND(COALESCE(?kgSpace, "https://w3id.org/kg/id/") AS ?space)
  PATTERN
  FILTER(isIRI(?other) && ?p NOT IN (rdf:type, kg:topic, prov:wasDerivedFrom, kg:evidence,
    kg:relation, kg:participation, kg:quantity, org:holds, org:memberOf, kg:notCoveredBy))
  FILTER(STRSTARTS(STR(?other), ?space))
  OPTIONAL { ?other skos:prefLabel ?otherLabel }
  OPTIONAL { ?other a ?source . FILTER(?source = kg:Source) }
  FILTER(BOUND(?otherLabel) && !BOUND(?source))
  OPTIONAL { ?p rdfs:label ?pLabel }
  FILTER NOT EXISTS { ?node kg:relation ?negativeA . FILTER(?negativeA IN (kg:notCoveredBy)) }
  FILTER NOT EXISTS { ?other kg:relation ?negativeB . FILTER(?negativeB IN (kg:notCoveredBy)) }
  FILTER NOT EXISTS { ?node kg:epistemicStatus kg:Denied }
  FILTER NOT EXISTS { ?other kg:epistemicStatus kg:Denied }
  BIND(IF(?p IN (kg:about, kg:assertedBy, kg:during), "meta",
          IF(EXISTS { ?node a kg:Claim } || EXISTS { ?other a kg:Claim }, "claim", "stated"))
       AS ?kind)
}"""
OUT = P + _HOP.replace("PATTERN", "?node ?p ?other .")
IN = P + _HOP.replace("PATTERN", "?other ?p ?node .")
CLAIM_STATUS = (
    P
    + """SELECT ?status ?asserterLabel ?claim WHERE {
  ?claim a kg:Claim ; kg:epistemicStatus ?status ; kg:assertedBy ?asserter .
  OPTIONAL { ?asserter skos:prefLabel ?asserterName }
  OPTIONAL { ?asserter rdfs:label ?asserterWord }
  BIND(COALESCE(?asserterName, ?asserterWord) AS ?asserterLabel)
}"""
)
KINDS = ("stated", "claim", "meta")

gen = generation(sys.argv[1])
store = open_store(gen)
(a, a_label), (b, b_label) = resolve(store, sys.argv[2]), resolve(store, sys.argv[3])
seen: dict[str, list] = {}


def neighbours(node: str) -> list:
    """(other, its label, (subject, relation, object, kind)) one statement from node."""
    if node not in seen:
        out = []
        for query, outward in ((OUT, True), (IN, False)):
            # The node as VALUES, so that the planner starts from it (as a substitution
            # it does not see it); the IRI as an ox.NamedNode writes it (<…>).
            for r in select(store, query.replace("NODE", str(ox.NamedNode(node)))):
                other = v(r, "other")
                rel = v(r, "pLabel") or local(v(r, "p"))
                st = (node, rel, other) if outward else (other, rel, node)
                if other != node:
                    out.append((other, v(r, "otherLabel"), (*st, v(r, "kind") or "stated")))
        seen[node] = sorted(out, key=lambda x: (x[0], x[2][1]))
    return seen[node]


def better(st, than) -> bool:
    key = (KINDS.index(st[3]), st[1], st[0], st[2])
    return than is None or key < (KINDS.index(than[3]), than[1], than[0], than[2])


def distances(adjacent, start):
    dist = {start: 0}
    frontier = [start]
    while frontier:
        grown = []
        for node in frontier:
            for other in adjacent.get(node, ()):
                if other not in dist:
                    dist[other] = dist[node] + 1
                    grown.append(other)
        frontier = grown
    return dist


def choose(kinds, max_hops=12):
    labels, link, adjacent = {}, {}, {}
    dist = [{a: 0}, {b: 0}]
    frontier = [[a], [b]]
    for _ in range(max_hops):
        if any(n in dist[1] for n in dist[0]):
            break
        side = 0 if len(frontier[0]) <= len(frontier[1]) else 1
        grown = []
        for node in sorted(frontier[side]):
            for other, label, st in neighbours(node):
                if st[3] not in kinds:
                    continue
                labels.setdefault(other, label)
                pair = (node, other) if node < other else (other, node)
                if better(st, link.get(pair)):
                    link[pair] = st
                adjacent.setdefault(node, set()).add(other)
                adjacent.setdefault(other, set()).add(node)
                if other not in dist[side]:
                    dist[side][other] = dist[side][node] + 1
                    grown.append(other)
        if not grown:
            return None
        frontier[side] = grown
    else:
        if not any(n in dist[1] for n in dist[0]):
            return None
    da, db = distances(adjacent, a), distances(adjacent, b)
    length = da[b]
    best = {b: ((0,) * len(KINDS), (), ())}
    for step in range(length - 1, -1, -1):
        for node in (n for n, d in da.items() if d == step and db.get(n) == length - step):
            options = []
            for other in adjacent[node]:
                if other not in best or db.get(other) != length - step - 1:
                    continue
                st = link[(node, other) if node < other else (other, node)]
                count, names, iris = best[other]
                count = tuple(c + (KINDS[i] == st[3]) for i, c in enumerate(count))
                options.append((count[::-1], (labels.get(other, ""), *names), (other, *iris)))
            if options:
                worst_first, names, iris = min(options)
                best[node] = (worst_first[::-1], names, iris)
    nodes = [a, *best[a][2]]
    hops = [(x, y, link[(x, y) if x < y else (y, x)]) for x, y in itertools.pairwise(nodes)]
    return hops, labels


hops, labels = [], {}
if a != b:
    for kinds in (KINDS[:2], KINDS):
        found = choose(kinds)
        if found is not None:
            hops, labels = found
            labels = {**labels, a: a_label, b: b_label}
            break
    else:
        sys.exit("limit script: no chain")
facts = sorted({ox.NamedNode(st[0]) for _, _, st in hops}, key=str)
cites: dict[str, set] = {}
for r in each(store, EVIDENCE_OF, "fact", facts):
    cites.setdefault(v(r, "fact"), set()).add((v(r, "file"), int(v(r, "line"))))
claimed = sorted({ox.NamedNode(st[0]) for _, _, st in hops if st[3] != "stated"}, key=str)
how = {}
for r in each(store, CLAIM_STATUS, "claim", claimed):
    how[v(r, "claim")] = {
        "status": local(v(r, "status")).lower(),
        "asserted_by": v(r, "asserterLabel") or "the author",
    }
stated = {"status": "stated", "asserted_by": "the author"}
emit(
    [
        {
            "from": labels.get(here, here),
            "relation": st[1],
            "to": labels.get(there, there),
            "inverse": st[0] != here,
            "sources": [{"document": d, "line": n} for d, n in sorted(cites.get(st[0], ()))],
            "from_iri": here,
            "to_iri": there,
            **how.get(st[0], stated),
            "claim_iri": st[0] if st[0] in how else None,
        }
        for here, there, st in hops
    ]
)
