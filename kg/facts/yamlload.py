"""Load YAML into plain values that remember the line each value came from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from kg.diagnostics import Diagnostic, FactsError


class LDict(dict[str, Any]):
    """A YAML mapping: a dict whose `line` is where it starts and `lines[key]` where each key is."""

    # Slots, not an instance dict: a build holds a mapping for each record (and a list
    # for each of their sequences), and a dict each cost 100-odd bytes more.
    __slots__ = ("line", "lines")
    line: int
    lines: dict[str, int]


class LList(list[Any]):
    """A YAML sequence whose `line` is where it starts and `lines[i]` where each item is."""

    __slots__ = ("line", "lines")
    line: int
    lines: list[int]


class Packed(LDict):
    """A record (a mapping in a list under a facts file's top-level key) kept packed until
    it is checked: it holds only the `id` and `file` keys (what reading the records and
    finding a source's text ask before the checks) with their lines; unpack() gives the
    whole mapping. A facts file's parsed records packed took a tenth of the memory of
    their LDicts (whole, they were most of a build's peak: 2.1 GiB at 5M triples)."""

    __slots__ = ("packed",)
    packed: bytes

    def unpack(self) -> LDict:
        """The whole mapping, as it was parsed."""
        import marshal

        doc = _untree(marshal.loads(self.packed))
        assert isinstance(doc, LDict)
        return doc


SHELL_KEYS = ("id", "file")  # what a Packed record keeps unpacked


def pack(item: LDict) -> Packed:
    """A parsed record packed (see Packed)."""
    import marshal

    out = Packed()
    out.line, out.lines = item.line, {}
    for key in SHELL_KEYS:
        if key in item:
            out[key], out.lines[key] = item[key], item.lines[key]
    out.packed = marshal.dumps(_tree(item))
    return out


# A packed record is _tree's form, marshalled: a mapping (line, keys, their lines, values),
# a sequence (line, lines, items), a scalar itself (YAML gives no tuples). Made and read by
# this process only, it is not checked as from_plain checks the cache's (that took twice
# the time).
def _tree(doc: Any) -> Any:
    if isinstance(doc, LDict):
        lines = doc.lines
        return (
            doc.line,
            tuple(doc),
            tuple([lines[k] for k in doc]),
            tuple(map(_tree, doc.values())),
        )
    if isinstance(doc, LList):
        return (doc.line, tuple(doc.lines), tuple(map(_tree, doc)))
    return doc


def _untree(data: Any) -> Any:
    if type(data) is not tuple:
        return data
    if len(data) == 4:
        line, keys, lines, values = data
        out = LDict(zip(keys, map(_untree, values), strict=True))
        out.line, out.lines = line, dict(zip(keys, lines, strict=True))
        return out
    line, lines, items = data
    seq = LList(map(_untree, items))
    seq.line, seq.lines = line, list(lines)
    return seq


def shell(item: LDict) -> LDict:
    """What is kept of a record once checked: where it and each of its fields start
    (Record.line_of) and its SHELL_KEYS (a source's `file`, read again by later checks)."""
    out = LDict()
    out.line, out.lines = item.line, item.lines
    for key in SHELL_KEYS:
        if key in item:
            out[key] = item[key]
    return out


MAX_SCALAR = 1 << 20  # characters in one value: a curated fact needs far fewer

# Scalars are kept as YAML 1.1 resolves them, except timestamps: a date must stay the text
# the analyst typed, so that its precision (year, month, day) is not lost.
_KEEP_AS_TEXT = {"tag:yaml.org,2002:timestamp"}


def _scalar(node: yaml.ScalarNode, constructor: yaml.constructor.SafeConstructor) -> Any:
    if len(node.value) > MAX_SCALAR:
        # pyoxigraph refuses a literal over 16 MiB (a MemoryError deep in the build)
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"a value of {len(node.value):,} characters (at most {MAX_SCALAR:,})",
            node.start_mark,
        )
    if node.tag in _KEEP_AS_TEXT or node.tag == "tag:yaml.org,2002:str":
        return node.value
    try:
        return constructor.construct_object(node)
    except ValueError as exc:
        # e.g. an integer of more digits than Python converts (4,300): one line, not a crash
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"cannot read the value {node.value[:20]}…: {exc}".split(";")[0],
            node.start_mark,
        ) from None


def _refuse_anchors(text: str, rel: str, loader: Any) -> None:
    """Raise FactsError at the first YAML anchor or alias (&name, *name) in text.

    Curated facts need neither, and an alias is how a few hundred bytes expand to
    gigabytes (the "billion laughs") or to a value that contains itself. Checked on the
    parser's events, before anything is composed or expanded.
    """
    if "&" not in text and "*" not in text:
        return  # neither can occur: no need to parse twice
    for event in yaml.parse(text, Loader=loader):
        anchor = getattr(event, "anchor", None)
        if anchor is not None:  # an alias event, or a node that declares an anchor
            what = "alias" if isinstance(event, yaml.AliasEvent) else "anchor"
            raise FactsError(
                [
                    Diagnostic(
                        rel,
                        event.start_mark.line + 1 if event.start_mark else 0,
                        f"YAML {what} '{anchor}' not allowed: facts write every value out "
                        "(no &anchors or *aliases)",
                    )
                ]
            )


def _key(
    key_node: yaml.Node, out: LDict, rel: str, constructor: yaml.constructor.SafeConstructor
) -> str:
    """The key of a mapping's entry, not yet in out (raise FactsError at its line)."""
    key = _scalar(key_node, constructor) if isinstance(key_node, yaml.ScalarNode) else None
    key_line = key_node.start_mark.line + 1
    return _new_key(key, key_line, out, rel)


def _new_key(key: Any, key_line: int, out: LDict, rel: str) -> str:
    """key, a plain word not yet in out (else raise FactsError at its line)."""
    if not isinstance(key, str):
        raise FactsError([Diagnostic(rel, key_line, "mapping keys must be plain words")])
    if key in out:
        raise FactsError(
            [Diagnostic(rel, key_line, f"duplicate key '{key}' (first at line {out.lines[key]})")]
        )
    return key


def _convert(node: yaml.Node, rel: str, constructor: yaml.constructor.SafeConstructor) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = LDict()
        out.line, out.lines = line, {}
        for key_node, value_node in node.value:
            key = _key(key_node, out, rel, constructor)
            out[key] = _convert(value_node, rel, constructor)
            out.lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LList()
        seq.line, seq.lines = line, []
        for item in node.value:
            seq.append(_convert(item, rel, constructor))
            seq.lines.append(item.start_mark.line + 1)
        return seq
    assert isinstance(node, yaml.ScalarNode)
    return _scalar(node, constructor)


def load_yaml(path: Path, rel: str) -> Any:
    """Parse one YAML file; raise FactsError with file:line for malformed YAML."""
    return load_yaml_bytes(path.read_bytes(), rel)


def load_facts(path: Path, rel: str) -> Any:
    """Parse one facts file, its records packed (see Packed; load_yaml otherwise)."""
    return load_yaml_bytes(path.read_bytes(), rel, pack=True)


def load_yaml_bytes(data: bytes, rel: str, pack: bool = False) -> Any:
    """Parse the bytes of a YAML file read from `rel` (see load_yaml; pack: parse_yaml)."""
    try:
        # As a file read as text: any line ending ("\r\n", "\r") is a "\n".
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        raise FactsError([Diagnostic(rel, 0, f"not UTF-8 text ({exc.reason})")]) from None
    return parse_yaml(text, rel, pack)


def to_plain(doc: Any) -> Any:
    """A loaded document as JSON values, its lines kept (from_plain reads it back).

    A mapping is {"m": [[key, line, value]…], "l": line}, a sequence {"s": [[value,
    line]…], "l": line}, a YAML binary {"b": base64}; numbers, text, booleans and null are
    themselves (JSON keeps floats exactly, infinities and NaN too).
    """
    if isinstance(doc, Packed):
        return to_plain(doc.unpack())
    if isinstance(doc, LDict):
        return {"m": [[k, doc.lines[k], to_plain(v)] for k, v in doc.items()], "l": doc.line}
    if isinstance(doc, LList):
        return {"s": [[to_plain(v), n] for v, n in zip(doc, doc.lines, strict=True)], "l": doc.line}
    if isinstance(doc, bytes):
        import base64

        return {"b": base64.b64encode(doc).decode("ascii")}
    if doc is None or isinstance(doc, (str, int, float)):
        return doc
    raise TypeError(f"a YAML value kg does not keep: {type(doc).__name__}")


def plain_json(doc: Any, depth: int = 2) -> Iterator[str]:
    """json.dumps(to_plain(doc)) in pieces, a record at a time (the top `depth` levels
    apart): the whole document as JSON values at once took as much memory as the parsed
    document itself."""
    import json

    if depth > 0 and isinstance(doc, LDict) and not isinstance(doc, Packed):
        yield '{"m": ['
        for i, (key, value) in enumerate(doc.items()):
            yield f"{', ' if i else ''}[{json.dumps(key)}, {doc.lines[key]}, "
            yield from plain_json(value, depth - 1)
            yield "]"
        yield f'], "l": {doc.line}}}'
    elif depth > 0 and isinstance(doc, LList):
        yield '{"s": ['
        for i, (value, line) in enumerate(zip(doc, doc.lines, strict=True)):
            yield "[" if i == 0 else ", ["
            yield from plain_json(value, depth - 1)
            yield f", {line}]"
        yield f'], "l": {doc.line}}}'
    else:
        yield json.dumps(to_plain(doc))


def from_plain(data: Any) -> Any:
    """The document to_plain wrote; raise ValueError (or TypeError) on anything else."""
    if isinstance(data, dict):
        if "m" in data:
            out = LDict()
            out.line, out.lines = _line(data["l"]), {}
            for key, line, value in data["m"]:
                if not isinstance(key, str) or key in out:
                    raise ValueError("not a document kg wrote")
                out[key] = from_plain(value)
                out.lines[key] = _line(line)
            return out
        if "s" in data:
            seq = LList()
            seq.line, seq.lines = _line(data["l"]), []
            for value, line in data["s"]:
                seq.append(from_plain(value))
                seq.lines.append(_line(line))
            return seq
        if "b" in data:
            import base64

            return base64.b64decode(data["b"], validate=True)
        raise ValueError("not a document kg wrote")
    if data is None or isinstance(data, (str, int, float)):
        return data
    raise ValueError("not a document kg wrote")


def _line(n: Any) -> int:
    if type(n) is not int or n < 0:
        raise ValueError("not a document kg wrote")
    return n


def parse_yaml(text: str, rel: str, pack: bool = False) -> Any:
    """Parse YAML text read from `rel`; raise FactsError with file:line when malformed.

    pack: a facts file, whose records (each mapping in a list under a top-level key) are
    composed and converted one at a time and kept packed (see Packed), so that neither
    the whole file's YAML nodes nor its records' LDicts are ever held at once. The same
    text gives the same values and the same first problem either way.
    """
    # libyaml's parser when present (about 10x faster; it keeps line marks too).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    constructor = yaml.constructor.SafeConstructor()
    unsupported: yaml.MarkedYAMLError | None = None
    try:
        _refuse_anchors(text, rel, loader)
        if not pack:
            node = yaml.compose(text, Loader=loader)
            if node is None:
                return None
            try:
                return _convert(node, rel, constructor)
            except yaml.MarkedYAMLError as exc:
                unsupported = exc
        else:
            doc, first = _stream(text, loader, rel)
            # The YAML is all read (a malformed part would have said so first, as when it
            # is composed whole): now what converting found wrong, if anything.
            if isinstance(first, FactsError):
                raise first
            if first is None:
                return doc
            unsupported = first
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        what = exc.problem or exc.context or "cannot be read"
        raise FactsError([Diagnostic(rel, line, f"malformed YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise FactsError([Diagnostic(rel, 0, f"malformed YAML: {exc}")]) from None
    # e.g. a tag such as !!python/object: facts are plain data, nothing to construct
    mark = unsupported.problem_mark or unsupported.context_mark
    line = mark.line + 1 if mark else 0
    what = (unsupported.problem or unsupported.context or "cannot be read").strip()
    raise FactsError([Diagnostic(rel, line, f"unsupported YAML: {what}")]) from None


Problem = FactsError | yaml.MarkedYAMLError | None  # the first a conversion raised


def _stream(text: str, loader: Any, rel: str) -> tuple[Any, Problem]:
    """The document (records packed) and the first problem converting it raised.

    What yaml.compose and _convert make of it, read from the parser's events a record at
    a time (libyaml's composer makes only whole documents), with the composer's check that
    the stream holds one document. After a problem the rest is only parsed: a malformed
    part, which composing the whole first would have reported, is still what is raised.
    """
    ld = loader(text)
    constructor = yaml.constructor.SafeConstructor()
    first: Problem = None
    doc: Any = None
    try:
        ld.get_event()  # the stream's start
        if not ld.check_event(yaml.StreamEndEvent):
            ld.get_event()  # the document's start
            root = ld.peek_event()
            try:
                if type(root) is yaml.MappingStartEvent:
                    doc = _top(ld, rel, constructor)
                else:
                    doc = _value(ld, ld.get_event(), rel, constructor)
                ld.get_event()  # the document's end
            except (FactsError, yaml.constructor.ConstructorError) as exc:
                first = exc
                while type(event := ld.get_event()) is not yaml.StreamEndEvent:
                    if type(event) is yaml.DocumentStartEvent:
                        _another(root, event)
                return doc, first
        if not ld.check_event(yaml.StreamEndEvent):
            _another(root, ld.get_event())  # the next document's start
        ld.get_event()
    finally:
        ld.dispose()
    return doc, first


def _another(root: Any, event: Any) -> None:
    """Raise the composer's error for a second document (event: its start)."""
    raise yaml.composer.ComposerError(
        "expected a single document in the stream",
        root.start_mark,
        "but found another document",
        event.start_mark,
    )


_STR = "tag:yaml.org,2002:str"


def _value(ld: Any, event: Any, rel: str, constructor: Any) -> Any:
    """What _convert makes of the node that starts with event (read from ld)."""
    kind = type(event)
    if kind is yaml.ScalarEvent:
        tag, value = event.tag, event.value
        if tag is None or tag == "!":
            tag = ld.resolve(yaml.ScalarNode, value, event.implicit)
        if (tag == _STR or tag in _KEEP_AS_TEXT) and len(value) <= MAX_SCALAR:
            return value
        node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, style=event.style)
        return _scalar(node, constructor)
    line = event.start_mark.line + 1
    if kind is yaml.SequenceStartEvent:
        seq = LList()
        seq.line, seq.lines = line, []
        while type(event := ld.get_event()) is not yaml.SequenceEndEvent:
            seq.append(_value(ld, event, rel, constructor))
            seq.lines.append(event.start_mark.line + 1)
        return seq
    if kind is yaml.MappingStartEvent:
        out = LDict()
        out.line, out.lines = line, {}
        while type(event := ld.get_event()) is not yaml.MappingEndEvent:
            key = _key_of(ld, event, out, rel, constructor)
            out[key] = _value(ld, ld.get_event(), rel, constructor)
            out.lines[key] = event.start_mark.line + 1
        return out
    # An alias: refused before (_refuse_anchors), as any anchor is.
    raise yaml.composer.ComposerError(None, None, "found an alias", event.start_mark)


def _key_of(ld: Any, event: Any, out: LDict, rel: str, constructor: Any) -> str:
    """_key of the key node that starts with event."""
    key = _value(ld, event, rel, constructor) if type(event) is yaml.ScalarEvent else None
    key_line = event.start_mark.line + 1
    return _new_key(key, key_line, out, rel)


def _top(ld: Any, rel: str, constructor: Any) -> LDict:
    """The top-level mapping, as _convert makes it, its records packed as they are read."""
    event: Any = ld.get_event()
    out = LDict()
    out.line, out.lines = event.start_mark.line + 1, {}
    while type(event := ld.get_event()) is not yaml.MappingEndEvent:
        key = _key_of(ld, event, out, rel, constructor)
        start: Any = ld.get_event()
        line = start.start_mark.line + 1
        if type(start) is yaml.SequenceStartEvent:
            value = LList()
            value.line, value.lines = line, []
            item: Any
            while type(item := ld.get_event()) is not yaml.SequenceEndEvent:
                got = _value(ld, item, rel, constructor)
                value.append(pack(got) if isinstance(got, LDict) else got)
                value.lines.append(item.start_mark.line + 1)
        else:
            value = _value(ld, start, rel, constructor)
        out[key] = value
        out.lines[key] = event.start_mark.line + 1
    return out
