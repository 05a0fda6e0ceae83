"""`kg build`: facts -> checked records -> RDF -> SHACL -> build/kg.ttl + an on-disk store."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.diagnostics import Diagnostic, FactsError
from kg.locations import ontology_dir

if TYPE_CHECKING:
    from rdflib import Graph

    from kg.convert import Origin
    from kg.facts.check import Facts, Record
    from kg.facts.schema import Schema
    from kg.incremental import BuildCache, Delta, Inputs, State, TurtleIndex


@dataclass
class BuildResult:
    """What a build made: counts per class, warnings, where the outputs are, stage times."""

    counts: dict[str, int]
    triples: int
    warnings: list[Diagnostic]
    turtle: Path
    store: Path
    timings: dict[str, float] = field(default_factory=dict)
    # "full"; or "unchanged": the inputs are those of the live generation, nothing was built
    # and what it reported is reported again.
    how: str = "full"
    why: str = ""  # why the build did what it did (kg build --timings says)
    notes: list[str] = field(default_factory=list)  # what it reused of the live build


def default_source_dirs(facts_dir: Path) -> list[Path]:
    """Where source texts are looked for: $KG_SOURCES, then beside or above the facts."""
    dirs = []
    env = os.environ.get("KG_SOURCES")
    if env:
        dirs.append(Path(env))
    base = facts_dir.resolve().parent
    dirs += [base / "sources", base.parent / "shared" / "sources"]
    return dirs


# Entity IRIs are <base>id/<kind>/<slug>; `kg build --base-iri` names another base, so a
# deployment can serve its own namespace. The ontology (kg:), topics and CAMEO codes keep
# theirs: they are kg's vocabulary, not the data.
DEFAULT_BASE = "https://w3id.org/kg/"
_NOT_IRI = r"\x00-\x20\x7f<>\"{}|\\^`#?"  # nor a query or fragment
_BASE = re.compile(r"https?://[^/" + _NOT_IRI + r"]+(?:/[^" + _NOT_IRI + r"]*)?/")


def check_base_iri(base: str) -> str | None:
    """Say what is wrong with a base IRI for the entities (None: it will do)."""
    if not _BASE.fullmatch(base):
        return (
            "a base IRI is an http(s) IRI ending in '/', with no query, fragment, spaces "
            "or <>\"{}|\\^` (e.g. https://example.org/kg/)"
        )
    return None


def topic_slugs(topics: Graph) -> set[str]:
    """Return the slugs of the SKOS concepts of the topic scheme."""
    from kg.namespaces import RDF, SKOS, TOPIC

    prefix = str(TOPIC)
    return {
        str(c)[len(prefix) :]
        for c in topics.subjects(RDF.type, SKOS.Concept)
        if str(c).startswith(prefix)
    }


@dataclass(frozen=True)
class Rule:
    """A build rule (ontology/rules/NN-NAME.rq): a CONSTRUCT, its name and what it means."""

    name: str
    means: str
    text: str  # the query, its fragments ({{NAME ?var…}}, kg/queries/fragments) expanded

    def iri(self, space: str) -> str:
        """The rule's node among the entities of the id space SPACE."""
        return f"{space}rule/{self.name}"


_RULE_HEADER = re.compile(r"^#\s*(rule|means)\s*:\s*(.+?)\s*$")


def load_rules(rules_dir: Path) -> list[Rule]:
    """The rules in the order the build applies them (by file name), with their headers.

    Each file starts `# rule: NAME` and `# means: ONE LINE`: the rule's node in the graph
    (kg:Rule, its name and definition) comes from them, and so what `who-met`
    and `roles` show as the reason of an inferred row.
    """
    from kg.query import expand

    rules = []
    for path in sorted(rules_dir.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        head: dict[str, str] = {
            m[1]: m[2] for line in text.splitlines() if (m := _RULE_HEADER.match(line))
        }
        if "rule" not in head or "means" not in head:
            raise ValueError(f"{path}: a rule starts with '# rule: NAME' and '# means: ...'")
        rules.append(Rule(head["rule"], head["means"], expand(text)))
    return rules


def apply_rules(store: Any, rules_dir: Path, space: str) -> list[Any]:
    """Add each rule's node and what its CONSTRUCT derives; return the triples added (the
    rules' nodes' and what they derived, as pyoxigraph quads).

    A rule's query sees the variable ?rule bound (a VALUES block opening its WHERE clause;
    pyoxigraph substitutes only projected variables) to its own node, which an inference it
    makes names (kg:rule); the rules run in order, each on what the previous ones added.
    """
    import pyoxigraph as ox

    from kg.namespaces import KG, RDF, RDFS, SKOS
    from kg.query import with_values

    added = []
    for rule in load_rules(rules_dir):
        node = ox.NamedNode(rule.iri(space))
        own = [
            ox.Quad(node, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(KG.Rule))),
            ox.Quad(node, ox.NamedNode(str(RDFS.label)), ox.Literal(rule.name)),
            ox.Quad(
                node, ox.NamedNode(str(SKOS.definition)), ox.Literal(rule.means, language="en")
            ),
        ]
        # In bulk: on the store on disk a transaction would hold every write in memory.
        store.bulk_extend(own)
        new = [
            ox.Quad(t.subject, t.predicate, t.object)
            for t in store.query(with_values(rule.text, ["rule"], [[node]]))
        ]
        store.bulk_extend(new)
        added += own + new
    return added


_COUNTS = """SELECT ?class (COUNT(DISTINCT ?x) AS ?n) WHERE {
  ?dataset <http://rdfs.org/ns/void#uriSpace> ?space .
  ?x a ?class . FILTER(STRSTARTS(STR(?x), ?space)) } GROUP BY ?class"""


def class_counts(store: Any) -> dict[str, int]:
    """Count the instances of each class among the curated nodes, by class local name."""
    counts = {}
    for sol in store.query(_COUNTS):
        name = sol["class"].value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        counts[name] = int(sol["n"].value)
    return dict(sorted(counts.items()))


def serialize(nt: bytes, space: str = DEFAULT_BASE + "id/") -> bytes:
    """Serialise the graph's N-Triples as Turtle, byte-for-byte the same for the same triples.

    The N-Triples lines are sorted as bytes (a C sort; sorting term objects in Python took
    6 s at a million triples) and pyoxigraph writes them as Turtle in that order, so
    subjects group the same way every time; the graph has no blank nodes. `id:` is the
    graph's id space.
    """
    import pyoxigraph as ox

    from kg.prefixes import PREFIXES

    lines = b"\n".join(sorted(line for line in nt.splitlines() if line))
    triples = ox.parse(lines, format=ox.RdfFormat.N_TRIPLES)
    prefixes = {**PREFIXES, "id": space}
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes) or b""


# The named queries each sidecar index is made from (kg.indexes; a test holds them to it).
INDEX_QUERIES = {
    "meetings": ("meeting-sides", "meeting-inferred-sides", "meeting-topics", "meeting-events"),
    "tenures": ("tenures",),
    "party-acts": ("party-acts", "act-order"),  # kg.acts
}


def precompute(
    store: Any,
    keep: dict[str, Any] | None = None,
    schema: dict[str, Any] | None = None,
    into: Path | None = None,
    memory: int | None = None,
) -> dict[str, Any]:
    """Run the whole-graph aggregate queries and the indexes once; return them as JSON
    (bytes, or the path of a file written into `into`).

    keep: answers still true of this graph (an incremental build's: see _reusable), by
    query name (its rows) or sidecar name (its JSON: meetings, tenures, HUB_SIDECARS),
    used instead of asking again.
    schema: the summary schema.json will hold (the actor kinds of the build's schema).
    into, memory: a folder and the memory setting: the indexes are then written there a
    group at a time from sorted run files, holding about `memory` of their rows
    (kg.indexfiles, the same bytes), rather than made whole in memory (the graph is on
    disk: they would grow with it).
    """
    import json

    from kg.hubs import hub_index
    from kg.indexes import actor_graph, meeting_index, participations, tenure_index
    from kg.query import PRECOMPUTED, load_query
    from kg.store import EmbeddedStore, encode_rows

    keep = keep or {}
    out = {}
    for name in PRECOMPUTED:
        if name in keep:
            out[name] = keep[name]
            continue
        result = store.query(load_query(name).text)
        names = [v.value for v in result.variables]
        rows = encode_rows([{n: sol[n] for n in names} for sol in result])
        for row in rows:
            # GROUP_CONCAT joins in no fixed order: sort the parts so builds are reproducible.
            for var in CONCATENATED & set(row):
                row[var][1] = "|".join(sorted(row[var][1].split("|")))
        out[name] = rows  # in the query's own ORDER BY, which is total for these queries
    made: dict[str, Any] = {
        "aggregates": json.dumps(out, sort_keys=True, ensure_ascii=False).encode("utf-8")
    }
    made.update(_party_index(store, keep))
    made.update({k: keep[k] for k in ("meetings", "tenures", *HUB_SIDECARS) if k in keep})
    if all(k in made for k in ("meetings", "tenures", *HUB_SIDECARS)):
        return made  # all kept or patched by an incremental build (kg.incremental)
    # An index kept from the live generation is handed to the graph as its sidecar, so the
    # hub lists and the actor network below read it rather than asking again.
    given: dict[str, Any] = {k: json.loads(keep[k]) for k in ("meetings", "tenures") if k in keep}
    if schema:
        given["schema"] = schema
    graph = EmbeddedStore.in_memory(store, given)
    if into is not None and memory is not None and not given.keys() - {"schema"}:
        from kg.indexfiles import write_indexes

        made.update({k: v for k, v in write_indexes(graph, into, memory).items() if k not in made})
        return made
    parts = participations(graph)
    meetings, tenures = meeting_index(graph, parts), tenure_index(graph)
    # Both indexes come sorted (totally: their IRIs end the keys), so builds reproduce.
    made.setdefault("meetings", json.dumps(meetings, ensure_ascii=False).encode())
    made.setdefault("tenures", json.dumps(tenures, ensure_ascii=False).encode())
    if not all(k in made for k in ("hubs", "hub-lists")):
        # The lists of the entities at the hub (hubs.json, hub-lists.json: kg.hubs).
        made.update(hub_index(graph, meetings, parts, tenures))
    if "actors" not in made:
        # The actor network kg rank and kg communities weigh.
        made["actors"] = json.dumps(
            actor_graph(graph, parts, meetings)._asdict(), ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
    return made


def _aggregates(store: Any, schema: dict[str, Any]) -> tuple[dict[str, bytes], dict[str, int]]:
    """A full build's aggregates and indexes (precompute) and its counts per class: those
    of stats-classes, which counts the same (asking again took 0.2 s at 1M triples)."""
    import json

    made = precompute(store, {}, schema)
    rows = json.loads(made["aggregates"])["stats-classes"]
    # One row per class and label: a class with two labels has two rows, of one count.
    by_class = {row["class"][1]: int(row["count"][1]) for row in rows}
    counts = {iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]: n for iri, n in by_class.items()}
    return made, dict(sorted(counts.items()))


class _EarlyStore:
    """Has the store writer (Staging.load_store) load the published store from the spool
    of converted facts as the conversion writes it, on the other core, while this process
    converts and then loads the spool in memory. Dropped when the graph turns out too big
    to work on in memory: then the store worked on, on disk, is the one published (see
    _to_store)."""

    def __init__(self, staging: Any, memory: int, space: str) -> None:
        self.staging, self.memory, self.space = staging, memory, space
        self.started = self.dropped = False

    @property
    def taken(self) -> bool:
        """Whether the writer has the spool (to remove once it has loaded it)."""
        return self.started and not self.dropped

    def grew(self, spool: Path, size: int, done: bool) -> None:
        """The spool holds `size` bytes of whole lines (done: all it will)."""
        from kg.streaming import fits_in_memory

        if self.dropped:
            return
        if not fits_in_memory(size, self.memory):
            if self.started:
                self.staging.stop_writer()
            self.dropped = True
            return
        if not self.started:
            self.staging.load_store(spool, self.memory, self.space)
            self.started = True
        self.staging.spool_grew(size, done)


class _Forked:
    """A computation run in a forked child while this process goes on, its result handed
    back pickled through a file; run here instead where there is no fork, or where the
    child fails (so its error, if any, is raised here, as it would have been).

    The child shares the parent's memory copy-on-write: it must only read what it is given
    (the in-memory store; never a store on disk, whose RocksDB has threads of its own).
    """

    def __init__(self, work: Callable[[], Any]) -> None:
        import tempfile

        self._work = work
        self.seconds = 0.0  # how long the work took (wall), where it ran
        self._pid: int | None = None
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 (closed by result or stop)
        # (The child takes no lock another thread of a kernel or server may hold: it asks
        # the store it alone reads, and writes to a file it alone has.)
        if not hasattr(os, "fork"):
            return
        try:
            pid = os.fork()
        except OSError:
            return
        if pid == 0:  # the child: never back into the caller's code (os._exit)
            code = 1
            try:
                import pickle

                _die_with_parent()
                t = time.perf_counter()
                made = work()
                made = (made, time.perf_counter() - t)
                pickle.dump(made, self._out, protocol=pickle.HIGHEST_PROTOCOL)
                self._out.flush()
                code = 0
            finally:
                os._exit(code)
        self._pid = pid

    def result(self) -> Any:
        """Wait for the child and return what it computed (or compute it here)."""
        import pickle

        try:
            if self._pid is not None:
                try:
                    _, status = os.waitpid(self._pid, 0)
                except ChildProcessError:  # reaped by someone else (SIGCHLD ignored)
                    status = -1
                self._pid = None
                if status != -1 and os.waitstatus_to_exitcode(status) == 0:
                    self._out.seek(0)
                    made, self.seconds = pickle.load(self._out)
                    return made
            t = time.perf_counter()
            made = self._work()
            self.seconds = time.perf_counter() - t
            return made
        finally:
            self._out.close()

    def stop(self) -> None:
        """Stop the child, if it runs still (the build stops), and reap it."""
        if self._pid is not None:
            import signal

            with contextlib.suppress(OSError):
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
            self._pid = None
        self._out.close()


@contextlib.contextmanager
def _forked(work: Callable[[], Any]) -> Iterator[_Forked]:
    """_Forked(work), stopped when the block is left."""
    job = _Forked(work)
    try:
        yield job
    finally:
        job.stop()


def _room_for_a_copy(memory: int) -> bool:
    """Whether a forked child may come to hold as much as this process has (the pages it
    touches are copied: at 5M triples the tree held 1.7 GiB more) within the memory
    setting, beside this process. Not measurable (no resource module): no."""
    try:
        import resource
    except ImportError:
        return False
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return 2 * peak <= memory


def _die_with_parent() -> None:
    """Linux: have this process killed when its parent dies (a killed build leaves no
    child at work); elsewhere the end of the build stops it."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except Exception:
        pass


def _party_index(store: Any, keep: dict[str, Any]) -> dict[str, bytes]:
    """The party index `kg agreements --party` reads (kg.acts), kept when an incremental
    build found its query untouched (INDEX_QUERIES), else made (0.5 s at 1M triples)."""
    from kg.acts import NAME, party_index
    from kg.store import EmbeddedStore

    return {NAME: keep[NAME] if NAME in keep else party_index(EmbeddedStore.in_memory(store))}


# The sidecars made from the indexes that an incremental build may keep (kg.incremental).
HUB_SIDECARS = ("hubs", "hub-lists", "actors")


# Variables the named queries fill with GROUP_CONCAT(…; separator="|").
CONCATENATED = {"sources", "topics", "trails", "alts", "attested", "relateds"}


# Up to this many triples pySHACL validates; above it, the same shapes compiled to SPARQL
# (kg.shacl_sparql) run on the store, as pySHACL grows too slow (4.7 s at 74k triples).
PYSHACL_LIMIT = 50_000


# The stages a build says it starts, each with its share of a full build's time (measured at
# a million triples, wall, 7 builds: reading 12-16%, converting with the rules, keys and
# dump 43-51% (the store writer loading beside it), validating 24-31% (beside the writer
# and the aggregates' child), serialising with the wait for the aggregates 5-10%), for an
# estimate of the time left.
STAGES = {
    "reading and checking facts": 0.15,
    "converting to RDF": 0.48,
    "validating against the shapes": 0.27,
    "serialising": 0.08,
    "writing the store": 0.02,
}


def stage_share(stage: str, within: float = 0.0) -> float:
    """About how much of a full build is done when a stage is `within` (0 to 1) done."""
    before = 0.0
    for name, share in STAGES.items():
        if name == stage:
            return before + share * min(max(within, 0.0), 1.0)
        before += share
    return before


def build(
    facts_dir: Path,
    build_dir: Path,
    source_dirs: list[Path] | None = None,
    validator: str = "auto",
    progress: Callable[[str, float], None] | None = None,
    schema_files: list[Path] | None = None,
    base_iri: str = DEFAULT_BASE,
    full: bool = False,
    memory: int | None = None,
    workers: int | None = None,
) -> BuildResult:
    """Build the knowledge graph; raise FactsError (every problem) or BuildBusy.

    validator: "pyshacl", "sparql" or "auto" (pySHACL up to PYSHACL_LIMIT triples).
    progress: called with the name of each stage as it starts (and as a long one goes
    on), and about how much of the build is done by then (0 to 1: stage_share).
    schema_files: schema files whose kinds are added to ontology/records.yaml's.
    base_iri: the entities' IRIs are <base_iri>id/<kind>/<slug> (see check_base_iri).
    full: build everything even when the inputs are those of the live generation (which
    otherwise is kept, and its summary and warnings returned: see kg.incremental).
    memory: bytes the build's buffers may hold (kg.streaming.memory_setting: default
    $KG_BUILD_MEMORY, else a quarter of the machine's): the store while it is built (else
    on disk), the sort for the Turtle, the runs of records converted at once.
    workers: processes converting facts (default 1: see below).
    """
    from kg.streaming import memory_setting

    problem = check_base_iri(base_iri)
    if problem is not None:
        raise ValueError(f"--base-iri {base_iri!r}: {problem}")
    if memory is None:
        memory = memory_setting()
    if workers is None:
        # Two forked workers did not pay at 1M (conversion 12.2-13.0 s wall vs 12.6-12.8 s
        # alone, 2 s more CPU: pickling each run's RDF and origins back costs what the
        # second core saves) and cost memory (pages of the facts copied): one, by default.
        workers = 1
    import gc

    # A build makes millions of small objects (YAML nodes, records, terms) and no garbage
    # cycles worth collecting; Python's cycle collector, walking them again and again,
    # took most of the time of reading the facts (YAML at 1M triples: 5-9 s with it,
    # 0.9 s without).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(
            facts_dir,
            build_dir,
            source_dirs,
            validator,
            progress,
            schema_files or [],
            base_iri,
            full,
            memory,
            workers,
        )
    finally:
        if enabled:
            gc.enable()


@dataclass
class _Ontology:
    """The ontology, topic scheme, shapes and record schema a build reads first."""

    folder: Path
    ontology: Graph
    topics: Graph
    shapes: Graph
    schema: Schema
    extra: tuple[tuple[str, str], ...]  # the schema files added to kg's: (name, text)


def _load_ontology(schema_files: list[Path]) -> _Ontology:
    """Read the ontology files and the record schema (raise FactsError at a file:line of
    a schema file). The kinds kg.ttl does not declare are declared from the schema, and
    the structural shapes every kind's declaration implies join shapes.ttl's."""
    from rdflib import Graph

    from kg.facts.schema import load_schema, read_extra
    from kg.facts.shapes import declarations, structural_shapes

    onto = ontology_dir()
    extra = read_extra(schema_files)
    schema = load_schema(extra)
    ontology = Graph().parse(onto / "kg.ttl")
    # The event kinds annotate kg.ttl's event classes (what each means, whether it counts
    # as a meeting, its CAMEO code): part of the ontology, as the lookups read them.
    ontology.parse(onto / "event-kinds.ttl")
    for triple in list(declarations(schema, ontology)):
        ontology.add(triple)
    return _Ontology(
        onto,
        ontology,
        Graph().parse(onto / "topics.ttl"),
        Graph().parse(onto / "shapes.ttl") + structural_shapes(schema),
        schema,
        extra,
    )


def _to_store(
    onto: _Ontology,
    facts: Facts,
    base: str,
    digests: dict[str, str],
    cache: BuildCache,
    state: State | None,
    folder: Path,
    memory: int,
    workers: int = 1,
    tick: Callable[[float], None] | None = None,
    feed: _EarlyStore | None = None,
) -> tuple[Any, dict[str, Origin], dict[str, str], Delta]:
    """Convert checked facts to RDF in a store, beside the ontology and topics, with the
    entities' IRIs under <base>id/ and that id space said in VoID (void:uriSpace), where
    the lookups and any SPARQL client read it.

    Each facts file is converted on its own (digests: of the bytes its records were read
    from), in runs of records (RUN_BYTES of the memory setting each; `workers` processes
    convert runs at once); the cache gives the RDF of a file whose bytes, and the kinds and
    labels of the records it names, are those of an earlier build (kg.convert.deps_check),
    and keeps the rest; it returns which entry holds each file's RDF and, against the live
    generation's (state), what changed. The RDF goes to a spool file as it is made, then
    into the store: in memory if it fits the memory setting (kg.streaming.fits_in_memory),
    else on disk (folder/work), loaded in bulk a piece at a time, so the graph is never
    held in memory. Rules, search keys, validation and sorting all run on this store.
    tick: told the share of the runs converted, as they are.
    feed: told of the spool as it grows (all but the rules' triples and the search keys
    are in it), to load the published store from it meanwhile; a spool it took is left
    for the caller to remove.
    """
    import pyoxigraph as ox

    from kg.convert import FileRDF, Run, SpooledOrigins, convert_runs, deps_check, merge
    from kg.incremental import Delta
    from kg.namespaces import RDF
    from kg.prefixes import PREFIXES
    from kg.streaming import fits_in_memory, load_bulk

    _slim(facts)
    void = PREFIXES["void"]
    dataset = ox.NamedNode(base)
    head = [
        ox.Quad(dataset, ox.NamedNode(str(RDF.type)), ox.NamedNode(void + "Dataset")),
        ox.Quad(dataset, ox.NamedNode(void + "uriSpace"), ox.Literal(base + "id/")),
    ]
    by_file: dict[str, list[Record]] = {}
    for rec in facts.records.values():
        by_file.setdefault(rec.file, []).append(rec)
    space = base + "id/"
    # (validation's messages read them, if it finds anything: in a file till then)
    origins = SpooledOrigins(folder)
    names: dict[str, str] = {}
    delta = Delta(known=state is not None)
    before = state.files if state is not None else {}
    # A file whose RDF is bigger than this is not kept whole in memory (nor in the cache).
    whole = memory // 4
    cached: dict[str, FileRDF | None] = {}
    runs: list[Run] = []
    per_run = min(max(RUN_LEAST, memory // RUN_BYTES), RUN_MOST)
    holds = deps_check(onto.schema, facts, space)
    for rel, records in by_file.items():
        names[rel] = cache.name(rel, digests[rel])
        rdf = cached[rel] = cache.converted(rel, digests[rel])
        if rdf is not None and holds(rdf.deps):
            cache.hits["converted"] += 1
            continue
        ids = sorted(rec.id for rec in records)
        runs += [(rel, ids[i : i + per_run]) for i in range(0, len(ids), per_run)]
    # A file to convert whose check was kept has stub records: read it whole first.
    facts.unstub({rel for rel, _ in runs} & facts.stubs)
    converted: dict[str, list[FileRDF]] = {}
    sizes: dict[str, int] = {}
    spool = folder / "spool.nt"  # (graph.nt: the store's dump, made next to it)

    def done(rel: str, rdf: FileRDF | None) -> None:
        """What is known once all of a file's RDF is made (rdf None: too big to hold)."""
        old_entry = cached[rel]
        if state is not None and (before.get(rel) != names[rel] or rdf is not old_entry):
            # What the live generation had of this file: the entry it was made from (read
            # before this build's replaces it), or nothing for a new file.
            if rel not in before:
                old: bytes | None = b""
            elif before[rel] == names[rel]:
                old = old_entry.ntriples if old_entry is not None else None
            else:
                old = cache.ntriples(before[rel])
            if rdf is None:
                delta.known = False
            else:
                delta.add(old, rdf.ntriples)
        if rdf is not None and rdf is not old_entry:
            cache.keep_converted(rel, digests[rel], rdf)

    left = {rel: 0 for rel in by_file}
    for rel, _ in runs:
        left[rel] += 1
    with open(spool, "wb") as out:

        def grew() -> None:
            if feed is not None:
                out.flush()
                feed.grew(spool, out.tell(), False)

        out.write(_lines(head))
        out.write(onto.ontology.serialize(format="nt", encoding="utf-8"))
        out.write(onto.topics.serialize(format="nt", encoding="utf-8"))
        for rel in by_file:
            if left[rel] == 0:  # all of it from the cache
                rdf = cached[rel]
                assert rdf is not None
                out.write(rdf.ntriples)
                origins.add(rdf.origins)
                done(rel, rdf)
        grew()
        for n, (rel, part) in enumerate(convert_runs(onto.schema, facts, runs, space, workers)):
            if tick is not None:
                tick((n + 1) / len(runs))
            out.write(part.ntriples)
            grew()
            origins.add(part.origins)
            sizes[rel] = sizes.get(rel, 0) + len(part.ntriples)
            if sizes[rel] <= whole:
                converted.setdefault(rel, []).append(part)
            else:
                converted[rel] = []  # too big: its runs go to the store alone
            left[rel] -= 1
            if left[rel] == 0:
                parts = converted.pop(rel)
                done(rel, merge(parts) if parts else None)
    for rel in before.keys() - names.keys():  # files gone, or that no longer hold records
        delta.add(cache.ntriples(before[rel]), b"")
    # All converted: the checked records (and the checker, which unstub keeps) are read no
    # more, and loading the store is this stage's peak: let them go first (the caller
    # keeps only the warnings and probes).
    facts.records.clear()
    facts.unstub = lambda files: None
    del by_file, holds
    if feed is not None:
        feed.grew(spool, spool.stat().st_size, True)
    if fits_in_memory(spool.stat().st_size, memory):
        store = ox.Store()
        # load, not bulk_load: the in-memory store bulk_load makes answered the validation
        # queries in 1.4x the CPU and took 1.4x the memory (1M: 4.9 vs 3.6 s, 623 vs 442 MB).
        # Lenient: the converter checked each IRI as the parser would (kg.convert.nt_iri),
        # and the rest is the ontology's, read by rdflib (1M: 2.3 s to load, not 2.9).
        store.load(path=str(spool), format=ox.RdfFormat.N_TRIPLES, lenient=True)
        if feed is None or not feed.taken:
            spool.unlink()
    else:
        store = ox.Store(str(folder / "work"))
        load_bulk(store, spool, memory)
        spool.unlink()
    return store, origins, names, delta


def _readers(facts_dir: Path, cache: BuildCache, digests: dict[str, str]) -> int:
    """How many processes read and check the facts files: two (kg.facts.parallel) on a
    machine with two cores or more when no file's parse or check is kept from an earlier
    build (a kept check makes its file's records stubs, which only one process can
    settle), else one. With two, the files' digests are taken here (the workers' reads
    are theirs)."""
    from kg.facts import fact_files
    from kg.facts.parallel import PARALLEL_BYTES

    files = fact_files(facts_dir)
    try:
        size = sum(path.stat().st_size for path in files)
    except OSError:
        return 1
    if (os.cpu_count() or 1) < 2 or len(files) < 2 or size < PARALLEL_BYTES:
        return 1
    found: dict[str, str] = {}
    for path in files:
        rel = path.relative_to(facts_dir).as_posix()
        try:
            found[rel] = digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return 1  # (reading it in turn says what is wrong)
        if cache.read:
            name = cache.name(rel, digest)
            if any((cache.root / sub / f"{name}.json").exists() for sub in ("parsed", "checked")):
                return 1
    digests.update(found)
    return 2


def _slim(facts: Facts) -> None:
    """Let go of the parsed YAML the checked records were read from, but for the lines of
    their fields (Record.line_of): converting reads only the checked values, and the YAML
    trees were half the memory of the checked facts (20 MB, 11 without, at 100k triples)."""
    from kg.facts.yamlload import LDict

    for rec in facts.records.values():
        slim = LDict()
        slim.line, slim.lines = rec.raw.line, rec.raw.lines
        rec.raw = slim


# A run of records converted at once: the memory setting / RUN_BYTES records, at least
# RUN_LEAST and at most RUN_MOST. A record's RDF as rdflib terms, pickled back from a
# worker, is some tens of KiB and a few runs are in hand at once (two workers', the one
# waiting, the one written): with runs of a 32nd of a 6 GiB setting, two runs of 75k
# records made the 5M build's conversion its peak.
RUN_BYTES = 640 << 10
RUN_LEAST = 256
RUN_MOST = 4000


def _validate(
    store: Any,
    nt: bytes,
    onto: _Ontology,
    origins: dict[str, Origin],
    use_pyshacl: bool,
    warnings: list[Diagnostic],
    changed: set[str] | None = None,
    focus: list[str] | None = None,
) -> list[Diagnostic]:
    """Validate the graph against the shapes; return the warnings (the facts' first), or
    raise FactsError with every error and warning. changed, focus: see validate_sparql."""
    from rdflib import Graph

    from kg.validate import validate, validate_sparql

    if use_pyshacl:
        problems = validate(Graph().parse(data=nt, format="nt"), onto.shapes, origins)
    else:
        problems = validate_sparql(store, onto.shapes, origins, changed, focus)
    errors = [p for p in problems if p.severity == "error"]
    warnings = warnings + [p for p in problems if p.severity != "error"]
    if errors:
        raise FactsError(errors + warnings)
    return warnings


@contextlib.contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Record how long a stage took (a stage that raises records nothing)."""
    t = time.perf_counter()
    yield
    timings[stage] = time.perf_counter() - t


def _build(
    facts_dir: Path,
    build_dir: Path,
    source_dirs: list[Path] | None,
    validator: str,
    progress: Callable[[str, float], None] | None,
    schema_files: list[Path],
    base: str,
    full: bool,
    memory: int,
    workers: int,
) -> BuildResult:
    from kg.facts import fact_files
    from kg.incremental import ENV_CHANGED, BuildCache, gather, read_state, unchanged
    from kg.publish import build_lock, live_generation

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if not facts_dir.is_dir():
        # Most often kg build run outside the project: say where it looked, and the fix.
        what = "facts folder not found"
        if facts_dir.exists():
            what = "is a file, not a facts folder"
        raise FactsError(
            [
                Diagnostic(
                    str(facts_dir),
                    0,
                    f"{what} (looked for {facts_dir.absolute()}): run `kg build` in the "
                    "folder that holds facts/ (cd into the project), or pass --facts DIR",
                )
            ]
        )
    files = fact_files(facts_dir)
    if not files:
        raise FactsError([Diagnostic(str(facts_dir), 0, "no .yaml files in the facts folder")])
    sources = source_dirs if source_dirs is not None else default_source_dirs(facts_dir)
    with _timed(timings, "hash inputs"):
        inputs = gather(facts_dir, files, sources, schema_files, base, validator)
    # The whole build holds the build folder's lock: it writes its cache as it goes, and
    # a second build is refused at once rather than after its work.
    with build_lock(build_dir):
        why = "--full" if full else "no build yet"
        if not full and (build_dir / "current").is_symlink():
            same, why = unchanged(build_dir, inputs, sources)
            if same is not None:
                timings["total"] = time.perf_counter() - t0
                return BuildResult(
                    same.counts,
                    same.triples,
                    same.warnings,
                    build_dir / "kg.ttl",
                    build_dir / "store",
                    timings,
                    "unchanged",
                    f"the inputs are those of {same.generation}: nothing to build",
                )
        cache = BuildCache(build_dir, inputs.env, read=not full and why != ENV_CHANGED)
        state = read_state(cache, live_generation(build_dir))
        result = _build_all(
            facts_dir,
            build_dir,
            sources,
            validator,
            progress,
            schema_files,
            base,
            inputs,
            cache,
            state,
            memory,
            workers,
        )
    result.timings = {**timings, **result.timings, "total": time.perf_counter() - t0}
    parsed, converted = len(cache.reused), cache.hits["converted"]
    if parsed or converted:
        result.how = "incremental"
    result.why = "; ".join(
        [
            why,
            f"of {len(files)} facts files, {parsed} read and {converted} converted before",
            *result.notes,
        ]
    )
    return result


def _build_all(
    facts_dir: Path,
    build_dir: Path,
    sources: list[Path],
    validator: str,
    progress: Callable[[str, float], None] | None,
    schema_files: list[Path],
    base: str,
    inputs: Inputs,
    cache: BuildCache,
    state: State | None,
    memory: int,
    workers: int,
) -> BuildResult:
    """The build, from the facts to a published generation, taking from the cache what an
    earlier build made of the same bytes (and keeping what it makes for the next)."""
    import json

    import pyoxigraph as ox

    from kg.convert import SpooledOrigins
    from kg.facts.check import check_facts
    from kg.facts.yamlload import load_yaml_bytes
    from kg.incremental import SUMMARY, CheckMemo, State, keep_state, summary
    from kg.publish import STORE_LINK, Staging, live_generation, new_staging, staged

    def say(stage: str, within: float = 0.0) -> None:
        if progress is not None:
            progress(stage, stage_share(stage, within))

    timings: dict[str, float] = {}
    with _timed(timings, "load ontology"):
        onto = _load_ontology(schema_files)

    say("reading and checking facts")
    with _timed(timings, "read and check facts"):
        digests: dict[str, str] = {}

        def load(path: Path, rel: str) -> Any:
            data = path.read_bytes()
            digests[rel] = digest = hashlib.sha256(data).hexdigest()
            doc = cache.parsed(rel, digest)
            if doc is None:
                doc = load_yaml_bytes(data, rel, pack=True)
                cache.keep_parsed(rel, digest, doc)
            return doc

        # Each file's check is kept too: a file whose bytes, and what its check read of the
        # others, are those of an earlier build is not read nor checked again.
        memo = CheckMemo(cache, digests)
        slugs = topic_slugs(onto.topics)
        readers = _readers(facts_dir, cache, digests)
        facts = check_facts(
            facts_dir, onto.schema, slugs, sources, load, memo, freeze=True, workers=readers
        )
        # (A file whose check was kept is not even read: it counts as read before.)
        cache.reused |= facts.stubs

    say("converting to RDF")
    live = build_dir / "current"
    patched = None
    notes: list[str] = []
    if (
        state is not None
        and state.validator == "sparql"
        and state.index is not None
        and _size(live / "kg.ttl") == state.index.size
    ):
        # The live store's copy patched with what changed (kg.patch), when that is exact.
        from kg.patch import patch as patch_live

        with _timed(timings, "patch the live store"):
            work = new_staging(build_dir)
            rules_dir = onto.folder / "rules"
            patched = patch_live(
                onto.schema, facts, base, digests, cache, state, (live / STORE_LINK).resolve(),
                work / STORE_LINK, load_rules(rules_dir), workers, memory, _whole_graph_queries(),
            )  # fmt: skip
            if patched is None:
                cache.hits["converted"] = 0
                shutil.rmtree(work, ignore_errors=True)
    if patched is not None:
        store, origins, names, delta = patched.store, patched.origins, patched.names, patched.delta
        patched.store = None  # (only `store` holds it: closed when the build lets it go)
        rules, keys, triples = patched.rules, patched.keys, patched.triples
        fact_warnings, probes = facts.warnings, facts.probes
        notes += patched.notes
        del facts
    else:
        work = new_staging(build_dir)
        # Unless the live store may be patched instead (below), the published store is
        # loaded, on the other core, from the converted facts as soon as they are written,
        # while this process loads them in memory and applies the rules (the triples those
        # and the search keys add go to it later: write_store).
        maybe_patch = (
            state is not None
            and state.validator == "sparql"
            and state.index is not None
            and _size(live / "kg.ttl") == state.index.size
        )
        early = None if maybe_patch else Staging(build_dir, work)
        feed = None if early is None else _EarlyStore(early, memory, base + "id/")
        try:
            with _timed(timings, "convert to RDF"):
                # The store is made on disk in the staging folder (see _to_store).
                store, origins, names, delta = _to_store(
                    onto, facts, base, digests, cache, state, work, memory, workers,
                    lambda done: say("converting to RDF", done),
                    feed,
                )  # fmt: skip
                fact_warnings, probes = facts.warnings, facts.probes
                del facts  # the store has them now (see _to_store)
            with _timed(timings, "rules"):
                rules = _lines(apply_rules(store, onto.folder / "rules", base + "id/"))
                if state is not None:
                    delta.add(state.rules, rules)
            with _timed(timings, "search keys"):
                keys = _search_keys(store, state, delta)
                triples = len(store)
        except BaseException:
            if early is not None:
                early.close()
            raise
        if feed is None or not feed.taken:
            early = None  # (the store is on disk: it is published as it is)
    if state is None:
        notes.append("no record of the live build to compare with: every stage in full")
    elif not delta.known:
        notes.append("what changed is not known (a cache entry is missing): every stage in full")
    pyshacl = validator == "pyshacl" or (validator == "auto" and triples <= PYSHACL_LIMIT)
    # Patch the live generation's store and Turtle rather than write them anew: when what
    # changed is known, and the live generation passed the same validation.
    patch = (
        state is not None
        and delta.known
        and state.validator == "sparql"
        and not pyshacl
        and state.index is not None
        and _size(live / "kg.ttl") == state.index.size
    )

    on_disk = (work / "work").is_dir()  # else the store is in memory (see _to_store)
    if patched is not None:
        early = None
    with contextlib.ExitStack() as stack:
        staging = stack.enter_context(staged(build_dir, locked=True, folder=work, staging=early))
        # A full build's aggregates are asked of the graph in memory by a forked child (it
        # shares the store's pages) while this process dumps it and validates: pyoxigraph
        # holds the GIL while it answers, so a thread would only take turns with them.
        kept = onto.schema.summary(onto.extra)
        aside = None
        full = patched is None and not (state is not None and delta.known) and not on_disk
        if full and _room_for_a_copy(memory):
            aside = stack.enter_context(_forked(functools.partial(_aggregates, store, kept)))
        elif full:
            notes.append("the aggregates made in turn: a forked copy would pass --memory")
        nt = b""
        dumped = staging.folder / "graph.nt"
        if not patch:
            with _timed(timings, "dump N-Triples"):
                store.dump(str(dumped), ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
            if pyshacl:  # a small graph (PYSHACL_LIMIT), which pySHACL reads from memory
                nt = dumped.read_bytes()
            # kg.ttl and, unless the store is on disk already, the published store are
            # written by a child process on the other core while the stages below run.
            extra = None
            if early is not None:  # the writer has the converted facts: the rest
                extra = staging.folder / "extra.nt"
                extra.write_bytes(rules + keys)
            staging.write_store(
                dumped, memory, store=not on_disk, turtle=base + "id/", extra=extra
            )

        say("validating against the shapes")
        with _timed(timings, "validate (SHACL)"):
            changed = focus = None
            if state is not None and delta.known and state.validator == "sparql" and not pyshacl:
                # The live generation passed the same checks: only what changed is asked.
                from kg.patch import POSITION, moved_lines

                changed = delta.predicates()
                subjects = delta.subjects()
                if changed & POSITION and not _checks_read(onto.shapes, POSITION):
                    # Records that only moved a line or file keep every verdict.
                    subjects -= moved_lines(delta.lines)
                focus = _near(store, subjects)
                notes.append(
                    f"validated {'all' if focus is None else len(focus)} nodes for the "
                    f"{len(changed)} predicates that changed"
                )
            warnings = _validate(store, nt, onto, origins, pyshacl, fact_warnings, changed, focus)
            if isinstance(origins, SpooledOrigins):
                origins.close()  # (read by validation's messages alone)

        say("serialising")
        with _timed(timings, "serialise"):
            turtle: bytes | Path = b""
            index = None
            fell_through = False  # the patch could not be made: kg.ttl is written here
            if patch:
                assert state is not None and state.index is not None
                subjects = delta.subjects()
                spliced = _splice(store, live / "kg.ttl", state.index, subjects, base + "id/")
                if spliced is not None:
                    turtle, index = spliced
                    notes.append(f"rewrote the Turtle and the store of {len(subjects)} subjects")
                else:
                    patch, fell_through = False, True
                    store.dump(str(dumped), ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
                    if not on_disk and patched is None:  # (else the store is made)
                        staging.write_store(dumped, memory)
            if fell_through:
                turtle, index = serialize_file(dumped, staging.folder, base + "id/", memory)
            elif not patch:
                turtle, index = staging.turtle()  # written beside validation
        with _timed(timings, "aggregates"):
            # (kept: the schema's view categories and the schema files added to kg's, so
            # the lookups and views of this build draw and name its kinds as the build did.)
            if aside is not None:
                sidecars, counts = aside.result()
            else:
                known = state is not None and delta.known
                # The patched store is on disk, where whole-graph queries, and asking about
                # many nodes, take many times the CPU they take in memory: then they are
                # asked of a copy of it in memory (as the graph of a full build is).
                graph = store
                keep = _reusable(build_dir, delta, cache, graph, kept, notes) if known else {}
                if patched is not None and not _all_kept(keep):
                    graph = patched.in_memory(_head(onto, base))
                # A full build on disk: its indexes are written a group at a time, as the
                # graph is too big for memory (kg.indexfiles).
                into = staging.folder if on_disk and patched is None and not known else None
                sidecars = precompute(graph, keep, kept, into, memory)
                # What a later build with the same inputs reports instead of building again.
                known_counts = patched.counts if patched is not None else None
                if known_counts is None and "stats-classes" in keep:
                    from kg.deltas import class_counts as counted

                    known_counts = counted(keep["stats-classes"])
                counts = known_counts if known_counts is not None else class_counts(graph)
                del graph
            sidecars["schema"] = json.dumps(kept, ensure_ascii=False).encode("utf-8")
            sidecars[SUMMARY] = summary(inputs, probes, triples, counts, warnings)
        if aside is not None:  # the stage is the wait for them; this, how long they took
            timings["aggregates' own time"] = aside.seconds

        say("writing the store")
        # Only the part of loading the store that validation and the rest did not hide (or
        # patching a copy of the live one).
        with _timed(timings, "write store"):
            if patched is not None:
                store.flush()  # (the store is the staged one already)
            elif patch:
                _patch_store(live / STORE_LINK, staging.folder / STORE_LINK, store, subjects)
            elif on_disk:  # the store built on: a checkpoint of it (hard links to its files)
                store.flush()
                store.backup(str(staging.folder / STORE_LINK))
            staging.wait_store()
            del store  # closed before its folder goes (the graph's copy is published)
            if patched is not None:
                # The patched store is the one published: closed (its last writes done)
                # before the generation is sealed; what still holds it (a cycle the
                # disabled collector leaves) is collected.
                import gc

                gc.collect()
            shutil.rmtree(work / "work", ignore_errors=True)
            for used in (dumped, staging.folder / "spool.nt", staging.folder / "extra.nt"):
                used.unlink(missing_ok=True)
            published = staging.publish(turtle, sidecars)
            gen = live_generation(build_dir)
            if gen is not None:
                validated = "pyshacl" if pyshacl else "sparql"
                keep_state(cache, State(gen, validated, names, rules, keys, index))
            cache.prune()
    result = BuildResult(counts, triples, warnings, build_dir / "kg.ttl", published, timings)
    result.notes = notes
    return result




def _head(onto: _Ontology, base: str) -> bytes:
    """The N-Triples _to_store writes before the facts' (the dataset, the ontology, the
    topics), for a graph made in memory of a patched store's parts."""
    import pyoxigraph as ox

    from kg.namespaces import RDF
    from kg.prefixes import PREFIXES

    void, dataset = PREFIXES["void"], ox.NamedNode(base)
    head = [
        ox.Quad(dataset, ox.NamedNode(str(RDF.type)), ox.NamedNode(void + "Dataset")),
        ox.Quad(dataset, ox.NamedNode(void + "uriSpace"), ox.Literal(base + "id/")),
    ]
    return (
        _lines(head)
        + onto.ontology.serialize(format="nt", encoding="utf-8")
        + onto.topics.serialize(format="nt", encoding="utf-8")
    )


def _all_kept(keep: dict[str, Any]) -> bool:
    """Whether every aggregate and index is kept (precompute asks nothing)."""
    from kg.query import PRECOMPUTED

    return all(k in keep for k in (*PRECOMPUTED, "meetings", "tenures", *HUB_SIDECARS))


def _lines(quads: list[Any]) -> bytes:
    """N-Triples of pyoxigraph quads of the default graph."""
    return "".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in quads).encode("utf-8")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _search_keys(store: Any, state: State | None, delta: Delta) -> bytes:
    """Add the search keys to the store; return their N-Triples (and count what changed).

    A node's keys come from its own triples only: when what changed is known, the nodes
    whose triples did not change keep the live generation's keys, and only the others are
    asked about."""
    import pyoxigraph as ox

    from kg.searchkeys import search_keys

    if state is None or not delta.known:
        keys = _lines(search_keys(store))
        if state is not None:
            delta.add(state.keys, keys)
        return keys
    nodes = delta.subjects()
    kept: list[bytes] = []
    old: list[bytes] = []
    for line in state.keys.splitlines():
        subject = line.split(b" ", 1)[0][1:-1].decode("utf-8")
        (old if subject in nodes else kept).append(line + b"\n")
    kept_nt = b"".join(kept)
    store.load(kept_nt, format=ox.RdfFormat.N_TRIPLES)
    new = _lines(search_keys(store, nodes))
    delta.add(b"".join(old), new)
    return kept_nt + new


def _splice(
    store: Any, old_path: Path, index: TurtleIndex, subjects: set[str], space: str
) -> tuple[bytes, TurtleIndex] | None:
    """The live generation's kg.ttl with the blocks of these subjects made again from the
    store (None: it is not the Turtle the index describes)."""
    import pyoxigraph as ox

    from kg.incremental import splice
    from kg.prefixes import PREFIXES

    old = old_path.read_bytes()
    if len(old) != index.size:
        return None
    header = old[: index.header]
    prefixes = {**PREFIXES, "id": space}
    blocks = {}
    for subject in subjects:
        node = ox.NamedNode(subject)
        quads = store.quads_for_pattern(node, None, None, ox.DefaultGraph())
        lines = sorted(_lines(list(quads)).splitlines())
        block = b""
        if lines:
            triples = ox.parse(b"\n".join(lines), format=ox.RdfFormat.N_TRIPLES)
            block = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes) or b""
            if block[: len(header)] != header:
                return None
            block = block[len(header) :]
        blocks[str(node).encode("utf-8")] = block
    return splice(old, index, blocks)


def _patch_store(live: Path, target: Path, graph: Any, subjects: set[str]) -> None:
    """Make target a copy of the live store (hard links to its immutable files, so it
    costs next to nothing) with the triples of these subjects made those of graph."""
    import pyoxigraph as ox

    before = ox.Store.read_only(str(live))
    before.backup(str(target))
    after = ox.Store(str(target))
    for subject in sorted(subjects):
        node = ox.NamedNode(subject)
        old = set(before.quads_for_pattern(node, None, None, ox.DefaultGraph()))
        new = set(graph.quads_for_pattern(node, None, None, ox.DefaultGraph()))
        for quad in old - new:
            after.remove(quad)
        after.extend(new - old)
    after.flush()
    del after, before


def serialize_indexed(
    nt: bytes, space: str = DEFAULT_BASE + "id/"
) -> tuple[bytes, TurtleIndex | None]:
    """serialize(), and where each subject's block is in it (see kg.incremental.splice)."""
    import pyoxigraph as ox

    from kg.incremental import index_turtle
    from kg.prefixes import PREFIXES

    lines = sorted(line for line in nt.splitlines() if line)
    subjects = list(dict.fromkeys(line[: line.index(b" ")] for line in lines))
    triples = ox.parse(b"\n".join(lines), format=ox.RdfFormat.N_TRIPLES)
    prefixes = {**PREFIXES, "id": space}
    turtle = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes) or b""
    return turtle, index_turtle(turtle, subjects, len(prefixes))


def serialize_file(
    nt: Path, folder: Path, space: str, memory: int
) -> tuple[Path, TurtleIndex | None]:
    """serialize_indexed() of an N-Triples file, into folder/kg.ttl, in bounded memory: the
    lines are sorted by an external sort holding about `memory` bytes of them (the same
    order as sorting them in memory), then streamed through the Turtle writer; the index is
    found by reading the file back a chunk at a time. The same bytes as serialize()."""
    from itertools import pairwise

    from kg.incremental import TurtleIndex
    from kg.prefixes import PREFIXES
    from kg.streaming import block_starts, sort_lines, subjects_of, write_turtle

    ordered = folder / "sorted.nt"
    sort_lines(nt, ordered, memory, folder)
    out = folder / "kg.ttl"
    prefixes = {**PREFIXES, "id": space}
    write_turtle(ordered, out, prefixes)
    subjects = subjects_of(ordered)
    ordered.unlink()
    header, starts, size = block_starts(out, len(prefixes))
    # As kg.incremental.index_turtle: None when the blocks cannot be told apart.
    if len(starts) != len(subjects) or any(a >= b for a, b in pairwise(subjects)):
        return out, None
    return out, TurtleIndex(header, subjects, starts, size)


# Up to this many changed subjects, validation asks about the nodes near them alone.
FOCUS_LIMIT = 20_000


def _checks_read(shapes: Any, predicates: frozenset[str]) -> bool:
    """Whether a check of the shapes compiled to SPARQL that runs on the nodes near a change
    reads one of the predicates (one of predicates None runs on the whole graph anyway)."""
    from kg.shacl_sparql import compile_shapes

    checks = compile_shapes(shapes)
    return any(c.predicates is not None and c.predicates & predicates for c in checks)


def _near(store: Any, subjects: set[str]) -> list[str] | None:
    """The nodes a change may have given another SHACL verdict: the subjects of the changed
    triples and every node linking to one (a value's class is checked on who links to it).
    None (validate every node) when that is too many to list."""
    import pyoxigraph as ox

    if len(subjects) > FOCUS_LIMIT:
        return None
    values = " ".join(str(ox.NamedNode(s)) for s in sorted(subjects))
    linking = store.query(f"SELECT DISTINCT ?x WHERE {{ VALUES ?s {{ {values} }} ?x ?p ?s }}")
    near = subjects | {sol["x"].value for sol in linking if isinstance(sol["x"], ox.NamedNode)}
    return None if len(near) > FOCUS_LIMIT else sorted(near)


def _aggregate_queries() -> list[str]:
    """The named queries the aggregates and indexes are made from (precompute)."""
    from kg.incremental import SIDECAR_QUERIES
    from kg.query import PRECOMPUTED

    return [
        *PRECOMPUTED,
        *(q for queries in INDEX_QUERIES.values() for q in queries),
        *SIDECAR_QUERIES,
    ]


def _whole_graph_queries() -> list[str]:
    """The queries of the aggregates and indexes an incremental build asks of the whole
    graph when a changed triple may match one (the meeting index and the event queries
    are asked about the changed events only: kg.incremental.patch_sidecars)."""
    from kg.incremental import ACTOR_QUERIES, HUB_QUERIES
    from kg.query import PRECOMPUTED

    index = [q for name, queries in INDEX_QUERIES.items() if name != "meetings" for q in queries]
    return [*PRECOMPUTED, *index, *HUB_QUERIES, *ACTOR_QUERIES]


def _reusable(
    build_dir: Path,
    delta: Delta,
    cache: BuildCache,
    graph: Any,
    schema: dict[str, Any],
    notes: list[str],
) -> dict[str, Any]:
    """The live generation's aggregates and indexes that no changed triple can alter: those
    made from queries none of whose patterns a changed triple may take part in a match of
    (kg.incremental.touches), asking the live store and graph (the new one) what holds; and
    the meeting index patched, the hub index and actor network kept where they hold
    (kg.incremental.patch_sidecars). schema: the summary schema.json will hold."""
    import json

    import pyoxigraph as ox

    from kg.incremental import changed_triples, patch_sidecars, touches
    from kg.patch import POSITION
    from kg.query import PRECOMPUTED

    patterns = cache.query_patterns(_aggregate_queries())
    changed = changed_triples(delta.lines)
    try:
        live_store = ox.Store.read_only(str(build_dir / "current" / "store"))
    except OSError:
        return {}

    def node(iri: str | None) -> Any:
        return None if iri is None else ox.NamedNode(iri)

    def has(s: str | None, p: str, o: str | None) -> bool:
        pattern = (node(s), ox.NamedNode(p), node(o), ox.DefaultGraph())
        stores = (live_store, graph)
        return any(next(iter(store.quads_for_pattern(*pattern)), None) for store in stores)

    def untouched(name: str) -> bool:
        bgps = patterns[name]
        return bgps is not None and not touches(bgps, changed, has)

    live = build_dir / "current"
    keep: dict[str, Any] = {}
    try:
        before = json.loads((live / "aggregates.json").read_bytes())
        keep.update({n: before[n] for n in PRECOMPUTED if n in before and untouched(n)})
        for index, queries in INDEX_QUERIES.items():
            if all(untouched(q) for q in queries):
                keep[index] = (live / f"{index}.json").read_bytes()
    except (OSError, ValueError, TypeError, KeyError):
        return {}
    notes.append(f"reused {len(keep)} of the aggregates and indexes: {sorted(keep)}")
    # A moved record's kg:recordFile and kg:recordLine (kg.patch.POSITION) are read by no
    # sidecar's query but as an object of events-involving's `?event ?p ?entity`, whose
    # literal objects the hub index never reads: they are left out of what is asked again.
    unplaced = [t for t in changed if t[1] not in POSITION]
    # The others' rows patched by the changed nodes where that is exact (kg.deltas).
    from kg.deltas import patch_aggregates

    touched = [n for n in PRECOMPUTED if n not in keep]
    rows, said = patch_aggregates(before, touched, unplaced, patterns, has, live_store, graph)
    keep.update(rows)
    notes += said
    patched, said = patch_sidecars(live, live_store, graph, unplaced, patterns, has, keep, schema)
    keep.update(patched)
    notes += said
    return keep
