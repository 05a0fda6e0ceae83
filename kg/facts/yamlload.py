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
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FactsError([Diagnostic(rel, 0, f"not UTF-8 text ({exc.reason})")]) from None
    return parse_yaml(text, rel)


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
