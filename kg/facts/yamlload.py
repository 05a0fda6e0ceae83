"""Load YAML into plain values that remember the line each value came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kg.diagnostics import Diagnostic, FactsError


class LDict(dict[str, Any]):
    """A YAML mapping: a dict whose `line` is where it starts and `lines[key]` where each key is."""

    line: int
    lines: dict[str, int]


class LList(list[Any]):
    """A YAML sequence whose `line` is where it starts and `lines[i]` where each item is."""

    line: int
    lines: list[int]


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


def _convert(node: yaml.Node, rel: str, constructor: yaml.constructor.SafeConstructor) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = LDict()
        out.line, out.lines = line, {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, constructor) if isinstance(key_node, yaml.ScalarNode) else None
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise FactsError([Diagnostic(rel, key_line, "mapping keys must be plain words")])
            if key in out:
                raise FactsError(
                    [
                        Diagnostic(
                            rel, key_line, f"duplicate key '{key}' (first at line {out.lines[key]})"
                        )
                    ]
                )
            out[key] = _convert(value_node, rel, constructor)
            out.lines[key] = key_line
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


def load_yaml_bytes(data: bytes, rel: str) -> Any:
    """Parse the bytes of a YAML file read from `rel` (see load_yaml)."""
    try:
        # As a file read as text: any line ending ("\r\n", "\r") is a "\n".
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        raise FactsError([Diagnostic(rel, 0, f"not UTF-8 text ({exc.reason})")]) from None
    return parse_yaml(text, rel)


def to_plain(doc: Any) -> Any:
    """A loaded document as JSON values, its lines kept (from_plain reads it back).

    A mapping is {"m": [[key, line, value]…], "l": line}, a sequence {"s": [[value,
    line]…], "l": line}, a YAML binary {"b": base64}; numbers, text, booleans and null are
    themselves (JSON keeps floats exactly, infinities and NaN too).
    """
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


def parse_yaml(text: str, rel: str) -> Any:
    """Parse YAML text read from `rel`; raise FactsError with file:line when malformed."""
    try:
        # libyaml's parser when present (about 10x faster; it keeps line marks too).
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        _refuse_anchors(text, rel, loader)
        node = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        what = exc.problem or exc.context or "cannot be read"
        raise FactsError([Diagnostic(rel, line, f"malformed YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise FactsError([Diagnostic(rel, 0, f"malformed YAML: {exc}")]) from None
    if node is None:
        return None
    constructor = yaml.constructor.SafeConstructor()
    try:
        return _convert(node, rel, constructor)
    except yaml.MarkedYAMLError as exc:
        # e.g. a tag such as !!python/object: facts are plain data, nothing to construct
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        what = (exc.problem or exc.context or "cannot be read").strip()
        raise FactsError([Diagnostic(rel, line, f"unsupported YAML: {what}")]) from None
