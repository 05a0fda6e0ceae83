"""Linked Data: what `kg serve` answers for an entity's IRI (GET /id/<kind>/<slug>).

The graph's entity IRIs are <id space><kind>/<slug>: https://w3id.org/kg/id/person/x, or
the build's own space (`kg build --base-iri`, kept in the graph as void:uriSpace). The
server answers the path /id/<kind>/<slug> with the entity the IRI names, so that a redirect
of the IRI's namespace to the server (w3id.org, or a deployment's own host) makes every
IRI of the graph dereferenceable. What it sends depends on the Accept header (or on a
suffix, .html .ttl .jsonld .nt .rdf): a browser gets the entity's card, as `kg show`
prints it; an RDF client a bounded description of the node (see describe).

The store is opened here, read-only and in-process, for each request (9 ms), rather than
asked through the Oxigraph child: the card is a dozen of kg's own named queries and
sidecar files (kg.lookups.show), each a round trip to the child otherwise; the queries are
kg's, with the IRI bound as a term, never text a client wrote, so the child's sandbox for
untrusted queries buys nothing; and a new build is picked up by the next request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.prefixes import KG, PREFIXES
from kg.store import Store, StoreError

# The only paths answered: /id/, a kind, then one to seven slug segments (a record's id, or
# the parts of a node a record owns: …/evidence/<source>/<line>, …/participation/<actor>),
# then an optional format suffix. Whatever else is refused before any lookup: the shape
# kg's IRIs have (kg.facts.check.SLUG) is the whitelist, so "..", "%2e", "<" never match.
_SEGMENT = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_PATH = re.compile(
    rf"/id/(?P<local>[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:/{_SEGMENT}){{1,7}})"
    r"(?P<suffix>\.(?:html|ttl|jsonld|nt|rdf))?"
)
MAX_PATH = 512

HTML = "text/html"
# Media types offered, each with the RDF format it is written in (None: the HTML card).
MEDIA: dict[str, ox.RdfFormat | None] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    HTML: None,
    "application/xhtml+xml": None,  # browsers list it beside text/html
}
SUFFIXES = {
    ".html": HTML,
    ".ttl": "text/turtle",
    ".jsonld": "application/ld+json",
    ".nt": "application/n-triples",
    ".rdf": "application/rdf+xml",
}
# What `*/*` (curl, most libraries) gets: data. A browser names text/html first.
DEFAULT = "text/turtle"
# At most this many nodes that mention the entity are described (the first by IRI): an
# institution at the hub of a large graph is the side of thousands of participations. The
# SPARQL endpoint has the rest.
MAX_MENTIONS = 500

_RDF_TYPE = PREFIXES["rdf"] + "type"
_PREF_LABEL = PREFIXES["skos"] + "prefLabel"
_EVIDENCE = KG + "evidence"
_CITED = KG + "citedSource"
_NAMES = (_PREF_LABEL, PREFIXES["rdfs"] + "label")
_TITLE = PREFIXES["dcterms"] + "title"  # a source's name
# What is told of the record a mentioning part belongs to: what it is, when, who says so.
_PROVENANCE = frozenset(
    {
        _RDF_TYPE,
        _PREF_LABEL,
        PREFIXES["rdfs"] + "label",
        PREFIXES["prov"] + "wasDerivedFrom",
        KG + "date",
        KG + "epistemicStatus",
        KG + "assertedBy",
        KG + "rule",
        _EVIDENCE,
    }
)

# Constant query text; the node is always a bound term (substitution, or VALUES remotely).
_OUT = "SELECT ?node ?p ?o WHERE { ?node ?p ?o }"
_IN = "SELECT ?node ?s ?p WHERE { ?s ?p ?node }"
_LABELS = (
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "SELECT ?node ?p ?o WHERE { VALUES ?p { skos:prefLabel rdfs:label } ?node ?p ?o }"
)


@dataclass
class Answer:
    """An HTTP answer: status, body, Content-Type and the other headers to send."""

    status: int
    body: bytes
    media: str
    headers: dict[str, str] = field(default_factory=dict)


def _text(status: int, message: str, headers: Mapping[str, str] | None = None) -> Answer:
    return Answer(
        status, (message + "\n").encode("utf-8"), "text/plain; charset=utf-8", dict(headers or {})
    )


def negotiate(accept: str, suffix: str | None = None) -> str | None:
    """The media type to answer in: the suffix's, else the one Accept prefers (q, then
    order); `*/*`, `text/*` and `application/*` get DEFAULT; None when nothing offered fits."""
    if suffix:
        return SUFFIXES[suffix]
    if not accept.strip():
        return DEFAULT
    prefs: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        q = 1.0
        for f in fields[1:]:
            if f.replace(" ", "").startswith("q="):
                try:
                    q = float(f.split("=", 1)[1])
                except ValueError:
                    q = 0.0
                q = min(q, 1.0) if q > 0 else 0.0  # NaN and negatives too: not acceptable
        prefs.append((-q, i, fields[0].lower()))
    for negq, _, media in sorted(prefs):
        if negq >= 0:
            break
        if media in MEDIA:
            return HTML if MEDIA[media] is None else media
        if media in ("*/*", "text/*", "application/*"):
            return DEFAULT
    return None


def describe(store: Store, iri: str, limit: int = MAX_MENTIONS) -> list[ox.Triple]:
    """A bounded description of a node, sorted; empty when the graph says nothing of it.

    - the node's own statements, closed over the nodes it owns (those whose IRI extends
      its own: a record's citations, an event's participations, an agreement's history;
      kg's graph has no blank nodes, these are its n-ary parts) and over its citations;
    - every statement that mentions it, with the mentioning node's own statements and
      citations (a claim with its status, who asserts it and its lines; a tenure; an
      event) and, for a part of another record (a participation, a party role, an
      inference), that record's provenance: its name, type, date, status, asserter and
      citations, and the statement that links it to the part;
    - for every citation, its source (title, file); for every other node named, its label.
    """
    from kg.query import id_space

    node, space = ox.NamedNode(iri), id_space(store)
    triples: set[ox.Triple] = set()
    described: set[ox.NamedNode] = set()

    def statements(s: ox.NamedNode) -> list[tuple[ox.NamedNode, Any]]:
        return [(row["p"], row["o"]) for row in store.select(_OUT, {"node": s})]  # type: ignore[misc]

    def close_over(start: ox.NamedNode, parts: bool, only: frozenset[str] | None = None) -> None:
        """Add start's statements (only these predicates, if given) and its citations',
        and with parts, its parts' too."""
        todo = [start]
        while todo:
            s = todo.pop()
            if s in described:
                continue
            described.add(s)
            for p, o in statements(s):
                if only is not None and s == start and p.value not in only:
                    continue
                triples.add(ox.Triple(s, p, o))
                if not isinstance(o, ox.NamedNode):
                    continue
                if p.value == _EVIDENCE or (parts and o.value.startswith(s.value + "/")):
                    todo.append(o)

    close_over(node, parts=True)
    if not triples:
        return []
    mentions: set[ox.NamedNode] = set()
    for row in store.select(_IN, {"node": node}):
        s, p = row["s"], row["p"]
        if isinstance(s, ox.NamedNode) and isinstance(p, ox.NamedNode):
            triples.add(ox.Triple(s, p, node))
            mentions.add(s)
    chosen = sorted(mentions - described, key=lambda n: n.value)[:limit]
    for s in chosen:
        close_over(s, parts=False)
    for s in chosen:  # after every mention is described whole: an owner may be one too
        owner = _owner(s, space, iri)
        if owner is not None:
            close_over(owner, parts=False, only=_PROVENANCE)
            triples.update(ox.Triple(owner, p, s) for p, o in statements(owner) if o == s)
    for source in sorted({t.object for t in triples if t.predicate.value == _CITED}, key=str):
        if isinstance(source, ox.NamedNode):
            close_over(source, parts=False)
    named = {n for t in triples for n in (t.subject, t.object) if isinstance(n, ox.NamedNode)}
    for other in sorted(named - described, key=str):
        if other.value.startswith(KG):  # ontology terms: the ontology describes them
            continue
        for row in store.select(_LABELS, {"node": other}):
            p, o = row["p"], row["o"]
            assert isinstance(p, ox.NamedNode) and o is not None
            triples.add(ox.Triple(other, p, o))
    return sorted(triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


def _owner(part: ox.NamedNode, space: str, entity: str) -> ox.NamedNode | None:
    """The record node a part belongs to (<space>event/x for <space>event/x/participation/y),
    if the part is one and the record is not the entity itself."""
    if not part.value.startswith(space):
        return None
    segments = part.value[len(space) :].split("/")
    owner = space + "/".join(segments[:2])
    return None if len(segments) <= 2 or owner == entity else ox.NamedNode(owner)


def serialize(
    triples: Iterable[ox.Triple], media: str, prefixes: Mapping[str, str] = PREFIXES
) -> bytes:
    """The triples in an RDF media type of MEDIA (Turtle and RDF/XML with `prefixes`)."""
    fmt = MEDIA[media]
    assert fmt is not None, media
    named = dict(prefixes) if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    return ox.serialize(list(triples), format=fmt, prefixes=named) or b""


def dereference(store_path: Path, path: str, accept: str) -> Answer:
    """Answer GET PATH (/id/<kind>/<slug>[.suffix]) with the Accept header given."""
    from kg.query import id_space, prefixes_of
    from kg.store import EmbeddedStore

    vary = {"Vary": "Accept"}
    found = _PATH.fullmatch(path) if len(path) <= MAX_PATH else None
    if found is None:
        return _text(
            404,
            "not found: entities are served at /id/<kind>/<slug> (lower-case letters, digits "
            "and hyphens), optionally with .html, .ttl, .jsonld, .nt or .rdf",
        )
    media = negotiate(accept, found["suffix"])
    if media is None:
        return _text(406, "an entity is served as " + ", ".join(MEDIA), vary)
    try:
        store = EmbeddedStore.open(store_path)
    except StoreError as exc:
        return _text(503, str(exc))
    iri = id_space(store) + found["local"]
    triples = describe(store, iri)
    if not triples:
        return _text(404, f"no entity {iri} in this graph", vary)
    if media == HTML:
        body = page(store, iri, triples, found["local"]).encode("utf-8")
        # The page runs no script and loads nothing: a fact's text can only ever be text.
        csp = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
        return Answer(
            200, body, "text/html; charset=utf-8", {**vary, "Content-Security-Policy": csp}
        )
    body = serialize(triples, media, prefixes_of(store))
    return Answer(200, body, f"{media}; charset=utf-8", vary)


# ---------------------------------------------------------------------------- the page
def page(store: Store, iri: str, triples: list[ox.Triple], local: str) -> str:
    """The HTML page of a node: its card when it has a name (as `kg show` prints it),
    else its statements; every value escaped, links only to other /id/ paths."""
    import jinja2

    from kg import lookups
    from kg.names import Entity
    from kg.query import id_space
    from kg.text import visible

    space = id_space(store)

    def href(target: str | None) -> str | None:
        # Links go to this server's /id/ paths only, never to an IRI's own text.
        if target and target.startswith(space) and _PATH.fullmatch("/id/" + target[len(space) :]):
            return "/id/" + target[len(space) :]
        return None

    node = ox.NamedNode(iri)
    own = [t for t in triples if t.subject == node]
    label = next(
        (
            str(t.object.value)
            for t in own
            if t.predicate.value == _PREF_LABEL and isinstance(t.object, ox.Literal)
        ),
        None,
    )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent),
        autoescape=True,
        keep_trailing_newline=True,
        # Every value printed, control characters as escapes (a bidi override in a name
        # cannot reorder the page), as `kg show` prints them; autoescape then makes it text.
        finalize=lambda v: visible(v, keep_newlines=True) if isinstance(v, str) else v,
    )
    env.filters["href"] = href
    env.filters["lines"] = lambda cites: ", ".join(
        f"{c['document']}:{c['line']}" for c in cites or []
    )
    formats = [(s, m) for s, m in SUFFIXES.items() if s != ".html"]
    slug = local.rsplit("/", 1)[-1]
    if label is None:
        names = {
            t.subject.value: t.object.value
            for t in triples
            if t.predicate.value in _NAMES
            and isinstance(t.subject, ox.NamedNode)
            and isinstance(t.object, ox.Literal)
        }
        title = names.get(iri) or next(
            (
                str(t.object.value)
                for t in own
                if t.predicate.value == _TITLE and isinstance(t.object, ox.Literal)
            ),
            local,
        )
        return env.get_template("linkeddata.html").render(
            iri=iri, slug=slug, formats=formats, card=None, title=title, triples=own, names=names
        )
    card = lookups.show(store, Entity(iri, label))
    return env.get_template("linkeddata.html").render(
        iri=iri,
        slug=slug,
        formats=formats,
        card=card,
        title=label,
        groups=_groups(card["statements"], lookups.status_headings(store)),
    )


def _groups(
    statements: list[dict[str, Any]], headings: dict[str, str]
) -> list[tuple[str, list[dict[str, Any]]]]:
    """The card's statements under the headings `kg show` gives them: what the source
    states first, then each report, view or assessment under who asserts it."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for st in statements:
        groups.setdefault((st["status"], st["asserted_by"]), []).append(st)
    out = []
    for status, asserter in sorted(groups, key=lambda k: (k[0] != "stated", k)):
        heading = headings.get(status, status).replace("{asserter}", asserter)
        out.append((heading[:1].upper() + heading[1:], groups[(status, asserter)]))
    return out
