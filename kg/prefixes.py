"""The namespace prefixes kg writes (Turtle, JSON-LD) and reads (records, `kg query`).

One table for every layer, with no imports, so that lookups start without rdflib.
"""

from __future__ import annotations

KG = "https://w3id.org/kg/ont#"
XSD = "http://www.w3.org/2001/XMLSchema#"

PREFIXES = {
    "kg": KG,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": XSD,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": "https://schema.org/",
    "id": "https://w3id.org/kg/id/",
    "topic": "https://w3id.org/kg/topic/",
    "cameo": "https://w3id.org/kg/cameo/",
    # VoID: the build says the graph's id space (void:uriSpace, see kg build --base-iri)
    "void": "http://rdfs.org/ns/void#",
}
