"""A SPARQL 1.1 endpoint as the store: the same named queries over HTTP, and `kg push`.

Parameters are bound by a VALUES block written from RDF terms serialised by pyoxigraph
(N-Triples syntax, escaped), placed at the start of the query's WHERE clause: the
standard way to bind variables in SPARQL 1.1, and what pyoxigraph's substitution does
for the embedded store.
"""

from __future__ import annotations

import http.client
import io
import re
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox

from kg.query import query_form, values_block
from kg.store import Row, StoreError, Term

DEFAULT_TIMEOUT = 30.0
# The most kg reads from a server's answer: beyond, an error rather than all the memory.
MAX_BODY = 256 * 1024 * 1024
_CHUNK = 1 << 16


class _SameOrigin(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the scheme, host and port the user gave."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        old, new = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(newurl)
        if (old.scheme, old.netloc) != (new.scheme, new.netloc):
            raise StoreError(
                f"{req.full_url} redirected to {newurl}: kg follows no redirect to another "
                "scheme, host or port"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_SameOrigin)


def fetch(
    req: urllib.request.Request, timeout: float, limit: int | None = None
) -> tuple[bytes, str]:
    """Send req; return the body (at most limit bytes) and its Content-Type, within timeout.

    timeout bounds the whole exchange, not each socket read: a server sending a byte every
    second cannot keep kg waiting. An error status raises urllib.error.HTTPError; a bad
    answer (malformed HTTP, too long, too slow, a redirect elsewhere) raises StoreError.
    """
    limit = MAX_BODY if limit is None else limit
    outcome: list[Any] = []

    def run() -> None:
        try:
            with _OPENER.open(req, timeout=timeout) as resp:
                parts, size = [], 0
                while chunk := resp.read1(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise StoreError(
                            f"{req.full_url} sent over {limit} bytes: kg stopped reading"
                        )
                    parts.append(chunk)
                outcome.append((b"".join(parts), resp.headers.get("Content-Type", "")))
        except urllib.error.HTTPError as exc:
            # Its start only, read here under the same deadline: the caller quotes it.
            try:
                detail = exc.read(4000).decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                detail = ""
            exc.kg_detail = detail  # type: ignore[attr-defined]
            outcome.append(exc)
        except BaseException as exc:  # handed to the caller's thread below
            outcome.append(exc)

    # A daemon thread: when the deadline passes, kg answers and exits without waiting for it.
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise StoreError(
            f"cannot reach {req.full_url} in time: timed out after {timeout:g} s "
            "without a complete answer"
        )
    result = outcome[0]
    if isinstance(result, BaseException):
        if isinstance(result, http.client.HTTPException):
            name = type(result).__name__
            raise StoreError(f"{req.full_url} answered malformed HTTP ({name})") from None
        raise result
    body, ctype = result
    return body, ctype


_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_PREFIX = re.compile(r"^\s*PREFIX\s+([\w-]*):", re.IGNORECASE | re.MULTILINE)


def bind_values(query: str, bindings: Mapping[str, Term]) -> str:
    """Return query with a VALUES block binding each variable to its term."""
    if not bindings:
        return query
    match = _WHERE.search(query)
    if match is None:
        raise StoreError("cannot bind parameters: the query has no WHERE clause")
    names = sorted(bindings)
    block = values_block(names, [[bindings[n] for n in names]])
    return query[: match.end()] + block + query[match.end() :]


def with_prefixes(query: str, prefixes: Mapping[str, str]) -> str:
    """Declare the given prefixes that the query does not declare itself."""
    declared = {m.lower() for m in _PREFIX.findall(query)}
    head = "".join(
        f"PREFIX {p}: <{iri}>\n" for p, iri in prefixes.items() if p.lower() not in declared
    )
    return head + query


@dataclass
class RemoteStore:
    """Any SPARQL 1.1 query endpoint (optionally one named graph as the default graph)."""

    endpoint: str
    graph: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    def _post(self, query: str, accept: str) -> tuple[bytes, str]:
        # A form POST (SPARQL 1.1 Protocol 2.1.2), which every server takes: Virtuoso 7
        # never answers a POST of application/sparql-query, and GET would limit the length.
        form = {"query": query, **({"default-graph-uri": self.graph} if self.graph else {})}
        req = urllib.request.Request(
            self.endpoint,
            data=urllib.parse.urlencode(form).encode("ascii"),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
        )
        try:
            return fetch(req, self.timeout)
        except urllib.error.HTTPError as exc:
            detail = _error_text(exc).strip().splitlines()
            raise StoreError(
                f"{self.endpoint} answered {exc.code}: {detail[0][:300] if detail else exc.reason}"
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise StoreError(f"cannot reach {self.endpoint}: {reason}") from None

    def raw(
        self,
        query: str,
        prefixes: Mapping[str, str] | None = None,
        bindings: Mapping[str, Term] | None = None,
    ) -> Any:
        """Run any read query, variables bound by a VALUES block; return solutions, a boolean
        or a list of triples."""
        # Asked by the query's form: Virtuoso answers a CONSTRUCT with a result set of ?s ?p
        # ?o when results are acceptable at all, and an ASK as a row of "bool" in CSV.
        graph = query_form(query) in ("CONSTRUCT", "DESCRIBE")
        body, ctype = self._post(
            with_prefixes(bind_values(query, bindings or {}), prefixes or {}),
            "application/n-triples, text/turtle;q=0.9"
            if graph
            else "application/sparql-results+json",
        )
        try:
            if "sparql-results+json" in ctype or ctype.startswith("application/json"):
                problem = _unreadable(body)
                if problem is not None:
                    raise StoreError(f"{self.endpoint} sent an unreadable answer: {problem}")
                return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            if "n-triples" in ctype:
                return list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
            if "turtle" in ctype:
                return list(ox.parse(body, format=ox.RdfFormat.TURTLE))
        except (SyntaxError, ValueError) as exc:
            raise StoreError(f"{self.endpoint} sent an unreadable answer: {exc}") from None
        raise StoreError(f"{self.endpoint} answered in an unexpected format: {ctype or '?'}")

    def sidecar(self, name: str) -> Any:
        """None: an endpoint has no files beside it (the indexes are asked for instead)."""
        return None

    def precomputed(self, name: str) -> list[Row] | None:
        """None: an endpoint has no stored aggregates (they are asked for instead)."""
        return None

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[Row]:
        """Run a SELECT with variables bound by a VALUES block."""
        result = self.raw(bind_values(query, bindings or {}))
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError("expected SELECT results")
        names = [v.value for v in result.variables]
        return [{n: sol[n] for n in names} for sol in result]


def _unreadable(body: bytes) -> str | None:
    """Why SPARQL JSON results do not parse, or None: read to the end, since parsing is lazy
    (garbage must fail here, as one error line, not half-way through printing a table)."""
    try:
        result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        if isinstance(result, ox.QuerySolutions):
            for _ in result:
                pass
    except (SyntaxError, ValueError) as exc:
        return str(exc)
    return None


def _error_text(exc: urllib.error.HTTPError) -> str:
    """The start of an error answer's body, as fetch read it (at most 4,000 bytes)."""
    return str(getattr(exc, "kg_detail", ""))


def gsp_url(endpoint: str) -> str:
    """Guess the Graph Store Protocol URL of a query endpoint (Oxigraph: /query -> /store)."""
    for tail in ("/query", "/sparql"):
        if endpoint.rstrip("/").endswith(tail):
            return endpoint.rstrip("/")[: -len(tail)] + "/store"
    return endpoint.rstrip("/") + "/store"


def push(
    turtle: Path,
    store_url: str,
    graph: str | None,
    timeout: float = 300.0,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 0,
) -> int:
    """Replace a graph on a server with kg.ttl by one Graph Store Protocol PUT.

    A PUT replaces the graph's content in one request, atomically where the server's
    store is transactional (Oxigraph's is). The graph goes as N-Triples, which pyoxigraph
    writes from the Turtle into a temporary file, streamed from there: the plainest RDF
    syntax, read alike by every server (Virtuoso 7's Turtle parser keeps the backslash of
    an escaped local name, making `id:claim\\/x` the IRI `…/claim\\/x`). Returns the number
    of bytes sent. progress, if given, is called with the bytes sent so far and the bytes
    to send as each chunk goes out.

    batch > 0 sends at most that many triples a request instead: a PUT of the first (which
    replaces the graph), then POSTs adding the rest, so a failure midway leaves part of the
    graph. Virtuoso 7 deadlocks in one request of a million triples (it holds its locks and
    never answers); in requests of 200,000 it took 1.1M triples in 22 s. Every triple with a
    blank node goes in the first request, as a blank node is one node only within one.
    """
    query = {"graph": graph} if graph else {"default": ""}
    url = store_url + "?" + urllib.parse.urlencode(query)
    with tempfile.TemporaryFile() as data:
        try:
            ox.serialize(
                ox.parse(path=turtle, format=ox.RdfFormat.TURTLE),
                data,
                format=ox.RdfFormat.N_TRIPLES,
            )
        except (SyntaxError, ValueError) as exc:
            problem = " ".join(str(exc).split())
            raise StoreError(f"{turtle} is not valid Turtle: {problem}") from None
        size = data.tell()
        data.seek(0)
        if batch <= 0:
            _send(url, "PUT", data, size, 0, size, store_url, graph, timeout, progress)
            return size
        # N-Triples is one triple a line. A line holding "_:" outside a blank node (in a
        # literal) only goes in the first request too.
        first = [line for line in data if b"_:" in line]
        data.seek(0)
        sent, method = 0, "PUT"
        pending = list(first)
        lines = (line for line in data if b"_:" not in line)
        while True:
            for line in lines:
                pending.append(line)
                if len(pending) >= batch:
                    break
            if not pending and method == "POST":
                break
            body = b"".join(pending)
            _send(url, method, io.BytesIO(body), len(body), sent, size, store_url, graph,
                  timeout, progress)  # fmt: skip
            sent += len(body)
            pending, method = [], "POST"
    return size


def _send(
    url: str,
    method: str,
    data: BinaryIO,
    length: int,
    before: int,
    size: int,
    store_url: str,
    graph: str | None,
    timeout: float,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Send one Graph Store request of `length` bytes from data (`before` of `size` sent)."""

    def chunks() -> Iterator[bytes]:
        # Sent a chunk at a time (Content-Length given, so not chunked encoding) to count.
        sent = before
        while block := data.read(_CHUNK * 16):
            yield block
            sent += len(block)
            if progress is not None:
                progress(sent, size)

    req = urllib.request.Request(
        url,
        data=chunks() if progress is not None else data,
        method=method,
        headers={"Content-Type": "application/n-triples", "Content-Length": str(length)},
    )
    try:
        fetch(req, timeout, limit=1 << 20)
    except urllib.error.HTTPError as exc:
        # One line, whatever the server sent (some answer with a whole HTML page: its
        # text is what says why, as Virtuoso's does).
        detail = " ".join(re.sub(r"<[^>]*>", " ", _error_text(exc)).split())[:300]
        raise StoreError(f"{store_url} refused the graph ({exc.code}): {detail}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, (BrokenPipeError, ConnectionResetError)):
            # It answered and hung up while the graph was still going out (Virtuoso does
            # so for a graph it cannot write): its answer is lost with the connection.
            where = f"graph <{graph}>" if graph else "the default graph"
            raise StoreError(
                f"{store_url} closed the connection before taking the whole graph: it "
                f"may not accept {where}"
                + ("" if graph else " (Virtuoso has no writable default graph: pass --graph)")
            ) from None
        raise StoreError(f"cannot reach {store_url}: {reason}") from None
