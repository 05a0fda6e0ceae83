"""Search keys: normalised names stored with each node so lookups match by index, not scan."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef

from kg.namespaces import FOAF, KG, RDF, SKOS
from kg.text import normalize


def search_keys(graph: Graph) -> int:
    """Add kg:searchKey literals for every labelled node; return how many were added.

    Keys are the folded preferred and alternative labels, family names, the IRI's slug and,
    for people, the last word of the name (analysts type 'muttaqi' or 'zawahiri').
    """
    people = set(graph.subjects(RDF.type, KG.Person))
    new: set[tuple[URIRef, str]] = set()
    for node in set(graph.subjects(SKOS.prefLabel, None)):
        if not isinstance(node, URIRef):
            continue
        names = [
            str(o)
            for p in (SKOS.prefLabel, SKOS.altLabel, FOAF.familyName)
            for o in graph.objects(node, p)
        ]
        names.append(str(node).rstrip("/").rsplit("/", 1)[-1].replace("-", " "))
        for name in names:
            key = normalize(name)
            if key:
                new.add((node, key))
        if node in people:
            for label in graph.objects(node, SKOS.prefLabel):
                words = normalize(str(label)).split()
                if len(words) > 1:
                    new.add((node, words[-1]))
    for node, key in new:
        graph.add((node, KG.searchKey, Literal(key)))
    return len(new)
