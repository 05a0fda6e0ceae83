"""`kg serve`: a read-only SPARQL 1.1 Protocol endpoint over the built store.

SPARQL evaluation is done by a real Oxigraph server (`oxigraph serve-read-only`, from
the `oxigraph` package, over the same store format), started as a child process on a
private loopback port with its own query timeout, which cancels a long query inside the
engine. In front of it, this small stdlib server adds what Oxigraph lacks for sharing a
graph safely: it refuses updates, LOAD and SERVICE (Oxigraph would fetch other hosts),
turns a timed-out query into a clear HTTP error (Oxigraph answers 200 with a cut-off
body), caps the size of queries and results, negotiates the result formats, and serves an
offline query page at `/`. It also refuses queries nested deep enough to crash the engine
(and restarts it if one does), requests for other Hosts or from other sites' pages, and
drops idle connections; the README's "Security of kg serve" says what and why.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import queue
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
from kg.query import mentions_service, unescape
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
    idle_timeout: float = 10.0  # seconds a connection may wait between bytes
    max_connections: int = 64
    allow_hosts: tuple[str, ...] = ()  # names besides loopback that requests may be sent to

    def host_names(self) -> set[str]:
        """The names a request's Host (and a browser's Origin) may carry, lower case."""
        names = {"localhost", "127.0.0.1", "::1", *(h.lower() for h in self.allow_hosts)}
        if self.host not in ("", "0.0.0.0", "::"):
            names.add(self.host.lower().strip("[]"))
        return names


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


# The SERVICE check is kg.query's, shared with `kg query` and the Python API.


def forbidden(query: str) -> str | None:
    """Return the keyword that makes a query unacceptable here, or None.

    SERVICE is refused wherever the word appears (see mentions_service). For the update
    keywords, which the read-only engine refuses anyway, strings, IRIs and comments are
    blanked first, so a literal that mentions LOAD is fine.
    """
    if mentions_service(query):
        return "SERVICE"
    code = _STRIP.sub(" ", unescape(query))
    match = _FORBIDDEN.search(code)
    return match.group(1).upper() if match else None


# Nesting and operator chains the engine's parser and evaluator recurse on: past a few
# thousand levels Oxigraph 0.5 overflows its stack and the whole server aborts (measured:
# 3,000 nested `{`, 10,000 `(`, 30,000 `!`, 10,000 `+` terms, 2,000 MINUS or 3,000 BIND
# in one group). Real queries stay far below both limits.
MAX_DEPTH = 200
MAX_CHAIN = 1000
_CHAIN_WORDS = {"OPTIONAL", "MINUS", "UNION", "BIND", "FILTER", "VALUES", "GRAPH"}
_TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*(?:"""|\Z)'
    r"|'''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)"
    r'|"(?:[^"\\\n\r]|\\.)*"?'
    r"|'(?:[^'\\\n\r]|\\.)*'?"
    r"|#[^\n\r]*"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|[?$]\w+"
    r"|(?:[A-Za-z][\w.-]*)?:(?:[\w:.-]|%[0-9A-Fa-f]{2}|\\[_~.!$&'()*+,;=/?#@%-])*"
    r"|@[A-Za-z]+(?:-[A-Za-z0-9]+)*"
    r"|[A-Za-z_]\w*"
    r"|\^\^|&&|\|\||!=|<=|>=|[!+\-*/|^=<>]"
    r"|\s+|.",
    re.DOTALL,
)
_OPERATOR = re.compile(r"&&|\|\||!=|<=|>=|[!+\-*/|^=<>]")
_OPEN, _CLOSE = "{([", "})]"


def too_complex(query: str) -> str | None:
    """Return why a query nests too deep or chains too many operators for the engine, or None.

    Brackets are counted outside strings and comments, after \\u escapes are undone; those
    inside an IRI count too (a `<` the engine reads as less-than must not hide them). The
    chain is the number of operators and of OPTIONAL, MINUS, UNION, BIND, FILTER, VALUES
    and GRAPH in one bracketed group. A query that fools this count and still crashes the
    engine is caught by the watchdog (Backend.revive), which restarts it.
    """
    chains = [0]
    for match in _TOKEN.finditer(unescape(query)):
        tok = match.group(0)
        if tok[0] in "\"'#" or tok.isspace():
            continue
        # brackets, and an IRI or what looks like one (its brackets count, see above)
        if tok in _OPEN or tok in _CLOSE or (tok[0] == "<" and len(tok) > 1):
            brackets = tok
        else:
            brackets = ""
            if _OPERATOR.fullmatch(tok) or tok.upper() in _CHAIN_WORDS:
                chains[-1] += 1
                if chains[-1] > MAX_CHAIN:
                    return (
                        f"query too complex: over {MAX_CHAIN} operators or "
                        "OPTIONAL/MINUS/UNION/BIND/FILTER in one group"
                    )
        for ch in brackets:
            if ch in _OPEN:
                chains.append(0)
                if len(chains) > MAX_DEPTH + 1:
                    return f"query nested too deeply: over {MAX_DEPTH} levels of brackets"
            elif ch in _CLOSE and len(chains) > 1:
                chains.pop()
    return None


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


class Backend:
    """The Oxigraph child: started, watched, and started again when it has died."""

    def __init__(self, store: Path, timeout: float) -> None:
        self.store, self.timeout = store, timeout
        self.lock = threading.Lock()
        self.proc, self.url = start_oxigraph(store, timeout)
        # The child dies with the thread that started it (PR_SET_PDEATHSIG follows the
        # thread, not the process), so restarts are done by one thread that lives as long
        # as the server, never by a request's thread.
        self._asks: queue.Queue[queue.Queue[Any]] = queue.Queue()
        threading.Thread(target=self._spawner, daemon=True).start()

    def _spawner(self) -> None:
        while True:
            answer = self._asks.get()
            try:
                answer.put(start_oxigraph(self.store, self.timeout))
            except ServeError as exc:
                answer.put(exc)

    def revive(self, grace: float = 0.0) -> bool:
        """Start the child again if it has died (waiting up to GRACE s for it to); say if so."""
        proc = self.proc
        if grace:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=grace)
        with self.lock:
            if self.proc is not proc:  # another request has started it again already
                return True
            if proc.poll() is None:
                return False
            if proc.stderr:
                proc.stderr.close()
            answer: queue.Queue[Any] = queue.Queue()
            self._asks.put(answer)
            started = answer.get()
            if isinstance(started, ServeError):
                raise started
            self.proc, self.url = started
            return True

    def stop(self) -> None:
        """Stop the child."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ------------------------------------------------------------------------------ HTTP
_POSITION = re.compile(r"error at (\d+):(\d+)")


def _hostname(url: str) -> str | None:
    """The host name of URL in lower case (an IPv6 address without brackets), or None."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        return None
    return parts.hostname


class Handler(BaseHTTPRequestHandler):
    """One request to the endpoint."""

    server_version = "kg-serve"
    config: ServerConfig
    backend: Backend
    page: bytes
    # What a query's relative IRIs resolve against: this endpoint's own URL. Sent as the
    # query's first BASE (one of its own overrides it): otherwise the engine resolves them
    # against its private URL, and its port would leak into answers.
    base_iri: str = ""

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def send(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for name, text in (headers or {}).items():
            self.send_header(name, text)
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

    def misdirected(self) -> bool:
        """Refuse (and say True) a request for another site: DNS rebinding, foreign pages.

        A page on another site that rebinds its name to this address sends its own name
        as Host: only loopback names and --host/--allow-host are served. A browser sends
        Origin with a script's request: only these names may be its host.
        """
        names = self.config.host_names()
        host = self.headers.get("Host")
        if host is not None and (
            any(c in host for c in "@/?#\\") or _hostname("//" + host.strip()) not in names
        ):
            self.fail(421, "this server does not answer for that Host (see kg serve --allow-host)")
            return True
        origin = self.headers.get("Origin")
        if origin is not None and (
            not origin.startswith(("http://", "https://")) or _hostname(origin) not in names
        ):
            self.fail(403, "requests from pages of other sites are refused")
            return True
        return False

    def do_GET(self) -> None:
        if self.misdirected():
            return
        url = urllib.parse.urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            self.send(200, self.page, "text/html; charset=utf-8")
            return
        if url.path.startswith("/id/"):  # an entity's IRI (Linked Data): kg/linkeddata.py
            from kg.linkeddata import dereference

            got = dereference(self.config.store, url.path, self.headers.get("Accept", ""))
            self.send(got.status, got.body, got.media, got.headers)
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
        if self.misdirected():
            return
        url = urllib.parse.urlsplit(self.path)
        if url.path not in ("/sparql", "/query", "/update"):
            self.fail(404, "not found: the endpoint is /sparql")
            return
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            self.fail(411, "a POST needs a Content-Length (chunked bodies are not read)")
            return
        if len(set(lengths)) > 1 or not re.fullmatch(r"[0-9]{1,18}", lengths[0].strip()):
            self.fail(400, "Content-Length must be one whole number of bytes")
            return
        length = int(lengths[0])
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
            self.fail(
                403,
                "SERVICE is refused: this endpoint does not query other hosts "
                "(the word is refused anywhere in a query, even in a string)",
            )
            return
        if word is not None:
            self.fail(403, f"{word} is refused: this endpoint is read-only")
            return
        why = too_complex(query)
        if why is not None:
            self.fail(400, why)
            return
        try:
            if self.backend.revive():
                self.fail(502, "backend crashed, restarted: send the query again")
                return
        except ServeError as exc:
            self.fail(502, f"backend crashed and did not restart: {exc}")
            return
        graphs: dict[str, list[str]] = {
            k: params[k] for k in ("default-graph-uri", "named-graph-uri") if k in params
        }
        query_string = "?" + urllib.parse.urlencode(graphs, doseq=True) if graphs else ""
        url = self.backend.url + query_string
        req = urllib.request.Request(
            url,
            data=(f"BASE <{self.base_iri}>\n" + query).encode("utf-8"),
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
            # positions as in the query sent, without the BASE line put before it
            detail = _POSITION.sub(lambda m: f"error at {int(m[1]) - 1}:{m[2]}", detail)
            detail = detail.replace(self.backend.url, self.base_iri)
            self.fail(400 if exc.code < 500 else 502, detail or exc.reason)
            return
        except (urllib.error.URLError, OSError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            if isinstance(reason, TimeoutError):
                self.fail(503, f"query exceeded the time limit of {cfg.timeout:g} s")
            else:
                self.backend_failed(reason)
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

    def backend_failed(self, reason: object) -> None:
        """Answer 502 for a query the engine dropped, restarting it if it has died."""
        try:
            revived = self.backend.revive(grace=2.0)
        except ServeError as exc:
            self.fail(502, f"backend crashed and did not restart: {exc}")
            return
        if revived:
            self.fail(502, "backend crashed, restarted: this query is not run again")
        else:
            self.fail(502, f"backend unreachable: {reason}")

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


class Server(ThreadingHTTPServer):
    """The threading HTTP server, with a cap on the connections it serves at once."""

    daemon_threads = True
    BUSY = (
        b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Retry-After: 1\r\nConnection: close\r\nContent-Length: 45\r\n\r\n"
        b"too many connections at once: try again soon\n"
    )

    def __init__(
        self, address: tuple[str, int], handler: type[Handler], max_connections: int
    ) -> None:
        super().__init__(address, handler)
        self.slots = threading.BoundedSemaphore(max_connections)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            # over the cap: answer at once and close, rather than queue without bound
            with contextlib.suppress(OSError):
                request.settimeout(1)
                request.sendall(self.BUSY)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


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
    backend = Backend(config.store, config.timeout)
    handler: type[Handler] = type(
        "KgHandler",
        (Handler,),
        {
            "config": config,
            "backend": backend,
            "page": query_page(),
            # a socket timeout per read: an idle or half-sent request is dropped
            "timeout": config.idle_timeout,
        },
    )
    try:
        httpd = Server((config.host, config.port), handler, config.max_connections)
    except OSError as exc:
        backend.stop()
        raise ServeError(f"cannot listen on {config.host}:{config.port}: {exc.strerror}") from None

    def stop(*_: Any) -> None:
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    host, port = config.host, int(httpd.server_address[1])
    handler.base_iri = f"http://{f'[{host}]' if ':' in host else host}:{port}/sparql"
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
        backend.stop()
