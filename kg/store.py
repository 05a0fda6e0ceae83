"""The graph store: one interface over the embedded on-disk pyoxigraph store.

Lookups import only this module and pyoxigraph, never rdflib, so they start fast; paths are
handled with os.path (pathlib, with the modules it imports, costs a cold lookup 5-10 ms),
and Path objects made only where a caller asks for one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

import pyoxigraph as ox

from kg.errors import KgError

if TYPE_CHECKING:
    from pathlib import Path

PathLike = str | os.PathLike[str]

Term = ox.NamedNode | ox.Literal | ox.BlankNode
Row = dict[str, Term | None]


class StoreError(KgError):
    """The store cannot be opened or queried (missing build, bad query, server down)."""


class Store(Protocol):
    """What lookups need of a store: the embedded one, or a SPARQL endpoint."""

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[Row]:
        """Run a SELECT with variables bound to terms; return its rows."""
        ...

    def raw(
        self,
        query: str,
        prefixes: Mapping[str, str] | None = None,
        bindings: Mapping[str, Term] | None = None,
    ) -> Any:
        """Run any read query, variables bound to terms; return solutions, a boolean or triples."""
        ...

    def sidecar(self, name: str) -> Any:
        """The JSON file NAME.json `kg build` wrote beside the store, or None (none there)."""
        ...

    def precomputed(self, name: str) -> list[Row] | None:
        """Rows of an aggregate query `kg build` stored with the store, or None (ask it)."""
        ...


def default_store_path() -> Path:
    """Return $KG_STORE, or build/store of the current directory."""
    from pathlib import Path

    return Path(_default_store())


def _default_store() -> str:
    return os.environ.get("KG_STORE", "build/store")


def store_dir(path: PathLike | None = None) -> Path:
    """The store folder to open: path, else $KG_STORE or build/store.

    A build folder (one holding store/) stands for its store, so `--store build` and
    `--store build/current` work as `--store build/store` does.
    """
    from pathlib import Path

    return Path(_store_folder(path))


def _store_folder(path: PathLike | None) -> str:
    """store_dir's folder, as a string (see store_dir)."""
    folder = os.fspath(path) if path else _default_store()
    inner = os.path.join(folder, "store")
    if os.path.isdir(inner) and not os.path.exists(os.path.join(folder, _STORE_MARK)):
        return inner
    return folder


# A file every Oxigraph (RocksDB) store folder holds: a folder without it is no store.
_STORE_MARK = "CURRENT"


def not_a_store(path: PathLike) -> str:
    """Why the folder at path is no store, and which folder to pass instead."""
    from pathlib import Path

    return (
        f"{Path(os.path.abspath(path))} is not a kg store (no Oxigraph store there): pass "
        "--store the folder `kg build` wrote (build, or build/store), or run `kg build` first"
    )


def missing_store(path: PathLike) -> str:
    """Why there is no graph at path, the path in full, and how to get one."""
    from pathlib import Path

    return (
        f"no graph at {Path(os.path.abspath(path))}: run `kg build` first, in the folder that "
        "holds facts/ (lookups read build/store there; or cd into a built project), or pass "
        "--store DIR"
    )


# Set by a process that answers one lookup and exits (kg.cli.fast): see untraced.
ONE_SHOT = False


@contextmanager
def untraced() -> Iterator[None]:
    """In a one-lookup process (ONE_SHOT), the objects made meanwhile, which hold no cycles
    (a sidecar's JSON), kept out of the cyclic garbage collector's sight: its passes walk
    every object alive, and a big sidecar holds a million (tenures.json at 20M triples: read
    and 30k records made after it, 0.12 s of CPU with them, 0.07 s without). Paused only,
    the collector would walk them all at its next pass; they are frozen (gc.freeze), with
    every object alive then: reference counting still frees them, but a cycle among them
    would never be collected, a leak a one-lookup process does not live to see, which is
    why a longer process (a server, a notebook, the tests) does none of it."""
    if not ONE_SHOT:
        yield
        return
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


class EmbeddedStore:
    """A read-only pyoxigraph store on disk, as written by `kg build`.

    RocksDB opens the store at the first query (see _store): opening it costs as much as a
    whole lookup at 100k triples (20-30 ms), and `kg stats`, `engagement` and `topics`
    answer from the files `kg build` wrote beside it without asking the store.
    """

    def __init__(
        self,
        path: PathLike,
        _store: Any = None,  # an open pyoxigraph store; None: opened by the first query
        _precomputed: dict[str, Any] | None = None,
        _sidecars: dict[str, Any] | None = None,
        _has_files: bool = True,  # False for a store being built: it has no sidecar files yet
        _guard: Any = None,  # a shared lock on the generation's seal while this store is open
        _named: PathLike | None = None,  # the path as given, for messages
    ) -> None:
        self._folder = os.fspath(path)
        self._ox = _store
        self._precomputed = _precomputed
        self._sidecars: dict[str, Any] = {} if _sidecars is None else _sidecars
        self._has_files = _has_files
        self._guard = _guard
        self._named = path if _named is None else _named

    def __repr__(self) -> str:
        return f"EmbeddedStore({self._folder!r})"

    def __del__(self) -> None:
        # The seal's lock goes with the store: closed here, not left to the file's own
        # finalizer, which warns (ResourceWarning) in a notebook or a test that drops a
        # store without more ado.
        guard = getattr(self, "_guard", None)
        if guard is not None:
            guard.close()

    @property
    def path(self) -> Path:
        """The store's folder (its generation's real path, for a store `open` found)."""
        from pathlib import Path

        return Path(self._folder)

    @property
    def _store(self) -> Any:
        """The pyoxigraph store, opened read-only on first use."""
        if self._ox is None:
            try:
                self._ox = ox.Store.read_only(self._folder)
            except OSError as exc:
                if not os.path.exists(os.path.join(self._folder, _STORE_MARK)):
                    raise StoreError(not_a_store(self._named)) from None
                from pathlib import Path  # as the path was given, written as Path writes it

                raise StoreError(f"cannot open the graph at {Path(self._named)}: {exc}") from None
        return self._ox

    @classmethod
    def open(cls, path: PathLike | None = None, lazy: bool = False) -> EmbeddedStore:
        """Open the store read-only; raise StoreError when there is none.

        build/store leads through build/current, which a build switches: the generation is
        resolved once and opened by its real path (its sidecars too), holding a shared lock
        on its seal so that no build deletes it while it is read; a generation swapped
        away meanwhile is resolved again. lazy: RocksDB opens the store at the first query
        (a lookup answered from the sidecars never opens it); a folder that is no store is
        refused here all the same.
        """
        import time

        path = _store_folder(path)
        for attempt in range(50):
            if not os.path.isdir(path):
                raise StoreError(missing_store(path))
            real = os.path.realpath(path)
            guard = _hold(os.path.dirname(real), last=attempt == 49)
            if guard is False:
                time.sleep(0.01 * (attempt + 1))
                continue
            store = cls(real, _guard=guard, _named=path)
            try:
                if not os.path.exists(os.path.join(real, _STORE_MARK)):
                    raise StoreError(not_a_store(path))
                if not lazy:
                    store._store  # noqa: B018 (opens it)
            except StoreError:
                if guard is not None:
                    guard.close()
                raise
            return store
        from pathlib import Path

        raise StoreError(f"cannot open the graph at {Path(path)}: it keeps being rebuilt")

    @classmethod
    def in_memory(cls, store: Any, sidecars: Mapping[str, Any] | None = None) -> EmbeddedStore:
        """Wrap a store being built (no sidecar files: every answer comes from the graph,
        but for the sidecars given, as they will be written, e.g. the build's schema)."""
        return cls(os.devnull, store, _sidecars=dict(sidecars or {}), _has_files=False)

    def sidecar(self, name: str) -> Any:
        """The JSON file NAME.json that `kg build` wrote beside this store, or None."""
        if name not in self._sidecars:
            path = os.path.join(os.path.dirname(os.path.realpath(self._folder)), f"{name}.json")
            if self._has_files and os.path.isfile(path):
                import json

                with open(path, "rb") as fh, untraced():
                    self._sidecars[name] = json.load(fh)
            else:
                self._sidecars[name] = None
        return self._sidecars[name]

    def sidecar_part(self, name: str, offset: int, length: int) -> bytes | None:
        """Bytes offset..offset+length of NAME.json beside this store, or None without it
        (kg.hubs reads one list of a file too big to read whole in every lookup)."""
        if not self._has_files:
            return None
        try:
            with open(self.path.resolve().parent / f"{name}.json", "rb") as fh:
                fh.seek(offset)
                return fh.read(length)
        except OSError:
            return None

    def precomputed(self, name: str) -> list[Row] | None:
        """Rows of an aggregate query that `kg build` stored with this store, if any."""
        if self._precomputed is None:
            self._precomputed = self.sidecar("aggregates") or {}
        rows = self._precomputed.get(name)
        if rows is None:
            return None
        return decode_rows(rows)

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[Row]:
        """Run a SELECT with variables bound to terms (never pasted into the text)."""
        subs = {ox.Variable(k): v for k, v in (bindings or {}).items()}
        try:
            result = self._store.query(query, substitutions=subs)
        except SyntaxError as exc:
            raise StoreError(f"SPARQL syntax error: {exc}") from None
        names = [v.value for v in result.variables]
        return [{n: sol[n] for n in names} for sol in result]

    def raw(
        self,
        query: str,
        prefixes: Mapping[str, str] | None = None,
        bindings: Mapping[str, Term] | None = None,
    ) -> Any:
        """Run any read query, variables bound to terms (never pasted into the text); return
        pyoxigraph's result object (solutions, bool, triples)."""
        subs = {ox.Variable(k): v for k, v in (bindings or {}).items()}
        try:
            return self._store.query(query, prefixes=dict(prefixes or {}), substitutions=subs)
        except SyntaxError as exc:
            raise StoreError(f"SPARQL syntax error: {exc}") from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise StoreError(f"query failed: {exc}") from None


# Every graph `kg build` writes holds the kg ontology's own node: one ASK tells a graph
# with kg's data from an empty or foreign one (asked only once an answer came back empty).
_KG_MARK = "ASK { <https://w3id.org/kg/ont> a <http://www.w3.org/2002/07/owl#Ontology> }"


def no_kg_data(store: Store) -> str | None:
    """Say where the store is and how to fix it if it holds no kg data; None when it does
    (or when asking fails: the answer already given stands)."""
    try:
        if bool(store.raw(_KG_MARK)):
            return None
    except (KgError, OSError, ValueError):
        return None
    endpoint = getattr(store, "endpoint", None)
    if endpoint is None:
        path = getattr(store, "path", "?")
        return f"the store at {path} holds no kg data: build one with `kg build`"
    graph = getattr(store, "graph", None)
    where = f"graph <{graph}>" if graph else "the default graph: no --graph given"
    return (
        f"the graph at {endpoint} ({where}) holds no kg data: check KG_GRAPH / --graph "
        "names the graph `kg push --graph IRI` loaded, or load it with kg push"
    )


def require_kg_data(store: Store) -> None:
    """Raise StoreError when the store holds no kg data (see no_kg_data)."""
    problem = no_kg_data(store)
    if problem is not None:
        raise StoreError(problem)


def _hold(gen: PathLike, last: bool) -> Any:
    """A shared lock on a build generation's seal (kg.publish), so no build deletes it.

    Returns the open seal, None when the folder is no sealed generation (a store made
    otherwise, or by an older kg: opened as it is), or False when the generation is being
    swapped away (resolve build/current again).
    """
    import fcntl

    gen = os.fspath(gen)
    seal = os.path.join(gen, ".complete")  # kg.publish.COMPLETE (not imported: lookups stay light)
    try:
        fh = open(seal, "rb")  # noqa: SIM115 (held while the store is open)
    except FileNotFoundError:
        return False if os.path.basename(gen).startswith("gen-") and not last else None
    except OSError:
        return None
    try:
        fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
        if os.fstat(fh.fileno()).st_ino != os.stat(seal).st_ino:
            raise FileNotFoundError(seal)  # unsealed and replaced while we opened it
    except OSError:
        fh.close()
        return None if last else False
    return fh


def value(term: Term | None) -> str:
    """Return a term's lexical value ('' for unbound)."""
    return "" if term is None else str(term.value)


def truth(term: Term | None) -> bool:
    """Whether a boolean a query selected is true: xsd:boolean's lexical forms are true, false,
    1 and 0, and Virtuoso 7 answers stored booleans as 1/0 and computed ones (BIND(true),
    EXISTS) as the integers 1/0."""
    return value(term) in ("true", "1")


def encode_rows(rows: list[Row]) -> list[dict[str, list[str]]]:
    """Rows as JSON-ready [kind, value, datatype-or-language] triples per variable."""
    out = []
    for row in rows:
        enc = {}
        for k, term in row.items():
            if isinstance(term, ox.NamedNode):
                enc[k] = ["iri", term.value, ""]
            elif isinstance(term, ox.Literal):
                enc[k] = ["lit", term.value, term.language or term.datatype.value]
            else:  # unbound (an OPTIONAL that did not match)
                enc[k] = ["none", "", ""]
        out.append(enc)
    return out


def decode_rows(rows: list[dict[str, list[str]]]) -> list[Row]:
    """The inverse of encode_rows."""
    out: list[Row] = []
    for row in rows:
        dec: Row = {}
        for k, (kind, val, extra) in row.items():
            if kind == "none":
                dec[k] = None
            elif kind == "iri":
                dec[k] = ox.NamedNode(val)
            elif extra.startswith("http"):
                dec[k] = ox.Literal(val, datatype=ox.NamedNode(extra))
            else:
                dec[k] = ox.Literal(val, language=extra or None)
        out.append(dec)
    return out
