"""A SPARQL 1.1 endpoint as the store: the same named queries over HTTP, and `kg push`.

Parameters are bound by a VALUES block written from RDF terms serialised by pyoxigraph
(N-Triples syntax, escaped), placed at the start of the query's WHERE clause: the
standard way to bind variables in SPARQL 1.1, and what pyoxigraph's substitution does
for the embedded store.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import json
import re
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox

from kg.query import query_form, values_block, with_values
from kg.store import Row, StoreError, Term, decode_rows

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
    # The build files `kg push` sent beside the graph (see BuildFiles), once asked for
    # (_asked); None when there are none to trust (none pushed, or another graph's).
    _files: BuildFiles | None = field(default=None, init=False, repr=False)
    _asked: bool = field(default=False, init=False, repr=False)
    _sidecars: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _noted: bool = field(default=False, init=False, repr=False)

    def _post(self, query: str, accept: str, dataset: bool = True) -> tuple[bytes, str]:
        # A form POST (SPARQL 1.1 Protocol 2.1.2), which every server takes: Virtuoso 7
        # never answers a POST of application/sparql-query, and GET would limit the length.
        # dataset=False: no default-graph-uri, so that GRAPH reaches every graph (Oxigraph
        # makes no other graph visible to a query given a default-graph-uri).
        named = {"default-graph-uri": self.graph} if self.graph and dataset else {}
        form = {"query": query, **named}
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
        """The build file NAME.json `kg push` sent beside this graph, or None (none pushed,
        those of another graph, or unreadable: the lookups then ask the graph)."""
        if name not in self._sidecars:
            files = self._build_files()
            data = files.read(self, name) if files else None
            value = None
            if data is not None:
                try:
                    value = json.loads(data)
                except ValueError:
                    value = None
                if value is not None and not _shaped(name, value):
                    value = None
                if value is None:
                    self._note(f"its {name}.json is not what kg writes")
            self._sidecars[name] = value
        return self._sidecars[name]

    def sidecar_part(self, name: str, offset: int, length: int) -> bytes | None:
        """Bytes offset..offset+length of the pushed NAME.json, or None (kg.hubs reads one
        list of hub-lists.json at a time, as from the embedded store's file)."""
        files = self._build_files()
        return files.read(self, name, offset, length) if files else None

    def precomputed(self, name: str) -> list[Row] | None:
        """Rows of an aggregate query `kg build` stored (aggregates.json, as pushed), or
        None (asked of the graph instead)."""
        aggregates = self.sidecar("aggregates")
        rows = aggregates.get(name) if isinstance(aggregates, dict) else None
        return None if rows is None else decode_rows(rows)

    def _build_files(self) -> BuildFiles | None:
        """What `kg push` sent beside this graph, if it belongs to the graph there now.

        One query reads the digest of kg.ttl that the push added to the data graph and the
        list of files it sent to their own graph; the files are trusted only when both
        digests are the same (the graph was not replaced since by another push or loader).
        """
        if not self._asked:
            self._asked = True
            # A server that cannot answer this plain SELECT answers no lookup either: its
            # StoreError (unreachable, too slow, failing) is the lookup's one error line.
            marks, manifests = self._ask_files()
            files = BuildFiles.parse(manifests[0]) if len(manifests) == 1 else None
            if len(manifests) > 1:
                self._note("there are several lists of them")
            elif manifests and files is None:
                self._note("their list is not what kg push writes")
            elif files is not None and marks != [files.digest]:
                self._note("they belong to another graph than the one there now (it was "
                           "replaced since the push)")  # fmt: skip
            else:
                self._files = files  # None: nothing pushed beside this graph, say nothing
        return self._files

    def _ask_files(self) -> tuple[list[str], list[str]]:
        """The push digests in the data graph and the file lists in the files graph."""
        # Each branch of the UNION binds its own terms: a VALUES block outside it does not
        # reach into it on Oxigraph's server, which then scanned every quad (1 s at 1M).
        side = ox.NamedNode(files_graph(self.graph))
        if self.graph:
            pattern = "GRAPH ?data { ?push ?pushed ?digest }"
            mark = values_block(
                ["data", "push", "pushed"], [[ox.NamedNode(self.graph), PUSH, PUSHED]]
            )
        else:
            pattern = "?push ?pushed ?digest"
            mark = values_block(["push", "pushed"], [[PUSH, PUSHED]])
        listed = values_block(["side", "holds"], [[side, HOLDS]])
        query = (
            f"SELECT ?digest ?files WHERE {{ {{ {mark} {pattern} }} UNION "
            f"{{ {listed} GRAPH ?side {{ ?side ?holds ?files }} }} }}"
        )
        body, ctype = self._post(query, "application/sparql-results+json", dataset=False)
        rows = _solutions(body, ctype, self.endpoint)
        marks, lists = set(), []
        for row in rows:
            digest, files = row.get("digest"), row.get("files")
            if isinstance(digest, ox.Literal):
                marks.add(digest.value)
            if isinstance(files, ox.Literal):
                lists.append(files.value)
        return sorted(marks), lists

    def _note(self, why: str) -> None:
        """Say once, on stderr, that the pushed build files go unused, and why."""
        if self._noted:
            return
        self._noted = True
        where = f"graph <{self.graph}>" if self.graph else "the default graph"
        sys.stderr.write(
            f"note: not using the build files kg push sent beside {where} at "
            f"{self.endpoint}: {why}; asking the graph instead (slower; push again to fix)\n"
        )

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[Row]:
        """Run a SELECT with variables bound by a VALUES block."""
        result = self.raw(bind_values(query, bindings or {}))
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError("expected SELECT results")
        names = [v.value for v in result.variables]
        return [{n: sol[n] for n in names} for sol in result]


# ---------------------------------------------------------------------------- build files
# `kg push` sends the files `kg build` wrote beside the store (aggregates, indexes, the hub
# index: the "sidecars") into a graph of their own beside the data graph, so that a server
# answers stats, rank, a state's card… by reading them, as the embedded store does,
# instead of computing them by SPARQL on every lookup (past a minute at 5M triples).
#
# The files graph holds one node listing the files (a JSON literal: each file's size and
# SHA-256) and each file in parts of PART bytes, part N of a file at byte N * PART: a part
# is read alone (kg.hubs reads one hub list of a 53 MB file). A part is a node with its
# bytes in base64 and their SHA-256, as two literals: base64 is ASCII, so a part can end
# anywhere and no server can re-encode it. Virtuoso 7's Graph Store endpoint refuses a
# line of 65,500 bytes or more, and a request whose first 64 KiB hold fewer than two whole
# lines ("unsupported type text/plain"): a part's line of N-Triples stays under 60,000
# bytes, and each request opens with its parts' short digest lines. The data graph gets one
# triple more, PUSH kg:pushedBuild "SHA-256 of kg.ttl", and the files graph's list names
# the same digest: a reader trusts the files only when the two agree.
ONT = "https://w3id.org/kg/ont#"
PUSH = ox.NamedNode("https://w3id.org/kg/push")  # kg's node in the data graph
PUSHED = ox.NamedNode(ONT + "pushedBuild")  # PUSH kg:pushedBuild "digest of kg.ttl"
HOLDS = ox.NamedNode(ONT + "buildFiles")  # <files graph> kg:buildFiles "the list (JSON)"
TEXT = ox.NamedNode(ONT + "buildFilePart")  # <part> kg:buildFilePart "its bytes, base64"
HASH = ox.NamedNode(ONT + "buildFilePartDigest")  # <part> kg:…Digest "their SHA-256"
FORMAT = "kg-build-files-1"
# The files a lookup reads, sent when present; build.json goes without its local paths.
PUSHED_FILES = (
    "aggregates", "schema", "build", "actors", "meetings", "tenures", "party-acts", "hubs",
    "hub-lists",
)  # fmt: skip
PART = 43_500  # bytes a part: 58,000 in base64, under Virtuoso's line limit (see above)
REQUEST_BYTES = 8 << 20  # the files graph goes in requests of about this many bytes
_DIGEST = re.compile(r"[0-9a-f]{64}")


def files_graph(graph: str | None) -> str:
    """The graph that holds the build files pushed beside `graph` (None: the default)."""
    base = "https://w3id.org/kg/build-files"
    return base if graph is None else base + "?graph=" + urllib.parse.quote(graph, safe="")


def part_iri(digest: str, name: str, number: int) -> ox.NamedNode:
    return ox.NamedNode(f"https://w3id.org/kg/build-files/{digest}/{name}/{number}")


@dataclass(frozen=True)
class BuildFiles:
    """The list of build files pushed beside a graph: the digest of their kg.ttl, their
    part size, and each file's size and SHA-256."""

    digest: str
    part: int
    files: dict[str, tuple[int, str]]

    @classmethod
    def parse(cls, text: str) -> BuildFiles | None:
        """The list read from a server, or None when it is not what kg push writes."""
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        digest, part, files = data.get("digest"), data.get("part"), data.get("files")
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            return None
        if type(part) is not int or not 0 < part <= 1 << 20 or not isinstance(files, dict):
            return None
        parsed = {}
        for name, entry in files.items():
            if not (
                name in PUSHED_FILES
                and isinstance(entry, list)
                and len(entry) == 2
                and type(entry[0]) is int
                and entry[0] >= 0
                and isinstance(entry[1], str)
                and _DIGEST.fullmatch(entry[1])
            ):
                return None
            parsed[name] = (entry[0], entry[1])
        return cls(digest, part, parsed)

    def read(
        self, store: RemoteStore, name: str, offset: int = 0, length: int | None = None
    ) -> bytes | None:
        """Bytes offset..offset+length of file `name` (length None: all of it, checked
        against its SHA-256), each part checked against its own; None when there is no such
        file or a part is missing or damaged."""
        if name not in self.files:
            return None
        size, whole = self.files[name]
        end = size if length is None else min(size, offset + max(0, length))
        if offset < 0 or offset >= end:
            return b""
        numbers = range(offset // self.part, (end - 1) // self.part + 1)
        iris = {part_iri(self.digest, name, n): n for n in numbers}
        query = with_values(
            "SELECT ?part ?text ?sha WHERE { GRAPH ?side { ?part ?holds ?text ; ?hashed ?sha } }",
            ["side", "holds", "hashed", "part"],
            [[ox.NamedNode(files_graph(store.graph)), TEXT, HASH, iri] for iri in iris],
        )
        body, ctype = store._post(query, "application/sparql-results+json", dataset=False)
        got: dict[int, bytes] = {}
        for row in _solutions(body, ctype, store.endpoint):
            iri, text, sha = row.get("part"), row.get("text"), row.get("sha")
            if not (isinstance(text, ox.Literal) and isinstance(sha, ox.Literal)):
                continue
            number = iris.get(iri) if isinstance(iri, ox.NamedNode) else None
            if number is None:
                continue
            try:
                data = base64.b64decode(text.value, validate=True)
            except ValueError:  # binascii.Error: not base64
                continue
            expected = min(self.part, size - number * self.part)
            if len(data) == expected and hashlib.sha256(data).hexdigest() == sha.value:
                got[number] = data
        joined = b"".join(got.get(n, b"") for n in numbers)
        if len(got) != len(numbers) or (
            length is None and hashlib.sha256(joined).hexdigest() != whole
        ):
            store._note(f"part of its {name}.json is missing or damaged")
            return None
        start = offset - numbers[0] * self.part
        return joined[start : start + (end - offset)]


def _solutions(body: bytes, ctype: str, endpoint: str) -> list[Row]:
    """The rows of a SPARQL JSON answer (a StoreError when it is none)."""
    if "sparql-results+json" not in ctype and not ctype.startswith("application/json"):
        raise StoreError(f"{endpoint} answered in an unexpected format: {ctype or '?'}")
    try:
        result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError(f"{endpoint} sent no rows where rows were asked for")
        names = [v.value for v in result.variables]
        return [{n: sol[n] for n in names} for sol in result]
    except (SyntaxError, ValueError) as exc:
        raise StoreError(f"{endpoint} sent an unreadable answer: {exc}") from None


# What each pushed file must look like for its readers (kg.indexes, kg.acts, kg.kinds,
# kg.chains, kg.hubs) to take it without failing: a server's answer is untrusted input.
# A spec: a type; a list [spec] (a list of such items); a tuple (specs…) (a list of that
# many items); a dict {key: spec} (those keys at least); {str: spec} (any keys).
_TEXT = (str,)
_ROW = {str: (list,)}  # an encoded row (kg.store.encode_rows): checked further below
_SHAPES: dict[str, Any] = {
    "aggregates": {str: [_ROW]},
    "schema": {"categories": (list,), "actors": [((str,), (str,))]},
    "build": (dict,),
    "actors": {"nodes": [(_TEXT,) * 4], "edges": [((int,),) * 3]},
    "meetings": [(_TEXT, _TEXT, _TEXT, _TEXT, (int,), [_TEXT], _TEXT, (int,))],
    "tenures": [(_TEXT,) * 8],
    "party-acts": {
        "version": (int,),
        "space": _TEXT,
        "parties": {str: [_TEXT]},
        "acts": {str: (_TEXT, [(_TEXT, _TEXT, (int,), _TEXT)])},
    },
    "hubs": {
        "version": (int,),
        "space": _TEXT,
        "first": (int,),
        "meeting kinds": [_TEXT],
        "lists": {str: {str: ((int,),) * 5}},
        "kinds": [_TEXT],
        "topics": [_TEXT],
        "types": [_TEXT],
    },
}


def _fits(value: Any, spec: Any) -> bool:
    if isinstance(spec, list):
        return isinstance(value, list) and all(_fits(v, spec[0]) for v in value)
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return False
        if str in spec:
            return all(isinstance(k, str) and _fits(v, spec[str]) for k, v in value.items())
        return all(k in value and _fits(value[k], s) for k, s in spec.items())
    if isinstance(spec, tuple) and spec and not isinstance(spec[0], type):
        return (
            isinstance(value, list)
            and len(value) == len(spec)
            and all(_fits(v, s) for v, s in zip(value, spec, strict=True))
        )
    return isinstance(value, spec) and not (isinstance(value, bool) and bool not in spec)


def _shaped(name: str, value: Any) -> bool:
    """Whether a pushed file read back has the shape its readers expect."""
    spec = _SHAPES.get(name)
    if spec is None or not _fits(value, spec):
        return False
    if name == "aggregates":  # every cell of every row: (kind, value, datatype or language)
        return all(
            len(cell) == 3 and all(isinstance(c, str) for c in cell)
            for rows in value.values()
            for row in rows
            for cell in row.values()
        )
    return True


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


def build_files(folder: Path) -> dict[str, bytes]:
    """The build files `kg push` sends, read from the build folder that holds kg.ttl (each
    of PUSHED_FILES that is there; build.json without its local paths of sources)."""
    found = {}
    for name in PUSHED_FILES:
        path = folder / f"{name}.json"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
        if name == "build":  # only what lookups read (the graph's size), no file paths
            try:
                summary = json.loads(data)
            except ValueError:
                raise StoreError(f"{path} is not JSON: rebuild with `kg build`") from None
            kept = {k: summary[k] for k in ("counts", "triples") if k in summary}
            data = json.dumps(kept, sort_keys=True).encode()
        found[name] = data
    return found


def files_request_lines(
    digest: str, files: Mapping[str, bytes], side: str
) -> Iterator[list[bytes]]:
    """The files graph `side` as requests of N-Triples lines: the parts of every file,
    each request opening with its parts' digests (see above), the list of files last."""
    lines: list[bytes] = []
    texts: list[bytes] = []
    size = 0
    for name, data in sorted(files.items()):
        for number, at in enumerate(range(0, len(data), PART)):
            chunk = data[at : at + PART]
            iri = part_iri(digest, name, number)
            sha = ox.Literal(hashlib.sha256(chunk).hexdigest())
            lines.append(f"{iri} {HASH} {sha} .\n".encode())
            encoded = ox.Literal(base64.b64encode(chunk).decode("ascii"))
            texts.append(f"{iri} {TEXT} {encoded} .\n".encode())
            size += len(texts[-1])
            if size >= REQUEST_BYTES:
                yield lines + texts
                lines, texts, size = [], [], 0
    listed = {name: [len(data), hashlib.sha256(data).hexdigest()] for name, data in files.items()}
    text = json.dumps(
        {"format": FORMAT, "digest": digest, "part": PART, "files": listed}, sort_keys=True
    )
    yield [*lines, f"{ox.NamedNode(side)} {HOLDS} {ox.Literal(text)} .\n".encode(), *texts]


def push(
    turtle: Path,
    store_url: str,
    graph: str | None,
    timeout: float = 300.0,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 0,
    files: Mapping[str, bytes] | None = None,
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

    files (see build_files): the build files to send beside the graph, into the graph
    files_graph(graph), after it; the data graph then gets one triple more, the digest of
    kg.ttl they belong to, in its last request. An empty mapping removes files pushed
    before; None leaves the files graph alone.
    """
    query = {"graph": graph} if graph else {"default": ""}
    url = store_url + "?" + urllib.parse.urlencode(query)
    digest = _file_digest(turtle) if files else None
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
        if digest is not None:  # last, so a push cut short leaves no digest to trust
            data.write(f"{PUSH} {PUSHED} {ox.Literal(digest)} .\n".encode())
        size = data.tell()
        data.seek(0)
        if batch <= 0:
            _send(url, "PUT", data, size, 0, size, store_url, graph, timeout, progress)
            _push_files(store_url, graph, digest, files, timeout)
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
    _push_files(store_url, graph, digest, files, timeout)
    return size


def _file_digest(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    sha = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                sha.update(block)
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    return sha.hexdigest()


def _push_files(
    store_url: str,
    graph: str | None,
    digest: str | None,
    files: Mapping[str, bytes] | None,
    timeout: float,
) -> None:
    """Replace the files graph beside `graph` (see push); remove it when files is empty."""
    if files is None:
        return
    side = files_graph(graph)
    url = store_url + "?" + urllib.parse.urlencode({"graph": side})
    if not files or digest is None:
        req = urllib.request.Request(url, method="DELETE")
        try:
            fetch(req, timeout, limit=1 << 20)
        except urllib.error.HTTPError as exc:
            if exc.code != 404:  # none there: nothing to remove
                detail = " ".join(re.sub(r"<[^>]*>", " ", _error_text(exc)).split())[:300]
                raise StoreError(
                    f"{store_url} refused to remove graph <{side}> ({exc.code}): {detail}"
                ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise StoreError(f"cannot reach {store_url}: {getattr(exc, 'reason', exc)}") from None
        return
    method = "PUT"  # the first request replaces the graph, the others add to it
    for lines in files_request_lines(digest, files, side):
        body = b"".join(lines)
        _send(url, method, io.BytesIO(body), len(body), 0, len(body), store_url, side,
              timeout, None)  # fmt: skip
        method = "POST"


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
