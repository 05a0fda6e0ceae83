"""An incremental build on the live store: its hard-linked copy patched with what changed.

Rather than load every facts file's cached N-Triples into a new graph (5-10 s at a million
triples), the build copies the live generation's store (hard links to its immutable
files), removes what the changed files no longer make and adds what they make now, and
runs the later stages on it. A removed triple stays if another file, the rules or the
search keys still make it. The rules' inferences are kept when no changed triple can
take part in a match of a rule, or when the matches a changed triple takes part in infer
the same before and after; otherwise (or whenever it cannot tell) the caller builds the
graph as before (patch returns None).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kg.convert import FileRDF, Origin
    from kg.facts.check import Facts
    from kg.facts.schema import Schema
    from kg.incremental import BuildCache, Delta, State


@dataclass
class Patched:
    """The patched store and what the build needs of it."""

    store: Any  # the copy of the live store, in the staging folder, patched
    origins: dict[str, Origin]
    names: dict[str, str]  # facts file -> the cache entry of its RDF
    delta: Delta  # exactly the triples removed from and added to the live store's
    rules: bytes
    keys: bytes
    triples: int
    counts: dict[str, int] | None  # class counts; None: to be counted again
    notes: list[str]
    parts: Callable[[], list[bytes]]  # the N-Triples of the graph but the ontology's

    def in_memory(self, head: bytes) -> Any:
        """The patched graph in a store in memory (head: the ontology's N-Triples), made
        from the files' cached N-Triples, the rules' and the keys' (for the whole-graph
        queries of the aggregates, which take many times the CPU on disk)."""
        import pyoxigraph as ox

        store = ox.Store()
        store.bulk_load(b"".join([head, *self.parts()]), format=ox.RdfFormat.N_TRIPLES)
        return store


# Below this many triples an incremental build does not patch the live store: copying,
# opening and closing a store on disk costs about 0.3 s wall more than loading a small
# graph in memory (an edit at 100k triples: 1.27-1.43 s wall patched, 1.10-1.14 s not).
PATCH_FROM = 200_000

# Above this many changed subjects an incremental build does not patch the live store:
# its later stages ask about each, which on the store on disk costs many times what it
# does in memory (a record added at the top of a file of 1M triples: 267 subjects).
ON_DISK_LIMIT = 64

# Where a record is written (kg.convert: its file and line). Adding or deleting a record
# moves every later record of its file a line, moving one changes its file: hundreds of
# subjects whose only change is one of these triples. What the later stages ask never
# reads them (the rules, the shapes, the search keys and the aggregates' queries name
# neither; tests/test_incremental.py checks the queries' patterns), so such subjects do
# not count toward ON_DISK_LIMIT: their triples are swapped, and kept in the Turtle.
POSITION = frozenset({"https://w3id.org/kg/ont#recordFile", "https://w3id.org/kg/ont#recordLine"})


def moved_lines(lines: set[bytes]) -> set[str]:
    """moved_only of changed N-Triples lines."""
    moved: set[str] = set()
    other: set[str] = set()
    for line in lines:
        if line:
            s, p, _ = line.split(b" ", 2)
            (moved if p[1:-1].decode("utf-8") in POSITION else other).add(s[1:-1].decode())
    return moved - other


def moved_only(quads: list[Any]) -> set[str]:
    """The subjects of which only POSITION triples are among the changed ones (quads)."""
    moved: set[str] = set()
    other: set[str] = set()
    for t in quads:
        (moved if t.predicate.value in POSITION else other).add(t.subject.value)
    return moved - other


class LazyOrigins(dict):  # type: ignore[type-arg]
    """The origins of the changed files' nodes, and of the others' once one is asked
    for that is not among them (only a failed validation asks)."""

    def __init__(self, fresh: dict[str, Origin], load: Any) -> None:
        super().__init__(fresh)
        self._load = load

    def _all(self) -> None:
        if self._load is not None:
            load, self._load = self._load, None
            for node, origin in load().items():
                self.setdefault(node, origin)

    def __contains__(self, node: object) -> bool:
        if not super().__contains__(node):
            self._all()
        return super().__contains__(node)

    def __getitem__(self, node: str) -> Origin:
        if not super().__contains__(node):
            self._all()
        found: Origin = super().__getitem__(node)
        return found


def _quads(lines: Any) -> list[Any]:
    import pyoxigraph as ox

    data = b"\n".join(line for line in lines if line)
    return list(ox.parse(data, format=ox.RdfFormat.N_QUADS)) if data else []


def _line(t: Any) -> bytes:
    return f"{t.subject} {t.predicate} {t.object} .".encode()


def patch(
    schema: Schema,
    facts: Facts,
    base: str,
    digests: dict[str, str],
    cache: BuildCache,
    state: State,
    live: Path,
    target: Path,
    rules: list[Any],
    workers: int,
    memory: int,
    queries: list[str],
) -> Patched | None:
    """Patch a copy of the live store (live: its folder; target: the copy's) into this
    build's graph; None when this cannot be done exactly (target is then removed), or
    costs more than building it in memory. queries: those the aggregates and indexes are
    made from (kg.build)."""
    import json
    import shutil

    import pyoxigraph as ox

    from kg.convert import Run, convert_runs, deps_check, merge, schema_terms
    from kg.incremental import Delta

    space = base + "id/"
    if "kg:searchKey" in schema_terms(schema):
        return None  # the search keys are never asserted, so never kept for a file
    try:
        summary = json.loads((live.parent / "build.json").read_bytes())
        old_triples, old_counts = int(summary["triples"]), dict(summary["counts"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if old_triples < PATCH_FROM:
        return None
    by_file: dict[str, list[Any]] = {}
    for rec in facts.records.values():
        by_file.setdefault(rec.file, []).append(rec)
    names = {rel: cache.name(rel, digests[rel]) for rel in by_file}
    before = state.files
    unchanged: dict[str, dict[str, Any]] = {}  # file -> its RDF's deps
    new: dict[str, FileRDF] = {}
    runs: list[Run] = []
    holds = deps_check(schema, facts, space)
    for rel, records in by_file.items():
        if before.get(rel) == names[rel]:
            deps = cache.deps(names[rel])
            if deps is not None and holds(deps):
                unchanged[rel] = deps
                cache.hits["converted"] += 1
                continue
        else:
            rdf = cache.converted(rel, digests[rel])
            if rdf is not None and holds(rdf.deps):
                new[rel] = rdf
                cache.hits["converted"] += 1
                continue
        ids = sorted(rec.id for rec in records)
        runs += [(rel, ids[i : i + 4000]) for i in range(0, len(ids), 4000)]
    changed = sorted((by_file.keys() | before.keys()) - unchanged.keys())
    # What the live generation had of the changed files (read before this build's
    # entries replace them) and which record made each of their nodes.
    old_nt: list[bytes] = []
    owners: dict[str, str] = {}
    for rel in changed:
        if rel in before:
            nt, nodes_of = cache.ntriples(before[rel]), cache.origins(before[rel])
            if nt is None or nodes_of is None:
                return None
            old_nt.append(nt)
            owners.update({n: o.record for n, o in nodes_of.items()})
    facts.unstub({rel for rel, _ in runs} & facts.stubs)
    parts: dict[str, list[FileRDF]] = {}
    for rel, part in convert_runs(schema, facts, runs, space, workers):
        parts.setdefault(rel, []).append(part)
    for rel, got in parts.items():
        new[rel] = merge(got)
    old_lines = {line for nt in old_nt for line in nt.splitlines()}
    new_lines = {line for rdf in new.values() for line in rdf.ntriples.splitlines()}
    removed, added = old_lines - new_lines, new_lines - old_lines

    # A removed triple another (unchanged) file makes stays: a file makes triples of the
    # nodes of its records and of the records it names (its deps).
    # (Only the rules' triples about the subjects of changed ones are read.)
    heads = {line.split(b" ", 1)[0] for line in removed | added}
    rules_old = set(_quads(x for x in state.rules.splitlines() if x.split(b" ", 1)[0] in heads))
    asked: dict[str, set[str]] = {}  # unchanged file -> the removed lines to look for in it
    for line in removed:
        subject = line.split(b" ", 1)[0][1:-1].decode("utf-8")
        if not subject.startswith(space):
            return None  # (maybe the ontology's: not worked out here)
        node, owner = subject, None
        while owner is None and "/" in node[len(space) :]:
            owner = owners.get(node)
            node = node.rsplit("/", 1)[0]
        for rel, deps in unchanged.items():
            if owner is None or owner in deps:
                asked.setdefault(rel, set()).add(line.decode("utf-8"))
    still: set[bytes] = set()
    for rel, lines in asked.items():
        nt = cache.ntriples(names[rel])
        if nt is None:
            return None
        made = set(nt.splitlines())
        still |= {x.encode() for x in lines if x.encode() in made}
    gone = [t for t in _quads(removed - still) if t not in rules_old]
    coming = _quads(added)
    subjects = {t.subject.value for t in gone} | {t.subject.value for t in coming}
    if len(subjects) > ON_DISK_LIMIT:
        # Moved records do not count, unless the other changes alter an aggregate: then
        # the whole graph is made in memory for the aggregates anyway, sooner built so.
        moved = moved_only(gone + coming)
        if len(subjects - moved) > ON_DISK_LIMIT or _aggregates_touched(
            cache, queries, live, [t for t in gone + coming if t.subject.value not in moved]
        ):
            return None  # (the later stages ask about so many nodes that memory is faster)

    shutil.rmtree(target, ignore_errors=True)
    ox.Store.read_only(str(live)).backup(str(target))
    store = ox.Store(str(target))
    out = [t for t in gone if t in store]
    into = [t for t in dict.fromkeys(coming) if t not in store]
    for t in out:
        store.remove(ox.Quad(t.subject, t.predicate, t.object))
    store.extend([ox.Quad(t.subject, t.predicate, t.object) for t in into])

    notes: list[str] = []
    live_store = ox.Store.read_only(str(live))
    same = _rules_hold(rules, space, out + into, cache, live_store, store)
    if not same:
        del store, live_store
        shutil.rmtree(target, ignore_errors=True)
        return None
    notes.append(f"patched a copy of the live store ({len(out)} triples out, {len(into)} in)")
    # Kept only now: had the build gone the other way, it would read the live build's
    # RDF of a file converted again from the entry of the same name.
    for rel in parts:
        cache.keep_converted(rel, digests[rel], new[rel])

    # The search keys of the nodes whose triples changed, asked again.
    from kg.searchkeys import search_keys

    # (The keys are made of a node's labels and IRI: a moved record's are the same.)
    nodes = {t.subject.value for t in out + into if t.predicate.value not in POSITION}
    kept_keys: list[bytes] = []
    old_keys: list[bytes] = []
    for line in state.keys.splitlines():
        subject = line.split(b" ", 1)[0][1:-1].decode("utf-8")
        (old_keys if subject in nodes else kept_keys).append(line)
    old_key_set = set(_quads(old_keys))
    had = {k for k in old_key_set if k in store}
    new_keys = search_keys(store, nodes) if nodes else []
    new_key_set = set(new_keys)
    for k in old_key_set - new_key_set:
        if k in had and k not in rules_old:
            store.remove(ox.Quad(k.subject, k.predicate, k.object))
            out.append(k)
    into += [k for k in new_key_set - old_key_set if k not in rules_old]
    keys = b"".join(line + b"\n" for line in kept_keys) + b"".join(
        _line(k) + b"\n" for k in new_key_set
    )
    store.flush()

    delta = Delta({_line(t) for t in out + into})
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    typed = any(
        t.predicate.value == rdf_type and t.subject.value.startswith(space) for t in out + into
    )
    origins: dict[str, Origin] = {}
    for rdf in new.values():
        origins.update(rdf.origins)

    def others() -> dict[str, Origin]:
        found: dict[str, Origin] = {}
        for rel in unchanged:
            found.update(cache.origins(names[rel]) or {})
        return found

    return Patched(
        store,
        LazyOrigins(origins, others),
        names,
        delta,
        state.rules,
        keys,
        old_triples - len(out) + len(into),
        None if typed else old_counts,
        notes,
        lambda: [
            *(cache.ntriples(names[rel]) or b"" for rel in unchanged),
            *(rdf.ntriples for rdf in new.values()),
            state.rules,
            keys,
        ],
    )


def _aggregates_touched(
    cache: BuildCache, queries: list[str], live: Path, quads: list[Any]
) -> bool:
    """Whether a changed triple (quads: removed or added) may take part in a match of one of
    the queries (kg.incremental.touches), in the live graph or the live one with the added
    triples (which hold all that the patched graph does), and kg.deltas cannot patch it."""
    import pyoxigraph as ox

    from kg.deltas import patchable
    from kg.incremental import changed_triples, touches

    changed = changed_triples({_line(t) for t in quads})
    added: dict[str, set[tuple[str, str | None]]] = {}
    for s, p, o in changed:
        added.setdefault(p, set()).add((s, o))
    store = ox.Store.read_only(str(live))

    def has(s: str | None, p: str, o: str | None) -> bool:
        if any((s is None or s == a) and (o is None or o == b) for a, b in added.get(p, ())):
            return True
        pattern = (
            None if s is None else ox.NamedNode(s),
            ox.NamedNode(p),
            None if o is None else ox.NamedNode(o),
            ox.DefaultGraph(),
        )
        return next(iter(store.quads_for_pattern(*pattern)), None) is not None

    for name, bgps in cache.query_patterns(queries).items():
        if bgps is None:
            return True
        if touches(bgps, changed, has) and not patchable(name, bgps, changed, has):
            return True
    return False


def _rules_hold(
    rules: list[Any], space: str, changed: list[Any], cache: BuildCache, before: Any, after: Any
) -> bool:
    """Whether the rules infer the same from the patched store as from the live one: no
    changed triple can take part in a match of a rule, or the matches each takes part in
    (the rule asked with the variables of a pattern it fits bound to it) infer the same
    on both. Rules run in order on what the earlier ones inferred: the same then too."""
    import pyoxigraph as ox

    from kg.incremental import changed_triples, touches
    from kg.query import with_values

    if not changed:
        return True
    triples = changed_triples({_line(t) for t in changed})

    def node(iri: str | None) -> Any:
        return None if iri is None else ox.NamedNode(iri)

    def has(s: str | None, p: str, o: str | None) -> bool:
        pattern = (node(s), ox.NamedNode(p), node(o), ox.DefaultGraph())
        return any(next(iter(st.quads_for_pattern(*pattern)), None) for st in (before, after))

    for rule in rules:
        bgps = cache.rule_patterns(rule.name, rule.text)
        # (Asked now, to be kept from the first incremental build on: parsing a rule again
        # when an edit first touches it took 0.4 s.)
        required = cache.rule_required(rule.name, rule.text) or []
        if bgps is None:
            return False
        if not touches(bgps, triples, has):
            continue
        rule_node = ox.NamedNode(rule.iri(space))
        # The bindings of each pattern a changed triple fits, by the variables bound: the
        # rule asked once for each such set of variables, with every binding of them.
        tables: dict[tuple[str, ...], set[tuple[Any, ...]]] = {}
        for bgp in bgps:
            for t in changed:
                for ps, pp, po in bgp:
                    if pp[0] == "p" and t.predicate.value in pp[1]:
                        return False  # (a path: where it is is not worked out)
                    if pp[0] not in ("i", "v") or (pp[0] == "i" and pp[1] != t.predicate.value):
                        continue
                    bound: dict[str, Any] = {}
                    ok = True
                    for term, value in ((ps, t.subject), (pp, t.predicate), (po, t.object)):
                        if term[0] == "v":
                            if term[1] in bound and bound[term[1]] != value:
                                ok = False
                            bound[term[1]] = value
                        elif (
                            term[0] == "i"
                            and (not isinstance(value, ox.NamedNode) or value.value != term[1])
                        ) or (term[0] == "l" and not isinstance(value, ox.Literal)):
                            ok = False
                    if (
                        ok
                        and "rule" not in bound
                        and all(_may_match(g, bound, (before, after)) for g in required)
                    ):
                        names = tuple(sorted(bound))
                        tables.setdefault(names, set()).add(tuple(bound[n] for n in names))
        for names, rows in _coarser(tables).items():
            try:
                text = with_values(
                    rule.text,
                    ["rule", *names],
                    [[rule_node, *row] for row in sorted(rows, key=str)],
                )
                found = [
                    {(x.subject, x.predicate, x.object) for x in st.query(text)}
                    for st in (before, after)
                ]
            except (SyntaxError, ValueError, TypeError, OSError):
                return False
            if found[0] != found[1]:
                return False
    return True


def _coarser(
    tables: dict[tuple[str, ...], set[tuple[Any, ...]]],
) -> dict[tuple[str, ...], set[tuple[Any, ...]]]:
    """The bindings of _rules_hold with one variable of each set bound (the one most sets
    have, an IRI's before a literal's), the sets of the same variable asked at once: a
    rule asked so matches all it matched with more bound (so if it infers the same on both
    stores, so does every match a changed triple takes part in), in fewer queries (each
    cost 35 ms at 1M triples on disk: the rule's unions are asked whole)."""
    import pyoxigraph as ox

    often: dict[str, int] = {}
    for names in tables:
        for name in names:
            often[name] = often.get(name, 0) + 1
    out: dict[tuple[str, ...], set[tuple[Any, ...]]] = {}
    for names, rows in tables.items():
        ranks = [
            (all(isinstance(row[i], ox.NamedNode) for row in rows), often[name], name)
            for i, name in enumerate(names)
        ]
        best = ranks.index(max(ranks))
        out.setdefault((names[best],), set()).update((row[best],) for row in rows)
    return out


def _may_match(bgp: list[Any], bound: dict[str, Any], stores: tuple[Any, ...]) -> bool:
    """Whether the triple patterns of a group (bgp, as query_patterns gives it) may all
    match with those of these variables it has bound, in one of the stores: asked of them
    all at once, but the property paths and with any literal as a variable (so it holds of
    every match the group has). A changed triple whose binding a group every match of a
    rule matches (kg.incremental.required_patterns) cannot match in either store takes
    part in no match of the rule (asking the rule with it bound took 35 ms at 1M triples
    on disk: its unions are asked whole; this asks the few triples it needs)."""
    import pyoxigraph as ox

    from kg.query import values_block

    names: dict[str, str] = {}  # a pattern's variable -> the one asked (?v0, ?v1, …)

    def term(t: list[Any]) -> str:
        if t[0] == "i":
            return str(ox.NamedNode(t[1]))
        key = t[1] if t[0] == "v" else f"literal {len(names)}"
        return names.setdefault(key, f"?v{len(names)}")

    patterns = [" ".join(map(term, pattern)) + " ." for pattern in bgp if pattern[1][0] != "p"]
    order = sorted(n for n in bound if n in names)  # (the group's variables bound)
    if not patterns or not order:
        return True
    block = values_block([names[n][1:] for n in order], [[bound[n] for n in order]])
    text = "ASK {" + block + " ".join(patterns) + " }"
    try:
        return any(bool(store.query(text)) for store in stores)
    except (SyntaxError, ValueError, TypeError, OSError):
        return True
