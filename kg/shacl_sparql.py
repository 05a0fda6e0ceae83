"""SHACL shapes compiled to SPARQL violation queries, for graphs too large for pySHACL.

Covers the SHACL Core subset that ontology/shapes.ttl uses: sh:targetClass (subclasses
included), property shapes with a predicate path and sh:minCount, sh:maxCount, sh:class,
sh:datatype, sh:or of datatypes or classes, sh:minInclusive, sh:lessThanOrEquals and
sh:uniqueLang, a node-level sh:or of property shapes with sh:minCount, and SHACL-SPARQL
constraints (sh:sparql with sh:select and sh:prefixes, run as they are). A shape using
anything else is refused, so the two validators cannot silently drift apart; the tests
check that both report the same violations on every shape's examples.

Each query returns ?this (the focus node) for every violation; terms from the shapes
are written into the query text with pyoxigraph's N-Triples serialisation. The checks of
one target that test only the node and its values are asked together, one query per
target (_merged); each violation is still reported once per check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH

SUB = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"
_KNOWN = {
    SH.path,
    SH.minCount,
    SH.maxCount,
    SH["class"],
    SH.datatype,
    SH["or"],
    SH.minInclusive,
    SH.lessThanOrEquals,
    SH.uniqueLang,
    SH.message,
}


@dataclass(frozen=True)
class Check:
    """One compiled constraint: its query, message, shape and path."""

    shape: str
    path: str | None
    message: str
    query: str
    # The predicates whose triples decide its answer, all about the focus node or a node it
    # links to (so a focus node whose own triples and whose linked nodes' triples are
    # unchanged keeps its verdict); None for a SHACL-SPARQL constraint, which may read
    # anything. They let an incremental build re-check only the nodes near what changed
    # (violations: changed, focus).
    predicates: frozenset[str] | None = None
    # The same check as a test of one target node: (the target pattern, a boolean
    # expression of ?this true where the node violates it). The tests of one target are
    # asked in one query (see _merged); query says the same of this check alone.
    test: tuple[str, str] | None = None


def _t(term: Any) -> str:
    if isinstance(term, URIRef):
        return str(ox.NamedNode(str(term)))
    if isinstance(term, Literal):
        dt = ox.NamedNode(str(term.datatype)) if term.datatype else None
        return str(ox.Literal(str(term), datatype=dt, language=term.language))
    raise ValueError(f"unsupported term in shapes: {term!r}")


def _list(shapes: Graph, head: Any) -> list[Any]:
    return list(Collection(shapes, head))


def compile_shapes(shapes: Graph) -> list[Check]:
    """Compile every node shape of the graph into violation queries."""
    checks: list[Check] = []
    for shape in sorted(shapes.subjects(RDF.type, SH.NodeShape), key=str):
        targets = sorted(shapes.objects(shape, SH.targetClass), key=str)
        if not targets:
            continue
        target = "{ " + " } UNION { ".join(f"?this {SUB} {_t(c)} ." for c in targets) + " }"
        node_msg = str(shapes.value(shape, SH.message) or "violates a shape")
        for prop in sorted(shapes.objects(shape, SH.property), key=str):
            checks += _property(shapes, str(shape), prop, target)
        for constraint in sorted(shapes.objects(shape, SH.sparql), key=str):
            checks.append(_sparql(shapes, str(shape), constraint, target))
        alternatives = shapes.value(shape, SH["or"])
        if alternatives is not None:
            conds, paths = [], set()
            for alt in _list(shapes, alternatives):
                path = shapes.value(alt, SH.path)
                if shapes.value(alt, SH.minCount) != Literal(1) or path is None:
                    raise ValueError(f"{shape}: unsupported node-level sh:or")
                conds.append(f"FILTER NOT EXISTS {{ ?this {_t(path)} ?any }}")
                paths.add(str(path))
            checks.append(
                Check(
                    str(shape),
                    None,
                    node_msg,
                    f"SELECT DISTINCT ?this WHERE {{ {target} {' '.join(conds)} }}",
                    frozenset(_TARGET_PREDICATES | paths),
                )
            )
    return checks


_SPARQL_KNOWN = {RDF.type, SH.select, SH.prefixes, SH.message}
# What every target pattern reads: the focus node's types, and the ontology's subclasses.
_TARGET_PREDICATES = frozenset({str(RDF.type), str(RDFS.subClassOf)})


def _sparql(shapes: Graph, shape: str, constraint: Any, target: str) -> Check:
    """A SHACL-SPARQL constraint: its SELECT finds the violating $this (the same variable
    as ?this in SPARQL), here run once over every target node rather than once per node."""
    unknown = {p for p in shapes.predicates(constraint) if p not in _SPARQL_KNOWN}
    select = shapes.value(constraint, SH.select)
    if unknown or select is None:
        raise ValueError(
            f"{shape}: SPARQL constraint not supported here: {sorted(map(str, unknown))}"
        )
    prefixes = []
    for holder in shapes.objects(constraint, SH.prefixes):
        for decl in shapes.objects(holder, SH.declare):
            prefix, ns = shapes.value(decl, SH.prefix), shapes.value(decl, SH.namespace)
            prefixes.append(f"PREFIX {prefix}: {_t(URIRef(str(ns)))}")
    msg = str(shapes.value(constraint, SH.message) or "violates a shape")
    query = (
        "\n".join(sorted(prefixes)) + f"\nSELECT DISTINCT ?this WHERE {{ {target} {{ {select} }} }}"
    )
    return Check(shape, None, msg, query)


def _property(shapes: Graph, shape: str, prop: Any, target: str) -> list[Check]:
    unknown = {p for p in shapes.predicates(prop) if p not in _KNOWN}
    if unknown:
        raise ValueError(f"{shape}: constraint(s) not supported here: {sorted(map(str, unknown))}")
    path = shapes.value(prop, SH.path)
    p = _t(path)
    msg = str(shapes.value(prop, SH.message) or "violates a shape")
    out = []
    other = shapes.value(prop, SH.lessThanOrEquals)
    # A predicate path (an IRI: _t refuses anything else), the value's classes, the other
    # property compared: all triples of the focus node or of a value of it.
    read = _TARGET_PREDICATES | {str(path)} | ({str(other)} if other is not None else set())

    def add(body: str, test: tuple[str, str] | None = None) -> None:
        query = f"SELECT DISTINCT ?this WHERE {{ {body} }}"
        out.append(Check(shape, str(path), msg, query, frozenset(read), test))

    def add_exists(rest: str) -> None:
        # A violation where the target node matches rest: also as a test of the node.
        add(f"{target} {rest}", (target, f"EXISTS {{ {rest} }}"))

    count = (
        f"{{ SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {target} "
        f"OPTIONAL {{ ?this {p} ?v }} }} GROUP BY ?this }}"
    )
    lo, hi = shapes.value(prop, SH.minCount), shapes.value(prop, SH.maxCount)
    if lo is not None and int(lo) == 1:
        # The usual case, without counting: at a million triples, grouping every fact to
        # count its evidence took 3 s; looking for a fact without any takes a fraction.
        none = f"NOT EXISTS {{ ?this {p} ?v }}"
        add(f"{target} FILTER {none}", (target, none))
    elif lo is not None:
        add(f"{count} FILTER(?n < {int(lo)})")
    if hi is not None and int(hi) == 1:
        add_exists(f"?this {p} ?v, ?v2 . FILTER(?v != ?v2)")
    elif hi is not None:
        add(f"{count} FILTER(?n > {int(hi)})")
    each = f"{target} ?this {p} ?v ."
    # A value's classes are tested with MINUS, not FILTER NOT EXISTS: the same answers
    # here (?v is bound on every row, and the only variable the two sides share), but
    # oxigraph joins the classes' nodes once rather than asking of each value (at a
    # million triples, a participation's side: 0.10 s rather than 0.27).
    cls = shapes.value(prop, SH["class"])
    if cls is not None:
        add(f"{each} MINUS {{ ?v {SUB} {_t(cls)} }}")
    dt = shapes.value(prop, SH.datatype)
    if dt is not None:
        add_exists(f"?this {p} ?v . FILTER(!isLiteral(?v) || DATATYPE(?v) != {_t(dt)})")
    options = shapes.value(prop, SH["or"])
    alts = _list(shapes, options) if options is not None else []
    classes = [shapes.value(alt, SH["class"]) for alt in alts]
    if alts and all(c is not None and set(shapes.predicates(a)) == {SH["class"]}
                    for a, c in zip(alts, classes, strict=True)):  # fmt: skip
        # Of classes only: a value in none of them is what each MINUS leaves (0.11 s
        # rather than 0.55 for a participation's actor at a million triples).
        add(each + "".join(f" MINUS {{ ?v {SUB} {_t(c)} }}" for c in classes))
    elif options is not None:
        ok = []
        for alt in alts:
            if (d := shapes.value(alt, SH.datatype)) is not None:
                ok.append(f"(isLiteral(?v) && DATATYPE(?v) = {_t(d)})")
            elif (c := shapes.value(alt, SH["class"])) is not None:
                ok.append(f"EXISTS {{ ?v {SUB} {_t(c)} }}")
            else:
                raise ValueError(f"{shape}: unsupported sh:or member")
        add_exists(f"?this {p} ?v . FILTER(!({' || '.join(ok)}))")
    low = shapes.value(prop, SH.minInclusive)
    if low is not None:
        add_exists(f"?this {p} ?v . FILTER(!(?v >= {_t(low)}))")
    if other is not None:
        add_exists(f"?this {p} ?v . ?this {_t(other)} ?w . FILTER(!(?v <= ?w))")
    if shapes.value(prop, SH.uniqueLang) == Literal(True):
        add_exists(
            f'?this {p} ?v, ?v2 . FILTER(?v != ?v2 && LANG(?v) != "" && LANG(?v) = LANG(?v2))'
        )
    return out


def _merged(checks: list[Check]) -> list[tuple[str, list[tuple[str, list[Check]]]]]:
    """The tests (Check.test) of each target as one query: (query, [(variable, checks)]).

    One pass over the target's nodes answers all its tests, a variable each (true where
    the node violates the test), rather than a pass per check: at a million triples the
    checks took 4.3 s with a query each, 3.1 s so. Checks that say the same of the same
    target (two shapes' sh:maxCount 1 of one path) share a variable. A value's classes
    are still asked in queries of their own: MINUS inside EXISTS, asked of each node,
    took minutes.
    """
    by_target: dict[str, dict[str, list[Check]]] = {}
    for check in checks:
        assert check.test is not None
        target, test = check.test
        by_target.setdefault(target, {}).setdefault(test, []).append(check)
    out = []
    for target, tests in by_target.items():
        named = [(f"?kgTest{i}", key, alike) for i, (key, alike) in enumerate(tests.items())]
        binds = " ".join(f"BIND({test} AS {var})" for var, test, _ in named)
        query = (
            f"SELECT DISTINCT ?this {' '.join(var for var, _, _ in named)} WHERE {{ {target} "
            f"{binds} FILTER({' || '.join(var for var, _, _ in named)}) }}"
        )
        out.append((query, [(var[1:], alike) for var, _, alike in named]))
    return out


_TYPED = re.compile(r"(\?\w+) " + re.escape(SUB) + r" (<[^<>\s]+>)")


def _with_classes(query: str, closure: dict[str, str]) -> str:
    """Replace each `?x rdf:type/rdfs:subClassOf* <C>` by a VALUES list of C's subclasses.

    The same matches (the lists come from the graph being checked), but oxigraph walks the
    path once per candidate: at a million triples the checks took 7.5 s with paths and
    3.5 s with lists.
    """
    count = 0

    def values(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return (
            f"{m[1]} {_t(RDF.type)} ?kgClass{count} . VALUES ?kgClass{count} {{ {closure[m[2]]} }}"
        )

    return _TYPED.sub(values, query)


def violations(
    store: ox.Store,
    checks: list[Check],
    changed: set[str] | None = None,
    focus: list[str] | None = None,
) -> list[tuple[str, Check]]:
    """Run the compiled checks; return (focus node IRI, check) for each violation.

    changed (an incremental build): the predicates of the triples that changed since a
    graph that had no violation; focus: the nodes that hold, or link to a node that holds,
    one of those triples. A check reading none of those predicates is skipped (its answer
    is still none); one that reads only the focus node's triples and its values' runs on
    the focus nodes' neighbourhood alone (their triples, their values' triples and the
    class hierarchy: at a million triples, a VALUES list of the nodes did not stop oxigraph
    from walking every node of the target class); a SHACL-SPARQL constraint runs whole.
    """
    if changed is not None:
        checks = [c for c in checks if c.predicates is None or c.predicates & changed]
    if focus is None:
        return _run(store, checks)
    wanted = set(focus)
    near = [c for c in checks if c.predicates is not None]
    found = [(n, c) for n, c in _run(_neighbourhood(store, wanted), near) if n in wanted]
    return found + _run(store, [c for c in checks if c.predicates is None])


def _neighbourhood(store: ox.Store, nodes: set[str]) -> ox.Store:
    """A store of the nodes' triples, those of the nodes they link to, and the ontology's
    rdfs:subClassOf triples: all that a property check of one of the nodes reads."""
    graph = ox.DefaultGraph()
    own = [
        q
        for n in sorted(nodes)
        for q in store.quads_for_pattern(ox.NamedNode(n), None, None, graph)
    ]
    values = {q.object for q in own if isinstance(q.object, ox.NamedNode)}
    out = ox.Store()
    out.extend(own)
    out.extend(q for v in values for q in store.quads_for_pattern(v, None, None, graph))
    out.extend(store.quads_for_pattern(None, ox.NamedNode(str(RDFS.subClassOf)), None, graph))
    return out


def _run(store: ox.Store, checks: list[Check]) -> list[tuple[str, Check]]:
    closure: dict[str, str] = {}
    merged = _merged([c for c in checks if c.test is not None])
    checks = [c for c in checks if c.test is None]
    typed = [c.query for c in checks] + [q for q, _ in merged]
    for cls in sorted({m[2] for q in typed for m in _TYPED.finditer(q)}):
        subs: Any = store.query(f"SELECT DISTINCT ?c WHERE {{ ?c {_t(RDFS.subClassOf)}* {cls} }}")
        # The class itself always matches (a zero-length path), declared or not.
        closure[cls] = " ".join(sorted({cls} | {str(sol["c"]) for sol in subs}))
    # Shapes that say the same of the same nodes (a kind's generated shape and
    # shapes.ttl's, say) compile to the same query: each is asked once (30 of 215 at 1M).
    same: dict[str, list[Check]] = {}
    for check in checks:
        same.setdefault(_with_classes(check.query, closure), []).append(check)
    found = []
    for query, alike in same.items():
        result: Any = store.query(query)
        nodes = [sol["this"].value for sol in result]
        found += [(node, check) for check in alike for node in nodes]
    for query, tests in merged:
        rows: Any = store.query(_with_classes(query, closure))
        flags = [(sol["this"].value, [sol[v].value == "true" for v, _ in tests]) for sol in rows]
        for i, (_, alike) in enumerate(tests):
            found += [(node, check) for check in alike for node, hit in flags if hit[i]]
    return found
