"""Hostile text in facts or answers stays text: CSV cells, terminals, XML, fuzzy lookups.

OWASP's "CSV Injection" page names the cell starts a spreadsheet runs as a formula:
= + - @ tab and CR. Every CSV path (lookups, `kg query`, `kg export`, the server's CSV and
TSV) prefixes such a cell with `'`; JSON keeps the exact value.
"""

from __future__ import annotations

import csv
import http.server
import io
import json
import random
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.cli.output import table
from kg.diagnostics import Diagnostic
from kg.fuzzy import closest
from kg.remote import push
from kg.server import ServeError, oxigraph_binary, start_oxigraph
from kg.store import StoreError
from kg.text import csv_safe, visible
from tests.conftest import MINI, ROOT, BuildRunner
from tests.servers import start_kg_serve, stop

# The names a hostile source could give, and where the mini facts take them.
FORMULAS = {
    "name: Bahadur Aminian": '=HYPERLINK("http://evil.example/","x")',
    "name: A meeting": "@SUM(1+1)*cmd|' /C calc'!A0",
    "name: Iran": "+1",
    "name: Taliban\n": "-2+3",
}
# Cells a query can produce that facts cannot (the build strips leading blanks).
QUERY_CELLS = ["\t=1+1", "\r=1+1", '=HYPERLINK("http://evil.example/")', "+1", "-2+3", "@SUM"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini dataset with formula-like names, built; return its folder."""
    dest = tmp_path_factory.mktemp("hostile") / "mini"
    shutil.copytree(MINI, dest)
    facts = dest / "facts" / "mini.yaml"
    text = facts.read_text(encoding="utf-8")
    for where, value in FORMULAS.items():
        assert where in text, where
        key = where.split(":")[0]
        text = text.replace(
            where, f"{key}: {json.dumps(value)}" + ("\n" if where.endswith("\n") else "")
        )
    # Bidi controls are legal text (not C0), so the card must show them as escapes.
    text = text.replace(
        "    name: Amir Khan Muttaqi\n",
        '    name: Amir Khan Muttaqi\n    aliases: ["\\u202eikattoM"]\n    note: "\\u202eeton"\n',
    )
    facts.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            "build",
            "--facts",
            str(dest / "facts"),
            "--out",
            str(dest / "build"),
            "--sources",
            str(dest / "sources"),
        ],
    )
    assert result.exit_code == 0, result.output
    return dest


def _kg(hostile: Path, *args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(
        main, ["--store", str(hostile / "build" / "store"), *args], input=input
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def _risky(cells: list[str]) -> list[str]:
    return [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_csv_safe() -> None:
    cases = {**{v: "'" + v for v in [*FORMULAS.values(), *QUERY_CELLS]}, "a=b": "a=b", "": ""}
    got = {v: csv_safe(v) for v in cases}
    assert got == cases, got


def test_lookup_csv_is_neutralised_and_json_exact(hostile: Path) -> None:
    rows = list(csv.reader(io.StringIO(_kg(hostile, "who-met", "--format", "csv"))))
    cells = [c for r in rows for c in r]
    assert len(rows) == 2 and not _risky(cells), rows
    for value in (
        '=HYPERLINK("http://evil.example/","x")',
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "+1",
        "-2+3",
    ):
        assert "'" + value in cells, (value, rows)
    data = json.loads(_kg(hostile, "who-met", "--format", "json"))
    assert data[0]["a"] == '=HYPERLINK("http://evil.example/","x")', data
    assert data[0]["event"] == "@SUM(1+1)*cmd|' /C calc'!A0", data


# JSON string escapes (\t, \r, \") are SPARQL string escapes too.
_LITERALS = " ".join(json.dumps(v) for v in QUERY_CELLS)
SELECT_CELLS = f"SELECT ?x WHERE {{ VALUES ?x {{ {_LITERALS} }} }} ORDER BY ?x"


def test_query_csv_is_neutralised(hostile: Path) -> None:
    rows = list(
        csv.reader(io.StringIO(_kg(hostile, "query", "--format", "csv", "-", input=SELECT_CELLS)))
    )
    assert rows[0] == ["x"], rows
    assert sorted(r[0] for r in rows[1:]) == sorted("'" + v for v in QUERY_CELLS), rows
    data = json.loads(_kg(hostile, "query", "--format", "json", "-", input=SELECT_CELLS))
    got = sorted(b["x"]["value"] for b in data["results"]["bindings"])
    assert got == sorted(QUERY_CELLS), got


def test_export_csv_is_neutralised(hostile: Path, tmp_path: Path) -> None:
    _kg(hostile, "export", "--format", "csv", "-o", str(tmp_path / "csv"))
    files = sorted((tmp_path / "csv").glob("*.csv"))
    assert files
    cells = [c for f in files for r in csv.reader(f.open(encoding="utf-8")) for c in r]
    assert not _risky(cells), _risky(cells)
    assert "'+1" in cells and "'-2+3" in cells, cells


@pytest.fixture(scope="module")
def hostile_server(hostile: Path) -> Iterator[str]:
    url, proc = start_kg_serve(hostile / "build" / "store", timeout=5, max_results=500)
    try:
        yield url
    finally:
        stop(proc)


@pytest.mark.parametrize("media", ["text/csv", "text/tab-separated-values"])
def test_server_csv_and_tsv_are_neutralised(hostile_server: str, media: str) -> None:
    query = SELECT_CELLS.replace("?x {", "?x { -2 ")
    req = urllib.request.Request(
        hostile_server + "/sparql",
        data=query.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": media},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        body = resp.read()
    if media == "text/csv":
        rows = list(csv.reader(io.StringIO(body.decode(), newline="")))
        cells = [r[0] for r in rows[1:]]
        assert sorted(cells) == sorted("'" + v for v in [*QUERY_CELLS, "-2"]), rows
        return
    # TSV cells are RDF terms: the quote goes inside the literal, which stays parseable.
    parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV)
    got = sorted(s["x"].value for s in parsed)
    assert got == sorted("'" + v for v in [*QUERY_CELLS, "-2"]), got
    lines = body.decode().splitlines()[1:]
    assert not [c for c in lines if c.strip('"')[:1] in ("=", "+", "-", "@", "\t", "\r")], lines


# ---------------------------------------------------------------------------- terminals
# What a terminal obeys: colour, an OSC 8 hyperlink (click's ANSI stripping leaves OSC),
# the bell, a carriage return that rewrites the line, a right-to-left override, C1 CSI.
TERMINAL = {
    "\x1b[31mred\x1b[0m": "\\x1b[31mred\\x1b[0m",
    "\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07": (
        "\\x1b]8;;http://evil.example/\\x07click\\x1b]8;;\\x07"
    ),
    "ring\x07": "ring\\x07",
    "fake\rAmir": "fake\\x0dAmir",
    "\u202eevil": "\\u202eevil",
    "c1\x9b31m": "c1\\x9b31m",
}
RAW = ("\x1b", "\x07", "\r", "\u202e", "\x9b")


def test_visible() -> None:
    got = {t: visible(t) for t in TERMINAL}
    assert got == TERMINAL, got
    assert visible("a\nb\tc", keep_newlines=True) == "a\nb\\x09c"
    assert visible("متقی\u200cها") == "متقی\u200cها"  # ZWNJ is Persian spelling, kept


def _tv(value: str) -> str:
    # A SPARQL string literal: JSON escapes \\u001b and \\r, which SPARQL reads back.
    return json.dumps(value)


def test_query_table_shows_controls_as_escapes(hostile: Path) -> None:
    query = f"SELECT ?x WHERE {{ VALUES ?x {{ {' '.join(_tv(t) for t in TERMINAL)} }} }}"
    out = _kg(hostile, "query", "-", input=query)
    assert not [c for c in RAW if c in out], repr(out)
    for shown in TERMINAL.values():
        assert shown[:10] in out, (shown, out)  # the table may wrap long cells


def test_table_escapes_headers_and_cells() -> None:
    out = table([("\x1b[2Jhead", "k")], [{"k": t} for t in TERMINAL])
    assert not [c for c in RAW if c in out], repr(out)
    assert "\\x1b[2Jhead" in out, out


def test_build_diagnostics_show_controls(hostile: Path, tmp_path: Path) -> None:
    facts = tmp_path / "facts"
    shutil.copytree(hostile / "facts", facts)
    mini = facts / "mini.yaml"
    mini.write_text(
        mini.read_text(encoding="utf-8").replace(
            "holder: amir-khan-muttaqi", 'holder: "\\e]8;;http://evil.example/\\a\\r\\u202ex"'
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        [
            "build",
            "--facts",
            str(facts),
            "--out",
            str(tmp_path / "b"),
            "--sources",
            str(hostile / "sources"),
        ],
    )
    assert result.exit_code == 1, result.output
    assert not [c for c in RAW if c in result.stderr], repr(result.stderr)
    assert "\\x1b]8;;http://evil.example/\\x07\\x0d\\u202ex" in result.stderr, result.stderr
    diag = Diagnostic("f.yaml", 3, "bad \x1b[31m\nnext")
    assert str(diag) == "f.yaml:3: bad \\x1b[31m\nnext", str(diag)


class _Hostile(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = "\x1b]8;;http://evil.example/\x07boom\x1b]8;;\x07\r\u202eerror\x07".encode()
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile_endpoint() -> Iterator[str]:
    """A loopback HTTP server whose every answer is a 500 full of terminal controls."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/sparql"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_server_error_text_is_shown_as_escapes(hostile_endpoint: str) -> None:
    result = CliRunner().invoke(main, ["--endpoint", hostile_endpoint, "who-met"])
    assert result.exit_code == 1, result.output
    assert not [c for c in RAW if c in result.stderr], repr(result.stderr)
    assert "answered 500: \\x1b]8;;http://evil.example/\\x07boom" in result.stderr, result.stderr


def test_card_shows_bidi_controls_as_escapes(hostile: Path) -> None:
    out = _kg(hostile, "show", "muttaqi")
    assert "\u202e" not in out, repr(out)
    assert "also: \\u202eikattoM" in out and "note: \\u202eeton" in out, out


# ---------------------------------------------------------------------------- XML and RDF
# (field line in mini.yaml, value as a YAML double-quoted scalar): all refused at build.
REFUSED = [
    ("    name: Bahadur Aminian\n", "name", '"Bahadur\\e[31m"', "U+001B"),
    ("    name: Bahadur Aminian\n", "name", '"Bahadur\\tAminian"', "U+0009"),
    ("    name: Bahadur Aminian\n", "name", '"Bahadur\\nAminian"', "U+000A"),
    ("    name: Bahadur Aminian\n", "note", '"ring\\a"', "U+0007"),
    ("    name: Bahadur Aminian\n", "note", '"over\\rwrite"', "U+000D"),
    ("    name: Bahadur Aminian\n", "note", '"stop\\uFFFEhere"', "U+FFFE"),
    ("    name: Bahadur Aminian\n", "aliases", '["x\\uFDD0"]', "U+FDD0"),
    ("    name: A meeting\n", "name", '"meet\\U0010FFFF"', "U+10FFFF"),
    ("    name: A meeting\n", "name", '"nul\\0"', "U+0000"),
]


@pytest.mark.parametrize(("where", "key", "value", "code"), REFUSED)
def test_build_refuses_controls_and_noncharacters(
    mini: Path, build_mini: BuildRunner, where: str, key: str, value: str, code: str
) -> None:
    facts = mini / "facts" / "mini.yaml"
    text = facts.read_text(encoding="utf-8")
    assert where in text, where
    new = f"    {key}: {value}\n" if key == "name" else where + f"    {key}: {value}\n"
    facts.write_text(text.replace(where, new), encoding="utf-8")
    line = text[: text.index(where)].count("\n") + 1 + (key != "name")
    result = build_mini()
    assert result.exit_code == 1, result.output
    assert f"mini.yaml:{line}: '{key}' has " in result.stderr, result.stderr
    assert code in result.stderr, result.stderr


def test_notes_keep_tabs_and_line_breaks(mini: Path, build_mini: BuildRunner) -> None:
    facts = mini / "facts" / "mini.yaml"
    facts.write_text(
        facts.read_text(encoding="utf-8").replace(
            "    name: Bahadur Aminian\n", '    name: Bahadur Aminian\n    note: "a\\tb\\nc"\n'
        ),
        encoding="utf-8",
    )
    result = build_mini()
    assert result.exit_code == 0, result.output


@pytest.fixture
def bad_store(hostile: Path, tmp_path: Path) -> Path:
    """A copy of the hostile store with labels no kg build allows (a store filled otherwise)."""
    store = tmp_path / "store"
    shutil.copytree(hostile / "build" / "store", store)
    db = ox.Store(str(store))
    db.update(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "DELETE { ?p skos:prefLabel ?l } "
        'INSERT { ?p skos:prefLabel "Bad\\u0001\\u001B\\uFFFEname\\uFFFF"@en } '
        'WHERE { ?p skos:prefLabel ?l FILTER(STRSTARTS(?l, "Amir")) }'
    )
    db.flush()
    del db
    return store


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_xml_exports_stay_well_formed(bad_store: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"kg.{fmt}"
    result = CliRunner().invoke(
        main, ["--store", str(bad_store), "export", "--format", fmt, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    graph = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
    labels = [str(d.get("label", "")) for _, d in graph.nodes(data=True)]
    assert "Bad\ufffd\ufffd\ufffdname\ufffd" in labels, labels
    assert any(lb.startswith("=HYPERLINK") for lb in labels), labels  # the rest kept exact


@pytest.mark.skipif(shutil.which("rapper") is None, reason="rapper (raptor2-utils) missing")
def test_turtle_export_reads_whole_in_rapper(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "kg.ttl"
    _kg(hostile, "export", "--format", "turtle", "-o", str(out))
    want = len(list(ox.parse(path=str(out), format=ox.RdfFormat.TURTLE)))
    done = subprocess.run(
        ["rapper", "-i", "turtle", "-c", str(out)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert f"returned {want} triples" in done.stderr, (want, done.stderr)


# ---------------------------------------------------------------------------- fuzzy names
def _random_name(length: int) -> str:
    rng = random.Random(17)
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz-") for _ in range(length))


def test_an_over_long_unknown_name_answers_at_once(shipped_build: Path) -> None:
    # Before: about 10 s for 10,000 characters on the shipped graph (O(length x names)).
    name = _random_name(100_000)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "kg", "--store", str(shipped_build / "store"), "show", name],
        capture_output=True,
        text=True,
        timeout=20,  # a guard against hanging only; the answer takes well under a second
        cwd=ROOT,
    )
    took = time.monotonic() - started
    assert done.returncode == 1, (done.returncode, done.stderr[:300])
    assert done.stderr.startswith(f"error: no entity named '{name[:40]}"), done.stderr[:300]
    assert "did you mean" not in done.stderr and "Traceback" not in done.stderr
    print(f"100,000-character unknown name answered in {took:.2f} s")


def test_suggestions_still_found() -> None:
    names = [f"person-{i}-{_random_name(12)}" for i in range(2000)] + ["amir-khan-muttaqi"]
    assert closest("mutaqi", names) == ["amir-khan-muttaqi"]
    assert closest("amir-khan-mutaqi", names)[0] == "amir-khan-muttaqi"
    assert closest(_random_name(100_000), names) == []
    assert closest("x" * 201, ["x" * 201]) == []  # past MAX_WORD: no suggestion at all


# ---------------------------------------------------------------------------- hostile servers
class _Evil(http.server.BaseHTTPRequestHandler):
    """Answers by path: /huge (2 MiB, no length), /drip (a byte a second, forever), /slowhead
    (headers a byte a second), /garbage (not HTTP), /badjson (broken results), /elsewhere
    (a redirect to another host), /here (a redirect on the same host, to /badjson), /hangup
    (refuses at once and resets the connection, the request's body unread)."""

    protocol_version = "HTTP/1.0"

    def _answer(self) -> None:
        path = self.path.split("?")[0]
        if path == "/hangup":  # as Virtuoso does to a push into its default graph
            self.send_response(400)
            self.end_headers()
            self.wfile.flush()
            # Closed with a reset, the rest of the body unread: the sender's next write fails.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            if path == "/garbage":
                self.wfile.write(b"HELLO THERE\r\n\r\n\x00\x01")
            elif path == "/slowhead":
                for _ in range(30):
                    self.wfile.write(b"H")
                    self.wfile.flush()
                    time.sleep(1)
            elif path in ("/elsewhere", "/here"):
                port = self.server.server_address[1]
                target = "127.0.0.2" if path == "/elsewhere" else "127.0.0.1"
                # 302 is what urllib follows for a POST (as a GET); 307 it does not.
                self.send_response(302 if path == "/elsewhere" else 307)
                self.send_header("Location", f"http://{target}:{port}/badjson")
                self.end_headers()
            else:
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.end_headers()
                if path == "/huge":
                    for _ in range(32):
                        self.wfile.write(b" " * 65536)
                elif path == "/drip":
                    for _ in range(30):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(1)
                else:  # /badjson
                    self.wfile.write(b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"ty')
        except OSError:
            pass  # the client gave up, as it should

    do_POST = _answer
    do_PUT = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def evil() -> Iterator[str]:
    """A hostile HTTP server on loopback; yields its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Evil)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/huge", "sent over 1048576 bytes"),
        # these two wait out kg's 3 s deadline: slow
        pytest.param("/drip", "timed out after 3 s without a complete answer", marks=pytest.mark.slow),
        pytest.param(
            "/slowhead", "timed out after 3 s without a complete answer", marks=pytest.mark.slow
        ),
        ("/garbage", "answered malformed HTTP"),
        ("/badjson", "sent an unreadable answer"),
        ("/elsewhere", "kg follows no redirect to another scheme, host or port"),
        # Same host: allowed, but urllib does not re-send a POST on 307 (nor does kg).
        ("/here", "answered 307"),
    ],
)
def test_hostile_endpoint_gives_one_line(
    evil: str, path: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kg.remote.MAX_BODY", 1 << 20)
    started = time.monotonic()
    result = CliRunner().invoke(main, ["--endpoint", evil + path, "--timeout", "3", "stats"])
    took = time.monotonic() - started
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert message in lines[0], lines[0]
    assert took < 15, took  # guards against hanging only (the deadline is 3 s)


@pytest.mark.slow
def test_push_to_a_dripping_server_stops_at_its_deadline(evil: str, tmp_path: Path) -> None:
    turtle = tmp_path / "kg.ttl"
    turtle.write_text("<http://x/a> <http://x/b> <http://x/c> .\n", encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(StoreError, match="timed out after 2 s"):
        push(turtle, evil + "/drip", None, timeout=2)
    assert time.monotonic() - started < 15


def test_push_to_a_server_that_hangs_up_mid_graph_says_so(evil: str, tmp_path: Path) -> None:
    turtle = tmp_path / "kg.ttl"
    # Some MiB: more than the loopback socket buffers hold, so the reset meets a write.
    lines = (f"<http://x/s{i}> <http://x/p> <http://x/o{i}> .\n" for i in range(400_000))
    turtle.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        push(turtle, evil + "/hangup", None, timeout=20)
    assert str(caught.value) == (
        f"{evil}/hangup closed the connection before taking the whole graph: it may not "
        "accept the default graph (Virtuoso has no writable default graph: pass --graph)"
    )


# ---------------------------------------------------------------------------- kg serve
def test_oxigraph_found_beside_the_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A venv used without activating it: its bin/ holds python and oxigraph, PATH has neither.
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    exe = venv_bin / "oxigraph"
    exe.write_text("#!/bin/sh\n", encoding="utf-8")
    exe.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(venv_bin / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert oxigraph_binary() == str(exe)
    exe.unlink()
    assert oxigraph_binary() is None
    with pytest.raises(ServeError, match="the oxigraph server is not installed"):
        start_oxigraph(tmp_path, 1.0)
