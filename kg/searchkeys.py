"""Search keys: normalised names stored with each node so lookups match by index, not scan."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from kg.text import normalize

KG = "https://w3id.org/kg/ont#"
_NAMES = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX kg: <https://w3id.org/kg/ont#>
SELECT ?node ?name ?pref ?person WHERE {
  ?node skos:prefLabel ?any .
  { ?node skos:prefLabel ?name . BIND(true AS ?pref) }
  UNION { ?node skos:altLabel|foaf:familyName ?name . BIND(false AS ?pref) }
  BIND(EXISTS { ?node a kg:Person } AS ?person)
}
"""


def search_keys(store: ox.Store, nodes: set[str] | None = None) -> list[ox.Quad]:
    """Add kg:searchKey literals for every labelled node (or those of `nodes`, IRIs);
    return the triples added.

    Keys are the folded preferred and alternative labels, family names, the IRI's slug and,
    for people, the last word of the name (analysts type 'muttaqi' or 'zawahiri'): all of
    them a node's own triples, so an incremental build asks again only about the nodes
    whose triples changed.
    """
    from kg.query import with_values

    keys: set[tuple[str, str]] = set()
    query = _NAMES
    if nodes is not None:
        query = with_values(_NAMES, ["node"], [[ox.NamedNode(n)] for n in sorted(nodes)])
    result: Any = store.query(query)
    for sol in result:
        node = sol["node"]
        if not isinstance(node, ox.NamedNode):
            continue
        key = normalize(sol["name"].value)
        if key:
            keys.add((node.value, key))
        keys.add((node.value, normalize(node.value.rstrip("/").rsplit("/", 1)[-1])))
        if sol["pref"].value == "true" and sol["person"].value == "true":
            words = key.split()
            if len(words) > 1:
                keys.add((node.value, words[-1]))
    pred = ox.NamedNode(KG + "searchKey")
    quads = [ox.Quad(ox.NamedNode(n), pred, ox.Literal(k)) for n, k in keys if k]
    # In bulk: on a store on disk a transaction would hold every key's writes in memory.
    store.bulk_extend(quads)
    return quads
