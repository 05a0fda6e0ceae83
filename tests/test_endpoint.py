"""kg serve (SPARQL 1.1 Protocol, read-only) and an external SPARQL server as the store.

Real servers only: `kg serve` over the shipped build, and a writable Oxigraph server that
`kg push` loads; the lookups must give the same answers through either as embedded.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from kg.cli import main
from kg.remote import gsp_url
from tests.conftest import run_build, synthetic_facts

PERSONS = (
    "PREFIX kg: <https://w3id.org/kg/ont#> PREFIX skos: <http://www.w3.org/2004/02/"
    "skos/core#> SELECT ?n WHERE { ?p a kg:Person ; skos:prefLabel ?n } ORDER BY ?n"
)
GRAPH = "https://example.org/graphs/kg"
SYNTHETIC_GRAPH = "https://example.org/graphs/synthetic"


def http(
    url: str,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
) -> tuple[int, str, bytes]:
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def get(base: str, query: str, accept: str = "") -> tuple[int, str, bytes]:
    return http(
        f"{base}/sparql?" + urllib.parse.urlencode({"query": query}),
        headers={"Accept": accept} if accept else {},
    )


# ---------------------------------------------------------------------------- kg serve
def test_sparqlwrapper_client(kg_server: str) -> None:
    from SPARQLWrapper import JSON, SPARQLWrapper

    client = SPARQLWrapper(f"{kg_server}/sparql")
    client.setQuery(PERSONS)
    client.setReturnFormat(JSON)
    names = [b["n"]["value"] for b in client.query().convert()["results"]["bindings"]]
    assert len(names) == 14 and names[0] == "Abdul Baqi Haqqani"
    client.setQuery("PREFIX kg: <https://w3id.org/kg/ont#> ASK { ?c kg:line 34 }")
    assert client.query().convert()["boolean"] is True


@pytest.mark.parametrize(
    ("accept", "ctype"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("", "application/sparql-results+json"),
        ("text/html;q=0.9, */*;q=0.1", "application/sparql-results+json"),
    ],
)
def test_select_content_negotiation(kg_server: str, accept: str, ctype: str) -> None:
    status, got, body = get(kg_server, PERSONS, accept)
    assert status == 200, body
    assert got.startswith(ctype), got
    if ctype == "text/csv":  # lossy by design: plain text cells
        rows = list(csv.reader(io.StringIO(body.decode())))
        assert rows[0] == ["n"] and len(rows) == 15 and ["Amir Khan Muttaqi"] in rows
        return
    fmt = {
        "application/sparql-results+json": ox.QueryResultsFormat.JSON,
        "application/sparql-results+xml": ox.QueryResultsFormat.XML,
        "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    }[ctype]
    parsed = list(ox.parse_query_results(body, format=fmt))
    assert len(parsed) == 14 and "Amir Khan Muttaqi" in {r["n"].value for r in parsed}


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES)],
)
def test_construct_content_negotiation(kg_server: str, accept: str, fmt: Any) -> None:
    q = (
        "PREFIX kg: <https://w3id.org/kg/ont#> CONSTRUCT { ?p a kg:Person } "
        "WHERE { ?p a kg:Person }"
    )
    status, ctype, body = get(kg_server, q, accept)
    assert status == 200 and ctype.startswith(accept), (status, ctype, body[:200])
    triples = list(ox.parse(body, format=fmt))
    assert len(triples) == 14


def test_post_form_and_direct_body(kg_server: str) -> None:
    status, _, body = http(
        f"{kg_server}/sparql",
        urllib.parse.urlencode({"query": PERSONS}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200 and b"Shahabuddin Delawar" in body
    status, _, body = http(
        f"{kg_server}/sparql",
        PERSONS.encode(),
        {"Content-Type": "application/sparql-query", "Accept": "text/csv"},
    )
    assert status == 200
    assert next(iter(csv.reader(io.StringIO(body.decode())))) == ["n"]


@pytest.mark.parametrize(
    ("how", "status", "message"),
    [
        ("update-body", 403, "read-only"),
        ("update-form", 403, "read-only"),
        ("load", 403, "LOAD is refused"),
        ("service", 403, "SERVICE is refused"),
        ("insert-as-query", 403, "INSERT is refused"),
        ("too-long", 413, "query too long"),
        ("syntax", 400, "error"),
        ("not-acceptable", 406, "results are served as"),
    ],
)
def test_refusals(kg_server: str, how: str, status: int, message: str) -> None:
    url = f"{kg_server}/sparql"
    if how == "update-body":
        got = http(url, b"DROP ALL", {"Content-Type": "application/sparql-update"})
    elif how == "update-form":
        got = http(url, b"update=DROP+ALL", {"Content-Type": "application/x-www-form-urlencoded"})
    elif how == "load":
        got = get(kg_server, "LOAD <http://127.0.0.1:9/x.ttl>")
    elif how == "service":
        got = get(kg_server, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    elif how == "insert-as-query":
        got = get(kg_server, "INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    elif how == "too-long":
        got = http(
            url,
            ("SELECT * WHERE { ?s ?p ?o } #" + "x" * 70_000).encode(),
            {"Content-Type": "application/sparql-query"},
        )
    elif how == "syntax":
        got = get(kg_server, "SELECT ?x WHERE { ?x ")
    else:
        got = get(kg_server, PERSONS, "image/png")
    assert got[0] == status, got
    assert message in got[2].decode(), got[2]
    # The graph is unchanged and the server still answers.
    assert get(kg_server, PERSONS)[0] == 200


def test_keywords_inside_strings_and_names_are_fine(kg_server: str) -> None:
    # SERVICE is the exception: refused anywhere (tests/test_endpoint_security.py).
    status, _, body = get(kg_server, 'SELECT ?x WHERE { BIND("LOAD DROP" AS ?x) }')
    assert status == 200 and b"LOAD DROP" in body
    q = (
        "PREFIX copy: <https://w3id.org/kg/ont#> SELECT ?load ?drop WHERE { "
        "?load a copy:Person ; copy:evidence ?drop } # DROP ALL"
    )
    status, _, body = get(kg_server, q)
    assert status == 200 and b"amir-khan-muttaqi" in body, body[:200]


@pytest.mark.slow
def test_timeout_is_a_clear_error(kg_server: str) -> None:
    start = time.monotonic()
    status, _, body = get(
        kg_server, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    )
    assert status == 503 and b"time limit of 2 s" in body, (status, body)
    assert time.monotonic() - start < 15
    assert get(kg_server, PERSONS)[0] == 200


def test_result_cap(kg_server: str) -> None:
    status, _, body = get(kg_server, "SELECT * WHERE { ?s ?p ?o }")
    assert status == 422 and b"more than 500 rows" in body, (status, body[:200])
    assert get(kg_server, "SELECT * WHERE { ?s ?p ?o } LIMIT 500")[0] == 200


def test_query_page_offline(kg_server: str, open_page: Any) -> None:
    opened = open_page(
        f"{kg_server}/", ready="() => document.getElementById('examples').options.length > 5"
    )
    page = opened.page
    titles = page.evaluate(
        "() => [...document.getElementById('examples').options].map(o => o.textContent)"
    )
    assert "Who met whom" in titles and "Roles" in titles
    page.select_option("#examples", label="Who met whom")
    page.click("#run")
    page.wait_for_selector("#results table", timeout=20_000)
    table = page.inner_text("#results")
    assert "Amir Khan Muttaqi" in table and "Bahadur Aminian" in table
    assert opened.requests == [] and opened.console_errors == [], opened


# ---------------------------------------------------------------------------- external server
@pytest.fixture(scope="module")
def pushed(oxigraph_server: str, shipped_build: Path) -> str:
    result = CliRunner().invoke(
        main,
        [
            "push",
            "--endpoint",
            f"{oxigraph_server}/query",
            "--graph",
            GRAPH,
            "--turtle",
            str(shipped_build / "kg.ttl"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "pushed" in result.stdout and GRAPH in result.stdout
    return f"{oxigraph_server}/query"


LOOKUPS = [
    ["who-met"],
    ["who-met", "--topic", "energy"],
    ["who-met", "--person", "muttaqi"],
    ["who-met", "--from", "2022-08", "--to", "2022-09"],
    ["roles", "--on", "2022-08-20"],
    ["roles", "al-Qaeda"],
    ["timeline"],
    ["timeline", "Ebad"],
    ["agreements", "--on", "2022-08-10"],
    ["agreements", "--party", "Taliban", "--topic", "investment"],
    ["show", "Kazemi Qomi"],
    ["show", "Helmand River Water Treaty"],
    ["path", "muttaqi", "Saif al-Adel"],
    ["stats"],
    ["topics"],
]


@pytest.mark.parametrize("args", LOOKUPS, ids=[" ".join(a) for a in LOOKUPS])
def test_lookups_agree_with_the_embedded_store(
    pushed: str, shipped_build: Path, args: list[str]
) -> None:
    embedded = CliRunner().invoke(
        main, ["--store", str(shipped_build / "store"), *args, "--format", "json"]
    )
    remote = CliRunner().invoke(
        main, ["--endpoint", pushed, "--graph", GRAPH, *args, "--format", "json"]
    )
    assert embedded.exit_code == 0, embedded.output
    assert remote.exit_code == 0, remote.output
    assert json.loads(remote.stdout) == json.loads(embedded.stdout)
    assert json.loads(embedded.stdout)


def test_query_and_view_through_the_server(
    pushed: str, shipped_build: Path, tmp_path: Path
) -> None:
    q = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a kg:Person }"
    remote = CliRunner().invoke(
        main, ["--endpoint", pushed, "--graph", GRAPH, "query", "-", "--format", "csv"], input=q
    )
    assert remote.exit_code == 0 and remote.stdout.split() == ["n", "14"], remote.output
    pages = []
    for store_args in (
        ["--store", str(shipped_build / "store")],
        ["--endpoint", pushed, "--graph", GRAPH],
    ):
        out = tmp_path / f"{len(pages)}.html"
        result = CliRunner().invoke(main, [*store_args, "view", "-o", str(out)])
        assert result.exit_code == 0, result.output
        pages.append(out.read_bytes())
    assert pages[0] == pages[1]


def test_hostile_parameters_through_values(pushed: str) -> None:
    from kg.remote import RemoteStore

    store = RemoteStore(pushed, GRAPH)
    nasty = ox.Literal('x" } ; DROP ALL ; { "\n}')
    rows = store.select(
        "SELECT ?v (COUNT(?p) AS ?n) WHERE { ?p a <https://w3id.org/kg/ont#Person> } GROUP BY ?v",
        {"v": nasty},
    )
    assert rows[0]["v"] == nasty and rows[0]["n"].value == "14"


def test_push_replaces_the_graph(pushed: str, shipped_build: Path) -> None:
    ttl = shipped_build / "kg.ttl"
    count = ["query", "-", "--format", "csv"], "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    local = CliRunner().invoke(main, ["--store", str(shipped_build / "store"), *count[0]],
                               input=count[1])  # fmt: skip
    n = int(local.stdout.split()[-1])
    # Without its build files the graph is kg.ttl's triples, no more; with them (the
    # default, pushed last here so the module's other tests find them), one more: the
    # digest of the kg.ttl they belong to, on kg's own node.
    for flag, extra in (["--no-build-files"], 0), ([], 1):
        again = CliRunner().invoke(
            main, ["push", "--endpoint", pushed, "--graph", GRAPH, "--turtle", str(ttl), *flag]
        )
        assert again.exit_code == 0, again.output
        assert ("build files" in again.stdout) == bool(extra), again.stdout
        remote = CliRunner().invoke(main, ["--endpoint", pushed, "--graph", GRAPH, *count[0]],
                                    input=count[1])  # fmt: skip
        assert int(remote.stdout.split()[-1]) == n + extra
    mark = CliRunner().invoke(
        main,
        ["--endpoint", pushed, "--graph", GRAPH, "query", "-", "--format", "csv"],
        input="SELECT ?d WHERE { <https://w3id.org/kg/push> kg:pushedBuild ?d }",
    )
    assert mark.stdout.split()[1:] == [hashlib.sha256(ttl.read_bytes()).hexdigest()]


def test_push_in_batches(pushed: str, tmp_path: Path) -> None:
    # --batch 3: a PUT, then POSTs; the blank node's three triples all go in the first
    # request, where it is one node (split across requests it would become several).
    graph = "https://example.org/graphs/batched"
    ttl = tmp_path / "kg.ttl"
    ttl.write_text(
        "@prefix ex: <https://example.org/> .\n"
        + "".join(f"ex:s{i} ex:p {i} .\n" for i in range(10))
        + "ex:s0 ex:q [ ex:r 1 ; ex:r 2 ] .\n"
    )

    def push() -> Result:
        args = ["push", "--endpoint", pushed, "--graph", graph, "--turtle", str(ttl)]
        return CliRunner().invoke(main, [*args, "--batch", "3"])

    def ask(query: str) -> list[str]:
        args = ["--endpoint", pushed, "--graph", graph, "query", "-", "--format", "csv"]
        result = CliRunner().invoke(main, args, input=query)
        assert result.exit_code == 0, result.output
        return result.stdout.split()[1:]

    for _ in range(2):  # the second push replaces the first's triples, not adds to them
        assert push().exit_code == 0
        assert ask("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == ["13"]
    assert ask(
        "PREFIX ex: <https://example.org/> SELECT ?v WHERE { ex:s0 ex:q ?b . ?b ex:r ?v } ORDER BY ?v"
    ) == ["1", "2"]


# ---------------------------------------------------------------------------- build files
# kg push sends the build's files (aggregates, indexes, hub index) beside the graph; a
# lookup through the server reads them, as the embedded store reads its own, while the
# graph there is the one they were built with. tests/test_virtuoso.py runs these on Virtuoso.
FILE_LOOKUPS = [["stats"], ["engagement"], ["rank"], ["topics"]]


def posted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every query a RemoteStore sends from now on, in order."""
    from kg.remote import RemoteStore

    sent: list[str] = []
    real = RemoteStore._post

    def record(self: RemoteStore, query: str, accept: str, dataset: bool = True) -> Any:
        sent.append(query)
        return real(self, query, accept, dataset)

    monkeypatch.setattr(RemoteStore, "_post", record)
    return sent


def files_query(query: str) -> bool:
    """Whether a query sent reads the build files (their list, or parts), not the graph."""
    return "GRAPH ?side" in query


def check_files_read_back(endpoint: str, graph: str, build: Path) -> None:
    """Every pushed file reads back as the embedded store reads it; parts of the hub lists
    as the bytes of the file."""
    from kg.remote import PUSHED_FILES, RemoteStore
    from kg.store import EmbeddedStore

    remote, local = RemoteStore(endpoint, graph), EmbeddedStore.open(build / "store")
    for name in PUSHED_FILES:
        if name == "hub-lists":  # read in parts only
            continue
        expected = local.sidecar(name)
        assert expected, name
        if name == "build":  # sent without its local paths of sources
            assert "sources" in expected
            expected = {k: expected[k] for k in ("counts", "triples")}
        assert remote.sidecar(name) == expected, name
    data = (local.path.parent / "hub-lists.json").read_bytes()
    assert len(data) > 1000
    for offset, length in ((0, 10), (5, 1000), (700, 2100), (len(data) - 5, 50), (0, len(data))):
        assert remote.sidecar_part("hub-lists", offset, length) == data[offset : offset + length]


def push_files(store_url: str, graph: str, build: Path, **files: bytes) -> None:
    """kg push's push() of the build's kg.ttl and files, some replaced by `files`."""
    from kg.remote import build_files, push

    kept = build_files((build / "kg.ttl").resolve().parent)
    kept.update(files)
    push(build / "kg.ttl", store_url, graph, files=kept)


def lookup_both(
    endpoint: str, graph: str, store: Path, args: list[str]
) -> tuple[Result, Result]:
    embedded = CliRunner().invoke(main, ["--store", str(store), *args, "--format", "json"])
    remote = CliRunner().invoke(
        main, ["--endpoint", endpoint, "--graph", graph, "--timeout", "120", *args,
               "--format", "json"],
    )  # fmt: skip
    assert embedded.exit_code == 0, embedded.output
    assert remote.exit_code == 0, remote.output
    assert "Traceback" not in remote.output
    return embedded, remote


def check_answers_from_files(
    endpoint: str, graph: str, build: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lookup gives the embedded store's JSON through the server having asked only for
    the build files (no query of the graph: its aggregates are read, not computed)."""
    sent = posted(monkeypatch)
    embedded, remote = lookup_both(endpoint, graph, build / "store", args)
    assert json.loads(embedded.stdout)
    assert json.loads(remote.stdout) == json.loads(embedded.stdout)
    assert sent and all(files_query(q) for q in sent), sent
    assert remote.stderr == ""


def check_replaced_graph(
    endpoint: str, store_url: str, build: Path, other: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A graph replaced after kg push (by a loader that leaves the files graph, here a
    push without files) answers from the graph, as the other build's store, with one note."""
    from kg.remote import push

    graph = "https://example.org/graphs/replaced"
    push_files(store_url, graph, build)
    push(other / "kg.ttl", store_url, graph)  # files=None: the files graph stays, stale
    shipped = CliRunner().invoke(main, ["--store", str(build / "store"), "stats", "--format", "json"])
    sent = posted(monkeypatch)
    embedded, remote = lookup_both(endpoint, graph, other / "store", ["stats"])
    assert json.loads(remote.stdout) == json.loads(embedded.stdout) != json.loads(shipped.stdout)
    assert any(not files_query(q) for q in sent)  # the graph was asked
    notes = remote.stderr.strip().splitlines()
    assert len(notes) == 1 and notes[0].startswith("note: not using the build files"), notes
    assert "replaced since the push" in notes[0] and graph in notes[0]


def title(query: str) -> str:
    """A named query's title (its header goes with it), else the query's start."""
    for line in query.splitlines():
        if line.startswith("# title:"):
            return line[len("# title:") :].strip()
    return " ".join(query.split())[:60]


def check_page_in_few_queries(
    endpoint: str, graph: str, build: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A who-met page through the server gives the embedded store's JSON having asked the
    graph a few queries, however many events it shows: its events' rows, participations,
    topics and sources each in one query for the page (asked per event, each cost a server
    its plan: 0.8 s an event on Virtuoso at 1M triples)."""
    sent = posted(monkeypatch)
    embedded, remote = lookup_both(endpoint, graph, build / "store", args)
    rows = json.loads(embedded.stdout)
    assert json.loads(remote.stdout) == rows
    events = {r["event_iri"] for r in rows}
    assert len(events) >= 9, events  # one query per event would be 18 at least
    asked = [title(q) for q in sent if not files_query(q)]
    # A person's events are found by one query per anchor (itself, its sub-organizations,
    # the posts it held); no other query is sent twice.
    twice = {t for t in asked if asked.count(t) > 1} - {"Events an actor took part in"}
    assert not twice and len(asked) < len(events), asked


# Pages of many events: every meeting's, and every event's (an inferred row among them).
PAGES = [["who-met"], ["who-met", "--kind", "any"]]


@pytest.mark.parametrize("args", PAGES, ids=[" ".join(a) for a in PAGES])
def test_a_who_met_page_in_a_few_queries(
    pushed: str, shipped_build: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    check_page_in_few_queries(pushed, GRAPH, shipped_build, args, monkeypatch)


# Pages read from the hub lists of synthetic facts: a topic's (first and a later page), a
# state's (its rows paired with what counts as it), and a person's own.
HUB_PAGES = [
    ["who-met", "--topic", "energy", "--limit", "50"],
    ["who-met", "--topic", "energy", "--offset", "200", "--limit", "50"],
    ["who-met", "--person", "State 1", "--limit", "50"],
    ["who-met", "--with", "State 1", "--limit", "50"],
    ["who-met", "--person", "Person 1 Surname1"],
]


@pytest.fixture(scope="module")
def synthetic_pushed(
    oxigraph_server: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """benchmarks/generate.py's facts of about 20,000 triples, built and pushed beside the
    shipped graph; returns the endpoint and the build."""
    data = synthetic_facts(tmp_path_factory.mktemp("synthetic"), 20_000)
    built = run_build(data, data / "build")
    assert built.exit_code == 0, built.output
    pushed = CliRunner().invoke(
        main,
        ["push", "--endpoint", f"{oxigraph_server}/query", "--graph", SYNTHETIC_GRAPH,
         "--turtle", str(data / "build" / "kg.ttl")],
    )  # fmt: skip
    assert pushed.exit_code == 0, pushed.output
    return f"{oxigraph_server}/query", data / "build"


@pytest.mark.slow
@pytest.mark.parametrize("args", HUB_PAGES, ids=[" ".join(a) for a in HUB_PAGES])
def test_a_hub_page_in_a_few_queries(
    synthetic_pushed: tuple[str, Path], args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, build = synthetic_pushed
    check_page_in_few_queries(endpoint, SYNTHETIC_GRAPH, build, args, monkeypatch)


@pytest.mark.parametrize("args", FILE_LOOKUPS, ids=[" ".join(a) for a in FILE_LOOKUPS])
def test_lookups_read_the_pushed_files(
    pushed: str, shipped_build: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    check_answers_from_files(pushed, GRAPH, shipped_build, args, monkeypatch)


def test_pushed_files_read_back(
    pushed: str, shipped_build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_files_read_back(pushed, GRAPH, shipped_build)
    # In parts of 700 bytes and requests of 5,000: a range across parts, several requests.
    monkeypatch.setattr("kg.remote.PART", 700)
    monkeypatch.setattr("kg.remote.REQUEST_BYTES", 5000)
    small = "https://example.org/graphs/small-parts"
    push_files(gsp_url(pushed), small, shipped_build)
    check_files_read_back(pushed, small, shipped_build)


def test_a_replaced_graph_is_asked_instead(
    pushed: str, shipped_build: Path, mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_build(mini, mini / "build").exit_code == 0
    check_replaced_graph(pushed, gsp_url(pushed), shipped_build, mini / "build", monkeypatch)


UPDATE = "PREFIX kg: <https://w3id.org/kg/ont#> "
DAMAGES = {
    # Every part's bytes replaced (their digests no longer match).
    "parts": UPDATE + "DELETE { GRAPH ?g { ?p kg:buildFilePart ?t } } "
    'INSERT { GRAPH ?g { ?p kg:buildFilePart "bm90IGEgcGFydA==" } } '
    "WHERE { GRAPH ?g { ?p kg:buildFilePart ?t } }",
    # The list of files is no JSON.
    "list": UPDATE + "DELETE { GRAPH ?g { ?g kg:buildFiles ?t } } "
    'INSERT { GRAPH ?g { ?g kg:buildFiles "{" } } WHERE { GRAPH ?g { ?g kg:buildFiles ?t } }',
}


@pytest.mark.parametrize("damage", [*DAMAGES, "shape"])
def test_damaged_files_are_not_used(
    pushed: str, shipped_build: Path, damage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = f"https://example.org/graphs/damaged-{damage}"
    if damage == "shape":  # JSON, consistent digests, but not the shape kg writes
        push_files(gsp_url(pushed), graph, shipped_build, aggregates=b'{"stats-kinds": [[1]]}')
    else:
        push_files(gsp_url(pushed), graph, shipped_build)
        req = urllib.request.Request(
            pushed.replace("/query", "/update"),
            data=urllib.parse.urlencode({"update": DAMAGES[damage]}).encode(),
            method="POST",
        )
        urllib.request.urlopen(req, timeout=30).close()
    sent = posted(monkeypatch)
    embedded, remote = lookup_both(pushed, graph, shipped_build / "store", ["stats"])
    assert json.loads(remote.stdout) == json.loads(embedded.stdout)
    assert any(not files_query(q) for q in sent)
    notes = remote.stderr.strip().splitlines()
    assert len(notes) == 1 and notes[0].startswith("note: not using the build files"), notes
    why = {"parts": "missing or damaged", "list": "not what kg push writes",
           "shape": "aggregates.json is not what kg writes"}[damage]  # fmt: skip
    assert why in notes[0]


# ---------------------------------------------------------------------------- failures
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_unreachable_server(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/query"
    msg = one_line_error(CliRunner().invoke(main, ["--endpoint", url, "who-met"]))
    assert msg.startswith(f"error: cannot reach {url}")
    (tmp_path / "kg.ttl").write_text("<urn:a> <urn:b> <urn:c> .\n")
    msg = one_line_error(
        CliRunner().invoke(main, ["push", "--endpoint", url, "--turtle", str(tmp_path / "kg.ttl")])
    )
    assert "cannot reach" in msg
    # Not Turtle: one line naming the file, before anything is sent.
    msg = one_line_error(
        CliRunner().invoke(main, ["push", "--endpoint", url, "--turtle", __file__])
    )
    assert msg.startswith(f"error: {__file__} is not valid Turtle: "), msg


def test_server_that_never_answers_times_out() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    held: list[socket.socket] = []

    def accept() -> None:
        try:
            while True:
                held.append(listener.accept()[0])  # accept, then say nothing
        except OSError:
            pass

    threading.Thread(target=accept, daemon=True).start()
    try:
        start = time.monotonic()
        msg = one_line_error(
            CliRunner().invoke(
                main, ["--endpoint", f"http://127.0.0.1:{port}/query", "--timeout", "1", "stats"]
            )
        )
        assert "cannot reach" in msg and "timed out" in msg, msg
        assert time.monotonic() - start < 10
    finally:
        listener.close()
        for s in held:
            s.close()


def test_failing_server_gives_one_line(kg_server: str) -> None:
    msg = one_line_error(
        CliRunner().invoke(main, ["--endpoint", f"{kg_server}/nowhere", "who-met"])
    )
    assert "answered 404" in msg


@pytest.mark.parametrize(
    ("method", "path", "body", "ctype", "accept", "status", "message"),
    [
        ("GET", "/nowhere", None, "", "", 404, "not found: the endpoint is /sparql"),
        ("GET", "/sparql?format=html", None, "", "", 400, "unknown format 'html': use json, xml"),
        (
            "POST",
            "/sparql",
            b"x=1",
            "application/x-www-form-urlencoded",
            "",
            400,
            "missing 'query' field",
        ),
        (
            "POST",
            "/sparql",
            b"ASK {}",
            "text/plain",
            "",
            415,
            "send the query as application/sparql-query or as a form",
        ),
        (
            "POST",
            "/sparql",
            b"CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1",
            "application/sparql-query",
            "text/csv",
            406,
            "graphs are served as text/turtle, application/n-triples, application/rdf+xml, "
            "application/ld+json, application/n-quads, application/trig or text/n3",
        ),
        (
            "GET",
            "/sparql?query=ASK%7B%7D&format=turtle",
            None,
            "",
            "",
            406,
            "format=turtle does not apply here: results are served as "
            "application/sparql-results+json, application/sparql-results+xml, text/csv or "
            "text/tab-separated-values",
        ),
    ],
)
def test_protocol_errors(
    kg_server: str,
    method: str,
    path: str,
    body: bytes | None,
    ctype: str,
    accept: str,
    status: int,
    message: str,
) -> None:
    headers = {k: v for k, v in (("Content-Type", ctype), ("Accept", accept)) if v}
    got = http(f"{kg_server}{path}", body, headers, method=method)
    assert got[0] == status and message in got[2].decode(), got


def test_serve_errors(shipped_build: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT
    from tests.servers import start_kg_serve, stop

    def serve(
        *args: str, env: dict[str, str] | None = None, python: str = sys.executable
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [python, "-m", "kg", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    missing = serve("--store", str(tmp_path / "none"), "serve", "--port", "0")
    assert missing.returncode == 1
    assert f"error: no graph at {tmp_path / 'none'}: run `kg build` first" in missing.stderr
    # No oxigraph on PATH nor beside the interpreter (kg looks there first): a link to
    # Python in a folder of its own.
    (tmp_path / "python").symlink_to(sys.executable)
    no_server = serve(
        "--store",
        str(shipped_build / "store"),
        "serve",
        "--port",
        "0",
        env={"PATH": str(tmp_path), "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)},
        python=str(tmp_path / "python"),
    )
    assert no_server.returncode == 1
    assert "error: the oxigraph server is not installed (pip install oxigraph)" in (
        no_server.stderr
    )
    url, proc = start_kg_serve(shipped_build / "store", timeout=2, max_results=10)
    try:
        port = url.rsplit(":", 1)[1]
        busy = serve("--store", str(shipped_build / "store"), "serve", "--port", port)
        assert busy.returncode == 1
        assert f"error: cannot listen on 127.0.0.1:{port}" in busy.stderr
        assert "Traceback" not in busy.stderr
    finally:
        stop(proc)


def test_push_errors(kg_server: str, tmp_path: Path) -> None:
    missing = CliRunner().invoke(
        main, ["push", "--endpoint", f"{kg_server}/sparql", "--turtle", str(tmp_path / "kg.ttl")]
    )
    assert one_line_error(missing) == (
        f"error: no {tmp_path / 'kg.ttl'}: run `kg build` first, in the folder that holds "
        "facts/ (or cd into a built project), or pass --turtle FILE"
    )
    (tmp_path / "kg.ttl").write_text("<urn:a> <urn:b> <urn:c> .\n")
    refused = CliRunner().invoke(
        main, ["push", "--endpoint", f"{kg_server}/sparql", "--turtle", str(tmp_path / "kg.ttl")]
    )
    assert one_line_error(refused).startswith(f"error: {kg_server}/store refused the graph (")
