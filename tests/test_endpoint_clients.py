"""kg serve as standard clients use it: SPARQLWrapper, rdflib's SPARQLStore, curl-style
format= parameters, keep-alive connections, a browser page of another site (YASGUI), the
service description, kg's predeclared prefixes, and a rebuild while a client queries.

Every answer is parsed and checked for what a user would look for in it, never only for a
status code.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.cli import main
from tests.conftest import ROOT, run_build
from tests.servers import free_port, start_kg_serve, stop, wait_for_port
from tests.test_endpoint import get, http

KG = "https://w3id.org/kg/ont#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
MUTTAQI = "https://w3id.org/kg/id/person/amir-khan-muttaqi"
# No PREFIX lines: kg's prefixes are predeclared, as in kg query.
PERSONS = "SELECT ?n WHERE { ?p a kg:Person ; skos:prefLabel ?n } ORDER BY ?n"
PEOPLE_GRAPH = "CONSTRUCT { ?p a kg:Person ; skos:prefLabel ?n } WHERE { ?p a kg:Person ; skos:prefLabel ?n }"
DESCRIBE = f"DESCRIBE <{MUTTAQI}>"


def names_in(graph: Any) -> set[str]:
    """The skos:prefLabels of the kg:Persons in an rdflib graph."""
    from rdflib import RDF, SKOS, URIRef

    person = URIRef(KG + "Person")
    return {str(graph.value(p, SKOS.prefLabel)) for p in graph.subjects(RDF.type, person)}


# --------------------------------------------------------------------------- SPARQLWrapper
def wrapper(base: str, query: str, fmt: str | None = None, method: str = "GET") -> Any:
    from SPARQLWrapper import SPARQLWrapper

    client = SPARQLWrapper(f"{base}/sparql")
    client.setQuery(query)
    client.setMethod(method)
    if fmt is not None:
        client.setReturnFormat(fmt)
    return client.query()


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("fmt", [None, "json", "xml", "csv", "tsv"])
def test_sparqlwrapper_select(kg_server: str, fmt: str | None, method: str) -> None:
    result = wrapper(kg_server, PERSONS, fmt, method)
    data = result.convert()
    if fmt == "json":
        names = [b["n"]["value"] for b in data["results"]["bindings"]]
    elif fmt in (None, "xml"):  # SPARQLWrapper's default: SPARQL XML, as a DOM
        names = [n.firstChild.data for n in data.getElementsByTagName("literal")]
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode())))
        assert rows[0] == ["n"], rows[0]
        names = [r[0] for r in rows[1:]]
    else:
        solutions = ox.parse_query_results(data, format=ox.QueryResultsFormat.TSV)
        names = [s["n"].value for s in solutions]
    assert len(names) == 14 and names[0] == "Abdul Baqi Haqqani", names
    assert "Amir Khan Muttaqi" in names


@pytest.mark.parametrize("fmt", [None, "json", "xml"])
def test_sparqlwrapper_ask(kg_server: str, fmt: str | None) -> None:
    data = wrapper(kg_server, "ASK { ?c kg:line 34 }", fmt).convert()
    if fmt == "json":
        assert data["boolean"] is True
    else:
        assert data.getElementsByTagName("boolean")[0].firstChild.data == "true"
    no = wrapper(kg_server, "ASK { ?c kg:line -1 }", "json").convert()
    assert no["boolean"] is False


# SPARQLWrapper's graph formats: None is its default (RDF/XML); json asks with */* and
# format=json, which means JSON-LD for a graph.
GRAPH_FORMATS = [None, "xml", "rdf", "rdf+xml", "turtle", "n3", "json-ld", "json"]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("fmt", GRAPH_FORMATS)
def test_sparqlwrapper_construct_and_describe(kg_server: str, fmt: str | None, method: str) -> None:
    from rdflib import Graph, Literal, URIRef

    result = wrapper(kg_server, PEOPLE_GRAPH, fmt, method)
    ctype = result.info()["content-type"]
    data = result.convert()
    if isinstance(data, bytes):  # turtle and n3 come back as text to parse
        data = Graph().parse(data=data, format="turtle")
    assert isinstance(data, Graph), (fmt, ctype, type(data))
    assert len(data) == 28 and len(names_in(data)) == 14, (fmt, ctype, len(data))
    assert "Shahabuddin Delawar" in names_in(data)
    described = wrapper(kg_server, DESCRIBE, fmt, method)
    data = described.convert()
    if isinstance(data, bytes):
        data = Graph().parse(data=data, format="turtle")
    label = Literal("Amir Khan Muttaqi", lang="en")
    assert (URIRef(MUTTAQI), URIRef(SKOS + "prefLabel"), label) in data, (fmt, len(data))


def test_sparqlwrapper_negotiates_the_media_type_it_asked_for(kg_server: str) -> None:
    want = {
        None: "application/rdf+xml",
        "xml": "application/rdf+xml",
        "rdf": "application/rdf+xml",
        "rdf+xml": "application/rdf+xml",
        "turtle": "text/turtle",
        "n3": "text/n3",
        "json-ld": "application/ld+json",
        "json": "application/ld+json",
    }
    got = {f: wrapper(kg_server, DESCRIBE, f).info()["content-type"].split(";")[0] for f in want}
    assert got == want


# ------------------------------------------------------------------------ rdflib SPARQLStore
@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore(kg_server: str, method: str) -> None:
    from rdflib import Graph, Literal, URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = Graph(SPARQLStore(f"{kg_server}/sparql", method=method))
    rows = list(graph.query(PERSONS))
    assert len(rows) == 14 and str(rows[0][0]) == "Abdul Baqi Haqqani", rows[:2]
    built = graph.query(PEOPLE_GRAPH).graph
    assert built is not None and len(built) == 28 and "Amir Khan Muttaqi" in names_in(built)
    described = graph.query(DESCRIBE).graph
    assert described is not None
    label = Literal("Amir Khan Muttaqi", lang="en")
    assert (URIRef(MUTTAQI), URIRef(SKOS + "prefLabel"), label) in described
    assert graph.query("ASK { ?c kg:line 34 }").askAnswer is True


# ---------------------------------------------------------------------- format= and Accept
def parsed_graph(body: bytes, ctype: str) -> list[Any]:
    fmt = ox.RdfFormat.from_media_type(ctype.split(";")[0])
    assert fmt is not None, ctype
    return list(ox.parse(body, format=fmt))


GRAPH_NAMES = {
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "ntriples": "application/n-triples",
    "nt": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "xml": "application/rdf+xml",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "json": "application/ld+json",
    "nquads": "application/n-quads",
    "trig": "application/trig",
    "n3": "text/n3",
    "application/rdf+xml": "application/rdf+xml",
    "application/ld json": "application/ld+json",  # a + sent unescaped arrives as a space
}


@pytest.mark.parametrize("param", ["format", "output"])
@pytest.mark.parametrize(("name", "media"), GRAPH_NAMES.items())
def test_format_parameter_for_graphs(kg_server: str, param: str, name: str, media: str) -> None:
    url = f"{kg_server}/sparql?" + urllib.parse.urlencode({"query": PEOPLE_GRAPH, param: name})
    # format= wins over Accept, as in Fuseki
    status, ctype, body = http(url, headers={"Accept": "application/n-triples"})
    assert status == 200 and ctype.split(";")[0] == media, (status, ctype, body[:200])
    triples = parsed_graph(body, ctype)
    labels = {t.object.value for t in triples if t.predicate.value == SKOS + "prefLabel"}
    assert len(triples) == 28 and "Amir Khan Muttaqi" in labels


RESULT_NAMES = {
    "json": ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    "xml": ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    "csv": ("text/csv", None),
    "tsv": ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
    "application/sparql-results+json": ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    "text/tab-separated-values": ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
}


@pytest.mark.parametrize(("name", "want"), RESULT_NAMES.items())
def test_format_parameter_for_results(kg_server: str, name: str, want: Any) -> None:
    media, fmt = want
    url = f"{kg_server}/sparql?" + urllib.parse.urlencode({"query": PERSONS, "format": name})
    status, ctype, body = http(url, headers={"Accept": "text/csv"})
    assert status == 200 and ctype.split(";")[0] == media, (status, ctype, body[:200])
    if fmt is None:  # CSV, which pyoxigraph does not read back (it is lossy)
        rows = list(csv.reader(io.StringIO(body.decode())))
        assert rows[0] == ["n"], rows[0]
        names = [r[0] for r in rows[1:]]
    else:
        names = [s["n"].value for s in ox.parse_query_results(body, format=fmt)]
    assert len(names) == 14 and "Amir Khan Muttaqi" in names


def test_format_parameter_in_a_posted_form(kg_server: str) -> None:
    form = urllib.parse.urlencode({"query": PERSONS, "output": "csv"}).encode()
    status, ctype, body = http(
        f"{kg_server}/sparql", form, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 200 and ctype.startswith("text/csv"), (status, ctype)
    assert next(iter(csv.reader(io.StringIO(body.decode())))) == ["n"]


@pytest.mark.parametrize("value", ["html", "text/html", "jsonp", "../etc/passwd"])
def test_unknown_format_is_refused_naming_the_known_ones(kg_server: str, value: str) -> None:
    url = f"{kg_server}/sparql?" + urllib.parse.urlencode({"query": PERSONS, "format": value})
    status, _, body = http(url)
    text = body.decode()
    assert status == 400 and f"unknown format {value!r}" in text, (status, text)
    assert "json, xml, csv, tsv, turtle (ttl), ntriples (nt), rdfxml" in text


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-quads", "application/n-quads"),
        ("application/trig", "application/trig"),
        ("text/n3", "text/n3"),
        ("application/sparql-results+xml, application/rdf+xml", "application/rdf+xml"),
        ("text/html, application/xml;q=0.9, */*;q=0.8", "application/rdf+xml"),
        ("", "text/turtle"),
        ("*/*", "text/turtle"),
    ],
)
def test_graph_content_negotiation(kg_server: str, accept: str, media: str) -> None:
    status, ctype, body = get(kg_server, PEOPLE_GRAPH, accept)
    assert status == 200 and ctype.split(";")[0] == media, (status, ctype, body[:200])
    assert len(parsed_graph(body, ctype)) == 28


# ------------------------------------------------------------------------------ HTTP/1.1
def test_keep_alive_serves_several_requests_on_one_connection(kg_server: str) -> None:
    host, port = kg_server.removeprefix("http://").rsplit(":", 1)
    conn = HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": PERSONS}))
        first = conn.getresponse()
        assert first.version == 11 and first.getheader("Connection") is None
        names = json.loads(first.read())["results"]["bindings"]
        sock = conn.sock
        assert sock is not None
        conn.request(
            "POST",
            "/sparql",
            body=PEOPLE_GRAPH.encode(),
            headers={"Content-Type": "application/sparql-query", "Accept": "application/n-triples"},
        )
        second = conn.getresponse()
        triples = list(ox.parse(second.read(), format=ox.RdfFormat.N_TRIPLES))
        conn.request("GET", "/sparql", headers={"Accept": "text/turtle"})  # the description
        third = conn.getresponse()
        description = third.read()
        assert conn.sock is sock, "the client had to open a new connection"
        assert len(names) == 14 and len(triples) == 28 and b"sd:Service" in description
    finally:
        conn.close()


def test_pipelined_requests_are_answered_in_order(kg_server: str) -> None:
    from tests.test_endpoint_security import raw

    ask = "GET /sparql?query={} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    requests = (
        ask.format(urllib.parse.quote("ASK { ?c kg:line 34 }"))
        + ask.format(urllib.parse.quote("ASK { ?c kg:line -1 }"))
        + "GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    got = raw(kg_server, requests.encode(), half_close=False)
    answers = [a.split(b"\r\n\r\n", 1)[1] for a in got.split(b"HTTP/1.1 200 OK\r\n")[1:]]
    assert [json.loads(a)["boolean"] for a in answers] == [True, False, True], got


@pytest.mark.slow
def test_an_idle_kept_alive_connection_is_dropped(shipped_build: Path) -> None:
    url, proc = start_kg_serve(
        shipped_build / "store", 2, 500, "--idle-timeout", "1", "--max-connections", "2"
    )
    host, port = url.removeprefix("http://").rsplit(":", 1)
    try:
        assert answered(url), "the port probe's connection still holds a slot"
        kept = []
        for _ in range(2):
            conn = HTTPConnection(host, int(port), timeout=30)
            conn.request("GET", "/sparql?query=ASK%7B%7D")
            assert conn.getresponse().read() == b'{"head":{},"boolean":true}'
            kept.append(conn)
        # both slots are held by connections kept alive...
        assert get(url, "ASK {}")[0] == 503
        # ...until each has been idle for --idle-timeout: then the server closes them
        for conn in kept:
            assert conn.sock is not None
            conn.sock.settimeout(30)
            assert conn.sock.recv(100) == b"", "the server sent something instead of closing"
            conn.close()
        assert answered(url), "the dropped connections' slots were not freed"
    finally:
        stop(proc)


def answered(url: str) -> bool:
    """Whether ASK {} gets 200 within 10 s (a slot is freed as a server thread ends)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if get(url, "ASK {}")[0] == 200:
            return True
        time.sleep(0.05)
    return False


def test_a_body_that_is_not_read_closes_the_connection(kg_server: str) -> None:
    # A POST refused before its body is read (here, too long) must not leave the body to
    # be read as the next request: the answer says Connection: close.
    host, port = kg_server.removeprefix("http://").rsplit(":", 1)
    conn = HTTPConnection(host, int(port), timeout=30)
    try:
        body = b"ASK {} #" + b"GET /sparql?query=x HTTP/1.1\r\n\r\n" * 3000
        conn.request("POST", "/sparql", body=body, headers={"Content-Type": "application/sparql-query"})
        resp = conn.getresponse()
        assert resp.status == 413 and resp.getheader("Connection") == "close"
        assert b"query too long" in resp.read()
    finally:
        conn.close()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_get_405_with_allow(kg_server: str, method: str) -> None:
    host, port = kg_server.removeprefix("http://").rsplit(":", 1)
    conn = HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, "/sparql", body=b"<urn:a> <urn:b> <urn:c> .")
        resp = conn.getresponse()
        assert resp.status == 405, resp.status
        assert resp.getheader("Allow") == "GET, HEAD, POST, OPTIONS"
        assert f"{method} is not allowed" in resp.read().decode()
        conn.request("FROB", "/sparql")  # no such HTTP method: 501, as HTTP says
        assert conn.getresponse().status == 501
    finally:
        conn.close()
    assert get(kg_server, "ASK { ?c kg:line 34 }")[2] == b'{"head":{},"boolean":true}'


# ---------------------------------------------------------------- service description
def test_service_description(kg_server: str) -> None:
    from rdflib import Graph, Namespace, URIRef
    from rdflib.compare import isomorphic

    sd = Namespace("http://www.w3.org/ns/sparql-service-description#")
    formats = Namespace("http://www.w3.org/ns/formats/")
    status, ctype, body = http(f"{kg_server}/sparql")
    assert status == 200 and ctype.startswith("text/turtle"), (status, ctype)
    graph = Graph().parse(data=body, format="turtle")
    service = graph.value(predicate=sd.endpoint, object=URIRef(f"{kg_server}/sparql"))
    assert service is not None, body.decode()
    assert (service, sd.supportedLanguage, sd.SPARQL11Query) in graph
    offered = set(graph.objects(service, sd.resultFormat))
    assert {formats.SPARQL_Results_JSON, formats.SPARQL_Results_CSV, formats.RDF_XML} <= offered
    assert URIRef(formats + "JSON-LD") in offered and len(offered) == 11, offered
    assert (service, sd.feature, sd.BasicFederatedQuery) not in graph  # SERVICE is refused
    dataset = graph.value(service, sd.defaultDataset)
    assert graph.value(dataset, sd.defaultGraph) is not None
    # the same description in JSON-LD and RDF/XML, and (for a browser) the query page
    for accept, fmt in (("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")):
        status, ctype, body = http(f"{kg_server}/query", headers={"Accept": accept})
        assert status == 200 and ctype.startswith(accept)
        assert isomorphic(Graph().parse(data=body, format=fmt), graph)
    page = http(f"{kg_server}/sparql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page[1].startswith("text/html") and b"kg SPARQL endpoint" in page[2]


def test_service_description_names_the_address_used_when_listening_on_all(
    shipped_build: Path,
) -> None:
    from rdflib import Graph, Namespace

    sd = Namespace("http://www.w3.org/ns/sparql-service-description#")
    base, proc = start_kg_serve(shipped_build / "store", 5, 1000, "--host", "0.0.0.0")
    try:
        port = base.rsplit(":", 1)[1]
        status, _, body = http(f"{base}/sparql", headers={"Host": f"localhost:{port}"})
        assert status == 200
        graph = Graph().parse(data=body, format="turtle")
        endpoints = {str(o) for o in graph.objects(None, sd.endpoint)}
        assert endpoints == {f"http://localhost:{port}/sparql"}, body.decode()
    finally:
        stop(proc)


# --------------------------------------------------------------------------- prefixes
def test_prefixes_are_predeclared_and_a_query_may_redeclare_them(kg_server: str) -> None:
    q = (
        'SELECT DISTINCT ?post WHERE { ?p skos:prefLabel "Amir Khan Muttaqi"@en . '
        "?t a kg:Tenure ; org:member ?p ; kg:post/skos:prefLabel ?post . "
        "FILTER(STRSTARTS(STR(?p), STR(id:))) }"
    )
    status, _, body = get(kg_server, q)
    assert status == 200, body
    posts = {b["post"]["value"] for b in json.loads(body)["results"]["bindings"]}
    assert posts == {"Taliban Minister of Foreign Affairs"}, posts
    # the query's own declaration of a name wins
    status, _, body = get(kg_server, "PREFIX kg: <urn:mine#> SELECT (kg:Person AS ?x) {}")
    assert json.loads(body)["results"]["bindings"][0]["x"]["value"] == "urn:mine#Person"
    # a name kg does not declare is still an error, on the user's own line and column
    status, _, body = get(kg_server, "SELECT ?x WHERE {\n  ?x nope:p ?y }")
    assert status == 400 and b"Prefix not found" in body and b"error at 2:" in body, body
    status, _, body = get(kg_server, "SELECT ?x WHERE { ?x ")
    assert status == 400 and b"error at 1:" in body, body


# ------------------------------------------------------------------------------- CORS
def test_cors_preflight_and_answers(kg_server: str) -> None:
    host, port = kg_server.removeprefix("http://").rsplit(":", 1)
    conn = HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(
            "OPTIONS",
            "/sparql",
            headers={
                "Origin": "https://yasgui.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        pre = conn.getresponse()
        assert pre.status == 204 and pre.read() == b""
        assert pre.getheader("Access-Control-Allow-Origin") == "*"
        assert pre.getheader("Access-Control-Allow-Methods") == "GET, POST, OPTIONS"
        assert pre.getheader("Access-Control-Allow-Headers") == "Content-Type, Accept"
        conn.request(
            "POST",
            "/sparql",
            body=urllib.parse.urlencode({"query": PERSONS}).encode(),
            headers={
                "Origin": "https://yasgui.example",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json",
            },
        )
        resp = conn.getresponse()
        assert resp.getheader("Access-Control-Allow-Origin") == "*"
        assert len(json.loads(resp.read())["results"]["bindings"]) == 14
    finally:
        conn.close()


def test_cors_for_named_origins_only(shipped_build: Path) -> None:
    url, proc = start_kg_serve(
        shipped_build / "store", 2, 500, "--cors", "https://yasgui.example/", "--host", "127.0.0.1"
    )
    try:
        named = http(
            f"{url}/sparql?query=ASK%7B%7D", headers={"Origin": "https://yasgui.example"}
        )
        assert named[0] == 200 and named[2] == b'{"head":{},"boolean":true}', named
        other = http(f"{url}/sparql?query=ASK%7B%7D", headers={"Origin": "https://evil.example"})
        assert other[0] == 403 and b"see kg serve --cors" in other[2], other
        host, port = url.removeprefix("http://").rsplit(":", 1)
        conn = HTTPConnection(host, int(port), timeout=30)
        conn.request("GET", "/sparql?query=ASK%7B%7D", headers={"Origin": "https://yasgui.example"})
        resp = conn.getresponse()
        assert resp.getheader("Access-Control-Allow-Origin") == "https://yasgui.example"
        assert resp.getheader("Vary") == "Origin"
        conn.close()
    finally:
        stop(proc)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cors", "yasgui.example"], "is not an origin such as https://yasgui.example:8080"),
        (["--cors", "https://yasgui.example/page"], "is not an origin"),
        (["--cors", "https://x.example:port"], "has a bad port"),
        (["--cors", "*", "--no-cors"], "--cors and --no-cors contradict each other"),
    ],
)
def test_cors_option_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output


def test_cors_defaults() -> None:
    from kg.server import ServerConfig

    assert ServerConfig(Path("s")).cors_origins() == ("*",)
    assert ServerConfig(Path("s"), host="::1").cors_origins() == ("*",)
    assert ServerConfig(Path("s"), host="0.0.0.0").cors_origins() == ()
    assert ServerConfig(Path("s"), host="10.0.0.5", cors=("*",)).cors_origins() == ("*",)
    assert ServerConfig(Path("s"), cors=()).cors_origins() == ()


class _Page(BaseHTTPRequestHandler):
    """Serves one empty page: the origin a foreign site's script runs in."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b"<!DOCTYPE html><title>another site</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


FETCHES = """async ([endpoint, query]) => {
  const out = {};
  // YASGUI's request: a form POST asking for SPARQL JSON (a "simple" request, no preflight)
  let r = await fetch(endpoint, {method: "POST", body: new URLSearchParams({query}),
    headers: {"Accept": "application/sparql-results+json"}});
  out.form = (await r.json()).results.bindings.map(b => b.n.value);
  // a body of type application/sparql-query is not "simple": the browser asks first
  r = await fetch(endpoint, {method: "POST", body: query, headers: {
    "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}});
  out.direct = (await r.json()).results.bindings.length;
  return out;
}"""


@pytest.mark.slow
def test_a_page_of_another_site_queries_from_chromium(
    shipped_build: Path, tmp_path: Path, browser: Any
) -> None:
    from tests.browser import CHROMIUM, FLAGS

    page_server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=page_server.serve_forever, daemon=True).start()
    site = f"http://yasgui.test:{page_server.server_address[1]}/"
    logs = {}
    procs = {}
    try:
        for name, extra in (("open", []), ("closed", ["--no-cors"])):
            port = free_port()
            logs[name] = tmp_path / f"{name}.log"
            procs[name] = subprocess.Popen(
                [sys.executable, "-m", "kg", "--store", str(shipped_build / "store"), "serve",
                 "--port", str(port), *extra],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=logs[name].open("wb"),
            )  # fmt: skip
            wait_for_port(port, procs[name])
            procs[name].endpoint = f"http://127.0.0.1:{port}/sparql"  # type: ignore[attr-defined]
        # A second Chromium from the session's Playwright (one sync Playwright per thread:
        # starting another while the session's runs fails), with yasgui.test, another site
        # to the browser, served from this machine.
        other = browser.browser_type.launch(
            executable_path=str(CHROMIUM),
            args=[*FLAGS, "--host-resolver-rules=MAP yasgui.test 127.0.0.1"],
        )
        try:
            page = other.new_page()
            page.goto(site)
            got = page.evaluate(FETCHES, [procs["open"].endpoint, PERSONS])  # type: ignore[attr-defined]
            assert len(got["form"]) == 14 and "Amir Khan Muttaqi" in got["form"], got
            assert got["direct"] == 14, got
            refused = page.evaluate(
                "async ([e, q]) => { try { await fetch(e, {method: 'POST', body: q, headers: "
                "{'Content-Type': 'application/sparql-query'}}); return 'read'; } "
                "catch (err) { return String(err); } }",
                [procs["closed"].endpoint, PERSONS],  # type: ignore[attr-defined]
            )
            assert "Failed to fetch" in refused, refused
        finally:
            other.close()
    finally:
        page_server.shutdown()
        for proc in procs.values():
            stop(proc)
    opened = logs["open"].read_text()
    # the browser did ask first (the preflight), and was told yes
    assert re.search(r'"OPTIONS /sparql HTTP/1.1" 204', opened), opened
    assert re.search(r'"POST /sparql HTTP/1.1" 200', opened), opened
    closed = logs["closed"].read_text()
    assert re.search(r'"OPTIONS /sparql HTTP/1.1" 403', closed), closed
    assert '"POST /sparql' not in closed, closed  # refused before any query was sent


# ----------------------------------------------------------------------- the query page
@pytest.fixture(scope="module")
def roomy_server(shipped_build: Path) -> Iterator[str]:
    """kg serve over the shipped build with its default result cap."""
    url, proc = start_kg_serve(shipped_build / "store", timeout=10, max_results=10_000)
    try:
        yield url
    finally:
        stop(proc)


def test_every_query_page_example_returns_rows(roomy_server: str) -> None:
    page = http(f"{roomy_server}/")[2].decode()
    data = re.search(r'id="examples-data">(.*?)</script>', page, re.DOTALL)
    assert data is not None
    examples = json.loads(data.group(1))
    assert len(examples) > 40, len(examples)
    empty = {}
    for ex in examples:
        status, _, body = http(
            f"{roomy_server}/sparql",
            ex["query"].encode(),
            {"Content-Type": "application/sparql-query"},
        )
        rows = json.loads(body)["results"]["bindings"] if status == 200 else None
        if not rows:
            empty[ex["title"]] = (status, body[:200])
    assert empty == {}, empty


# --------------------------------------------------------------------------- reload
@pytest.mark.slow
def test_a_new_build_is_served_between_queries(mini: Path) -> None:
    assert run_build(mini, mini / "build").exit_code == 0
    url, proc = start_kg_serve(mini / "build" / "store", 5, 500)
    query = "SELECT ?n WHERE { <https://w3id.org/kg/id/person/bahadur-aminian> skos:prefLabel ?n }"
    answers: list[tuple[int, str]] = []
    done = threading.Event()

    def client() -> None:
        while not done.is_set():
            status, _, body = get(url, query)
            name = json.loads(body)["results"]["bindings"][0]["n"]["value"] if status == 200 else ""
            answers.append((status, name or body.decode(errors="replace")))

    thread = threading.Thread(target=client)
    thread.start()
    try:
        while not answers:
            time.sleep(0.05)
        facts = mini / "facts" / "mini.yaml"
        facts.write_text(facts.read_text().replace("Bahadur Aminian", "Bahadur Aminian (renamed)"))
        assert run_build(mini, mini / "build").exit_code == 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and answers[-1][1] != "Bahadur Aminian (renamed)":
            time.sleep(0.05)
        time.sleep(0.5)  # and it stays switched
    finally:
        done.set()
        thread.join(timeout=30)
        stop_after = proc
    try:
        statuses = {s for s, _ in answers}
        names = [n for _, n in answers]
        assert statuses == {200}, [a for a in answers if a[0] != 200][:3]
        switch = names.index("Bahadur Aminian (renamed)")
        assert set(names[:switch]) == {"Bahadur Aminian"} and switch > 0, names[:switch][-3:]
        assert set(names[switch:]) == {"Bahadur Aminian (renamed)"}, names[switch:][:5]
        # the old engine is stopped once idle, and the old generation let go: a third build
        # deletes it
        deadline = time.monotonic() + 10
        while len(engines(proc.pid)) > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(engines(proc.pid)) == 1
        facts.write_text(facts.read_text().replace("(renamed)", "(again)"))
        assert run_build(mini, mini / "build").exit_code == 0
        assert len(list((mini / "build").glob("gen-*"))) <= 2
    finally:
        stop(stop_after)


def engines(pid: int) -> list[int]:
    """The oxigraph children of kg serve (any of its threads may have started one)."""
    tasks = Path(f"/proc/{pid}/task").glob("*/children")
    return [int(x) for path in tasks for x in path.read_text().split()]
