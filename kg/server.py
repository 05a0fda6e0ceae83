"""`kg serve`: a read-only SPARQL 1.1 Protocol endpoint over the built store.

SPARQL evaluation is done by a real Oxigraph server (`oxigraph serve-read-only`, from
the `oxigraph` package, over the same store format), started as a child process on a
private loopback port with its own query timeout, which cancels a long query inside the
engine. In front of it, this small stdlib server adds what Oxigraph lacks for sharing a
graph safely: it refuses updates, LOAD and SERVICE (Oxigraph would fetch other hosts),
turns a timed-out query into a clear HTTP error (Oxigraph answers 200 with a cut-off
body), caps the size of queries and results, gives every answer in the format a client
asks for (kg.serve_formats: Accept or format=), predeclares kg's prefixes, describes
itself (a SPARQL 1.1 Service Description), follows `kg build` to each new generation of
the store between queries, and serves an offline query page at `/`. It also refuses
queries nested deep enough to crash the engine (and restarts it if one does), requests
for other Hosts or from pages of sites CORS does not let in, and drops idle connections;
the README's "Security of kg serve" says what and why."""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import json
import os
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
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import KgError
from kg.query import NamedQuery, mentions_service, unescape
from kg.serve_formats import (
    GRAPH_TYPES,
    RESULT_TYPES,
    SD_PREFIXES,
    FormatError,
    Wanted,
    choose,
    content_type,
    graph_bytes,
    negotiate,
    refusal,
    requested,
    service_description,
)
from kg.store import _hold
from kg.text import solutions_csv

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
    # Origins whose pages may query the endpoint from a browser (CORS): "*" for any; None
    # for the default, any when listening on loopback only, none otherwise.
    cors: tuple[str, ...] | None = None

    def host_names(self) -> set[str]:
        """The names a request's Host (and a browser's Origin) may carry, lower case."""
        names = {"localhost", "127.0.0.1", "::1", *(h.lower() for h in self.allow_hosts)}
        if self.host not in ("", "0.0.0.0", "::"):
            names.add(self.host.lower().strip("[]"))
        return names

    def cors_origins(self) -> tuple[str, ...]:
        """The origins CORS lets in, lower case ("*": any)."""
        if self.cors is None:
            return ("*",) if is_loopback(self.host) else ()
        return tuple(o.strip().lower().rstrip("/") for o in self.cors)


def is_loopback(host: str) -> bool:
    """Whether listening on host reaches this machine only."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def cors_origin(text: str) -> str:
    """Check a --cors value: "*" or an origin (scheme://host[:port]); raise ValueError."""
    if text == "*":
        return text
    parts = urllib.parse.urlsplit(text)
    try:
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError(f"{text!r} has a bad port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/") or (
        parts.query or parts.fragment or "@" in parts.netloc
    ):
        raise ValueError(f"{text!r} is not an origin such as https://yasgui.example:8080 or *")
    return text.rstrip("/")


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


@dataclass
class Engine:
    """One Oxigraph child, serving one build generation (the store at real)."""

    proc: subprocess.Popen[bytes]
    url: str
    real: Path  # the store's real path: build/store resolved through build/current
    guard: Any = None  # a shared lock on the generation's seal: no build deletes it meanwhile
    inflight: int = 0  # queries sent to it and not yet answered
    retired: bool = False  # replaced (a newer build, or a restart): stopped once idle

    def stop(self) -> None:
        """Stop the child and let go of its generation."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if self.proc.stderr:
            self.proc.stderr.close()
        if self.guard is not None:
            self.guard.close()
            self.guard = None


def _resolve(store: Path) -> tuple[Path, Any]:
    """The store's real path, and the shared lock on its generation's seal (kg.store._hold).

    Retried while a build swaps the generation away, as EmbeddedStore.open does.
    """
    for attempt in range(50):
        real = Path(os.path.realpath(store))
        guard = _hold(real.parent, last=attempt == 49)
        if guard is not False:
            return real, guard
        time.sleep(0.01 * (attempt + 1))
    raise ServeError(f"cannot open the graph at {store}: it keeps being rebuilt")


class Backend:
    """The Oxigraph children: one for the live build generation, started again when it has
    died, and replaced by a new one when a build publishes another generation.

    `kg build` switches build/current to a new build/gen-<hash>/; before each query the
    store path is resolved again, and if it leads elsewhere a child is started on the new
    generation and takes the following queries. The old child finishes the queries it has
    (never one cut in two), then is stopped and its generation let go (a later build
    deletes it).
    """

    def __init__(self, store: Path, timeout: float) -> None:
        self.store, self.timeout = store, timeout
        self.lock = threading.Lock()  # guards current and the in-flight counts
        self.switching = threading.Lock()  # one restart or generation switch at a time
        real, guard = _resolve(store)
        try:
            proc, url = start_oxigraph(real, timeout)
        except ServeError:
            if guard is not None:
                guard.close()
            raise
        self.current = Engine(proc, url, real, guard)
        self.failed: Path | None = None  # a generation whose child would not start
        # The child dies with the thread that started it (PR_SET_PDEATHSIG follows the
        # thread, not the process), so later children are started by one thread that lives
        # as long as the server, never by a request's thread.
        self._asks: queue.Queue[tuple[Path, queue.Queue[Any]]] = queue.Queue()
        threading.Thread(target=self._spawner, daemon=True).start()

    @property
    def proc(self) -> subprocess.Popen[bytes]:
        return self.current.proc

    @property
    def url(self) -> str:
        return self.current.url

    def _spawner(self) -> None:
        while True:
            real, answer = self._asks.get()
            try:
                answer.put(start_oxigraph(real, self.timeout))
            except ServeError as exc:
                answer.put(exc)

    def _spawn(self, real: Path, guard: Any) -> Engine:
        answer: queue.Queue[Any] = queue.Queue()
        self._asks.put((real, answer))
        started = answer.get()
        if isinstance(started, ServeError):
            raise started
        proc, url = started
        return Engine(proc, url, real, guard)

    def _replace(self, new: Engine) -> None:
        """Make new the child that takes queries; stop the old one once it is idle."""
        with self.lock:
            old, self.current = self.current, new
            old.retired = True
            idle = old.inflight == 0
        if idle:
            threading.Thread(target=old.stop, daemon=True).start()

    def refresh(self) -> None:
        """Switch to the generation build/store now leads to, if a build published another.

        Called before each query. While one request starts the new child, the others keep
        querying the old one; a generation whose child does not start is not tried again.
        """
        real = Path(os.path.realpath(self.store))
        if real == self.current.real or real == self.failed or not real.is_dir():
            return
        if not self.switching.acquire(blocking=False):
            return
        try:
            if real == self.current.real:
                return
            guard = _hold(real.parent, last=False)
            if guard is False:
                return  # being swapped away already: the next query resolves again
            try:
                new = self._spawn(real, guard)
            except ServeError as exc:
                if guard is not None:
                    guard.close()
                self.failed = real
                sys.stderr.write(f"kg serve: not switching to {real}: {exc}\n")
                return
            self._replace(new)
            sys.stderr.write(f"kg serve: now serving {real}\n")
        finally:
            self.switching.release()

    @contextlib.contextmanager
    def engine(self) -> Iterator[Engine]:
        """The child to send a query to, counted as busy until the answer is read."""
        self.refresh()
        with self.lock:
            engine = self.current
            engine.inflight += 1
        try:
            yield engine
        finally:
            with self.lock:
                engine.inflight -= 1
                done = engine.retired and engine.inflight == 0
            if done:
                threading.Thread(target=engine.stop, daemon=True).start()

    def revive(self, engine: Engine | None = None, grace: float = 0.0) -> bool:
        """Start the child again if it has died (waiting up to GRACE s for it to); say if so."""
        engine = engine or self.current
        if grace:
            with contextlib.suppress(subprocess.TimeoutExpired):
                engine.proc.wait(timeout=grace)
        if engine.proc.poll() is None:
            return False
        with self.switching:
            if engine is not self.current:  # another request has replaced it already
                return True
            new = self._spawn(engine.real, engine.guard)
            engine.guard = None  # the new child holds the generation now
            self._replace(new)
            return True

    def stop(self) -> None:
        """Stop the children."""
        with self.lock:
            self.current.retired = True
        self.current.stop()


# ------------------------------------------------------------------------------ HTTP
_POSITION = re.compile(r"error at (\d+):(\d+)")
# What the endpoint answers to; any other method is 405 (or 501 if HTTP has no such method).
ALLOW = "GET, HEAD, POST, OPTIONS"


def _hostname(url: str) -> str | None:
    """The host name of URL in lower case (an IPv6 address without brackets), or None."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        return None
    return parts.hostname


class Handler(BaseHTTPRequestHandler):
    """One request to the endpoint (several, one after another, on a kept-alive connection)."""

    server_version = "kg-serve"
    # HTTP/1.1: a client may send its next request on the same connection (every answer
    # says its Content-Length); --idle-timeout drops one that waits too long between them.
    protocol_version = "HTTP/1.1"
    config: ServerConfig
    backend: Backend
    page: bytes
    # What a query's relative IRIs resolve against: this endpoint's own URL. Sent as the
    # query's first BASE (one of its own overrides it): otherwise the engine resolves them
    # against its private URL, and its port would leak into answers.
    base_iri: str = ""
    # The line put before every query: that BASE, and kg's prefixes (as `kg query`
    # predeclares them). One line, so that error positions move by one line only; a
    # query's own PREFIX of the same name comes later and wins.
    prologue: str = ""
    unread = False  # the request has a body not read: the connection closes after the answer
    wrong_host = False  # the request names a Host this server does not answer for

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def parse_request(self) -> bool:
        ok = super().parse_request()
        # A body this server may not read (a GET's, or a POST refused before reading it)
        # must not be taken for the next request on the connection: close after answering.
        length = (self.headers.get("Content-Length") or "0").strip() if ok else "0"
        self.unread = ok and (length != "0" or "Transfer-Encoding" in self.headers)
        self.wrong_host = False
        return ok

    def send(
        self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        for name, value in {**self.cors_headers(), **(extra or {})}.items():
            self.send_header(name, value)
        if self.unread:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def fail(self, status: int, message: str, extra: dict[str, str] | None = None) -> None:
        body = (message + "\n").encode("utf-8")
        self.send(status, body, "text/plain; charset=utf-8", extra)

    def do_HEAD(self) -> None:
        self.do_GET()

    # ---------------------------------------------------------------- hosts, origins, CORS
    def misdirected(self) -> bool:
        """Refuse (and say True) a request for another site: DNS rebinding, foreign pages.

        A page on another site that rebinds its name to this address sends its own name
        as Host: only loopback names and --host/--allow-host are served. A browser sends
        Origin with a script's request: its host must be one of these names, or the origin
        one CORS lets in (--cors; any, by default, on loopback).
        """
        names = self.config.host_names()
        host = self.headers.get("Host")
        if host is not None and (
            any(c in host for c in "@/?#\\") or _hostname("//" + host.strip()) not in names
        ):
            self.wrong_host = True
            self.fail(421, "this server does not answer for that Host (see kg serve --allow-host)")
            return True
        origin = self.headers.get("Origin")
        if origin is not None and not self.same_site(origin) and not self.cors_allows(origin):
            self.fail(403, "requests from pages of other sites are refused (see kg serve --cors)")
            return True
        return False

    def same_site(self, origin: str) -> bool:
        return origin.startswith(("http://", "https://")) and (
            _hostname(origin) in self.config.host_names()
        )

    def cors_allows(self, origin: str) -> bool:
        allowed = self.config.cors_origins()
        return "*" in allowed or origin.strip().lower().rstrip("/") in allowed

    def cors_headers(self) -> dict[str, str]:
        """What tells a browser a page of another origin may read this answer."""
        headers = getattr(self, "headers", None)
        origin = headers.get("Origin") if headers is not None else None
        if origin is None or self.wrong_host or not self.cors_allows(origin):
            return {}
        if "*" in self.config.cors_origins():
            return {"Access-Control-Allow-Origin": "*"}
        return {"Access-Control-Allow-Origin": origin.strip(), "Vary": "Origin"}

    def do_OPTIONS(self) -> None:
        """A CORS preflight (or a plain OPTIONS): say what a query may be sent with."""
        if self.misdirected():
            return
        headers = {"Allow": ALLOW}
        if self.headers.get("Origin") and self.headers.get("Access-Control-Request-Method"):
            headers |= {
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Allow-Headers": "Content-Type, Accept",
                "Access-Control-Max-Age": "600",
            }
            # Chrome asks this of a public page's request to a loopback server
            # (Private Network Access): the same answer as for the origin itself.
            if self.headers.get("Access-Control-Request-Private-Network") == "true":
                headers["Access-Control-Allow-Private-Network"] = "true"
        self.send_response(204)
        for name, value in {**self.cors_headers(), **headers}.items():
            self.send_header(name, value)
        if self.unread:
            self.send_header("Connection", "close")
        self.end_headers()

    def not_allowed(self) -> None:
        if self.misdirected():
            return
        message = f"{self.command} is not allowed: the endpoint is read-only"
        self.fail(405, message, {"Allow": ALLOW})

    do_PUT = do_DELETE = do_PATCH = do_TRACE = do_CONNECT = not_allowed

    # ---------------------------------------------------------------- the protocol
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
            self.describe(params)
            return
        self.answer(params["query"][0], params)

    def do_POST(self) -> None:
        if self.misdirected():
            return
        url = urllib.parse.urlsplit(self.path)
        if url.path not in ("/sparql", "/query", "/update"):
            self.fail(404, "not found: the endpoint is /sparql")
            return
        if "Transfer-Encoding" in self.headers:
            self.fail(411, "a POST needs a Content-Length (chunked bodies are not read)")
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
        if len(body) < length:  # the client closed half-way
            self.close_connection = True
            return
        self.unread = False
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
            for key in ("default-graph-uri", "named-graph-uri", "format", "output"):
                params.setdefault(key, []).extend(form.get(key, []))
        else:
            self.fail(415, "send the query as application/sparql-query or as a form")
            return
        self.answer(query, params)

    def wanted(self, params: dict[str, list[str]]) -> list[Wanted] | None:
        """The formats format= and output= ask for (in order), or None after a 400."""
        try:
            return requested([*params.get("format", []), *params.get("output", [])])
        except FormatError as exc:
            self.fail(400, str(exc))
            return None

    def describe(self, params: dict[str, list[str]]) -> None:
        """GET of the endpoint without a query: its SPARQL 1.1 Service Description (in a
        browser, which prefers HTML, the query page)."""
        wanted = self.wanted(params)
        if wanted is None:
            return
        accept = self.headers.get("Accept", "")
        if not wanted and negotiate(accept, {"text/html": 1, **GRAPH_TYPES}, "") == "text/html":
            self.send(200, self.page, "text/html; charset=utf-8")
            return
        media = choose(wanted, accept, graph=True)
        if media is None:
            self.fail(406, refusal(wanted, graph=True))
            return
        out = graph_bytes(service_description(self.own_url()), media, SD_PREFIXES)
        self.send(200, out, content_type(GRAPH_TYPES[media]))

    def own_url(self) -> str:
        """This endpoint's URL for its description: when listening on every address, as the
        client reached it (its Host, already checked by misdirected), since 0.0.0.0 is no
        address a client can use; otherwise the one it listens on."""
        if self.config.host not in ("", "0.0.0.0", "::"):
            return self.base_iri
        try:
            parts = urllib.parse.urlsplit("//" + (self.headers.get("Host") or "").strip())
            name, port = parts.hostname, parts.port
        except ValueError:
            return self.base_iri
        if not name:
            return self.base_iri
        return f"http://{f'[{name}]' if ':' in name else name}{f':{port}' if port else ''}/sparql"

    def answer(self, query: str, params: dict[str, list[str]]) -> None:
        cfg = self.config
        if len(query.encode("utf-8")) > cfg.max_query_bytes:
            self.fail(413, f"query too long: over {cfg.max_query_bytes} bytes")
            return
        wanted = self.wanted(params)
        if wanted is None:
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
        with self.backend.engine() as engine:
            req = urllib.request.Request(
                engine.url + query_string,
                data=(self.prologue + query).encode("utf-8"),
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
                # positions as in the query sent, without the line put before it
                detail = _POSITION.sub(lambda m: f"error at {int(m[1]) - 1}:{m[2]}", detail)
                detail = detail.replace(engine.url, self.base_iri)
                self.fail(400 if exc.code < 500 else 502, detail or exc.reason)
                return
            except (urllib.error.URLError, OSError) as exc:
                reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                if isinstance(reason, TimeoutError):
                    self.fail(503, f"query exceeded the time limit of {cfg.timeout:g} s")
                else:
                    self.backend_failed(engine, reason)
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
        self.reply(body, rtype, wanted)

    def backend_failed(self, engine: Engine, reason: object) -> None:
        """Answer 502 for a query the engine dropped, restarting it if it has died."""
        try:
            revived = self.backend.revive(engine, grace=2.0)
        except ServeError as exc:
            self.fail(502, f"backend crashed and did not restart: {exc}")
            return
        if revived:
            self.fail(502, "backend crashed, restarted: this query is not run again")
        else:
            self.fail(502, f"backend unreachable: {reason}")

    def too_many(self, count: int, what: str) -> bool:
        """Refuse (and say True) an answer over --max-results rows or triples."""
        if count <= self.config.max_results:
            return False
        self.fail(
            422,
            f"the answer has more than {self.config.max_results} {what} "
            "(--max-results): add a LIMIT or narrow the query",
        )
        return True

    def reply(self, body: bytes, rtype: str, wanted: list[Wanted]) -> None:
        """Send the engine's answer (SPARQL JSON results, or an N-Triples graph) in the
        format the client asked for."""
        accept = self.headers.get("Accept", "")
        graph = "n-triples" in rtype
        try:
            if graph:
                triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
            else:
                result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError):
            # a cut-off answer: the engine stopped writing it at its time limit
            self.fail(503, f"query exceeded the time limit of {self.config.timeout:g} s")
            return
        if graph:
            if self.too_many(len(triples), "triples"):
                return
        elif isinstance(result, ox.QuerySolutions):
            if self.too_many(sum(1 for _ in result), "rows"):
                return
            result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        media = choose(wanted, accept, graph)
        if media is None:
            self.fail(406, refusal(wanted, graph))
            return
        if graph:
            self.send(200, graph_bytes(triples, media), content_type(GRAPH_TYPES[media]))
            return
        fmt = RESULT_TYPES[media]
        if fmt in (ox.QueryResultsFormat.CSV, ox.QueryResultsFormat.TSV) and isinstance(
            result, ox.QuerySolutions
        ):
            # Spreadsheets open these: cells that would run as formulas are neutralised.
            out = solutions_csv(result, tsv=fmt == ox.QueryResultsFormat.TSV)
        else:
            out = result.serialize(format=fmt) or b""
        self.send(200, out, content_type(fmt))


class Server(ThreadingHTTPServer):
    """The threading HTTP server, with a cap on the connections it serves at once."""

    daemon_threads = True
    BUSY = (
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
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


# Named queries the page does not offer: they answer only for a value a lookup gives (the
# folded name typed; bound to its empty default, they match nothing). "All names"
# (name-keys) shows what they search. "completions" likewise needs the start of a name
# typed at a shell's Tab.
NOT_ON_PAGE = {"names", "names-exact", "completions"}


def _wildcard(text: str, name: str) -> bool:
    """Whether a query tests parameter NAME against kg:Any (the wildcard: any value)."""
    any_ = r"(?:kg:Any|<https://w3id\.org/kg/ont#Any>)"
    var = rf"[?$]{re.escape(name)}\b"
    return re.search(rf"{var}\s*!?=\s*{any_}|{any_}\s*!?=\s*{var}", text) is not None


def page_example(q: NamedQuery) -> str:
    """A named query as the page offers it: parameters bound to their defaults, except an
    entity left open (every entity) where kg:Any is a placeholder the query never tests."""
    from kg.query import bindings
    from kg.remote import bind_values

    free = {
        n for n, p in q.params.items() if p.default == "kg:Any" and not _wildcard(q.text, n)
    }
    bound = {k: v for k, v in bindings(q, {}).items() if k not in free}
    return bind_values(q.text, bound) if bound else q.text


def query_page() -> bytes:
    """Return the offline query page, with examples drawn from kg's named queries."""
    from kg.prefixes import PREFIXES
    from kg.query import all_queries

    examples = [
        {"title": "Everything, 20 triples", "query": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 20"}
    ]
    for q in all_queries():
        if q.name in NOT_ON_PAGE:
            continue
        body = page_example(q)
        # kg: is predeclared by the endpoint; declared here too, so a copied example runs
        # on any SPARQL server.
        declared = "".join(
            f"PREFIX {p}: {ox.NamedNode(iri)}\n"
            for p, iri in PREFIXES.items()
            if p == "kg" and "PREFIX kg:" not in body
        )
        examples.append({"title": q.title, "query": declared + body})
    data = json.dumps(examples, ensure_ascii=False)
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    template = (Path(__file__).resolve().parent / "server.html").read_text(encoding="utf-8")
    return template.replace("__EXAMPLES__", data).encode("utf-8")


def prologue(base_iri: str) -> str:
    """The line put before every query: BASE, and kg's prefixes as `kg query` has them."""
    from kg.prefixes import PREFIXES

    decls = " ".join(f"PREFIX {p}: {ox.NamedNode(iri)}" for p, iri in PREFIXES.items())
    return f"BASE {ox.NamedNode(base_iri)} {decls}\n"


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
    handler.prologue = prologue(handler.base_iri)
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
