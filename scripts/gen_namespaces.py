"""Regenerate kg/namespaces.py from ontology/kg.ttl (run: python scripts/gen_namespaces.py).

The closed namespace makes a misspelt term fail at import; tests/test_ontology.py fails
when this file and the ontology drift apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rdflib import Graph, URIRef

ROOT = Path(__file__).resolve().parents[1]
KG = "https://w3id.org/kg/ont#"

HEADER = '''"""RDF namespaces of kg. GENERATED from ontology/kg.ttl by scripts/gen_namespaces.py."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace

SCHEMA = Namespace("https://schema.org/")
ID = Namespace("https://w3id.org/kg/id/")
TOPIC = Namespace("https://w3id.org/kg/topic/")


class KG(DefinedNamespace):
    """The kg ontology (closed: an undefined term raises AttributeError)."""

    _fail = True
    _NS = Namespace("{ns}")

'''

FOOTER = """
# The prefixes kg writes and reads are kg.prefixes.PREFIXES (free of rdflib, for fast lookups).

__all__ = ["DCTERMS", "FOAF", "ID", "KG", "ORG", "OWL", "PROV", "RDF", "RDFS", "SCHEMA", "SKOS",
           "TOPIC", "XSD", "URIRef"]
"""


def terms() -> list[str]:
    """Return the local names of every kg: term kg.ttl defines."""
    g = Graph().parse(ROOT / "ontology" / "kg.ttl")
    subjects = {str(s) for s in g.subjects() if isinstance(s, URIRef)}
    return sorted(s[len(KG) :] for s in subjects if s.startswith(KG) and len(s) > len(KG))


def render() -> str:
    body = "".join(f"    {name}: URIRef\n" for name in terms())
    return HEADER.format(ns=KG) + body + FOOTER.format()


if __name__ == "__main__":
    out = ROOT / "kg" / "namespaces.py"
    out.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {out}\n")
