"""What the limit scripts share: open a build's store and files, the queries, the shaping.

A limit script answers one kg lookup as a user of the bare libraries would write it (the
standard library and pyoxigraph, no kg, no click): it opens the store read-only, asks the
queries it needs with their terms bound, shapes the rows into the fields kg's JSON has and
prints exactly what `kg … --format json` prints (tests/test_limits.py holds them equal), so
that the time between the two is kg's own overhead. It handles only the inputs a benchmark
gives (a name that matches one entity exactly): no errors, paging notes or fuzzy matching.
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from re import compile as _compile
from typing import Any

import pyoxigraph as ox

KG = "https://w3id.org/kg/ont#"
ANY = ox.NamedNode(KG + "Any")
XSD_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
EARLIEST, LATEST = "0001-01-01", "9999-12-31"
MANY_KEYS = 300  # kg.query.MANY_KEYS: above this many keys, one query instead of one per key


# ---------------------------------------------------------------------------- the build
def generation(path: str) -> str:
    """The generation folder a build folder (or its store/) leads to."""
    if os.path.isdir(os.path.join(path, "store")) and not os.path.exists(
        os.path.join(path, "CURRENT")
    ):
        path = os.path.join(path, "store")
    return os.path.dirname(os.path.realpath(path))


def open_store(gen: str) -> Any:
    return ox.Store.read_only(os.path.join(gen, "store"))


def sidecar(gen: str, name: str) -> Any:
    with open(os.path.join(gen, name + ".json"), "rb") as fh:
        return json.load(fh)


def emit(data: Any) -> None:
    """Print as `kg … --format json` does (click.echo of json.dumps, indent 2)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------- values
def v(row: Any, name: str) -> str:
    term = row[name]
    return "" if term is None else term.value


def cell(row: dict[str, list[str]], name: str) -> str:
    """A value of a row of aggregates.json ([kind, value, datatype-or-language])."""
    c = row.get(name)
    return c[1] if c else ""


def local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def split(packed: str) -> list[str]:
    return sorted(filter(None, packed.split("|")))


def citations(packed: str) -> list[dict[str, Any]]:
    found: dict[tuple[str, int], bool] = {}
    for item in filter(None, packed.split("|")):
        doc, line, order = item.rsplit("#", 2)
        key = (doc, int(line))
        found[key] = found.get(key, False) or order == "1"
    return [{"document": d, "line": n} for (d, n) in sorted(found, key=lambda k: (not found[k], k))]


def source_fields(row: Any) -> dict[str, Any]:
    cites = citations(v(row, "sources"))
    return {"source": cites[0] if cites else None, "sources": cites}


def keys(rows: list[Any], name: str) -> list[Any]:
    return sorted({t for r in rows if (t := r[name]) is not None}, key=lambda t: t.value)


def date(text: str) -> Any:
    return ox.Literal(text, datatype=XSD_DATE)


_NOT_WORD = _compile(r"[^\w]+")


def normalize(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", stripped.casefold()).replace("_", " ").split())


# ---------------------------------------------------------------------------- queries
def select(store: Any, query: str, **terms: Any) -> list[Any]:
    """Rows of a SELECT, variables bound to terms (never pasted into the text)."""
    subs = {ox.Variable(k): t for k, t in terms.items()}
    return list(store.query(query, substitutions=subs))


def each(store: Any, query: str, var: str, found: list[Any], **terms: Any) -> list[Any]:
    """The query once per key bound to var, rows key by key (kg.query.run_each, many=-1)."""
    rows: list[Any] = []
    for key in found:
        rows += select(store, query, **{var: key}, **terms)
    return rows


P = """PREFIX kg: <https://w3id.org/kg/ont#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <https://schema.org/>
"""
EVIDENCE = """OPTIONAL { ?S kg:evidence ?c . ?c kg:line ?line ; kg:citedSource/kg:file ?file .
           OPTIONAL { ?c kg:citationOrder ?order } }"""
SOURCES = (
    '(GROUP_CONCAT(DISTINCT CONCAT(?file, "#", STR(?line), "#", COALESCE(STR(?order), ""));'
    ' separator="|") AS ?sources)'
)

NAMES_EXACT = (
    P
    + """SELECT DISTINCT ?entity ?label ?typeLabel ?isClaim ?key ?kind WHERE {
  ?entity kg:searchKey ?key ; skos:prefLabel ?label .
  FILTER(?kind = kg:Any || EXISTS { ?entity a/rdfs:subClassOf* ?kind })
  FILTER NOT EXISTS { ?entity a kg:Tenure }
  OPTIONAL { ?entity a ?type . ?type rdfs:label ?typeLabel }
  BIND(EXISTS { ?entity a kg:Claim } AS ?isClaim)
} ORDER BY ?label"""
)


def resolve(store: Any, text: str, kind: Any = ANY) -> tuple[str, str]:
    """(IRI, label) of the one entity whose name is text (kg.names.resolve, exact only)."""
    rows = select(store, NAMES_EXACT, key=ox.Literal(normalize(text)), kind=kind)
    seen: dict[str, str] = {}
    claims = set()
    for r in rows:
        seen.setdefault(v(r, "entity"), v(r, "label"))
        if v(r, "isClaim") == "true":
            claims.add(v(r, "entity"))
    if claims and len(claims) < len(seen):
        seen = {i: label for i, label in seen.items() if i not in claims}
    if len(seen) != 1:
        sys.exit(f"limit script: {text!r} names {len(seen)} entities, not one")
    ((iri, label),) = seen.items()
    return iri, label


def meeting_kinds(gen: str) -> set[str]:
    """The event kinds that count as meetings (aggregates.json's event-kinds)."""
    rows = sidecar(gen, "aggregates")["event-kinds"]
    return {cell(r, "kind") for r in rows if cell(r, "meeting") == "true"}


# ---------------------------------------------------------------------------- who-met
_PAIR = """  ?event kg:participation|kg:inferredParticipation ?pa, ?pb ;
         kg:date ?date ; kg:earliest ?earliest ; kg:latest ?latest ;
         skos:prefLabel ?eventLabel .
  ?pa kg:actor ?a ; kg:side ?aSide .
  ?pb kg:actor ?b ; kg:side ?bSide .
  FILTER(?aSide != ?bSide)"""
_PAIR_DETAILS = """  ?a skos:prefLabel ?aLabel . ?b skos:prefLabel ?bLabel .
  ?aSide skos:prefLabel ?aSideLabel . ?bSide skos:prefLabel ?bSideLabel .
  OPTIONAL { ?event a ?kindClass . ?kindClass skos:inScheme kg:EventKinds ; skos:notation ?kind }
  OPTIONAL { ?pa kg:rule ?aRule }
  OPTIONAL { ?pb kg:rule ?bRule }
  OPTIONAL { ?event kg:topic/skos:prefLabel ?topicLabel }
""" + EVIDENCE.replace("?S", "?event")
_PAIR_SELECT = f"""SELECT ?event ?eventLabel ?date ?earliest ?a ?aLabel ?aSide ?aSideLabel ?b
  ?bLabel ?bSide ?bSideLabel ?kind ?pa ?pb ?aRule ?bRule
  (GROUP_CONCAT(DISTINCT ?topicLabel; separator="|") AS ?topics) {SOURCES} ?actor ?holder"""
_PAIR_GROUP = """GROUP BY ?event ?kind ?eventLabel ?date ?earliest ?a ?aLabel ?aSide ?aSideLabel
  ?b ?bLabel ?bSide ?bSideLabel ?pa ?pb ?aRule ?bRule ?actor ?holder"""

# An event's pairs with ?actor on side a (who-met-of; ?holder: the post's holder then),
# asked per event: the event's pairs first (an institution is an actor of thousands).
WHO_MET_OF = (
    P
    + f"""{_PAIR_SELECT} WHERE {{
{_PAIR}
  FILTER(?a = ?actor)
  FILTER(?holder = kg:Any || EXISTS {{ ?t org:member ?holder ; kg:post ?actor ;
         kg:earliest ?te ; kg:latest ?tl . FILTER(?te <= ?latest && ?tl >= ?earliest) }})
{_PAIR_DETAILS}
}} {_PAIR_GROUP}"""
)
# The pairs of an event where ?actor is the side of a (who-met-side), asked per event: the
# event's pairs first, then their side (a state is the side of thousands).
WHO_MET_SIDE = (
    P
    + f"""{_PAIR_SELECT} WHERE {{
{_PAIR}
  FILTER(?aSide = ?actor)
{_PAIR_DETAILS}
}} {_PAIR_GROUP}"""
)
# Every pair of an event once, ordered by side (who-met without a person).
WHO_MET = (
    P
    + f"""{_PAIR_SELECT} WHERE {{
{_PAIR}
  FILTER(STR(?aSide) < STR(?bSide))
{_PAIR_DETAILS}
}} {_PAIR_GROUP}"""
)
ANCHORS = (
    P
    + """SELECT DISTINCT ?anchor ?held ?person WHERE {
  { ?anchor org:subOrganizationOf+ ?person . BIND(false AS ?held) }
  UNION { ?t org:member ?person ; kg:post ?anchor . BIND(true AS ?held) }
}"""
)
MEETINGS_OF = (
    P
    + """SELECT DISTINCT ?event ?actor WHERE {
  ?pa kg:actor ?actor . ?event kg:participation|kg:inferredParticipation ?pa . }"""
)
MEETINGS_OF_SIDE = (
    P
    + """SELECT DISTINCT ?event ?actor WHERE {
  ?pa kg:side ?actor . ?event kg:participation ?pa . }"""
)
INFERENCES = (
    P
    + """SELECT ?ruleName ?means ?actorLabel ?file ?line ?node WHERE {
  ?node kg:rule ?rule .
  ?rule rdfs:label ?ruleName ; skos:definition ?means .
  OPTIONAL { ?node kg:actor/skos:prefLabel ?actorLabel }
  OPTIONAL { ?node kg:evidence ?c . ?c kg:line ?line ; kg:citedSource/kg:file ?file . }
}"""
)


def meeting_key(r: Any) -> tuple[str, ...]:
    return tuple(v(r, k) for k in ("earliest", "eventLabel", "event", "aLabel", "bLabel"))


def is_inferred(r: Any) -> bool:
    return bool(v(r, "aRule") or v(r, "bRule"))


def meeting(r: Any) -> dict[str, Any]:
    return {
        "date": v(r, "date"),
        "a": v(r, "aLabel"),
        "b": v(r, "bLabel"),
        "topics": split(v(r, "topics")),
        "event": v(r, "eventLabel"),
        "kind": v(r, "kind") or None,
        **source_fields(r),
        "a_side": v(r, "aSideLabel"),
        "b_side": v(r, "bSideLabel"),
        "a_iri": v(r, "a"),
        "b_iri": v(r, "b"),
        "event_iri": v(r, "event"),
        "status": "inferred" if is_inferred(r) else "stated",
        "because": [],
        "_inferred": [v(r, p) for p, rule in (("pa", "aRule"), ("pb", "bRule")) if v(r, rule)],
    }


def explain(store: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row's `because` (the rules and premises of its inferred nodes), its asserter."""
    why: dict[str, dict[str, Any]] = {}
    for node in sorted({n for r in rows for n in r["_inferred"]}):
        for r in select(store, INFERENCES, node=ox.NamedNode(node)):
            rec = why.setdefault(
                node,
                {
                    "rule": v(r, "ruleName"),
                    "means": v(r, "means"),
                    "premises": [],
                    "actor": v(r, "actorLabel") or None,
                },
            )
            if v(r, "line"):
                rec["premises"].append({"document": v(r, "file"), "line": int(v(r, "line"))})
    for rec in why.values():
        rec["premises"].sort(key=lambda c: (c["document"], c["line"]))
    for row in rows:
        row["because"] = [why[n] for n in row.pop("_inferred") if n in why]
        row["asserted_by"] = "kg" if row["status"] == "inferred" else "the author"
    return rows


def meetings_of(store: Any, gen: str, person: str, limit: int = 0) -> list[Any]:
    """A person's who-met rows of the meeting kinds, in order (the first `limit`; 0: all).

    Its events are found from its anchors (itself, its sub-organizations, the posts it
    held) and from its side, each by an index lookup; then each event's rows are asked
    for, in the meeting index's order when only a first page is wanted.
    """
    me = ox.NamedNode(person)
    anchors = [(me, ANY)] + [
        (r["anchor"], me if v(r, "held") == "true" else ANY)
        for r in select(store, ANCHORS, person=me)
    ]
    asks: dict[Any, list[tuple[str, dict[str, Any]]]] = {}
    for actor, holder in anchors:
        for r in select(store, MEETINGS_OF, actor=actor):
            asks.setdefault(r["event"], []).append((WHO_MET_OF, {"actor": actor, "holder": holder}))
    for r in select(store, MEETINGS_OF_SIDE, actor=me):
        asks.setdefault(r["event"], []).append((WHO_MET_SIDE, {"actor": me}))
    kinds = meeting_kinds(gen)
    if limit:
        index = {m[0]: m for m in sidecar(gen, "meetings")}
        chosen = [e for e in asks if e.value in index and index[e.value][6] in kinds]
        events = sorted(chosen, key=lambda e: (index[e.value][1], index[e.value][3], e.value))
    else:
        events = sorted(asks, key=lambda e: e.value)
    out: list[Any] = []
    for e in events:
        found = {}
        for query, terms in asks[e]:
            for r in select(store, query, event=e, **terms):
                found[(v(r, "a"), v(r, "b"))] = r
        out += (r for r in found.values() if v(r, "kind") in kinds)
        if limit and len(out) >= limit:
            break
    out.sort(key=meeting_key)
    return out[:limit] if limit else out


NARROWER = P + "SELECT ?narrower ?topic WHERE { ?narrower skos:broader* ?topic . }"


def meetings_on(store: Any, gen: str, topic: str, limit: int) -> list[Any]:
    """The first `limit` who-met rows of a topic (narrower ones included), of the meeting
    kinds: the meeting index (meetings.json) orders the events and counts their rows, so
    only the events of the page are asked for."""
    narrower = {v(r, "narrower") for r in select(store, NARROWER, topic=ox.NamedNode(topic))}
    kinds = meeting_kinds(gen)
    events = []
    seen = 0
    for m in sidecar(gen, "meetings"):
        if m[4] and m[6] in kinds and narrower.intersection(m[5]):
            events.append(ox.NamedNode(m[0]))
            seen += m[4]
            if seen >= limit:
                break
    return sorted(each(store, WHO_MET, "event", events), key=meeting_key)[:limit]


# ---------------------------------------------------------------------------- timeline
TIMELINE = (
    P
    + f"""SELECT ?event ?eventLabel ?type ?typeLabel ?date ?earliest ?latest
  (GROUP_CONCAT(DISTINCT ?topicLabel; separator="|") AS ?topics) {SOURCES}
WHERE {{
  ?event a ?type ; kg:date ?date ; kg:earliest ?earliest ; kg:latest ?latest ;
         skos:prefLabel ?eventLabel .
  ?type rdfs:subClassOf* kg:Event ; rdfs:label ?typeLabel .
  OPTIONAL {{ ?event kg:topic/skos:prefLabel ?topicLabel }}
  {EVIDENCE.replace("?S", "?event")}
}} GROUP BY ?event ?eventLabel ?type ?typeLabel ?date ?earliest ?latest"""
)
EVENTS_OF = (
    P
    + """SELECT DISTINCT ?event ?entity WHERE {
  { ?event ?p ?entity . }
  UNION { ?part kg:side ?entity . ?event kg:participation ?part . }
  UNION { ?x org:subOrganizationOf+ ?entity . ?event ?p2 ?x . }
  UNION { ?t org:member ?entity ; kg:post ?post ; kg:earliest ?te ; kg:latest ?tl .
          FILTER(?te <= ?latest && ?tl >= ?earliest)
          ?event kg:participant ?post ; kg:earliest ?earliest ; kg:latest ?latest . }
}"""
)
EVENT_ORDER = (
    P
    + """SELECT ?event ?type ?earliest ?latest ?eventLabel WHERE {
  ?type rdfs:subClassOf* kg:Event .
  ?event a ?type ; kg:date [] ; kg:earliest ?earliest ; kg:latest ?latest ;
         skos:prefLabel ?eventLabel .
  ?type rdfs:label [] .
}"""
)


def timeline_key(r: Any) -> tuple[str, ...]:
    return tuple(v(r, k) for k in ("earliest", "latest", "eventLabel", "event", "type"))


def event(r: Any) -> dict[str, Any]:
    return {
        "date": v(r, "date"),
        "event": v(r, "eventLabel"),
        "type": v(r, "typeLabel"),
        "topics": split(v(r, "topics")),
        **source_fields(r),
        "event_iri": v(r, "event"),
        "status": "stated",
        "asserted_by": "the author",
    }


def timeline(store: Any, entity: str, limit: int = 0) -> tuple[list[dict[str, Any]], int]:
    """An entity's events in order (the first `limit`; 0: all) and how many it has."""
    found = keys(select(store, EVENTS_OF, entity=ox.NamedNode(entity)), "event")
    if len(found) <= MANY_KEYS:
        rows = sorted(each(store, TIMELINE, "event", found), key=timeline_key)
        return [event(r) for r in (rows[:limit] if limit else rows)], len(rows)
    wanted = set(found)
    order = sorted(
        (r for r in select(store, EVENT_ORDER) if r["event"] in wanted), key=timeline_key
    )
    shown = order[:limit] if limit else order
    page = {(v(r, "event"), v(r, "type")) for r in shown}
    events = keys(shown, "event")
    details = (
        select(store, TIMELINE)
        if len(events) > MANY_KEYS
        else each(store, TIMELINE, "event", events)
    )
    rows = sorted((r for r in details if (v(r, "event"), v(r, "type")) in page), key=timeline_key)
    return [event(r) for r in rows], len(order)


# ---------------------------------------------------------------------------- roles
ROLES = (
    P
    + f"""SELECT ?tenure ?holder ?holderLabel ?post ?postLabel ?org ?orgLabel ?start ?end
  ?earliest ?latest
  (GROUP_CONCAT(DISTINCT STR(?att); separator="|") AS ?attested)
  (MAX(STR(?nb)) AS ?notBefore) (MIN(STR(?na)) AS ?notAfter)
  (MAX(STR(?inb)) AS ?inferredNotBefore) (MIN(STR(?ina)) AS ?inferredNotAfter)
  (GROUP_CONCAT(DISTINCT STR(?bound); separator="|") AS ?bounds) {SOURCES}
WHERE {{
  ?tenure a kg:Tenure ; org:member ?holder ; kg:post ?post ;
          kg:earliest ?earliest ; kg:latest ?latest .
  ?post org:postIn ?org ; skos:prefLabel ?postLabel .
  ?holder skos:prefLabel ?holderLabel . ?org skos:prefLabel ?orgLabel .
  OPTIONAL {{ ?tenure kg:start ?start }}
  OPTIONAL {{ ?tenure kg:end ?end }}
  OPTIONAL {{ ?tenure kg:attestedOn ?att }}
  OPTIONAL {{ ?tenure kg:notBefore ?nb }}
  OPTIONAL {{ ?tenure kg:notAfter ?na }}
  OPTIONAL {{ ?tenure kg:inferredBound ?bound .
             OPTIONAL {{ ?bound kg:notBefore ?inb }} OPTIONAL {{ ?bound kg:notAfter ?ina }} }}
  {EVIDENCE.replace("?S", "?tenure")}
}} GROUP BY ?tenure ?holder ?holderLabel ?post ?postLabel ?org ?orgLabel ?start ?end ?earliest
  ?latest"""
)
TENURES_OF = (
    P
    + """SELECT DISTINCT ?tenure ?entity WHERE {
  { ?tenure org:member ?entity . }
  UNION { ?tenure kg:post ?entity . }
  UNION { ?p1 org:postIn ?entity . ?tenure kg:post ?p1 . }
  UNION { ?sub org:subOrganizationOf+ ?entity . ?p2 org:postIn ?sub . ?tenure kg:post ?p2 . }
}"""
)
PRESUMED = (
    P
    + """SELECT DISTINCT ?tenure ?inference ?from ?to WHERE {
  ?event kg:inferredParticipation ?inference ; kg:earliest ?earliest ; kg:latest ?latest .
  FILTER(?latest >= ?from && ?earliest <= ?to)
  ?inference kg:premise ?tenure .
  ?tenure a kg:Tenure .
}"""
)


def role_key(r: Any) -> tuple[str, ...]:
    return tuple(v(r, k) for k in ("earliest", "holderLabel", "postLabel", "tenure"))


def _when(start: str, end: str, attested: list[str]) -> str:
    parts = []
    if start or end:
        parts.append(f"{start or '?'} – {end or '?'}")
    if attested:
        parts.append("attested " + ", ".join(attested))
    return "; ".join(parts)


def bound(r: Any, stated: str, inferred: str, tighter: Any) -> tuple[str, bool]:
    a, b = v(r, stated), v(r, inferred)
    if a and b:
        return (b, True) if tighter(a, b) == b and a != b else (a, False)
    return (a, False) if a else (b, bool(b))


def role(r: Any) -> dict[str, Any]:
    before, before_inferred = bound(r, "notBefore", "inferredNotBefore", max)
    after, after_inferred = bound(r, "notAfter", "inferredNotAfter", min)
    when = _when(v(r, "start"), v(r, "end"), split(v(r, "attested")))
    bounds = [
        f"{words} {day}{' (inferred)' if inferred else ''}"
        for words, day, inferred in (
            ("began no earlier than", before, before_inferred),
            ("ended by", after, after_inferred),
        )
        if day
    ]
    return {
        "person": v(r, "holderLabel"),
        "post": v(r, "postLabel"),
        "organization": v(r, "orgLabel"),
        "start": v(r, "start") or None,
        "end": v(r, "end") or None,
        "attested": split(v(r, "attested")),
        "when": "; ".join([when, *bounds]) if when else "; ".join(bounds),
        **source_fields(r),
        "person_iri": v(r, "holder"),
        "post_iri": v(r, "post"),
        "organization_iri": v(r, "org"),
        "not_before": before or None,
        "not_after": after or None,
        "held": None,
        "status": "stated",
        "because": [],
        "_inferred": split(v(r, "bounds")) if before_inferred or after_inferred else [],
    }


def role_on(low: str, high: str, presumed: dict[str, str]) -> Any:
    def record(r: Any) -> dict[str, Any]:
        rec = role(r)
        if v(r, "latest") >= low and v(r, "earliest") <= high:
            rec["held"] = "yes"
        elif v(r, "tenure") in presumed:
            rec.update(held="presumed", status="inferred")
            rec["when"] += "; presumed held then"
            rec["_inferred"] = [presumed[v(r, "tenure")], *rec["_inferred"]]
        else:
            word = "Before" if high < v(r, "earliest") else "After"
            inferred = (
                bool(v(r, f"inferredNot{word}"))
                and (
                    bound(r, f"not{word}", f"inferredNot{word}", max if word == "Before" else min)[
                        1
                    ]
                )
            )
            rec.update(held="possibly", status="inferred" if inferred else "stated")
            rec["when"] += "; possibly held then"
        return rec

    return record


def roles_of(store: Any, gen: str, entity: str, limit: int) -> tuple[list[dict[str, Any]], int]:
    """An entity's roles (the first `limit`) and how many it has (kg.lookups.roles)."""
    tenures = keys(select(store, TENURES_OF, entity=ox.NamedNode(entity)), "tenure")
    if len(tenures) <= MANY_KEYS:
        rows = sorted(each(store, ROLES, "tenure", tenures), key=role_key)
        total, rows = len(rows), rows[:limit]
    else:  # many: the page's tenures, in order, from tenures.json
        wanted = {t.value for t in tenures}
        order = [t[0] for t in sidecar(gen, "tenures") if t[0] in wanted]
        page = [ox.NamedNode(t) for t in order[:limit]]
        total, rows = len(order), sorted(each(store, ROLES, "tenure", page), key=role_key)
    return explain(store, [role(r) for r in rows]), total


# ---------------------------------------------------------------------------- claims
CLAIMS_ABOUT = (
    P
    + """SELECT DISTINCT ?claim ?about WHERE {
  ?claim kg:subject|kg:claimObject|kg:about ?about . ?claim a kg:Claim . }"""
)
CLAIM = (
    P
    + """SELECT ?claim ?claimLabel ?statusIri ?asserter ?asserterLabel
       ?subject ?subjectLabel ?relation ?relationLabel ?object ?objectLabel
       ?from ?until ?date ?periodLabel ?topicLabel ?topicUp
WHERE {
  ?claim a kg:Claim ; skos:prefLabel ?claimLabel ; kg:epistemicStatus ?statusIri ;
         kg:assertedBy ?asserter .
  ?statusIri rdfs:label ?statusLabel .
  OPTIONAL { ?asserter skos:prefLabel ?asserterName }
  OPTIONAL { ?asserter rdfs:label ?asserterWord }
  BIND(COALESCE(?asserterName, ?asserterWord) AS ?asserterLabel)
  OPTIONAL { ?claim kg:subject ?subject . ?subject skos:prefLabel ?subjectLabel }
  OPTIONAL { ?claim kg:relation ?relation . ?relation rdfs:label ?relationLabel }
  OPTIONAL { ?claim kg:claimObject ?object . ?object skos:prefLabel ?objectLabel }
  OPTIONAL { ?claim kg:validFrom ?from }
  OPTIONAL { ?claim kg:validUntil ?until }
  OPTIONAL { ?claim kg:date ?date }
  OPTIONAL { ?claim kg:during/skos:prefLabel ?periodLabel }
  OPTIONAL { ?claim kg:topic/skos:prefLabel ?topicLabel }
  OPTIONAL { ?claim kg:topic/skos:broader* ?topicUp }
}"""
)
EVIDENCE_OF = (
    P
    + """SELECT ?fact ?file ?line ?order WHERE {
  ?fact kg:evidence ?c . ?c kg:line ?line ; kg:citedSource/kg:file ?file .
  OPTIONAL { ?c kg:citationOrder ?order } .
}"""
)


def pack(r: Any) -> str:
    return f"{v(r, 'file')}#{v(r, 'line')}#{v(r, 'order')}"


def claims_about(store: Any, entity: str) -> list[dict[str, Any]]:
    """kg.lookups.claims(about=entity): the claims found from the entity, then each asked."""
    found = keys(select(store, CLAIMS_ABOUT, about=ox.NamedNode(entity)), "claim")
    out: dict[str, dict[str, Any]] = {}
    for claim in found:
        for r in select(store, CLAIM, claim=claim):
            iri = v(r, "claim")
            rec = out.get(iri)
            if rec is None:
                holds = [f"from {v(r, 'from')}"] if v(r, "from") else []
                holds += [f"until {v(r, 'until')}"] if v(r, "until") else []
                rec = out[iri] = {
                    "claim": v(r, "claimLabel"),
                    "status": local(v(r, "statusIri")).lower(),
                    "asserted_by": v(r, "asserterLabel"),
                    "subject": v(r, "subjectLabel") or None,
                    "relation": v(r, "relationLabel") or None,
                    "objects": [],
                    "holds": holds,
                    "date": v(r, "date") or None,
                    "sources": [],
                    "claim_iri": iri,
                    "status_iri": v(r, "statusIri"),
                    "asserted_by_iri": v(r, "asserter"),
                    "subject_iri": v(r, "subject") or None,
                    "relation_iri": v(r, "relation") or None,
                    "object_iris": [],
                    "topics": [],
                    "topic_iris": [],
                }
            if v(r, "object") and v(r, "object") not in rec["object_iris"]:
                rec["object_iris"].append(v(r, "object"))
                rec["objects"].append(v(r, "objectLabel"))
            for key, col in (("topics", "topicLabel"), ("topic_iris", "topicUp")):
                if v(r, col) and v(r, col) not in rec[key]:
                    rec[key].append(v(r, col))
            if v(r, "periodLabel") and f"during {v(r, 'periodLabel')}" not in rec["holds"]:
                rec["holds"].append(f"during {v(r, 'periodLabel')}")
        if str(claim.value) in out:
            packed = [pack(r) for r in select(store, EVIDENCE_OF, fact=claim) if v(r, "line")]
            out[claim.value]["sources"] = citations("|".join(packed))
    for rec in out.values():
        order = sorted(range(len(rec["objects"])), key=lambda i: rec["objects"][i])
        rec["objects"] = [rec["objects"][i] for i in order]
        rec["object_iris"] = [rec["object_iris"][i] for i in order]
        rec["source"] = rec["sources"][0] if rec["sources"] else None
        rec["topics"].sort()
        rec["topic_iris"].sort()
    return sorted(out.values(), key=lambda c: (c["status"], c["claim"], c["claim_iri"]))


# ---------------------------------------------------------------------------- show
ENTITY = (
    P
    + """SELECT ?label ?type ?typeLabel ?alias ?note ?file ?line ?order ?citeNote ?entity
WHERE {
  ?entity skos:prefLabel ?label .
  OPTIONAL { ?entity a ?type . OPTIONAL { ?type rdfs:label ?typeLabel } }
  OPTIONAL { ?entity skos:altLabel ?alias }
  OPTIONAL { ?entity skos:note ?note }
  OPTIONAL { ?entity kg:evidence ?c . ?c kg:line ?line ; kg:citedSource/kg:file ?file .
             OPTIONAL { ?c kg:citationOrder ?order } .
             OPTIONAL { ?c skos:note ?citeNote } }
}"""
)
STATEMENTS = (
    P
    + """SELECT DISTINCT ?direction ?p ?pLabel ?other ?otherLabel ?qvalue ?qunit ?qof ?fact
  ?entity
WHERE {
  {
    ?entity ?p ?other . BIND("out" AS ?direction) BIND(?entity AS ?fact)
    FILTER(?p NOT IN (rdf:type, kg:searchKey, kg:recordFile, kg:recordLine, kg:evidence,
                      prov:wasDerivedFrom, skos:prefLabel, skos:altLabel, skos:note,
                      kg:participation, kg:earliest, kg:latest, org:holds, org:memberOf))
  } UNION {
    ?fact ?p ?entity . BIND("in" AS ?direction) BIND(?fact AS ?other)
    FILTER(?p NOT IN (kg:actor, kg:side, kg:citedSource, prov:wasDerivedFrom))
  }
  OPTIONAL { ?p rdfs:label ?pLabel }
  OPTIONAL { ?other skos:prefLabel ?prefLabel }
  OPTIONAL { ?other rdfs:label ?rdfsLabel }
  BIND(COALESCE(?prefLabel, ?rdfsLabel) AS ?otherLabel)
  OPTIONAL { ?other schema:value ?qvalue . OPTIONAL { ?other schema:unitText ?qunit }
             OPTIONAL { ?other schema:description ?qof } }
}
ORDER BY ?direction ?pLabel ?otherLabel ?other"""
)
_OUT_SKIP = """FILTER(?p NOT IN (rdf:type, kg:searchKey, kg:recordFile, kg:recordLine, kg:evidence,
                      prov:wasDerivedFrom, skos:prefLabel, skos:altLabel, skos:note,
                      kg:participation, kg:earliest, kg:latest, org:holds, org:memberOf))"""
_IN_SKIP = "FILTER(?p NOT IN (kg:actor, kg:side, kg:citedSource, prov:wasDerivedFrom))"
# How many statements each relation has: a hub's large ones are counted, never listed.
COUNTS = (
    P
    + f"""SELECT ?direction ?p (COUNT(*) AS ?n) ?entity WHERE {{
  {{ ?entity ?p ?other . BIND("out" AS ?direction) {_OUT_SKIP} }}
  UNION {{ ?fact ?p ?entity . BIND("in" AS ?direction) {_IN_SKIP} }}
}} GROUP BY ?direction ?p ?entity"""
)
_LABELS = """OPTIONAL { ?p rdfs:label ?pLabel }
  OPTIONAL { ?other skos:prefLabel ?prefLabel }
  OPTIONAL { ?other rdfs:label ?rdfsLabel }
  BIND(COALESCE(?prefLabel, ?rdfsLabel) AS ?otherLabel)
  OPTIONAL { ?other schema:value ?qvalue . OPTIONAL { ?other schema:unitText ?qunit }
             OPTIONAL { ?other schema:description ?qof } }"""
# One relation's statements, its ?p bound: out (the entity's own) and in (made by a fact).
RELATION = {
    "out": P
    + f"""SELECT DISTINCT ?direction ?p ?pLabel ?other ?otherLabel ?qvalue ?qunit ?qof ?fact
  ?entity WHERE {{
  ?entity ?p ?other . BIND("out" AS ?direction) BIND(?entity AS ?fact)
  {_LABELS}
}}""",
    "in": P
    + f"""SELECT DISTINCT ?direction ?p ?pLabel ?other ?otherLabel ?qvalue ?qunit ?qof ?fact
  ?entity WHERE {{
  ?fact ?p ?entity . BIND("in" AS ?direction) BIND(?fact AS ?other)
  {_LABELS}
}}""",
}
RELATION_LABELS = P + "SELECT ?p ?pLabel WHERE { ?p rdfs:label ?pLabel }"
ENDS = {  # the other ends of one relation (kg: statement-keys), to weigh claims among them
    "out": "SELECT ?other ?p ?entity WHERE { ?entity ?p ?other }",
    "in": "SELECT ?other ?p ?entity WHERE { ?other ?p ?entity }",
}


def statement_order(r: Any) -> tuple[tuple[bool, bool, str], ...]:
    """ORDER BY ?direction ?pLabel ?otherLabel ?other: unbound first, IRIs, then literals."""
    return tuple(
        (r[k] is not None, isinstance(r[k], ox.Literal), v(r, k))
        for k in ("direction", "pLabel", "otherLabel", "other")
    )


CARD_ROWS = 25
CARD_STATEMENTS = 40  # kg.lookups: a relation with more is counted, not listed whole


def _claim_statements(
    entity: str,
    about: list[dict[str, Any]],
    plain: list[dict[str, Any]],
    hidden: set[tuple[str, str, str]],
) -> list[dict[str, Any]]:
    out = []
    for c in about:
        rel = c["relation_iri"]
        if rel and (
            (
                entity == c["subject_iri"]
                and any(("out", rel, o) in hidden for o in c["object_iris"])
            )
            or (entity in c["object_iris"] and ("in", rel, c["subject_iri"]) in hidden)
        ):
            continue  # a claim of a relation the card only counts
        matched = [
            st
            for st in plain
            if c["relation_iri"]
            and st["_p"] == c["relation_iri"]
            and (
                (st["direction"] == "out" and entity == c["subject_iri"]
                 and st["value_iri"] in c["object_iris"])
                or (st["direction"] == "in" and st["_fact"] == c["subject_iri"]
                    and entity in c["object_iris"])
            )
        ]  # fmt: skip
        for st in matched:
            st["sources"] = c["sources"]
            st["claim_iri"] = c["claim_iri"]
        if matched:
            continue
        relation = c["relation"] or "claim"
        if c["relation"] and entity != c["subject_iri"]:
            relation = f"{c['subject']} {c['relation']}" if c["subject"] else relation
        out.append(
            {
                "direction": "claim",
                "relation": relation,
                "value": c["claim"],
                "value_iri": c["claim_iri"],
                "sources": c["sources"],
                "status": c["status"],
                "asserted_by": c["asserted_by"],
                "holds": c["holds"],
                "claim_iri": c["claim_iri"],
                "_p": "",
                "_fact": "",
            }
        )
    return out


def show(store: Any, gen: str, entity: str, label: str) -> dict[str, Any]:
    """kg.lookups.show: the card of an entity."""
    me = ox.NamedNode(entity)
    head = select(store, ENTITY, entity=me)
    types = sorted({v(r, "typeLabel") or local(v(r, "type")) for r in head if v(r, "type")})
    evidence: dict[tuple[str, int], dict[str, Any]] = {}
    primary = set()
    for r in head:
        if v(r, "line"):
            key = (v(r, "file"), int(v(r, "line")))
            evidence[key] = {"document": key[0], "line": key[1], "note": v(r, "citeNote") or None}
            if v(r, "order") == "1":
                primary.add(key)
    about = claims_about(store, entity)
    claim_iris = {c["claim_iri"] for c in about}
    # Each relation counted first: one with more than a card lists (a state is a party to
    # thousands of agreements) is counted only (less its claims), never asked for.
    counted = {
        (v(r, "direction"), r["p"]): int(v(r, "n")) for r in select(store, COUNTS, entity=me)
    }
    many: dict[tuple[str, Any], int] = {}
    hidden: set[tuple[str, str, str]] = set()
    for (way, p), n in counted.items():
        if n <= CARD_STATEMENTS:
            continue
        if claim_iris:
            others = {v(r, "other") for r in select(store, ENDS[way], entity=me, p=p)}
            n -= len(others & claim_iris) if way == "in" else 0
            if n <= CARD_STATEMENTS:
                continue
            hidden |= {(way, p.value, other) for other in others}
        many[(way, p)] = n
    if many:
        rows = [
            r
            for (way, p) in counted
            if (way, p) not in many
            for r in select(store, RELATION[way], entity=me, p=p)
        ]
        rows.sort(key=statement_order)
    else:
        rows = select(store, STATEMENTS, entity=me)
    statements = []
    for r in rows:
        if v(r, "direction") == "in" and v(r, "fact") in claim_iris:
            continue
        other = r["other"]
        if v(r, "qvalue"):
            shown = " ".join(x for x in (v(r, "qvalue"), v(r, "qunit")) if x)
            if v(r, "qof"):
                shown += f" of {v(r, 'qof')}"
            other_iri = None
        elif isinstance(other, ox.NamedNode):
            shown = v(r, "otherLabel") or other.value
            other_iri = other.value
        else:
            shown, other_iri = v(r, "other"), None
        statements.append(
            {
                "direction": v(r, "direction"),
                "relation": v(r, "pLabel") or local(v(r, "p")),
                "value": shown,
                "value_iri": other_iri,
                "sources": [],
                "status": "stated",
                "asserted_by": "the author",
                "holds": [],
                "claim_iri": None,
                "_p": v(r, "p"),
                "_fact": v(r, "fact"),
            }
        )
    statements += _claim_statements(entity, about, statements, hidden)
    # kg cuts each relation (and direction) at CARD_STATEMENTS, saying what it left out.
    count: dict[tuple[str, str], int] = {}
    for st in statements:
        key = (st["direction"], st["relation"])
        count[key] = count.get(key, 0) + 1
    seen: dict[tuple[str, str], int] = {}
    listed = []
    for st in statements:
        key = (st["direction"], st["relation"])
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= CARD_STATEMENTS:
            listed.append(st)
    more = [
        {"direction": d, "relation": r, "shown": CARD_STATEMENTS, "total": n}
        for (d, r), n in count.items()
        if n > CARD_STATEMENTS
    ]
    labels = {r["p"]: v(r, "pLabel") for r in select(store, RELATION_LABELS)} if many else {}
    for (way, p), n in many.items():
        relation = labels.get(p) or local(p.value)
        more.append({"direction": way, "relation": relation, "shown": 0, "total": n})
    more.sort(key=lambda m: (m["direction"], m["relation"]))
    # The lines of the statements listed (a claim's are its own), asked for those only.
    plain = [st for st in listed if st["direction"] != "claim" and st["claim_iri"] is None]
    facts = [ox.NamedNode(f) for f in sorted({st["_fact"] for st in plain})]
    cites: dict[str, list[str]] = {}
    for r in each(store, EVIDENCE_OF, "fact", facts):
        cites.setdefault(v(r, "fact"), []).append(pack(r))
    for st in plain:
        st["sources"] = citations("|".join(set(cites.get(st["_fact"], []))))
    for st in listed:
        del st["_p"], st["_fact"]
    roles, roles_total = roles_of(store, gen, entity, CARD_ROWS)
    events, events_total = timeline(store, entity, CARD_ROWS)
    return {
        "iri": entity,
        "label": label,
        "types": types,
        "aliases": sorted({v(r, "alias") for r in head if v(r, "alias")}),
        "notes": sorted({v(r, "note") for r in head if v(r, "note")}),
        "sources": [evidence[k] for k in sorted(evidence, key=lambda k: (k not in primary, k))],
        "roles": roles,
        "roles_total": roles_total,
        "events": events,
        "events_total": events_total,
        "statements": listed,
        "statements_total": len(statements) + sum(n for n in many.values()),
        "statements_more": more,
    }


if __name__ == "__main__":  # the floor of a lookup that asks the store: open it, no more
    open_store(generation(sys.argv[1]))
