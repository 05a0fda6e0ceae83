"""Named SPARQL queries (kg/queries/*.rq) run with bound parameters.

Each file starts with a header of comments:

    # title: Who met whom
    # description: what the rows are
    # param topic: iri = kg:Any   a topic; narrower topics match too
    # param from: date = 0001-01-01
    # example: kg who-met --topic energy

Every parameter is always bound: an omitted one takes its default (kg:Any for "no filter",
open-ended dates, empty text), because pyoxigraph substitutes variables in patterns and
comparisons but not inside BOUND(), and only variables the SELECT projects. The one exception
is a parameter whose default is `*`: it is left free when omitted, so it may only appear in
triple patterns (there a free variable means "any"). kg.lookups uses such a parameter to run
a detail query once per event or tenure it found first (see run_each).

What several queries share is written once, as a fragment: kg/queries/fragments/NAME.rq, put
in a query's text where it says `{{NAME}}` (or `{{NAME ?x ?y}}`: the fragment's `# vars:` line
names its variables, and these take their places, so each query keeps its own variable
names). A fragment is constant query text, never data: it is expanded once when the query is
loaded, may itself use fragments, and the expanded query is plain SPARQL 1.1 (what a remote
endpoint is sent, and what `load_query(name).text` is).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, NamedTuple

import pyoxigraph as ox

from kg.errors import KgError
from kg.prefixes import KG, PREFIXES, XSD
from kg.store import Row, Store, Term

# The folders of the named queries and their fragments, as strings: lookups import this
# module, and pathlib costs a cold lookup 5-10 ms. QUERY_DIR and FRAGMENT_DIR are the same
# as Paths (made when asked for, see __getattr__).
QUERY_FOLDER = os.path.join(os.path.dirname(os.path.realpath(__file__)), "queries")
FRAGMENT_FOLDER = os.path.join(QUERY_FOLDER, "fragments")
ANY = ox.NamedNode(KG + "Any")
FREE = "*"  # the default of a parameter left unbound when omitted
MANY_KEYS = 300  # above this many keys, run_each asks one query instead of one per key
# The open ends of a date range: an omitted from/to stands for these days, in Python and as
# the default every `date` parameter of the named queries binds (a test holds them equal).
EARLIEST = dt.date.min  # 0001-01-01
LATEST = dt.date.max  # 9999-12-31


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PARAM = re.compile(r"^#\s*param\s+(\w+)\s*:\s*(iri|date|text)\s*=\s*(\S+)\s*(.*)$")
_FIELD = re.compile(r"^#\s*(title|description|example)\s*:\s*(.*)$")
_VALUES = re.compile(r"^#\s*values\s+((?:\w+\s*)+):\s*(.*)$")
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_USE = re.compile(r"\{\{\s*([\w-]+)((?:\s+\?\w+)*)\s*\}\}")
_VARS = re.compile(r"^#\s*vars\s*:((?:\s*\?\w+)*)\s*$")
_VAR = re.compile(r"\?(\w+)\b")


class FragmentError(ValueError):
    """A named query uses a fragment wrongly: a mistake in kg/queries (a bug), not a user's."""


# A NamedTuple, not a dataclass: every lookup imports this module, and making a dataclass
# costs about a millisecond at import (benchmarks/floor.py).
class Param(NamedTuple):
    """A query parameter: its name, type, default and meaning."""

    name: str
    type: str
    default: str
    doc: str


class NamedQuery(NamedTuple):
    """A SPARQL file with its header."""

    name: str
    text: str
    title: str = ""
    description: str = ""
    example: str = ""
    params: dict[str, Param] = {}  # noqa: RUF012 (never changed: parse_query gives each its own)
    # Variables a table of rows is bound to (`# values top kind: meaning`): lists kg takes
    # from the record schema, such as the actor kinds' classes, so no query spells them.
    values: tuple[str, ...] = ()


def parse_query(name: str, text: str) -> NamedQuery:
    """Parse a named query's header comments."""
    meta: dict[str, str] = {}
    params: dict[str, Param] = {}
    values: tuple[str, ...] = ()
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if m := _VALUES.match(line):
            values = tuple(m[1].split())
        elif m := _PARAM.match(line):
            params[m[1]] = Param(m[1], m[2], "" if m[3] == '""' else m[3], m[4].strip())
        elif m := _FIELD.match(line):
            meta[m[1]] = m[2].strip()
    return NamedQuery(
        name,
        text,
        meta.get("title", ""),
        meta.get("description", ""),
        meta.get("example", ""),
        params,
        values,
    )


class Fragment(NamedTuple):
    """Query text several named queries share, with the variables a use may rename."""

    name: str
    body: str
    vars: tuple[str, ...] = ()


@cache
def load_fragment(name: str) -> Fragment:
    """Load kg/queries/fragments/NAME.rq: its `# vars:` line and its text after the header."""
    path = os.path.join(FRAGMENT_FOLDER, f"{name}.rq")
    if not re.fullmatch(r"[\w-]+", name) or not os.path.isfile(path):
        known = ", ".join(_named_files(FRAGMENT_FOLDER))
        raise FragmentError(f"unknown query fragment {{{{{name}}}}} (known: {known})")
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    head = 0
    names: tuple[str, ...] = ()
    while head < len(lines) and lines[head].startswith("#"):
        if m := _VARS.match(lines[head]):
            names = tuple(_VAR.findall(m[1]))
        head += 1
    return Fragment(name, "\n".join(lines[head:]).strip(), names)


def expand(text: str, within: tuple[str, ...] = ()) -> str:
    """Replace each `{{NAME ?var…}}` in a query's text by fragment NAME, its variables renamed."""

    def use(m: re.Match[str]) -> str:
        name, args = m[1], _VAR.findall(m[2])
        if name in within:
            chain = " -> ".join((*within, name))
            raise FragmentError(f"query fragment {{{{{name}}}}} uses itself: {chain}")
        frag = load_fragment(name)
        if len(args) not in (0, len(frag.vars)):
            raise FragmentError(
                f"query fragment {{{{{name}}}}} takes {len(frag.vars)} variable(s) "
                f"({' '.join('?' + v for v in frag.vars)}), given {len(args)}"
            )
        renamed = dict(zip(frag.vars, args, strict=False))
        body = _VAR.sub(lambda v: "?" + renamed.get(v[1], str(v[1])), frag.body)
        # Its lines after the first start at the column of the use, for a readable query.
        column = m.start() - m.string.rfind("\n", 0, m.start()) - 1
        return expand(body, (*within, name)).replace("\n", "\n" + " " * column)

    return _USE.sub(use, text)


@cache
def load_query(name: str) -> NamedQuery:
    """Load kg/queries/NAME.rq, its fragments expanded."""
    with open(os.path.join(QUERY_FOLDER, f"{name}.rq"), encoding="utf-8") as fh:
        return parse_query(name, expand(fh.read()))


def all_queries() -> list[NamedQuery]:
    """Every named query shipped with kg, by name."""
    return [load_query(name) for name in _named_files(QUERY_FOLDER)]


def _named_files(folder: str) -> list[str]:
    """The names of the .rq files in folder, in the order of their file names (`a-b.rq`
    before `a.rq`, as the Paths of glob sort)."""
    return [f[:-3] for f in sorted(os.listdir(folder)) if f.endswith(".rq") and f[0] != "."]


def __getattr__(name: str) -> Any:
    """QUERY_DIR and FRAGMENT_DIR: QUERY_FOLDER and FRAGMENT_FOLDER as Paths."""
    if name in ("QUERY_DIR", "FRAGMENT_DIR"):
        from pathlib import Path

        return Path(QUERY_FOLDER if name == "QUERY_DIR" else FRAGMENT_FOLDER)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _term(param: Param, val: object) -> Term:
    if isinstance(val, (ox.NamedNode, ox.Literal)):
        return val  # bound already (kg query --param checked its type)
    if param.type == "iri":
        text = str(val)
        if text == "kg:Any":
            return ANY
        return ox.NamedNode(text)
    if param.type == "date":
        if not isinstance(val, dt.date):
            # Only YYYY-MM-DD, the lexical form of xsd:date: fromisoformat alone also takes
            # 20220101 and 2022-W01-1, which no reader of `--param from=…` means.
            if not _DAY.fullmatch(str(val)):
                raise ValueError(f"{val!r} is not YYYY-MM-DD")
            val = dt.date.fromisoformat(str(val))
        return ox.Literal(val.isoformat(), datatype=ox.NamedNode(XSD + "date"))
    return ox.Literal(str(val))


def bindings(query: NamedQuery, params: dict[str, object]) -> dict[str, Term]:
    """Return a term for every parameter: the given value, or the default."""
    unknown = set(params) - set(query.params)
    if unknown:
        raise TypeError(f"{query.name}: unknown parameter(s) {sorted(unknown)}")
    return {
        name: _term(p, params[name] if params.get(name) is not None else p.default)
        for name, p in query.params.items()
        if params.get(name) is not None or p.default != FREE
    }


class ParamError(KgError):
    """A query parameter a user gave (`kg query --param`) is unknown or not of its type."""


def read_query(name: str, text: str) -> NamedQuery:
    """A query file's text (a named query's, or anyone's) with its header read and its
    fragments expanded, so its parameters can be bound as a named query's are."""
    try:
        return parse_query(name, expand(text) if _USE.search(text) else text)
    except FragmentError as exc:
        raise ParamError(f"{name}: {exc}") from None


def text_bindings(
    query: NamedQuery, given: Mapping[str, str], prefixes: Mapping[str, str] = PREFIXES
) -> dict[str, Term]:
    """Bind a query's parameters from text values (KEY=VALUE on the command line), defaults
    for the rest: an iri as <full IRI> or prefix:name (of `prefixes`), a date as YYYY-MM-DD,
    text as is."""
    unknown = sorted(set(given) - set(query.params))
    if unknown:
        known = ", ".join(query.params) or "none"
        raise ParamError(f"{query.name} has no parameter {unknown[0]!r} (its parameters: {known})")
    values: dict[str, object] = {}
    for key, text in given.items():
        param = query.params[key]
        try:
            iri = param.type == "iri"
            values[key] = _term(param, _expand_iri(text, prefixes) if iri else text)
        except ValueError as exc:
            form = {"iri": "an IRI or prefix:name", "date": "a day, YYYY-MM-DD"}.get(
                param.type, "text"
            )
            # A well-formed impossible day says why (month must be in 1..12).
            why = f" ({exc})" if param.type == "date" and _DAY.fullmatch(text) else ""
            raise ParamError(
                f"{query.name}: {key}={text!r} is not {form}{why}"
                + (" (e.g. 2022-08-20)" if param.type == "date" and not why else "")
            ) from None
    return bindings(query, values)


def _expand_iri(text: str, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """A prefixed name (id:person/x, kg:Any) in full, with kg's prefixes; <IRI> unwrapped."""
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    prefix, sep, local = text.partition(":")
    if sep and prefix in prefixes:
        return prefixes[prefix] + local
    return text


# What is not query structure, blanked before looking for variables: comments, strings, IRIs.
_NOT_CODE = re.compile(
    r"""#[^\n]*|\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"""
    r"""|<[^<>"{}|^`\\\s]*>"""
)
_SELECT_STAR = re.compile(r"\bSELECT\s+(?:(?:DISTINCT|REDUCED)\s+)?\*", re.IGNORECASE)
_VARIABLE = re.compile(r"[?$](\w+)")
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


def query_form(query: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the query's form, its first such keyword outside
    comments, strings and IRIs ('' when there is none)."""
    m = _FORM.search(_NOT_CODE.sub(" ", query))
    return m[1].upper() if m else ""


def column_order(query: str, names: Sequence[str]) -> list[str]:
    """A SELECT's columns in the query's order.

    pyoxigraph gives `SELECT *`'s variables sorted by name; a reader expects them in the
    order the query first mentions them (as Jena and rdflib give them). Any other SELECT
    already lists them in the query's order, and keeps it.
    """
    code = _NOT_CODE.sub(" ", query)
    star = _SELECT_STAR.search(code)
    if star is None:
        return list(names)
    first: dict[str, int] = {}
    for m in _VARIABLE.finditer(code, star.end()):
        first.setdefault(m[1], m.start())
    return sorted(names, key=lambda n: first.get(n, len(code)))


# Aggregates over the whole graph that `kg build` computes once and stores beside the store
# (answers `kg stats`, `kg engagement` and `kg topics` without a scan of the graph).
PRECOMPUTED = (
    "stats-classes",
    "stats-months",
    "stats-topics",
    "stats-pairs",
    "stats-kinds",
    "event-kinds",
    "reported",
    "topics",
)


def values_block(names: Sequence[str], rows: Sequence[Sequence[Term]]) -> str:
    """A SPARQL VALUES block binding `names` to each row of terms.

    Each term is written in its N-Triples form, which pyoxigraph escapes (str() of a term),
    so a value can only ever be a term, never query text.
    """
    for row in rows:
        if len(row) != len(names):
            raise TypeError(f"a VALUES row has {len(row)} terms for {len(names)} variables")
    head = " ".join(f"?{n}" for n in names)
    body = " ".join("(" + " ".join(str(t) for t in row) + ")" for row in rows)
    return f" VALUES ({head}) {{ {body} }} "


def with_values(text: str, names: Sequence[str], rows: Sequence[Sequence[Term]]) -> str:
    """The query with a VALUES block of `rows` opening its WHERE clause."""
    match = _WHERE.search(text)
    if match is None:
        raise TypeError("cannot bind values: the query has no WHERE clause")
    return text[: match.end()] + values_block(names, rows) + text[match.end() :]


def run(store: Store, name: str, **params: object) -> list[Row]:
    """Run the named query with its parameters bound; return its rows."""
    return run_table(store, name, None, **params)


def run_table(
    store: Store, name: str, table: Sequence[Sequence[Term]] | None, **params: object
) -> list[Row]:
    """Run the named query with `table` bound to its `# values` variables (required when it
    has them) and its parameters bound; return its rows."""
    query = load_query(name)
    if not query.params and not query.values and name in PRECOMPUTED:
        rows = store.precomputed(name)
        if rows is not None:
            return rows
    text = query.text
    if query.values:
        if table is None:
            raise TypeError(f"{name}: bind its values ({', '.join(query.values)}) with table=")
        text = with_values(text, query.values, table)
    elif table is not None:
        raise TypeError(f"{name}: the query takes no table of values")
    return store.select(text, bindings(query, params))


def run_each(
    store: Store,
    name: str,
    var: str,
    keys: Sequence[Term],
    params: Mapping[str, object] | None = None,
    whole: Mapping[str, object] | None = None,
    many: int | None = None,
) -> list[Row]:
    """Run the named query once per key bound to `var` (other parameters: `params`); return
    all rows, key by key.

    A lookup first finds the few events or tenures an entity touches (a query whose bound
    term sits in one triple pattern), then asks for each one's details with the key bound.
    pyoxigraph's planner does not see a substituted term when it orders the patterns: asked
    in one query, the details of a person's 22 meetings took 0.8 s at 1M triples (evidence
    of every event was joined first); asked per event, 26 ms in all.

    With more than `many` keys (default MANY_KEYS), one query is cheaper than hundreds: it
    runs once with the `whole` parameters added (they must select the same rows the keys
    stand for, e.g. the entity whose events the keys are) and its rows are narrowed to the
    keys. A caller whose whole query would scan far more than its keys passes many=-1: per
    key always.
    """
    if 0 <= (MANY_KEYS if many is None else many) < len(keys):
        wanted = set(keys)
        everything = run(store, name, **(params or {}), **(whole or {}))
        return [r for r in everything if r.get(var) in wanted]
    rows: list[Row] = []
    for key in keys:
        rows += run(store, name, **{var: key}, **(params or {}))
    return rows


VALUES_KEYS = 200  # run_together binds at most this many keys a query


def run_together(
    store: Store,
    name: str,
    var: str,
    keys: Sequence[Term],
    params: Mapping[str, object] | None = None,
    per: int = VALUES_KEYS,
) -> list[Row]:
    """Run the named query for all keys at once, bound to `var` (a parameter left free when
    omitted, or the query's one `# values` variable) by a VALUES block, `per` keys a query;
    return all rows.

    What run_each asks per key, for a server: each query sent costs a server its planning
    (Virtuoso took 0.8 s a who-met event at 1M triples), so a page's keys go in one query
    whose patterns all hang from the bound key, which every engine joins from the VALUES.
    """
    query = load_query(name)
    free = var in query.params and query.params[var].default == FREE
    if not (free or query.values == (var,)):
        raise TypeError(f"{name}: {var} is neither a free parameter nor its values")
    bound = bindings(query, dict(params or {}))
    rows: list[Row] = []
    for at in range(0, len(keys), per):
        table = [[key] for key in keys[at : at + per]]
        rows += store.select(with_values(query.text, [var], table), bound)
    return rows


# ---------------------------------------------------------------------------- IRIs
_SPACE = (
    f"SELECT ?space WHERE {{ ?dataset <{PREFIXES['void']}uriSpace> ?space }} "
    "ORDER BY ?space LIMIT 1"
)


def id_space(store: Store) -> str:
    """The namespace of the graph's entity IRIs: the void:uriSpace its build recorded
    (`kg build --base-iri`), else kg's own (https://w3id.org/kg/id/)."""
    rows = store.select(_SPACE)
    space = rows[0]["space"] if rows else None
    return str(space.value) if space is not None else PREFIXES["id"]


def prefixes_of(store: Store) -> dict[str, str]:
    """kg's prefixes, `id:` being the store's id space (see id_space)."""
    return {**PREFIXES, "id": id_space(store)}


# ---------------------------------------------------------------------------- SERVICE
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_SERVICE = re.compile("service", re.IGNORECASE)


def unescape(query: str) -> str:
    """Return the query with its \\uXXXX and \\UXXXXXXXX escapes replaced, as a parser sees it.

    SPARQL replaces these escapes everywhere before parsing (SPARQL 1.1 §19.2), so
    `\\u0053ERVICE` is the keyword SERVICE. Replaced until nothing changes: an escape that
    spells another escape is undone too (stricter than one pass, never looser).
    """

    def one(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else match.group(0)

    while True:
        done = _CODEPOINT.sub(one, query)
        if done == query:
            return done
        query = done


def mentions_service(query: str) -> bool:
    """Tell whether the word SERVICE appears anywhere in the query, in any case or escape.

    Deliberately blunt: no attempt to tell the keyword from a string, IRI, comment or name
    that contains it, because any tokeniser of ours can disagree with the engine's (escaped
    IRIs, non-ASCII spaces, escaped local names). A literal that says "service" is refused
    too; that false positive is the price of never fetching another host.
    """
    return _SERVICE.search(unescape(query)) is not None
