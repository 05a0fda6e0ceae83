"""Dereferenceable IRIs: `kg serve` answers GET /id/<kind>/<slug> by content negotiation.

A browser gets the entity's card; an RDF client a bounded description of the node with the
provenance of its statements. Real servers only (tests/servers.py).
"""

from __future__ import annotations

import http.client
import json
import shutil
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from markupsafe import escape
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SKOS

from kg.cli import main
from tests.conftest import MINI, run_build
from tests.servers import start_kg_serve, stop

KG = Namespace("https://w3id.org/kg/ont#")
ID = "https://w3id.org/kg/id/"
MUTTAQI = "/id/person/amir-khan-muttaqi"
SAIF = "/id/person/saif-al-adel"
SOURCE_FILE = "000_278ee63bc767467f.txt"
# What Chromium sends for a page (a link followed, an address typed).
BROWSER = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)


def fetch(
    base: str, path: str, accept: str | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """Send PATH exactly as given (no client normalises it); return status, headers, body."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        if accept is not None:
            conn.putheader("Accept", accept)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def graph(body: bytes, fmt: str) -> Graph:
    return Graph().parse(data=body, format=fmt)


# ---------------------------------------------------------------------------- negotiation
@pytest.mark.parametrize(
    ("accept", "ctype"),
    [
        ("text/html", "text/html"),
        (BROWSER, "text/html"),
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("*/*", "text/turtle"),
        (None, "text/turtle"),
        ("text/html;q=0.5, text/turtle", "text/turtle"),
        ("application/ld+json;q=0.9, text/html;q=0.2", "application/ld+json"),
    ],
)
def test_each_accept_gets_its_format(kg_server: str, accept: str | None, ctype: str) -> None:
    status, headers, body = fetch(kg_server, MUTTAQI, accept)
    assert status == 200, body
    assert headers["content-type"] == f"{ctype}; charset=utf-8", headers
    assert headers["vary"] == "Accept", headers
    assert "Amir Khan Muttaqi" in body.decode("utf-8"), body[:500]


def test_the_formats_say_the_same(kg_server: str) -> None:
    turtle = graph(fetch(kg_server, MUTTAQI, "text/turtle")[2], "turtle")
    assert len(turtle) > 50, len(turtle)
    for accept, fmt in [
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
    ]:
        other = graph(fetch(kg_server, MUTTAQI, accept)[2], fmt)
        assert isomorphic(turtle, other), (accept, len(turtle), len(other))


def test_the_turtle_has_the_label_and_the_provenance_of_its_statements(kg_server: str) -> None:
    g = graph(fetch(kg_server, MUTTAQI, "text/turtle")[2], "turtle")
    me = URIRef(ID + "person/amir-khan-muttaqi")
    assert (me, SKOS.prefLabel, Literal("Amir Khan Muttaqi", lang="en")) in g
    # his own citation: line 19 of the source file
    cites = list(g.objects(me, KG.evidence))
    assert [g.value(c, KG.line) for c in cites] == [Literal(19)], cites
    source = g.value(cites[0], KG.citedSource)
    assert g.value(source, KG.file) == Literal(SOURCE_FILE), source
    # the meeting he took part in: his participation, and the event's line
    part = URIRef(ID + "event/2022-07-16-muttaqi-aminian/participation/amir-khan-muttaqi")
    assert (part, KG.actor, me) in g and (part, KG.side, URIRef(ID + "org/taliban")) in g
    event = URIRef(ID + "event/2022-07-16-muttaqi-aminian")
    assert (event, KG.participation, part) in g
    assert {g.value(c, KG.line) for c in g.objects(event, KG.evidence)} == {Literal(19)}
    # what kg inferred of him says so: its status, rule and premises' lines
    inferred = URIRef(ID + "event/2022-08-14-visa-announcement/participation/inferred/amir-khan-muttaqi")
    assert (inferred, KG.epistemicStatus, KG.Inferred) in g
    assert (inferred, KG.rule, URIRef(ID + "rule/office-holder")) in g
    lines = {g.value(c, KG.line) for c in g.objects(inferred, KG.evidence)}
    assert lines == {Literal(19), Literal(22)}, lines
    # the tenure that names him, with its lines
    tenure = URIRef(ID + "role/muttaqi-foreign-minister")
    assert (tenure, URIRef("http://www.w3.org/ns/org#member"), me) in g
    assert {g.value(c, KG.line) for c in g.objects(tenure, KG.evidence)} == {Literal(19)}


def test_a_claim_about_it_comes_with_its_status_asserter_and_lines(kg_server: str) -> None:
    g = graph(fetch(kg_server, SAIF, "text/turtle")[2], "turtle")
    claims = [c for c in g.subjects(KG.subject, URIRef(ID + "person/saif-al-adel"))]
    assert len(claims) == 1, claims
    claim = claims[0]
    assert (claim, RDF.type, KG.Claim) in g
    assert (claim, KG.epistemicStatus, KG.Stated) in g
    assert (claim, KG.assertedBy, KG.SourceAuthor) in g
    assert {g.value(c, KG.line) for c in g.objects(claim, KG.evidence)} == {Literal(34)}


def test_the_page_is_the_card_with_its_source_lines(kg_server: str) -> None:
    status, headers, body = fetch(kg_server, MUTTAQI, BROWSER)
    page = body.decode("utf-8")
    assert status == 200, page
    assert "<h1>Amir Khan Muttaqi</h1>" in page, page[:1000]
    # as `kg show` prints it: roles, events, statements, each with its source lines
    for text in (
        "<h2>Roles</h2>",
        "<h2>Events</h2>",
        "Taliban Minister of Foreign Affairs",
        "Muttaqi and Aminian agree on joint trade delegations",
        f"{SOURCE_FILE}:19",
    ):
        assert text in page, text
    # offline: nothing loaded from elsewhere, no script at all, and a CSP that says so
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "default-src 'none'" in headers["content-security-policy"], headers
    # links lead to the other entities' pages on this server
    assert 'href="/id/event/2022-07-16-muttaqi-aminian"' in page, page


def test_a_claims_status_heads_its_statements_on_the_page(kg_server: str) -> None:
    page = fetch(kg_server, "/id/org/iran", "text/html")[2].decode("utf-8")
    for heading in ("Stated", "Reported by unnamed sources", "The author&#39;s assessment"):
        assert f"<h2>{heading}</h2>" in page, heading


def test_suffixes_choose_the_format(kg_server: str) -> None:
    for suffix, ctype, fmt in [
        (".ttl", "text/turtle", "turtle"),
        (".jsonld", "application/ld+json", "json-ld"),
        (".nt", "application/n-triples", "nt"),
        (".rdf", "application/rdf+xml", "xml"),
    ]:
        status, headers, body = fetch(kg_server, MUTTAQI + suffix, "text/html")
        assert (status, headers["content-type"]) == (200, f"{ctype}; charset=utf-8"), suffix
        assert (URIRef(ID + "person/amir-khan-muttaqi"), SKOS.prefLabel, None) in graph(body, fmt)
    status, headers, body = fetch(kg_server, MUTTAQI + ".html", "text/turtle")
    assert headers["content-type"].startswith("text/html") and b"<h1>Amir Khan" in body


def test_a_part_of_a_record_is_served_too(kg_server: str) -> None:
    path = "/id/event/2022-07-16-muttaqi-aminian/participation/amir-khan-muttaqi"
    g = graph(fetch(kg_server, path)[2], "turtle")
    assert (URIRef(ID + path[4:]), KG.side, URIRef(ID + "org/taliban")) in g
    page = fetch(kg_server, path, "text/html")[2].decode("utf-8")
    assert '<a href="/id/org/taliban">Taliban</a>' in page, page


def test_head_answers_like_get_without_a_body(kg_server: str) -> None:
    got = fetch(kg_server, MUTTAQI, "text/turtle")
    status, headers, body = fetch(kg_server, MUTTAQI, "text/turtle", method="HEAD")
    assert (status, body) == (200, b""), (status, body)
    assert headers["content-length"] == str(len(got[2])), headers
    assert headers["content-type"] == got[1]["content-type"] and headers["vary"] == "Accept"


# ---------------------------------------------------------------------------- refusals
def test_unknown_entity_is_404_naming_it(kg_server: str) -> None:
    for path in ("/id/person/nobody-at-all", "/id/persn/amir-khan-muttaqi"):
        status, headers, body = fetch(kg_server, path, "text/html")
        assert status == 404, (path, status)
        assert body.decode() == f"no entity {ID}{path[4:]} in this graph\n", body
        assert headers["content-type"] == "text/plain; charset=utf-8"


def test_unacceptable_type_is_406(kg_server: str) -> None:
    status, headers, body = fetch(kg_server, MUTTAQI, "image/png")
    assert status == 406 and b"text/turtle" in body and b"text/html" in body, body
    assert headers["vary"] == "Accept"


@pytest.mark.parametrize(
    "path",
    [
        "/id/../../etc/passwd",
        "/id/person/../../../etc/passwd",
        "/id/%2e%2e/%2e%2e/etc/passwd",
        "/id/person/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/id/person/<script>alert(1)</script>",
        "/id/person/%3Cscript%3Ealert(1)%3C/script%3E",
        "/id/person/amir-khan-muttaqi%00",
        "/id/person/Amir-Khan-Muttaqi",
        "/id/person/amir-khan-muttaqi/",
        "/id//person/amir-khan-muttaqi",
        "/id/person",
        "/id/",
        "/id/person/amir-khan-muttaqi.exe",
        "/id/person/" + "a" * 600,
        "/id/person/a/b/c/d/e/f/g/h",
    ],
)
def test_a_path_outside_the_shape_of_kgs_iris_is_refused(kg_server: str, path: str) -> None:
    status, headers, body = fetch(kg_server, path, "text/html")
    assert status == 404, (path, status, body)
    assert headers["content-type"] == "text/plain; charset=utf-8", headers
    # the answer names the shape, never the path it was sent
    assert body.startswith(b"not found: entities are served at /id/<kind>/<slug>"), body
    assert b"script" not in body and b"passwd" not in body, body


# ---------------------------------------------------------------------------- hostile names
HOSTILE = '<img src=x onerror="document.title=\'pwned\'">'


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`kg serve` over the mini facts, Muttaqi named like an HTML element, with a bidi
    override in an alias."""
    dest = tmp_path_factory.mktemp("hostile-ld") / "mini"
    shutil.copytree(MINI, dest)
    facts = dest / "facts" / "mini.yaml"
    text = facts.read_text(encoding="utf-8")
    assert "    name: Amir Khan Muttaqi\n" in text
    text = text.replace(
        "    name: Amir Khan Muttaqi\n",
        f"    name: {json.dumps(HOSTILE)}\n    aliases: [\"\\u202eikattoM\"]\n",
    )
    facts.write_text(text, encoding="utf-8")
    result = run_build(dest, dest / "build")
    assert result.exit_code == 0, result.output
    url, proc = start_kg_serve(dest / "build" / "store", 5, 500)
    try:
        yield url
    finally:
        stop(proc)


def test_a_name_that_looks_like_html_shows_as_text(hostile_server: str) -> None:
    page = fetch(hostile_server, MUTTAQI, "text/html")[2].decode("utf-8")
    assert "<img" not in page, page
    assert "<h1>&lt;img src=x onerror=&#34;document.title=&#39;pwned&#39;&#34;&gt;</h1>" in page
    assert "\u202e" not in page and "\\u202eikattoM" in page, page
    # the data keeps the exact name
    g = graph(fetch(hostile_server, MUTTAQI, "text/turtle")[2], "turtle")
    assert (URIRef(ID + MUTTAQI[4:]), SKOS.prefLabel, Literal(HOSTILE, lang="en")) in g


def test_the_hostile_page_in_chromium(hostile_server: str, open_page: Any) -> None:
    opened = open_page(hostile_server + MUTTAQI, ready="() => document.readyState === 'complete'")
    page = opened.page
    assert page.evaluate("document.querySelectorAll('img, script').length") == 0
    assert page.inner_text("h1") == HOSTILE
    assert page.title() != "pwned" and not opened.dialogs and not opened.page_errors
    assert not opened.requests, opened.requests


def test_the_page_lists_what_kg_show_lists(kg_server: str, shipped_build: Path) -> None:
    result = CliRunner().invoke(
        main, ["--store", str(shipped_build / "store"), "show", "Iran", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    page = fetch(kg_server, "/id/org/iran", "text/html")[2].decode("utf-8")
    assert card["statements"], card
    for st in card["statements"]:
        assert str(escape(st["value"])) in page, st
        lines = ", ".join(f"{c['document']}:{c['line']}" for c in st["sources"])
        assert lines in page, st


# ---------------------------------------------------------------------------- --base-iri
BASE = "https://example.org/kg/"


@pytest.fixture(scope="module")
def based(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped facts built with `--base-iri https://example.org/kg/`; the build folder."""
    from tests.conftest import FACTS, SHARED_SOURCES

    out = tmp_path_factory.mktemp("based") / "build"
    args = ["build", "--facts", str(FACTS), "--sources", str(SHARED_SOURCES), "--base-iri", BASE]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_the_base_iri_names_the_entities_and_nothing_else(based: Path) -> None:
    turtle = (based / "kg.ttl").read_text(encoding="utf-8")
    assert f"@prefix id: <{BASE}id/> ." in turtle, turtle[:1500]
    assert "w3id.org/kg/id/" not in turtle
    g = Graph().parse(based / "kg.ttl")
    me = URIRef(BASE + "id/person/amir-khan-muttaqi")
    assert (me, RDF.type, KG.Person) in g  # the ontology keeps its namespace
    assert (me, SKOS.prefLabel, Literal("Amir Khan Muttaqi", lang="en")) in g
    void = Namespace("http://rdfs.org/ns/void#")
    assert list(g.objects(None, void.uriSpace)) == [Literal(BASE + "id/")]
    assert (URIRef(ID + "rule/succession"), None, None) not in g
    assert (URIRef(BASE + "id/rule/succession"), RDF.type, KG.Rule) in g


@pytest.mark.slow  # a second build / a page per kind: seconds
def test_same_facts_and_base_give_the_same_build(based: Path, tmp_path: Path) -> None:
    from tests.conftest import FACTS, SHARED_SOURCES

    args = ["build", "--facts", str(FACTS), "--sources", str(SHARED_SOURCES), "--base-iri", BASE]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "again")])
    assert result.exit_code == 0, result.output
    # kg.ttl and the sidecars (the store's RocksDB files and the seal listing them vary)
    files = sorted(p.name for p in (based / "current").iterdir() if p.suffix in (".ttl", ".json"))
    assert "kg.ttl" in files and "aggregates.json" in files, files
    for name in files:
        assert (based / "current" / name).read_bytes() == (
            tmp_path / "again" / "current" / name
        ).read_bytes(), name


LOOKUPS = [
    ["who-met", "--format", "json"],
    ["show", "Muttaqi", "--format", "json"],
    ["show", "Iran", "--format", "json"],
    ["roles", "--on", "2022-08-20", "--format", "json"],
    ["timeline", "Iran", "--format", "json"],
    ["agreements", "--format", "json"],
    ["claims", "--format", "json"],
    ["path", "muttaqi", "Saif al-Adel", "--format", "json"],
    ["rank", "--format", "json"],
    ["communities", "--format", "json"],
    ["stats", "--format", "json"],
    ["topics", "--format", "json"],
    ["query", "who-met", "--param", "person=id:person/amir-khan-muttaqi", "--format", "csv"],
]


@pytest.mark.parametrize("args", LOOKUPS, ids=lambda a: " ".join(a[:2]))
def test_lookups_answer_the_same_under_another_base(
    shipped_build: Path, based: Path, args: list[str]
) -> None:
    def ask(build: Path) -> str:
        result = CliRunner().invoke(main, ["--store", str(build / "store"), *args])
        assert result.exit_code == 0, result.output
        return result.stdout

    want = ask(shipped_build).replace(ID, BASE + "id/")
    assert BASE in want or args[0] in ("stats", "topics", "communities"), want[:300]
    assert ask(based) == want


def test_the_view_and_csv_export_under_another_base(
    shipped_build: Path, based: Path, tmp_path: Path
) -> None:
    def run(build: Path, *args: str) -> None:
        result = CliRunner().invoke(main, ["--store", str(build / "store"), *args])
        assert result.exit_code == 0, result.output

    for name, build in (("w3id", shipped_build), ("based", based)):
        run(build, "view", "--ego", "muttaqi", "-o", str(tmp_path / f"{name}.html"))
        run(build, "export", "--format", "csv", "-o", str(tmp_path / f"{name}-csv"))
    page = (tmp_path / "w3id.html").read_text(encoding="utf-8").replace(ID, BASE + "id/")
    assert (tmp_path / "based.html").read_text(encoding="utf-8") == page
    people = (tmp_path / "w3id-csv" / "Person.csv").read_text(encoding="utf-8")
    assert "Amir Khan Muttaqi" in people
    assert (tmp_path / "based-csv" / "Person.csv").read_text(encoding="utf-8") == people.replace(
        ID, BASE + "id/"
    )


def test_kg_serve_dereferences_the_base_iris(based: Path) -> None:
    url, proc = start_kg_serve(based / "store", 5, 500)
    try:
        status, _, body = fetch(url, MUTTAQI, "text/turtle")
        assert status == 200, body
        g = graph(body, "turtle")
        me = URIRef(BASE + "id/person/amir-khan-muttaqi")
        assert (me, SKOS.prefLabel, Literal("Amir Khan Muttaqi", lang="en")) in g
        assert not [t for t in g if ID in str(t[0]) or ID in str(t[2])]
        page = fetch(url, MUTTAQI, BROWSER)[2].decode("utf-8")
        assert f"<code>{BASE}id/person/amir-khan-muttaqi</code>" in page
        assert 'href="/id/event/2022-07-16-muttaqi-aminian"' in page, page
    finally:
        stop(proc)


@pytest.mark.parametrize(
    "base",
    ["https://example.org/kg", "ftp://example.org/", "https://example.org/k g/",
     "https://example.org/kg/?x=/", "https://example.org/<kg>/", "example.org/kg/"],
)
def test_a_base_that_cannot_prefix_iris_is_a_usage_error(mini: Path, base: str) -> None:
    result = run_build(mini, mini / "build", "--base-iri", base)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--base-iri'" in result.output, result.output
    assert "ending in '/'" in result.output, result.output
    assert not (mini / "build").exists()


def test_the_readmes_curl_examples_answer(kg_server: str) -> None:
    import re

    from kg.linkeddata import MAX_MENTIONS
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Linked Data: every IRI answers", 1)[1].split("\n### ", 1)[0]
    assert f"At most {MAX_MENTIONS}" in section
    examples = re.findall(r"^curl (?:-H '([^']+)' )?http://127\.0\.0\.1:7878(\S+)$", section, re.M)
    assert len(examples) >= 4, examples
    for header, path in examples:
        accept = header.split(": ", 1)[1] if header else None
        status, headers, body = fetch(kg_server, path, accept)
        ctype = headers["content-type"].split(";")[0]
        want = accept or {"ttl": "text/turtle"}.get(path.rsplit(".", 1)[-1])
        assert (status, ctype) == (200, want), (path, status, ctype, body[:200])


@pytest.mark.slow  # a second build / a page per kind: seconds
def test_one_node_of_every_kind_dereferences(shipped_build: Path) -> None:
    import pyoxigraph as ox

    from kg.linkeddata import dereference

    store = ox.Store.read_only(str(shipped_build / "store"))
    first: dict[str, str] = {}
    for sol in store.query("SELECT DISTINCT ?e WHERE { ?e a ?type } ORDER BY ?e"):
        iri = sol["e"].value
        if iri.startswith(ID) and iri.count("/") == ID.count("/") + 1:
            first.setdefault(iri[len(ID) :].split("/")[0], iri)
    del store
    kinds = {"person", "org", "event", "claim", "agreement", "role", "source", "rule", "post"}
    assert kinds <= set(first), first
    for kind, iri in sorted(first.items()):
        path = "/id/" + iri[len(ID) :]
        page = dereference(shipped_build / "store", path, "text/html")
        assert page.status == 200 and b"<h1>" in page.body, (kind, page.body[:300])
        data = dereference(shipped_build / "store", path, "text/turtle")
        assert (URIRef(iri), RDF.type, None) in graph(data.body, "turtle"), kind
