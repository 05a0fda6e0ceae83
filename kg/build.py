"""`kg build`: facts -> checked records -> RDF -> SHACL -> build/kg.ttl + an on-disk store."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph

from kg.diagnostics import Diagnostic, FactsError
from kg.paths import ontology_dir

STORE_LINK = "store"  # build/store -> current/store -> gen-<hash>/store


@dataclass
class BuildResult:
    """What a build made: counts per class, warnings, where the outputs are, stage times."""

    counts: dict[str, int]
    triples: int
    warnings: list[Diagnostic]
    turtle: Path
    store: Path
    timings: dict[str, float] = field(default_factory=dict)


class BuildBusy(Exception):
    """Another build holds the lock on the build folder."""


def default_source_dirs(facts_dir: Path) -> list[Path]:
    """Where source texts are looked for: $KG_SOURCES, then beside or above the facts."""
    dirs = []
    env = os.environ.get("KG_SOURCES")
    if env:
        dirs.append(Path(env))
    base = facts_dir.resolve().parent
    dirs += [base / "sources", base.parent / "shared" / "sources"]
    return dirs


def topic_slugs(topics: Graph) -> set[str]:
    """Return the slugs of the SKOS concepts of the topic scheme."""
    from kg.namespaces import RDF, SKOS, TOPIC

    prefix = str(TOPIC)
    return {
        str(c)[len(prefix) :]
        for c in topics.subjects(RDF.type, SKOS.Concept)
        if str(c).startswith(prefix)
    }


def apply_rules(store: Any, rules_dir: Path) -> int:
    """Add what each CONSTRUCT rule in ontology/rules derives; return triples derived."""
    import pyoxigraph as ox

    added = 0
    for rule in sorted(rules_dir.glob("*.rq")):
        new = [
            ox.Quad(t.subject, t.predicate, t.object)
            for t in store.query(rule.read_text(encoding="utf-8"))
        ]
        store.extend(new)
        added += len(new)
    return added


_COUNTS = """SELECT ?class (COUNT(DISTINCT ?x) AS ?n) WHERE {
  ?x a ?class . FILTER(STRSTARTS(STR(?x), "https://w3id.org/kg/id/")) } GROUP BY ?class"""


def class_counts(store: Any) -> dict[str, int]:
    """Count the instances of each class among the curated nodes, by class local name."""
    counts = {}
    for sol in store.query(_COUNTS):
        name = sol["class"].value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        counts[name] = int(sol["n"].value)
    return dict(sorted(counts.items()))


def serialize(nt: bytes) -> bytes:
    """Serialise the graph's N-Triples as Turtle, byte-for-byte the same for the same triples.

    The N-Triples lines are sorted as bytes (a C sort; sorting term objects in Python took
    6 s at a million triples) and pyoxigraph writes them as Turtle in that order, so
    subjects group the same way every time; the graph has no blank nodes.
    """
    import pyoxigraph as ox

    from kg.prefixes import PREFIXES

    lines = b"\n".join(sorted(line for line in nt.splitlines() if line))
    triples = ox.parse(lines, format=ox.RdfFormat.N_TRIPLES)
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b""


@contextlib.contextmanager
def build_lock(build_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the build folder, refusing if another build holds it."""
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise BuildBusy(
                    f"another kg build is writing {build_dir}; try again when it has finished"
                ) from None
            raise
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _link(target: str, link: Path) -> None:
    """Point link at target, replacing whatever is there in one rename."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.link")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _staging(build_dir: Path) -> Path:
    """A fresh staging folder for this build's outputs (call with the lock held)."""
    # A build killed earlier may have left its staging folder; we hold the lock, so any
    # staging folder now is stale.
    for stale in build_dir.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    staging = build_dir / f".staging-{os.getpid()}"
    staging.mkdir(parents=True)
    return staging


class _StoreWriter:
    """Loads the on-disk store in a thread while the build goes on.

    pyoxigraph releases the GIL while it loads, so at a million triples the 5 s of writing
    the store overlap validation, serialisation and the aggregates instead of following
    them.
    """

    def __init__(self, path: Path, ntriples: bytes) -> None:
        import threading

        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path, ntriples), daemon=True)
        self._thread.start()

    def _run(self, path: Path, ntriples: bytes) -> None:
        import pyoxigraph

        try:
            store = pyoxigraph.Store(str(path))
            store.bulk_load(ntriples, format=pyoxigraph.RdfFormat.N_TRIPLES)
            store.flush()
            del store
        except BaseException as exc:  # handed to the build's thread by wait()
            self.error = exc

    def wait(self) -> None:
        self._thread.join()
        if self.error is not None:
            raise self.error


def _write_outputs(
    build_dir: Path, staging: Path, turtle: bytes, sidecars: dict[str, bytes]
) -> Path:
    """Publish kg.ttl and the store together, so readers see the old pair or the new one.

    Each build's outputs live in build/gen-<hash>/ (kg.ttl and store/), made in a staging
    folder first (its store already loaded). One symlink, build/current, names the live
    generation, and replacing it is a single atomic rename; build/kg.ttl and build/store are
    fixed links through it. A build killed at any point leaves the previous generation live
    and intact. Beside them go the sidecar files (NAME.json: the precomputed aggregates,
    the meeting index).
    """
    digest = hashlib.sha256(turtle).hexdigest()[:16]
    gen = build_dir / f"gen-{digest}"
    if not gen.is_dir():
        (staging / "kg.ttl").write_bytes(turtle)
        for name, data in sorted(sidecars.items()):
            (staging / f"{name}.json").write_bytes(data)
        os.replace(staging, gen)
    for name, data in sorted(sidecars.items()):
        if not (gen / f"{name}.json").is_file():  # made by an older kg: add it
            tmp = gen / f".{name}.{os.getpid()}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, gen / f"{name}.json")
    _link(gen.name, build_dir / "current")
    for name in ("kg.ttl", STORE_LINK):
        link = build_dir / name
        if not (link.is_symlink() and os.readlink(link) == f"current/{name}"):
            if link.is_dir() and not link.is_symlink():
                shutil.rmtree(link)
            _link(f"current/{name}", link)
    for old in [*build_dir.glob("gen-*"), *build_dir.glob("store-*")]:
        if old != gen:
            shutil.rmtree(old, ignore_errors=True)
    return build_dir / STORE_LINK


def precompute(store: Any) -> dict[str, bytes]:
    """Run the whole-graph aggregate queries and the indexes once; return them as JSON."""
    import json

    from kg.indexes import meeting_index, tenure_index
    from kg.query import PRECOMPUTED, load_query
    from kg.store import EmbeddedStore, encode_rows

    out = {}
    for name in PRECOMPUTED:
        result = store.query(load_query(name).text)
        names = [v.value for v in result.variables]
        rows = encode_rows([{n: sol[n] for n in names} for sol in result])
        for row in rows:
            # GROUP_CONCAT joins in no fixed order: sort the parts so builds are reproducible.
            for var in CONCATENATED & set(row):
                row[var][1] = "|".join(sorted(row[var][1].split("|")))
        out[name] = rows  # in the query's own ORDER BY, which is total for these queries
    graph = EmbeddedStore.in_memory(store)
    return {
        "aggregates": json.dumps(out, sort_keys=True, ensure_ascii=False).encode("utf-8"),
        # Both indexes come sorted (totally: their IRIs end the keys), so builds reproduce.
        "meetings": json.dumps(meeting_index(graph), ensure_ascii=False).encode("utf-8"),
        "tenures": json.dumps(tenure_index(graph), ensure_ascii=False).encode("utf-8"),
    }


# Variables the named queries fill with GROUP_CONCAT(…; separator="|").
CONCATENATED = {"sources", "topics", "trails", "alts", "attested"}


# Up to this many triples pySHACL validates; above it, the same shapes compiled to SPARQL
# (kg.shacl_sparql) run on the store, as pySHACL grows too slow (4.7 s at 74k triples).
PYSHACL_LIMIT = 50_000


def build(
    facts_dir: Path,
    build_dir: Path,
    source_dirs: list[Path] | None = None,
    validator: str = "auto",
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build the knowledge graph; raise FactsError (every problem) or BuildBusy.

    validator: "pyshacl", "sparql" or "auto" (pySHACL up to PYSHACL_LIMIT triples).
    progress: called with the name of each stage as it starts.
    """
    import gc

    # A build makes millions of small objects (YAML nodes, records, terms) and no garbage
    # cycles worth collecting; Python's cycle collector, walking them again and again,
    # took most of the time of reading the facts (YAML at 1M triples: 5-9 s with it,
    # 0.9 s without).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(facts_dir, build_dir, source_dirs, validator, progress)
    finally:
        if enabled:
            gc.enable()


def _build(
    facts_dir: Path,
    build_dir: Path,
    source_dirs: list[Path] | None,
    validator: str,
    progress: Callable[[str], None] | None,
) -> BuildResult:

    def say(stage: str) -> None:
        if progress is not None:
            progress(stage)

    import pyoxigraph as ox

    from kg.convert import ntriples, to_rdf
    from kg.facts.check import check_facts
    from kg.facts.schema import load_schema
    from kg.index import search_keys
    from kg.validate import validate, validate_sparql

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    onto = ontology_dir()
    if not facts_dir.is_dir():
        raise FactsError([Diagnostic(str(facts_dir), 0, "facts folder not found")])
    ontology = Graph().parse(onto / "kg.ttl")
    topics = Graph().parse(onto / "topics.ttl")
    shapes = Graph().parse(onto / "shapes.ttl")
    schema = load_schema()
    timings["load ontology"] = time.perf_counter() - t0

    say("reading and checking facts")
    t = time.perf_counter()
    facts = check_facts(
        facts_dir,
        schema,
        topic_slugs(topics),
        source_dirs if source_dirs is not None else default_source_dirs(facts_dir),
    )
    timings["read and check facts"] = time.perf_counter() - t

    say("converting to RDF")
    t = time.perf_counter()
    data, origins = to_rdf(schema, facts)
    store = ox.Store()  # in memory: rules, keys, validation and sorting run here
    store.load(ontology.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    store.load(topics.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    store.load(ntriples(data), format=ox.RdfFormat.N_TRIPLES)
    # The store has them now: free the Python copies (with the store written alongside
    # validation, they took the peak at 1M triples from 1.89 to 2.09 GiB).
    fact_warnings = facts.warnings
    del data, facts
    apply_rules(store, onto / "rules")
    search_keys(store)
    triples = len(store)
    timings["convert to RDF"] = time.perf_counter() - t

    with build_lock(build_dir):
        staging = _staging(build_dir)
        nt = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()) or b""
        writer = _StoreWriter(staging / STORE_LINK, nt)
        try:
            say("validating against the shapes")
            t = time.perf_counter()
            use_pyshacl = validator == "pyshacl" or (
                validator == "auto" and triples <= PYSHACL_LIMIT
            )
            if use_pyshacl:
                problems = validate(Graph().parse(data=nt, format="nt"), shapes, origins)
            else:
                problems = validate_sparql(store, shapes, origins)
            errors = [p for p in problems if p.severity == "error"]
            warnings = fact_warnings + [p for p in problems if p.severity != "error"]
            if errors:
                raise FactsError(errors + warnings)
            timings["validate (SHACL)"] = time.perf_counter() - t

            say("serialising")
            t = time.perf_counter()
            turtle = serialize(nt)
            timings["serialise"] = time.perf_counter() - t

            t = time.perf_counter()
            sidecars = precompute(store)
            timings["aggregates"] = time.perf_counter() - t

            say("writing the store")
            t = time.perf_counter()
            writer.wait()
            published = _write_outputs(build_dir, staging, turtle, sidecars)
            # Only the part of loading the store that validation and the rest did not hide.
            timings["write store"] = time.perf_counter() - t
        finally:
            with contextlib.suppress(BaseException):
                writer.wait()  # never leave a thread writing into a folder we remove
            shutil.rmtree(staging, ignore_errors=True)  # gone already once published
    timings["total"] = time.perf_counter() - t0
    return BuildResult(
        class_counts(store), triples, warnings, build_dir / "kg.ttl", published, timings
    )
