"""Value types: one small object per type of YAML value a record field may hold.

FollowTheMoney's `types` registry is the model. Each type checks a raw YAML value
(reporting `file:line` problems through the checker it is given) and turns a checked value
into RDF terms (through the converter it is given). The checker and the converter walk
ontology/records.yaml and hand each field to its type, so neither repeats the other's list
of cases, and a new type is one class here plus its name in the registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Generic, NamedTuple, Protocol, TypeVar

from kg.diagnostics import a
from kg.facts.dates import FuzzyDate, parse_date
from kg.facts.records import Citation, Quantity, Record, StatusChange
from kg.facts.yamlload import LDict, LList
from kg.fuzzy import did_you_mean
from kg.prefixes import PREFIXES


class Lit(NamedTuple):
    """A literal: its lexical form and what follows it in N-Triples ('' for a plain
    string, '@en' for a language, '^^<datatype IRI>'); kg.convert writes it escaped."""

    text: str
    suffix: str = ""


def lit(text: str, lang: str | None = None) -> Lit:
    """A plain string, or one tagged with a language."""
    return Lit(text, f"@{lang}" if lang else "")


def typed(lexical: str, datatype: str) -> Lit:
    """A literal of a datatype (an IRI), in the lexical form given: the canonical one, as
    stores keep it (kg.convert does not normalise)."""
    return Lit(lexical, f"^^<{datatype}>")


Term = str | Lit  # an IRI, or a literal
V = TypeVar("V")
XSD = PREFIXES["xsd"]
RDFS_LABEL = PREFIXES["rdfs"] + "label"


class CheckContext(Protocol):
    """What a type needs from the checker: somewhere to report, and the records read."""

    def err(self, file: str, line: int, msg: str, severity: str = "error") -> None: ...

    def kind_of(self, ref: str) -> str | None: ...

    def ids_of(self, kinds: Iterable[str]) -> list[str]: ...

    def singular(self, kind: str) -> str: ...

    def default_source(self, file: str) -> str | None: ...

    def source_lines(self, source_id: str) -> tuple[str, list[str] | None] | None: ...


class EmitContext(Protocol):
    """What a type needs from the converter: a triple sink, IRIs of ids, node origins."""

    def add(self, s: str, p: str, o: Term) -> None: ...

    def iri(self, ref: str) -> str: ...

    def expand(self, curie: str) -> str: ...

    def remember(self, node: str, rec: Record, line: int) -> None: ...

    def label(self, ref: str) -> str: ...


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record kind, as ontology/records.yaml declares it."""

    name: str
    type: str
    predicate: str | None = None
    required: bool = False
    to: tuple[str, ...] = ()
    values: dict[str, str] = field(default_factory=dict)
    lang: str | None = None
    bounds: bool = True  # whether its dates count towards the node's earliest/latest
    after: str | None = None  # a date field this one must not be before (end after start)
    same: str | None = None  # a field the referenced record must share (a successor's post)
    line: int = 0  # where records.yaml declares it

    @property
    def vtype(self) -> ValueType[Any]:
        """The value type that checks and converts this field."""
        return TYPES[self.type]


Field = FieldSpec


def _items(raw: object, line: int) -> list[tuple[object, int]]:
    """A value as (item, line) pairs: a YAML list item by item, anything else as one."""
    if isinstance(raw, LList):
        return list(zip(raw, raw.lines, strict=True))
    if isinstance(raw, list):
        return [(x, line) for x in raw]
    return [(raw, line)]


def number_literal(value: Decimal) -> Lit:
    """Return a whole number as xsd:integer, any other as a normalised xsd:decimal.

    Stores canonicalise numeric literals (pyoxigraph writes 350000.0 as "350000"), so we
    emit the canonical form ourselves and kg.ttl and the store hold identical terms.
    """
    if value == value.to_integral_value():
        return typed(str(int(value)), XSD + "integer")
    return typed(format(value.normalize(), "f"), XSD + "decimal")


class ValueType(Generic[V]):
    """A type of field value, whose checked values are V. Subclasses override `check` and
    `term` (or `emit`)."""

    name: ClassVar[str]
    many: ClassVar[bool] = False
    is_date: ClassVar[bool] = False  # its values count towards a node's day bounds
    needs_predicate: ClassVar[bool] = True

    def check(self, cx: CheckContext, rec: Record, f: Field, raw: object, line: int) -> V | None:
        """Return the checked value, or None after reporting what is wrong."""
        raise NotImplementedError

    def term(self, ex: EmitContext, f: Field, value: V) -> Term:
        """Return the RDF term of one checked value."""
        raise NotImplementedError

    def emit(self, ex: EmitContext, s: str, rec: Record, f: Field, value: V) -> None:
        """Add the triples saying that node `s` has this field's value."""
        assert f.predicate, f.name
        ex.add(s, ex.expand(f.predicate), self.term(ex, f, value))

    def dates(self, value: V) -> list[FuzzyDate]:
        """The dates a checked value holds (for a node's earliest/latest bounds)."""
        return []

    def shape(self, f: Field) -> dict[str, list[str]]:
        """SHACL constraints every value of this type meets (datatype or classes)."""
        return {}


class Many(ValueType[list[V]]):
    """A list of values of another type (a single value is taken as a list of one)."""

    many = True

    def __init__(self, name: str, one: ValueType[V]) -> None:
        self.one = one
        self.name = name  # type: ignore[misc]  # instances name themselves
        self.is_date = one.is_date  # type: ignore[misc]

    def check(
        self, cx: CheckContext, rec: Record, f: Field, raw: object, line: int
    ) -> list[V] | None:
        out = [self.one.check(cx, rec, f, x, ln) for x, ln in _items(raw, line)]
        return [x for x in out if x is not None]

    def emit(self, ex: EmitContext, s: str, rec: Record, f: Field, value: list[V]) -> None:
        for v in value:
            self.one.emit(ex, s, rec, f, v)

    def dates(self, value: list[V]) -> list[FuzzyDate]:
        return [d for v in value for d in self.one.dates(v)]

    def shape(self, f: Field) -> dict[str, list[str]]:
        return self.one.shape(f)


# Characters a text value may not hold: C0 controls (tab and line feed allowed in free text,
# not in names), surrogates, and Unicode noncharacters (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF),
# which XML 1.0 forbids or tools reject (rapper stops at U+FFFE). Checked at build, file:line.
_NONCHARACTERS = "\ud800-\udfff\ufdd0-\ufdef" + "".join(
    f"{chr(p + 0xFFFE)}{chr(p + 0xFFFF)}" for p in range(0, 0x110000, 0x10000)
)
_NOT_IN_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f{_NONCHARACTERS}]")
_NOT_IN_NAMES = re.compile(f"[\x00-\x1f{_NONCHARACTERS}]")
_NAME_PREDICATES = ("skos:prefLabel", "skos:altLabel")


def text_problem(text: str, name: bool = False) -> str | None:
    """Say what is wrong with a text value's characters ('has a control character (U+001B)
    at character 8: …'), or return None. name: a name, which may not hold tab or line feed."""
    bad = (_NOT_IN_NAMES if name else _NOT_IN_TEXT).search(text)
    if bad is None:
        return None
    what = "a control character" if bad.group() < "\x80" else "a noncharacter"
    allowed = "no control characters" if name else "of the controls, tab and line feed only"
    return (
        f"has {what} (U+{ord(bad.group()):04X}) at character {bad.start() + 1}: "
        f"{'names' if name else 'text'} may not hold one ({allowed}; "
        "they break terminals, XML exports and RDF tools)"
    )


class Text(ValueType[str]):
    """Free text, tagged with the field's language when it declares one (a name@en)."""

    name = "text"

    def check(self, cx: CheckContext, rec: Record, f: Field, raw: object, line: int) -> str | None:
        if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
            cx.err(rec.file, line, f"'{f.name}' must be text")
            return None
        text = str(raw).strip()
        if not text:
            cx.err(rec.file, line, f"'{f.name}' is empty")
            return None
        names = f.name in ("name", "aliases") or f.predicate in _NAME_PREDICATES
        problem = text_problem(text, names)
        if problem is not None:
            cx.err(rec.file, line, f"'{f.name}' {problem}")
            return None
        return text

    def term(self, ex: EmitContext, f: Field, value: str) -> Term:
        return lit(value, f.lang)


class Url(Text):
    """A web address (http or https), kept as the text typed."""

    name = "url"
    _SCHEME = re.compile(r"^https?://\S+$")

    def check(self, cx: CheckContext, rec: Record, f: Field, raw: object, line: int) -> str | None:
        text = super().check(cx, rec, f, raw, line)
        if text is not None and not self._SCHEME.match(text):
            cx.err(rec.file, line, f"'{f.name}' must be a web address (http:// or https://)")
            return None
        return text


def _number(cx: CheckContext, rec: Record, f: Field, raw: object, line: int) -> Decimal | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        cx.err(rec.file, line, f"'{f.name}' must be a number")
        return None
    try:
        return Decimal(str(raw).replace(",", "").replace("_", ""))
    except InvalidOperation:
        cx.err(rec.file, line, f"'{f.name}' must be a number, not {raw!r}")
        return None


class Decimal_(ValueType[Decimal]):
    """A number (thousands separators allowed: 350,000)."""

    name = "decimal"

    def check(
        self, cx: CheckContext, rec: Record, f: Field, raw: object, line: int
    ) -> Decimal | None:
        return _number(cx, rec, f, raw, line)

    def term(self, ex: EmitContext, f: Field, value: Decimal) -> Term:
        return number_literal(value)

    def shape(self, f: Field) -> dict[str, list[str]]:
        return {"datatypes": [XSD + "integer", XSD + "decimal"]}


class Count(ValueType[int]):
    """A whole number ≥ 1 (a rank, a count)."""

    name = "int"

    def check(self, cx: CheckContext, rec: Record, f: Field, raw: object, line: int) -> int | None:
        num = _number(cx, rec, f, raw, line)
        if num is None:
            return None
        if num != num.to_integral_value() or num < 1:
            cx.err(rec.file, line, f"'{f.name}' must be a whole number ≥ 1")
            return None
        return int(num)

    def term(self, ex: EmitContext, f: Field, value: int) -> Term:
        return typed(str(value), XSD + "integer")

    def shape(self, f: Field) -> dict[str, list[str]]:
        return {"datatypes": [XSD + "integer"]}


class Date(ValueType[FuzzyDate]):
    """A date to the precision the source gives: a year, a month or a day."""

    name = "date"
    is_date = True

    def check(
        self, cx: CheckContext, rec: Record, f: Field, raw: object, line: int
    ) -> FuzzyDate | None:
        try:
            return parse_date(raw)
        except ValueError as exc:
            cx.err(rec.file, line, f"'{f.name}': {exc}")
            return None

    def term(self, ex: EmitContext, f: Field, value: FuzzyDate) -> Term:
        return typed(value.text, XSD + value.xsd)

    def dates(self, value: FuzzyDate) -> list[FuzzyDate]:
        return [value]

    def shape(self, f: Field) -> dict[str, list[str]]:
        return {"datatypes": [XSD + "date", XSD + "gYearMonth", XSD + "gYear"]}


class Enum(ValueType[str]):
    """One of a closed list of words, each naming an IRI (a kind, a status)."""

    name = "enum"

    def check(self, cx: CheckContext, rec: Record, f: Field, raw: object, line: int) -> str | None:
        if not isinstance(raw, str) or raw not in f.values:
            cx.err(
                rec.file,
                line,
                f"'{f.name}' must be one of {', '.join(f.values)}, not {raw!r}"
                + (did_you_mean(str(raw), f.values) if isinstance(raw, str) else ""),
            )
            return None
        return raw

    def term(self, ex: EmitContext, f: Field, value: str) -> Term:
        return ex.expand(f.values[value])


class Reference(ValueType[str]):
    """The id of another record, of one of the kinds the field names in `to`."""

    name = "ref"

    def check(self, cx: CheckContext, rec: Record, f: Field, raw: object, line: int) -> str | None:
        if isinstance(raw, list):
            cx.err(rec.file, line, f"'{f.name}' takes one id, not a list")
            return None
        return check_ref(cx, rec, f.name, f.to, raw, line)

    def term(self, ex: EmitContext, f: Field, value: str) -> Term:
        return ex.iri(value)

    def shape(self, f: Field) -> dict[str, list[str]]:
        return {"kinds": list(f.to)}


class RefOrValue(ValueType[str]):
    """An id of a record of the kinds in `to`, or one of the words in `values` (each naming
    an IRI): who asserts a claim is a party, or `author`, or `unnamed`."""

    name = "ref_or_value"

    def check(self, cx: CheckContext, rec: Record, f: Field, raw: object, line: int) -> str | None:
        if isinstance(raw, str) and raw in f.values:
            return raw
        if isinstance(raw, str) and cx.kind_of(raw) is None:
            wanted = " or ".join([*(cx.singular(k) for k in f.to), *(f"'{v}'" for v in f.values)])
            cx.err(
                rec.file,
                line,
                f"'{f.name}' must be {wanted}, not {raw!r}"
                + did_you_mean(raw, [*cx.ids_of(f.to), *f.values]),
            )
            return None
        return check_ref(cx, rec, f.name, f.to, raw, line)

    def term(self, ex: EmitContext, f: Field, value: str) -> Term:
        return ex.expand(f.values[value]) if value in f.values else ex.iri(value)

    def shape(self, f: Field) -> dict[str, list[str]]:
        return {}  # a record of those kinds or one of the values' individuals


class References(Many[str]):
    """A list of ids (a single id is taken as a list of one)."""

    def __init__(self) -> None:
        super().__init__("refs", Reference())

    def check(
        self, cx: CheckContext, rec: Record, f: Field, raw: object, line: int
    ) -> list[str] | None:
        out = [check_ref(cx, rec, f.name, f.to, x, ln) for x, ln in _items(raw, line)]
        return [x for x in out if x is not None]


def check_ref(
    cx: CheckContext, rec: Record, name: str, to: tuple[str, ...], ref: object, line: int
) -> str | None:
    """Return `ref` if it names a record of one of the kinds `to`; else report and None."""
    if not isinstance(ref, str):
        cx.err(rec.file, line, f"'{name}' must name an id, not {ref!r}")
        return None
    kind = cx.kind_of(ref)
    if kind is not None and kind in to and ref != rec.id:
        return ref  # (the kinds' names below serve a message only: 180k refs at 1M triples)
    wanted = " or ".join(cx.singular(k) for k in to)
    if kind is None:
        cx.err(
            rec.file,
            line,
            f"unknown {wanted} '{ref}' in '{name}'" + did_you_mean(ref, cx.ids_of(to)),
        )
        return None
    if kind not in to:
        cx.err(rec.file, line, f"'{ref}' is {a(cx.singular(kind))}, but '{name}' takes {a(wanted)}")
        return None
    if ref == rec.id:
        cx.err(rec.file, line, f"'{name}' of '{rec.id}' refers to itself")
        return None
    return ref


SideList = list[tuple[str, list[str]]]


class Sides(ValueType[SideList]):
    """Who took part in an event, grouped by the state or authority each acted for.

    `{side-id: [actor ids]}` becomes one kg:Participation node per actor.
    """

    name = "sides"
    needs_predicate = False

    def check(
        self, cx: CheckContext, rec: Record, f: Field, raw: object, line: int
    ) -> SideList | None:
        if not isinstance(raw, LDict):
            cx.err(
                rec.file,
                line,
                f"'{f.name}' must map each side (a state or authority id) "
                "to the list of actors who acted for it",
            )
            return None
        out: list[tuple[str, list[str]]] = []
        seen: dict[str, str] = {}
        for side, actors in raw.items():
            side_line = raw.lines[side]
            side_id = check_ref(cx, rec, f.name, ("organizations",), side, side_line)
            refs = []
            for actor, aline in _items(actors, side_line):
                ref = check_ref(cx, rec, f.name, f.to, actor, aline)
                if ref is None:
                    continue
                if ref in seen:
                    cx.err(rec.file, aline, f"'{ref}' is on two sides ('{seen[ref]}' and '{side}')")
                    continue
                seen[ref] = str(side)
                refs.append(ref)
            if side_id is not None:
                out.append((side_id, refs))
        return out

    def emit(self, ex: EmitContext, s: str, rec: Record, f: Field, value: SideList) -> None:
        kg = PREFIXES["kg"]
        for side, actors in value:
            for actor in actors:
                part = f"{s}/participation/{actor}"
                ex.remember(part, rec, rec.line_of(f.name))
                ex.add(part, PREFIXES["rdf"] + "type", kg + "Participation")
                ex.add(part, kg + "actor", ex.iri(actor))
                ex.add(part, kg + "side", ex.iri(side))
                ex.add(s, kg + "participation", part)
                ex.add(s, kg + "participant", ex.iri(actor))


def _rdf(local: str) -> str:
    return PREFIXES["rdf"] + local


def _kg(local: str) -> str:
    return PREFIXES["kg"] + local


def _known_word(
    cx: CheckContext, rec: Record, f: Field, what: str, raw: object, line: int
) -> str | None:
    """Return `raw` if it is one of the field's `values`; else report and None."""
    if isinstance(raw, str) and raw in f.values:
        return raw
    cx.err(
        rec.file,
        line,
        f"{what} in '{f.name}' must be one of {', '.join(f.values)}, not {raw!r}"
        + (did_you_mean(raw, f.values) if isinstance(raw, str) else ""),
    )
    return None


RoleList = list[tuple[str, str]]  # (role, actor id), in the order written


class Roles(ValueType[RoleList]):
    """Who is party to an act, in which role: `{role: [actor ids]}`, the roles being the
    field's `values` (a plain list of ids gives each the role `party`).

    Every actor gets the field's predicate (kg:party: who the parties are, whatever their
    role) and one kg:PartyRole node below the record's IRI, like a participation, with its
    kg:actor and each of its roles (kg:role, a concept of the roles vocabulary).
    """

    name = "roles"
    many = True
    PLAIN = "party"  # the role of each id of a plain list

    def check(
        self, cx: CheckContext, rec: Record, f: Field, raw: object, line: int
    ) -> RoleList | None:
        if isinstance(raw, LDict):
            groups = [(role, raw[role], raw.lines[role]) for role in raw]
        elif isinstance(raw, (str, list)):
            groups = [(self.PLAIN, raw, line)]
        else:
            cx.err(
                rec.file,
                line,
                f"'{f.name}' must map each role ({', '.join(f.values)}) to the ids in it, "
                "or list ids",
            )
            return None
        out: RoleList = []
        for role, actors, rline in groups:
            known = _known_word(cx, rec, f, "a role", role, rline)
            for actor, aline in _items(actors, rline):
                ref = check_ref(cx, rec, f.name, f.to, actor, aline)
                if ref is None or known is None:
                    continue
                if (known, ref) in out:
                    cx.err(rec.file, aline, f"'{ref}' is listed twice as {known} in '{f.name}'")
                    continue
                out.append((known, ref))
        return out

    def emit(self, ex: EmitContext, s: str, rec: Record, f: Field, value: RoleList) -> None:
        assert f.predicate, f.name
        roles: dict[str, list[str]] = {}
        for role, actor in value:
            roles.setdefault(actor, []).append(role)
        for actor, held in roles.items():
            node = f"{s}/party/{actor}"
            ex.remember(node, rec, rec.line_of(f.name))
            ex.add(node, _rdf("type"), _kg("PartyRole"))
            ex.add(node, _kg("actor"), ex.iri(actor))
            for role in held:
                ex.add(node, _kg("role"), ex.expand(f.values[role]))
            # A label for cards that list the record's statements (not a name to look up).
            ex.add(node, RDFS_LABEL, lit(f"{ex.label(actor)} ({', '.join(held)})", "en"))
            ex.add(s, _kg("partyRole"), node)
            ex.add(s, ex.expand(f.predicate), ex.iri(actor))

    def shape(self, f: Field) -> dict[str, list[str]]:
        return {"kinds": list(f.to)}


class History(ValueType[list[StatusChange]]):
    """An act's life, as dated status changes in date order:
    `[{status: S, date: D, evidence: N, at: EVENT-ID, by: [actor ids], note: TEXT}]`.

    The statuses are the field's `values`; `by` takes ids of the kinds in `to`, `at` an
    event. Each change becomes a kg:StatusChange node (`{record}/history/N`) with its
    status, date and day bounds, event, actors (kg:actor) and evidence; the record's own
    kg:status and kg:date are those of its latest change (the last in the list).
    """

    name = "history"
    many = True
    is_date = True
    _PARTS = ("status", "date", "evidence", "at", "by", "note")
    _NEEDED = ("status", "date", "evidence")
    _EVENTS = ("events",)  # the kinds `at` refers to

    def check(
        self, cx: CheckContext, rec: Record, f: Field, raw: object, line: int
    ) -> list[StatusChange] | None:
        out: list[StatusChange] = []
        for item, iline in _items(raw, line):
            change = self._one(cx, rec, f, item, iline)
            if change is None:
                continue
            if out and change.date.earliest < out[-1].date.earliest:
                cx.err(
                    rec.file,
                    iline,
                    f"'{f.name}' is in date order: {change.status} {change.date.text} is "
                    f"listed after {out[-1].status} {out[-1].date.text}",
                )
                continue
            out.append(change)
        return out

    def _one(
        self, cx: CheckContext, rec: Record, f: Field, item: object, line: int
    ) -> StatusChange | None:
        if not isinstance(item, LDict) or any(k not in item for k in self._NEEDED):
            cx.err(
                rec.file,
                line,
                "a status change needs 'status', 'date' and 'evidence' "
                "(and optionally 'at': an event, 'by': actors, 'note')",
            )
            return None
        for extra in sorted(set(item) - set(self._PARTS)):
            cx.err(
                rec.file,
                item.lines[extra],
                f"unknown field '{extra}' in a status change" + did_you_mean(extra, self._PARTS),
            )
        where = item.lines
        status = _known_word(cx, rec, f, "a status", item["status"], where["status"])
        try:
            date = parse_date(item["date"])
        except ValueError as exc:
            cx.err(rec.file, where["date"], f"'date' in '{f.name}': {exc}")
            return None
        cites = CITATIONS.check(cx, rec, f, item["evidence"], where["evidence"]) or []
        at = None
        if item.get("at") is not None:
            at = check_ref(cx, rec, f.name, self._EVENTS, item["at"], where["at"])
        by = [
            ref
            for x, ln in _items(item.get("by") or [], where.get("by", line))
            if (ref := check_ref(cx, rec, f.name, f.to, x, ln)) is not None
        ]
        note = item.get("note")
        if note is not None and (problem := text_problem(str(note))) is not None:
            cx.err(rec.file, where.get("note", line), f"'note' {problem}")
            return None
        if status is None or not cites:
            return None
        return StatusChange(
            status,
            date,
            tuple(cites),
            at,
            tuple(by),
            None if note is None else str(note).strip(),
            line,
        )

    def emit(
        self, ex: EmitContext, s: str, rec: Record, f: Field, value: list[StatusChange]
    ) -> None:
        assert f.predicate, f.name
        xsd_date = XSD + "date"
        for i, change in enumerate(value, start=1):
            node = f"{s}/history/{i}"
            ex.remember(node, rec, change.line)
            status = ex.expand(f.values[change.status])
            day = typed(change.date.text, XSD + change.date.xsd)
            ex.add(node, _rdf("type"), _kg("StatusChange"))
            ex.add(node, _kg("status"), status)
            ex.add(node, _kg("date"), day)
            ex.add(node, _kg("earliest"), typed(change.date.earliest.isoformat(), xsd_date))
            ex.add(node, _kg("latest"), typed(change.date.latest.isoformat(), xsd_date))
            if change.at:
                ex.add(node, _kg("atEvent"), ex.iri(change.at))
            for actor in change.by:
                ex.add(node, _kg("actor"), ex.iri(actor))
            if change.note:
                ex.add(node, PREFIXES["skos"] + "note", lit(change.note, "en"))
            label = f"{ex.label(rec.id)}: {change.status} {change.date.text}"
            ex.add(node, RDFS_LABEL, lit(label, "en"))
            CITATIONS.emit(ex, node, rec, f, list(change.evidence))
            ex.add(s, ex.expand(f.predicate), node)
        if value:
            # The record's current status is its latest change's (the list is in date order).
            latest = value[-1]
            ex.add(s, _kg("status"), ex.expand(f.values[latest.status]))
            ex.add(
                s, _kg("date"), typed(latest.date.text, XSD + latest.date.xsd)
            )

    def dates(self, value: list[StatusChange]) -> list[FuzzyDate]:
        return [c.date for c in value]


class Quantities(ValueType[list[Quantity]]):
    """Amounts with units: `[{amount: N, unit: TEXT, of: TEXT}]` -> schema:QuantitativeValue."""

    name = "quantities"
    needs_predicate = False
    _PARTS = ("amount", "unit", "of")

    def check(
        self, cx: CheckContext, rec: Record, f: Field, raw: object, line: int
    ) -> list[Quantity] | None:
        out = []
        amount_field = FieldSpec("amount", "decimal")
        for item, iline in _items(raw, line):
            if not isinstance(item, LDict) or "amount" not in item:
                cx.err(rec.file, iline, "a quantity needs 'amount' (and optionally 'unit', 'of')")
                continue
            for extra in sorted(set(item) - set(self._PARTS)):
                cx.err(
                    rec.file,
                    item.lines[extra],
                    f"unknown field '{extra}' in a quantity" + did_you_mean(extra, self._PARTS),
                )
            where = item.lines.get("amount", iline)
            amount = _number(cx, rec, amount_field, item["amount"], where)
            unit, of = item.get("unit"), item.get("of")
            if amount is not None:
                out.append(
                    Quantity(
                        amount, None if unit is None else str(unit), None if of is None else str(of)
                    )
                )
        return out

    def emit(
        self, ex: EmitContext, s: str, rec: Record, f: Field, value: list[Quantity]
    ) -> None:
        schema, kg = PREFIXES["schema"], PREFIXES["kg"]
        for i, q in enumerate(value, start=1):
            node = f"{s}/quantity/{i}"
            ex.add(node, PREFIXES["rdf"] + "type", schema + "QuantitativeValue")
            ex.add(node, schema + "value", number_literal(q.amount))
            if q.unit:
                ex.add(node, schema + "unitText", lit(q.unit))
            if q.of:
                ex.add(node, schema + "description", lit(q.of, "en"))
            ex.add(s, kg + "quantity", node)


class Citations(ValueType[list[Citation]]):
    """Source lines: `19`, `[19, 22]` or `[{source: ID, line: N, note: ...}]`.

    A bare line number cites the file's `source:`; each line is checked against the
    source text when it can be found (past the end, or blank, is an error).
    """

    name = "citations"
    many = True
    needs_predicate = False
    _PARTS = ("source", "line", "note")

    def check(
        self, cx: CheckContext, rec: Record, f: Field, raw: object, line: int
    ) -> list[Citation] | None:
        out: list[Citation] = []
        for item, iline in _items(raw, line):
            cite = self._one(cx, rec, item, iline)
            if cite is not None and cite not in out:
                out.append(cite)
        return out

    def _one(self, cx: CheckContext, rec: Record, item: object, line: int) -> Citation | None:
        note = None
        if isinstance(item, LDict):
            for extra in sorted(set(item) - set(self._PARTS)):
                cx.err(
                    rec.file,
                    item.lines[extra],
                    f"unknown field '{extra}' in evidence" + did_you_mean(extra, self._PARTS),
                )
            source, number, note = item.get("source"), item.get("line"), item.get("note")
            source = source if source is not None else cx.default_source(rec.file)
        else:
            source, number = cx.default_source(rec.file), item
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            cx.err(rec.file, line, f"evidence line must be a line number ≥ 1, not {number!r}")
            return None
        if source is None:
            cx.err(
                rec.file,
                line,
                "evidence names no source: add 'source: ID' at the top of "
                "the file or to the citation",
            )
            return None
        found = cx.source_lines(str(source))
        if found is None:
            cx.err(
                rec.file,
                line,
                f"unknown source '{source}'" + did_you_mean(str(source), cx.ids_of(["sources"])),
            )
            return None
        fname, text = found
        if text is not None:
            if number > len(text):
                cx.err(
                    rec.file,
                    line,
                    f"evidence line {number} is past the end of {fname} ({len(text)} lines)",
                )
                return None
            if not text[number - 1].strip():
                cx.err(rec.file, line, f"evidence line {number} of {fname} is blank")
                return None
        if note is not None and (problem := text_problem(str(note))) is not None:
            cx.err(rec.file, line, f"'note' {problem}")
            return None
        return Citation(str(source), number, str(note).strip() if note is not None else None)

    def emit(
        self, ex: EmitContext, s: str, rec: Record, f: Field, value: list[Citation]
    ) -> None:
        kg = PREFIXES["kg"]
        integer = XSD + "integer"
        for order, cite in enumerate(value, start=1):
            node = f"{s}/evidence/{cite.source}/{cite.line}"
            # The first citation the facts give is the primary one: the line that states
            # the fact, which lookups show first.
            ex.add(node, kg + "citationOrder", typed(str(order), integer))
            ex.remember(node, rec, rec.line_of(f.name))
            src = ex.iri(cite.source)
            ex.add(node, PREFIXES["rdf"] + "type", kg + "Citation")
            ex.add(node, kg + "citedSource", src)
            ex.add(node, kg + "line", typed(str(cite.line), integer))
            if cite.note:
                ex.add(
                    node,
                    PREFIXES["skos"] + "note",
                    lit(cite.note, "en"),
                )
            ex.add(s, kg + "evidence", node)
            ex.add(s, PREFIXES["prov"] + "wasDerivedFrom", src)


CITATIONS = Citations()  # the type of the `evidence` field every record has

TYPES: dict[str, ValueType[Any]] = {
    t.name: t
    for t in (
        Text(),
        Many("texts", Text()),
        Url(),
        Count(),
        Decimal_(),
        Date(),
        Many("dates", Date()),
        Enum(),
        Reference(),
        References(),
        RefOrValue(),
        Sides(),
        Roles(),
        History(),
        Quantities(),
        CITATIONS,
    )
}
