"""Limit: `kg rank [--by degree|betweenness] --format json`.

Usage: python benchmarks/limits/rank.py BUILD [degree|betweenness]

The actor graph as kg.analytics builds it (actors of the schema's actor kinds; a tie per
meeting pair on opposite sides, role, post, sub-organization, mission and shared agreement),
kept as plain adjacency sets: degree centrality is arithmetic on them. Betweenness is
rustworkx's, as kg's is (no pure-Python floor for it), on the same graph in the same order.
"""

import sys

import pyoxigraph as ox
from common import P, emit, generation, open_store, select, sidecar, v

ACTORS = (
    P
    + """SELECT ?actor ?label ?kind ?typeLabel
WHERE { VALUES_BLOCK
  OPTIONAL { ?kgDataset <http://rdfs.org/ns/void#uriSpace> ?kgSpace }
  BIND(COALESCE(?kgSpace, "https://w3id.org/kg/id/") AS ?space)
  ?actor a ?type ; skos:prefLabel ?label .
  ?type rdfs:subClassOf* ?top ; rdfs:label ?typeLabel .
  FILTER(STRSTARTS(STR(?actor), ?space))
}
ORDER BY ?actor"""
)
LINKS = (
    P
    + """SELECT DISTINCT ?a ?b WHERE {
  { ?fact a kg:Tenure ; org:member ?a ; kg:post/org:postIn ?b ; skos:prefLabel [] . }
  UNION { ?a org:postIn ?b ; skos:prefLabel [] . }
  UNION { ?a org:subOrganizationOf ?b ; skos:prefLabel [] . }
  UNION { ?a kg:missionOf|kg:operatedBy ?b ; skos:prefLabel [] . }
  UNION { ?fact a kg:Agreement ; kg:party ?a, ?b ; skos:prefLabel [] . FILTER(STR(?a) < STR(?b)) }
}"""
)
SIDES = (
    P
    + """SELECT ?event ?actor ?side WHERE {
  ?event kg:participation ?p . ?p kg:actor ?actor ; kg:side ?side . }"""
)

gen = generation(sys.argv[1])
by = sys.argv[2] if len(sys.argv) > 2 else "degree"
store = open_store(gen)
kinds = sidecar(gen, "schema")["actors"]
values = " ".join(f"({ox.NamedNode(c)} {ox.Literal(n)})" for c, n in kinds)
nodes: dict[str, dict[str, str]] = {}  # in the order kg's graph adds them
for r in select(store, ACTORS.replace("VALUES_BLOCK", f"VALUES (?top ?kind) {{ {values} }}")):
    nodes.setdefault(v(r, "actor"), {}).update(
        label=v(r, "label"), kind=v(r, "kind"), type=v(r, "typeLabel")
    )
order = {n: i for i, n in enumerate(nodes)}
pairs = []  # every tie, as (the node added first, the other)
parts: dict[str, set] = {}
for r in select(store, SIDES):
    parts.setdefault(v(r, "event"), set()).add((v(r, "actor"), v(r, "side")))
for m in sidecar(gen, "meetings"):
    actors = parts.get(m[0], ())
    pairs += [(a, b) for a, sa in actors for b, sb in actors if sa < sb]  # a == b: a loop
pairs += [(a, b) for r in select(store, LINKS) if (a := v(r, "a")) != (b := v(r, "b"))]
pairs = sorted(
    (a, b) if order[a] <= order[b] else (b, a) for a, b in pairs if a in nodes and b in nodes
)
adjacent: dict[str, dict[str, None]] = {n: {} for n in sorted(nodes)}
for a, b in pairs:
    adjacent[a][b] = None
    adjacent[b][a] = None
n = len(adjacent)
if by == "degree":
    s = 1.0 / (n - 1.0) if n > 1 else 0.0
    scores = {x: (len(adj) + (x in adj)) * s for x, adj in adjacent.items()}
else:
    import rustworkx as rx

    names = list(adjacent)
    if n < 3:
        scores = dict.fromkeys(names, 0.0)
    else:
        index = {x: i for i, x in enumerate(names)}
        edges, done = [], set()
        for x in names:
            edges += [(index[x], index[y]) for y in adjacent[x] if y not in done]
            done.add(x)
        graph = rx.PyGraph()
        graph.add_nodes_from(names)
        graph.add_edges_from_no_data(edges)
        found = rx.betweenness_centrality(graph, normalized=True)
        scores = {x: float(found[i]) for i, x in enumerate(names)}
rows = sorted(
    (
        {
            "name": nodes[x]["label"],
            "kind": nodes[x]["kind"],
            "type": nodes[x]["type"],
            "score": round(float(scores[x]), 6),
            "ties": len(adjacent[x]) + (x in adjacent[x]),  # a loop counts twice
            "iri": x,
        }
        for x in adjacent
    ),
    key=lambda r: (-r["score"], r["name"], r["iri"]),
)
emit([{"rank": i, **r} for i, r in enumerate(rows, start=1)])
