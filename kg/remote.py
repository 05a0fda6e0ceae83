"""A SPARQL 1.1 endpoint as the store: the same named queries over HTTP, and `kg push`.

Parameters are bound by a VALUES block written from RDF terms serialised by pyoxigraph
(N-Triples syntax, escaped), placed at the start of the query's WHERE clause: the
standard way to bind variables in SPARQL 1.1, and what pyoxigraph's substitution does
for the embedded store.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.query import values_block
from kg.store import Row, StoreError, Term

DEFAULT_TIMEOUT = 30.0
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
        params = {"default-graph-uri": self.graph} if self.graph else {}
        url = self.endpoint + ("?" + urllib.parse.urlencode(params) if params else "")
        req = urllib.request.Request(
            url,
            data=query.encode("utf-8"),
            method="POST",
            headers={"Content-Type": "application/sparql-query; charset=utf-8", "Accept": accept},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace").strip().splitlines()
            raise StoreError(
                f"{self.endpoint} answered {exc.code}: {detail[0][:300] if detail else exc.reason}"
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise StoreError(f"cannot reach {self.endpoint}: {reason}") from None

    def raw(self, query: str, prefixes: Mapping[str, str] | None = None) -> Any:
        """Run any read query; return solutions, a boolean or a list of triples."""
        body, ctype = self._post(
            with_prefixes(query, prefixes or {}),
            "application/sparql-results+json, application/n-triples;q=0.9",
        )
        try:
            if "sparql-results+json" in ctype or ctype.startswith("application/json"):
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


def gsp_url(endpoint: str) -> str:
    """Guess the Graph Store Protocol URL of a query endpoint (Oxigraph: /query -> /store)."""
    for tail in ("/query", "/sparql"):
        if endpoint.rstrip("/").endswith(tail):
            return endpoint.rstrip("/")[: -len(tail)] + "/store"
    return endpoint.rstrip("/") + "/store"


def push(turtle: Path, store_url: str, graph: str | None, timeout: float = 300.0) -> int:
    """Replace a graph on a server with kg.ttl by one Graph Store Protocol PUT.

    A PUT replaces the graph's content in one request, atomically where the server's
    store is transactional (Oxigraph's is). Returns the number of bytes sent.
    """
    data = turtle.read_bytes()
    query = {"graph": graph} if graph else {"default": ""}
    url = store_url + "?" + urllib.parse.urlencode(query)
    req = urllib.request.Request(
        url, data=data, method="PUT", headers={"Content-Type": "text/turtle; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            resp.read()
    except urllib.error.HTTPError as exc:
        # One line, whatever the server sent (some answer with a whole HTML page).
        detail = " ".join(exc.read().decode("utf-8", "replace").split())[:200]
        raise StoreError(f"{store_url} refused the graph ({exc.code}): {detail}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise StoreError(f"cannot reach {store_url}: {getattr(exc, 'reason', exc)}") from None
    return len(data)
