"""What `kg serve` answers in: media types, Fuseki's `format=` names, content negotiation,
and the SPARQL 1.1 Service Description of the endpoint.

Clients ask by default for formats a bare Oxigraph front did not give (SPARQLWrapper's
DESCRIBE wants RDF/XML, rdflib's SPARQLStore RDF/XML or SPARQL XML, YASGUI SPARQL JSON);
every answer the engine gives (SPARQL JSON results, N-Triples graphs) is turned here into
the one the client asked for, by pyoxigraph's own serialisers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from kg.prefixes import PREFIXES

_R, _G = ox.QueryResultsFormat, ox.RdfFormat

# Media types a client may ask for (Accept, or format=), and the format each gives.
RESULT_TYPES: dict[str, Any] = {
    "application/sparql-results+json": _R.JSON,
    "application/json": _R.JSON,
    "application/sparql-results+xml": _R.XML,
    "application/xml": _R.XML,
    "text/xml": _R.XML,
    "text/csv": _R.CSV,
    "text/tab-separated-values": _R.TSV,
}
GRAPH_TYPES: dict[str, Any] = {
    "text/turtle": _G.TURTLE,
    "application/x-turtle": _G.TURTLE,
    "application/turtle": _G.TURTLE,  # SPARQLWrapper asks for it beside text/turtle
    "application/n-triples": _G.N_TRIPLES,
    "text/plain": _G.N_TRIPLES,
    "application/rdf+xml": _G.RDF_XML,
    "application/xml": _G.RDF_XML,
    "text/xml": _G.RDF_XML,
    "application/ld+json": _G.JSON_LD,
    "application/json": _G.JSON_LD,
    "application/n-quads": _G.N_QUADS,
    "application/trig": _G.TRIG,
    "text/n3": _G.N3,
}
RESULTS_DEFAULT = "application/sparql-results+json"
GRAPH_DEFAULT = "text/turtle"

# The short names Fuseki takes in format= and output=, and those SPARQLWrapper sends there
# (rdf+xml, json-ld, n3): each names a results format, a graph format, or one of each
# (json: SPARQL JSON for a SELECT, JSON-LD for a CONSTRUCT; xml likewise).
FORMAT_NAMES: dict[str, tuple[str | None, str | None]] = {
    "json": ("application/sparql-results+json", "application/ld+json"),
    "xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "csv": ("text/csv", None),
    "tsv": ("text/tab-separated-values", None),
    "turtle": (None, "text/turtle"),
    "ttl": (None, "text/turtle"),
    "ntriples": (None, "application/n-triples"),
    "n-triples": (None, "application/n-triples"),
    "nt": (None, "application/n-triples"),
    "rdfxml": (None, "application/rdf+xml"),
    "rdf+xml": (None, "application/rdf+xml"),
    "rdf": (None, "application/rdf+xml"),
    "jsonld": (None, "application/ld+json"),
    "json-ld": (None, "application/ld+json"),
    "nquads": (None, "application/n-quads"),
    "n-quads": (None, "application/n-quads"),
    "nq": (None, "application/n-quads"),
    "trig": (None, "application/trig"),
    "n3": (None, "text/n3"),
}
FORMAT_HELP = (
    "json, xml, csv, tsv, turtle (ttl), ntriples (nt), rdfxml (rdf+xml), jsonld (json-ld), "
    "nquads (nq), trig, n3, or a media type such as application/sparql-results+json"
)

# Written with its prefixes, a graph reads better; entity IRIs stay whole (as kg query).
_VOCAB = {k: v for k, v in PREFIXES.items() if k not in ("id", "topic")}
_WITH_PREFIXES = {_G.TURTLE, _G.TRIG, _G.N3, _G.RDF_XML}


class FormatError(ValueError):
    """A format= or output= value names no format kg serve gives."""


@dataclass(frozen=True)
class Wanted:
    """What one format=/output= value asks for: a results type, a graph type, or both."""

    given: str
    results: str | None
    graph: str | None


def _media(value: str) -> str:
    """A media type as a table key: lower case, without parameters.

    A `+` sent unescaped in a URL arrives as a space (application/sparql-results json):
    it is read as the `+` it was.
    """
    return value.split(";")[0].strip().lower().replace(" ", "+")


def requested(values: Iterable[str]) -> list[Wanted]:
    """Read format= and output= values, in order; raise FormatError for an unknown one.

    A value is a name (json, turtle…) or media types (the first kg serves counts). Empty
    values are skipped (SPARQLWrapper sends one beside a name when it asks for */*).
    """
    wanted = []
    for value in values:
        if not value.strip():
            continue
        if "/" in value:
            # media types, a list of them as SPARQLWrapper sends (its Accept header)
            types = [_media(v) for v in value.split(",")]
            pair = (
                next((t for t in types if t in RESULT_TYPES), None),
                next((t for t in types if t in GRAPH_TYPES), None),
            )
        else:
            pair = FORMAT_NAMES.get(value.strip().lower(), (None, None))
        if pair == (None, None):
            shown = value if len(value) <= 60 else value[:60] + "…"
            raise FormatError(f"unknown format {shown!r}: use {FORMAT_HELP}")
        wanted.append(Wanted(value.strip(), *pair))
    return wanted


def negotiate(accept: str, offered: Mapping[str, Any], default: str) -> str | None:
    """Pick the offered media type the Accept header prefers (None: nothing acceptable)."""
    if not accept.strip():
        return default
    prefs: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        prefs.append((-q, i, fields[0].lower()))
    for negq, _, media in sorted(prefs):
        if negq == 0:
            continue
        if media in offered:
            return media
        if media == "*/*":
            return default
        if media.endswith("/*"):
            # text/*: the default if it is text, else the first offered text type
            kind = media[:-1]
            if default.startswith(kind):
                return default
            match = next((m for m in offered if m.startswith(kind)), None)
            if match is not None:
                return match
    return None


def choose(wanted: list[Wanted], accept: str, graph: bool) -> str | None:
    """The media type to answer in: the first format= that applies to this kind of answer
    (results or a graph), else the one Accept prefers; None when nothing fits."""
    if wanted:
        picks = [w.graph if graph else w.results for w in wanted]
        return next((p for p in picks if p is not None), None)
    if graph:
        return negotiate(accept, GRAPH_TYPES, GRAPH_DEFAULT)
    return negotiate(accept, RESULT_TYPES, RESULTS_DEFAULT)


def refusal(wanted: list[Wanted], graph: bool) -> str:
    """Why an answer cannot be given in what the client asked for (HTTP 406)."""
    kinds = _canonical(GRAPH_TYPES) if graph else _canonical(RESULT_TYPES)
    what = "graphs" if graph else "results"
    listed = ", ".join(kinds[:-1]) + " or " + kinds[-1]
    if wanted:
        names = ", ".join(w.given for w in wanted)
        return f"format={names} does not apply here: {what} are served as {listed}"
    return f"{what} are served as {listed}"


def _canonical(table: Mapping[str, Any]) -> list[str]:
    seen: list[str] = []
    for fmt in table.values():
        media = content_type(fmt).split(";")[0]
        if media not in seen:
            seen.append(media)
    return seen


def content_type(fmt: Any) -> str:
    """The Content-Type of an answer in fmt: its registered media type, in UTF-8."""
    media = str(fmt.media_type)
    return media if "charset" in media else f"{media}; charset=utf-8"


def graph_bytes(
    triples: list[Any], media: str, prefixes: Mapping[str, str] | None = None
) -> bytes:
    """Serialise triples in the graph format of media (GRAPH_TYPES), with prefixes (by
    default kg's vocabularies') where the format has them."""
    fmt = GRAPH_TYPES[media]
    names = dict(_VOCAB if prefixes is None else prefixes) if fmt in _WITH_PREFIXES else None
    return ox.serialize(triples, format=fmt, prefixes=names) or b""


# ------------------------------------------------------------------------- description
SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
SD_PREFIXES = {"sd": SD, "formats": FORMATS}
_RESULT_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
)
_GRAPH_FORMATS = ("Turtle", "N-Triples", "RDF_XML", "JSON-LD", "N-Quads", "TriG", "N3")


def service_description(endpoint: str) -> list[Any]:
    """The SPARQL 1.1 Service Description of the endpoint at the URL endpoint, as triples."""
    rdf_type = ox.NamedNode(PREFIXES["rdf"] + "type")

    def sd(name: str) -> Any:
        return ox.NamedNode(SD + name)

    service, dataset, graph = ox.BlankNode("service"), ox.BlankNode("dataset"), ox.BlankNode("g")
    triples = [
        ox.Triple(service, rdf_type, sd("Service")),
        ox.Triple(service, sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL10Query")),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        *(
            ox.Triple(service, sd("resultFormat"), ox.NamedNode(FORMATS + name))
            for name in (*_RESULT_FORMATS, *_GRAPH_FORMATS)
        ),
        # The read-only store keeps any graph it holds, empty or not (as Oxigraph says of
        # itself); SERVICE is refused, so sd:BasicFederatedQuery is not claimed.
        ox.Triple(service, sd("feature"), sd("EmptyGraphs")),
        ox.Triple(
            service,
            sd("defaultEntailmentRegime"),
            ox.NamedNode("http://www.w3.org/ns/entailment/Simple"),
        ),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), graph),
        ox.Triple(graph, rdf_type, sd("Graph")),
    ]
    return triples
