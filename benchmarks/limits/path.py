"""Limit: `kg path A B --format json`.

Usage: python benchmarks/limits/path.py BUILD A B

kg.chains' rule (fewest hops, then fewest through claims, then labels), searched outward
from both ends a layer at a time: one query for a layer's statements (the layer bound as
VALUES), the far ends tested apart and only those gone on from or where the sides meet.
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

LINKS = (
    P
    + """SELECT ?node ?p ?other ?out WHERE {
  VALUES ?node { NODES }
  OPTIONAL { ?kgDataset <http://rdfs.org/ns/void#uriSpace> ?kgSpace }
  BIND(COALESCE(?kgSpace, "https://w3id.org/kg/id/") AS ?space)
  { ?node ?p ?other . BIND(true AS ?out) } UNION { ?other ?p ?node . BIND(false AS ?out) }
  FILTER(isIRI(?other) && ?p NOT IN (rdf:type, kg:topic, prov:wasDerivedFrom, kg:evidence,
    kg:relation, kg:participation, kg:quantity, org:holds, org:memberOf, kg:notCoveredBy))
  FILTER(STRSTARTS(STR(?other), ?space))
}"""
)
RELATIONS = (
    P
    + """SELECT ?p ?pLabel ?meta WHERE {
  VALUES ?p { NODES }
  OPTIONAL { ?p rdfs:label ?pLabel }
  BIND(?p IN (kg:about, kg:assertedBy, kg:during) AS ?meta)
}"""
)
TESTS = (
    P
    + """SELECT ?node ?label ?class ?negative ?denied WHERE {
  VALUES ?node { NODES }
  OPTIONAL { ?node skos:prefLabel ?label }
  OPTIONAL { ?node a ?class . FILTER(?class IN (kg:Source, kg:Claim)) }
  OPTIONAL { ?node kg:relation ?negative . FILTER(?negative IN (kg:notCoveredBy)) }
  OPTIONAL { ?node kg:epistemicStatus ?denied . FILTER(?denied = kg:Denied) }
}"""
)
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
KG = "https://w3id.org/kg/ont#"

gen = generation(sys.argv[1])
store = open_store(gen)
(a, a_label), (b, b_label) = resolve(store, sys.argv[2]), resolve(store, sys.argv[3])
links: dict[str, list] = {}  # node -> (other, relation, out, "meta" or "")
relations: dict[str, list] = {}  # predicate -> (label, "meta" or "")
tests: dict[str, tuple] = {}  # node -> (label, linkable, usable, claim)


def bound(query: str, nodes) -> list:
    """The query with the nodes as its VALUES (each IRI written by ox.NamedNode: <…>)."""
    rows = []
    nodes = sorted(nodes)
    for i in range(0, len(nodes), 500):
        block = " ".join(str(ox.NamedNode(n)) for n in nodes[i : i + 500])
        rows += select(store, query.replace("NODES", block))
    return rows


def expand(nodes) -> None:
    """The statements of these nodes, one query a layer, their far ends untested."""
    new = [n for n in nodes if n not in links]
    found: dict[str, list] = {n: [] for n in new}
    for r in bound(LINKS, new) if new else ():
        if v(r, "other") != v(r, "node"):
            found[v(r, "node")].append((v(r, "other"), v(r, "p"), v(r, "out") == "true"))
    asked = {p for f in found.values() for _, p, _ in f} - relations.keys()
    for p in asked:
        relations[p] = []
    for r in bound(RELATIONS, asked) if asked else ():
        kind = "meta" if v(r, "meta") == "true" else ""
        relations[v(r, "p")].append((v(r, "pLabel") or local(v(r, "p")), kind))
    for n, f in found.items():
        links[n] = [(o, rel, out, kind) for o, p, out in f for rel, kind in relations[p]]


def test(nodes) -> None:
    """Which of these nodes a statement may reach (a label, no source, not negative), whose
    own statements link (not negative), which are claims."""
    new = {n for n in nodes if n not in tests}
    rows: dict[str, list] = {n: [] for n in new}
    for r in bound(TESTS, new) if new else ():
        rows[v(r, "node")].append(r)
    for n, found in rows.items():
        labels = sorted(v(r, "label") for r in found if v(r, "label"))
        classes = {v(r, "class") for r in found}
        negative = any(v(r, "negative") or v(r, "denied") for r in found)
        source = KG + "Source" in classes
        tests[n] = (labels[0] if labels else "", bool(labels) and not source and not negative,
                    not negative, KG + "Claim" in classes)  # fmt: skip


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


def explore(kinds, max_hops=12):
    """Both ends a layer at a time, the smaller side first, until they meet; a node is
    tested when gone on from or where the sides meet (kg.chains._explore)."""
    dist = [{a: 0}, {b: 0}]
    frontier = [[a], [b]]
    seen = []
    test([a, b])
    met = False
    for _ in range(max_hops):
        if met:
            break
        side = 0 if len(frontier[0]) <= len(frontier[1]) else 1
        test(frontier[side])
        nodes = sorted(n for n in frontier[side] if n == (a, b)[side] or tests[n][1])
        expand(nodes)
        grown = []
        for node in nodes:
            if not tests[node][2]:
                continue
            for link in links[node]:
                if link[3] == "meta" and "meta" not in kinds:
                    continue
                if link[0] in tests and not tests[link[0]][1]:
                    continue
                seen.append((node, link))
                if link[0] not in dist[side]:
                    dist[side][link[0]] = dist[side][node] + 1
                    grown.append(link[0])
        if not grown:
            return None
        frontier[side] = grown
        both = [n for n in grown if n in dist[1 - side]]
        test(both)
        met = any(tests[n][1] for n in both)
    return seen if met else None


def choose(kinds):
    seen = explore(kinds)
    if seen is None:
        return None
    labels, link, adjacent = {}, {}, {}
    for node, (other, rel, out, kind) in seen:
        if other not in tests or not tests[other][1]:
            continue  # never tested: on no shortest chain
        kind = kind or ("claim" if tests[node][3] or tests[other][3] else "stated")
        st = (node, rel, other, kind) if out else (other, rel, node, kind)
        labels.setdefault(other, tests[other][0])
        pair = (node, other) if node < other else (other, node)
        if better(st, link.get(pair)):
            link[pair] = st
        adjacent.setdefault(node, set()).add(other)
        adjacent.setdefault(other, set()).add(node)
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
