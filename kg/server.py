"""`kg serve`: a read-only SPARQL 1.1 Protocol endpoint over the built store.

SPARQL evaluation is done by a real Oxigraph server (`oxigraph serve-read-only`, from
the `oxigraph` package, over the same store format), started as a child process on a
private loopback port with its own query timeout, which cancels a long query inside the
engine. In front of it, this small stdlib server adds what Oxigraph lacks for sharing a
graph safely: it refuses updates, LOAD and SERVICE (Oxigraph would fetch other hosts),
turns a timed-out query into a clear HTTP error (Oxigraph answers 200 with a cut-off
body), caps the size of queries and results, negotiates the result formats, and serves an
offline query page at `/`.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import KgError
from kg.text import solutions_csv

RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
}
CANCELLED = b"The SPARQL operation has been cancelled"


class ServeError(KgError):
    """The server cannot start."""


@dataclass
class ServerConfig:
    """How `kg serve` runs."""

    store: Path
    host: str = "127.0.0.1"
    port: int = 7878
    timeout: float = 10.0
    max_results: int = 10_000
    max_query_bytes: int = 64 * 1024
    max_answer_bytes: int = 64 * 1024 * 1024


# ------------------------------------------------------------------------------ policy
_STRIP = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n]*"
    # variables (?load) and prefixed names (ex:Copy) are names, not keywords
    r"|[?$]\w+"
    r"|[A-Za-z_][\w.-]*:[\w.-]*|:[\w.-]+",
    re.DOTALL,
)
_FORBIDDEN = re.compile(
    r"\b(SERVICE|LOAD|INSERT|DELETE|CLEAR|DROP|CREATE|ADD|MOVE|COPY)\b", re.IGNORECASE
)


def forbidden(query: str) -> str | None:
    """Return the keyword that makes a query unacceptable here, or None.

    Strings, IRIs and comments are blanked first, so a literal that mentions SERVICE is
    fine; the keyword itself, anywhere in the query, is not.
    """
    code = _STRIP.sub(" ", query)
    match = _FORBIDDEN.search(code)
    return match.group(1).upper() if match else None


def negotiate(accept: str, offered: dict[str, Any], default: str) -> str | None:
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
        if media in ("*/*", "application/*", "text/*"):
            return default
    return None


# ------------------------------------------------------------------------------ Oxigraph
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    # Linux: the Oxigraph child gets SIGTERM if kg serve dies, so none is left behind.
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)


def oxigraph_binary() -> str | None:
    """Where the `oxigraph` server is: beside this Python first, then on PATH.

    `pip install oxigraph` puts it in the environment's scripts folder, beside the
    interpreter; a venv used without being activated has that folder off PATH.
    """
    beside = shutil.which("oxigraph", path=str(Path(sys.executable).parent))
    return beside if beside is not None else shutil.which("oxigraph")


def start_oxigraph(store: Path, timeout: float) -> tuple[subprocess.Popen[bytes], str]:
    """Start `oxigraph serve-read-only` on a private port; return it and its query URL."""
    exe = oxigraph_binary()
    if exe is None:
        raise ServeError("the oxigraph server is not installed (pip install oxigraph)")
    if not store.is_dir():
        raise ServeError(f"no graph at {store}: run `kg build` first (or pass --store)")
    port = _free_port()
    proc = subprocess.Popen(
        [
            exe,
            "serve-read-only",
            "--location",
            str(store),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout-s",
            str(max(1, round(timeout))),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=_die_with_parent,
    )
    url = f"http://127.0.0.1:{port}/query"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
            raise ServeError(f"oxigraph failed to start: {err.strip()[-300:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, url
        except OSError:
            time.sleep(0.05)
    proc.terminate()
    raise ServeError("oxigraph did not start within 20 s")


# ------------------------------------------------------------------------------ HTTP
class Handler(BaseHTTPRequestHandler):
    """One request to the endpoint."""

    server_version = "kg-serve"
    config: ServerConfig
    backend: str
    page: bytes

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def fail(self, status: int, message: str) -> None:
        self.send(status, (message + "\n").encode("utf-8"), "text/plain; charset=utf-8")

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            self.send(200, self.page, "text/html; charset=utf-8")
            return
        if url.path not in ("/sparql", "/query"):
            self.fail(404, "not found: the endpoint is /sparql")
            return
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if "update" in params:
            self.fail(403, "this endpoint is read-only: updates are refused")
            return
        if "query" not in params:
            self.fail(400, "missing 'query' parameter")
            return
        self.answer(params["query"][0], params)

    def do_POST(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path not in ("/sparql", "/query", "/update"):
            self.fail(404, "not found: the endpoint is /sparql")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.config.max_query_bytes:
            self.fail(413, f"query too long: over {self.config.max_query_bytes} bytes")
            return
        body = self.rfile.read(length)
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if url.path == "/update" or ctype == "application/sparql-update":
            self.fail(403, "this endpoint is read-only: updates are refused")
            return
        if ctype == "application/sparql-query":
            query = body.decode("utf-8", "replace")
        elif ctype == "application/x-www-form-urlencoded":
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            if "update" in form:
                self.fail(403, "this endpoint is read-only: updates are refused")
                return
            if "query" not in form:
                self.fail(400, "missing 'query' field")
                return
            query = form["query"][0]
            for key in ("default-graph-uri", "named-graph-uri"):
                params.setdefault(key, []).extend(form.get(key, []))
        else:
            self.fail(415, "send the query as application/sparql-query or as a form")
            return
        self.answer(query, params)

    def answer(self, query: str, params: dict[str, list[str]]) -> None:
        cfg = self.config
        if len(query.encode("utf-8")) > cfg.max_query_bytes:
            self.fail(413, f"query too long: over {cfg.max_query_bytes} bytes")
            return
        word = forbidden(query)
        if word == "SERVICE":
            self.fail(403, "SERVICE is refused: this endpoint does not query other hosts")
            return
        if word is not None:
            self.fail(403, f"{word} is refused: this endpoint is read-only")
            return
        graphs: dict[str, list[str]] = {
            k: params[k] for k in ("default-graph-uri", "named-graph-uri") if k in params
        }
        url = self.backend + ("?" + urllib.parse.urlencode(graphs, doseq=True) if graphs else "")
        req = urllib.request.Request(
            url,
            data=query.encode("utf-8"),
            method="POST",
            headers={
                "Content-Type": "application/sparql-query; charset=utf-8",
                "Accept": "application/sparql-results+json, application/n-triples;q=0.9",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=cfg.timeout + 5) as resp:
                body = resp.read(cfg.max_answer_bytes + 1)
                rtype = resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            detail = exc.read(4000).decode("utf-8", "replace").strip()
            self.fail(400 if exc.code < 500 else 502, detail or exc.reason)
            return
        except (urllib.error.URLError, TimeoutError, OSError):
            self.fail(503, f"query exceeded the time limit of {cfg.timeout:g} s")
            return
        if len(body) > cfg.max_answer_bytes:
            self.fail(
                422,
                f"the answer is over {cfg.max_answer_bytes} bytes: add a LIMIT or narrow the query",
            )
            return
        if CANCELLED in body[-200:]:
            self.fail(503, f"query exceeded the time limit of {cfg.timeout:g} s")
            return
        self.reply(body, rtype)

    def reply(self, body: bytes, rtype: str) -> None:
        cfg = self.config
        accept = self.headers.get("Accept", "")
        try:
            if "n-triples" in rtype:
                triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
                if len(triples) > cfg.max_results:
                    self.fail(
                        422,
                        f"the answer has more than {cfg.max_results} triples "
                        "(--max-results): add a LIMIT or narrow the query",
                    )
                    return
                media = negotiate(accept, GRAPH_TYPES, "text/turtle")
                if media is None:
                    self.fail(406, "graphs are served as text/turtle or application/n-triples")
                    return
                out = ox.serialize(triples, format=GRAPH_TYPES[media]) or b""
                self.send(200, out, f"{media}; charset=utf-8")
                return
            result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError):
            self.fail(503, f"query exceeded the time limit of {cfg.timeout:g} s")
            return
        if isinstance(result, ox.QuerySolutions):
            rows = sum(1 for _ in result)
            if rows > cfg.max_results:
                self.fail(
                    422,
                    f"the answer has more than {cfg.max_results} rows "
                    "(--max-results): add a LIMIT or narrow the query",
                )
                return
            result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        media = negotiate(accept, RESULT_TYPES, "application/sparql-results+json")
        if media is None:
            self.fail(
                406,
                "results are served as application/sparql-results+json, "
                "application/sparql-results+xml, text/csv or "
                "text/tab-separated-values",
            )
            return
        if media in ("text/csv", "text/tab-separated-values") and isinstance(
            result, ox.QuerySolutions
        ):
            # Spreadsheets open these: cells that would run as formulas are neutralised.
            out = solutions_csv(result, tsv=media != "text/csv")
        else:
            out = result.serialize(format=RESULT_TYPES[media]) or b""
        self.send(200, out, f"{media}; charset=utf-8")


def query_page() -> bytes:
    """Return the offline query page, with examples drawn from kg's named queries."""
    from kg.prefixes import PREFIXES
    from kg.query import all_queries, bindings
    from kg.remote import bind_values

    examples = [
        {"title": "Everything, 20 triples", "query": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 20"}
    ]
    for q in all_queries():
        body = q.text if not q.params else bind_values(q.text, bindings(q, {}))
        declared = "".join(
            f"PREFIX {p}: <{iri}>\n"
            for p, iri in PREFIXES.items()
            if p == "kg" and "PREFIX kg:" not in body
        )
        examples.append({"title": q.title, "query": declared + body})
    data = json.dumps(examples, ensure_ascii=False)
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    template = (Path(__file__).resolve().parent / "server.html").read_text(encoding="utf-8")
    return template.replace("__EXAMPLES__", data).encode("utf-8")


def serve(config: ServerConfig, ready: threading.Event | None = None) -> None:
    """Run the endpoint until interrupted (or until the process gets SIGTERM)."""
    proc, backend = start_oxigraph(config.store, config.timeout)
    handler = type(
        "KgHandler", (Handler,), {"config": config, "backend": backend, "page": query_page()}
    )
    try:
        httpd = ThreadingHTTPServer((config.host, config.port), handler)
    except OSError as exc:
        proc.terminate()
        raise ServeError(f"cannot listen on {config.host}:{config.port}: {exc.strerror}") from None
    httpd.daemon_threads = True

    def stop(*_: Any) -> None:
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    host, port = config.host, int(httpd.server_address[1])
    print(
        f"serving {config.store} at http://{host}:{port}/sparql (query page: "
        f"http://{host}:{port}/); read-only; Ctrl-C stops",
        flush=True,
    )
    if ready is not None:
        ready.set()
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
