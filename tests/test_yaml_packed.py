"""Facts files parsed a record at a time, packed (kg.facts.yamlload.Packed), give the same
values, and the same first problem at the same line, as parsing them whole."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from kg.diagnostics import FactsError
from kg.facts.check import check_facts
from kg.facts.schema import load_schema
from kg.facts.yamlload import (
    Packed,
    from_plain,
    load_facts,
    load_yaml,
    parse_yaml,
    plain_json,
    shell,
    to_plain,
)
from tests.conftest import MINI
from tests.test_robustness import MINI_TEXT, TOPICS, mutated_facts


def _outcome(text: str, pack: bool) -> Any:
    try:
        return ("doc", json.dumps(to_plain(parse_yaml(text, "f.yaml", pack))))
    except FactsError as exc:
        return ("error", [(d.file, d.line, d.message) for d in exc.diagnostics])


CASES = {
    "records": MINI_TEXT,
    "empty": "",
    "comment only": "# nothing\n",
    "a list at the top": "- a\n- b\n",
    "a scalar at the top": "just text\n",
    "a scalar under a kind": "people: nobody\n",
    "a record that is not a mapping": "people:\n  - just-a-name\n  - id: x\n",
    "duplicate key in a record": "people:\n  - id: a\n    name: A\n    name: B\n",
    "duplicate kind": "people: []\npeople: []\n",
    "a key that is a list": "people:\n  - id: a\n    [x]: 1\n",
    "a key that is a number": "people:\n  - id: a\n    1: one\n",
    "a python tag": "people:\n  - id: a\n    name: !!python/object:os.system x\n",
    "a bad binary": "people:\n  - id: a\n    name: !!binary '#'\n",
    "a duplicate then malformed": "people:\n  - id: a\n    id: b\n  - id: [\n",
    "a duplicate then another document": "people:\n  - {id: a, id: b}\n---\nx: 1\n",
    "two documents": "people: []\n---\nevents: []\n",
    "a tab": "people:\n\t- id: a\n",
    "an alias": "people:\n  - &a {id: a}\n  - *a\n",
    "nested lists": "events:\n  - id: e\n    sides: {state-1: [p-1, p-2]}\n    evidence: [1, 2]\n",
    "a date and a number": "people:\n  - {id: a, born: 1970-01-02, evidence: 12}\n",
    "a long value": "people:\n  - id: a\n    note: " + "x" * ((1 << 20) + 1) + "\n",
    "nulls": "people:\n  -\n  - id: ~\npeople2:\n",
}


@pytest.mark.parametrize("text", list(CASES.values()), ids=list(CASES))
def test_packed_parse_is_the_whole_parse(text: str) -> None:
    assert _outcome(text, True) == _outcome(text, False)


@settings(
    max_examples=300, deadline=2000, suppress_health_check=list(HealthCheck), derandomize=True
)
@given(text=mutated_facts())
def test_packed_parse_of_fuzzed_facts_is_the_whole_parse(text: str) -> None:
    assert _outcome(text, True) == _outcome(text, False)


def test_records_are_packed_with_their_id_and_lines() -> None:
    doc = parse_yaml("people:\n  - id: a\n    name: A\n  - name: B\n", "f.yaml", pack=True)
    first, second = doc["people"]
    assert isinstance(first, Packed) and dict(first) == {"id": "a"}
    assert first.line == 2 and first.lines == {"id": 2}
    whole = first.unpack()
    assert dict(whole) == {"id": "a", "name": "A"} and whole.lines == {"id": 2, "name": 3}
    assert dict(second) == {} and second.unpack() == {"name": "B"}
    kept = shell(whole)
    assert dict(kept) == {"id": "a"} and kept.lines == {"id": 2, "name": 3}


def test_the_cache_form_streamed_is_json_dumps_of_it() -> None:
    doc = parse_yaml(MINI_TEXT, "mini.yaml", pack=True)
    text = "".join(plain_json(doc))
    assert text == json.dumps(to_plain(doc))
    assert to_plain(from_plain(json.loads(text))) == to_plain(parse_yaml(MINI_TEXT, "mini.yaml"))


def _checked(facts: Path, load: Any, freeze: bool = False) -> Any:
    try:
        got = check_facts(facts, load_schema(), TOPICS, [MINI / "sources"], load, freeze=freeze)
    except FactsError as exc:
        return ("error", [(d.file, d.line, d.message, d.severity) for d in exc.diagnostics])
    whole = {rid: r.whole() for rid, r in got.records.items()}
    return (
        "checked",
        [(d.file, d.line, d.message) for d in got.warnings],
        {
            rid: (r.kind, r.file, r.line, repr(r.values), r.evidence, r.note, r.raw.lines)
            for rid, r in whole.items()
        },
    )


@settings(
    max_examples=150, deadline=4000, suppress_health_check=list(HealthCheck), derandomize=True
)
@given(text=mutated_facts())
def test_checking_packed_records_is_checking_them_whole(text: str) -> None:
    # The same problems (file:line, message, did-you-mean) or the same checked records.
    with tempfile.TemporaryDirectory() as tmp:
        facts = Path(tmp)
        (facts / "mini.yaml").write_text(text, encoding="utf-8")
        whole = _checked(facts, load_yaml)
        assert _checked(facts, load_facts) == whole
        # Frozen as a build freezes them, thawed as its conversion does: the same.
        assert _checked(facts, load_facts, freeze=True) == whole


def test_checking_the_mini_facts_packed_is_checking_them_whole(tmp_path: Path) -> None:
    (tmp_path / "mini.yaml").write_text(MINI_TEXT, encoding="utf-8")
    got = _checked(tmp_path, load_facts)
    assert got[0] == "checked" and len(got[2]) > 5
    assert got == _checked(tmp_path, load_yaml) == _checked(tmp_path, load_facts, freeze=True)


def test_a_frozen_record_keeps_what_other_checks_read(tmp_path: Path) -> None:
    (tmp_path / "mini.yaml").write_text(MINI_TEXT, encoding="utf-8")
    facts = check_facts(tmp_path, load_schema(), TOPICS, [MINI / "sources"], freeze=True)
    person = next(r for r in facts.records.values() if r.kind == "people")
    assert person.frozen is not None and set(person.values) <= {"name", "post"}
    assert person.evidence == [] and person.whole().evidence != []
    source = next(r for r in facts.records.values() if r.kind == "sources")
    assert source.raw["file"] == "mini.txt" and "file" in source.raw.lines
