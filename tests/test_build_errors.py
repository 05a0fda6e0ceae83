"""Every problem `kg build` reports, each triggered by a small bad fixture.

Each case edits the minimal dataset (tests/fixtures/mini) in one place and checks that the
build fails with exit code 1, names the file and line to edit, says what is wrong, prints
no traceback, and leaves the previous build untouched.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BuildRunner

F = "mini.yaml"
# An arrangement with one party breaks the rule of ontology/shapes.ttl's AgreementPartiesShape.
TWO_PARTIES = (
    "an agreement has at least two parties (only a pledge, proposal or offer may have one)"
)

# (case id, text to replace, replacement, expected message)
CASES = [
    (
        "unknown reference with suggestion",
        "      taliban: [amir-khan-muttaqi]",
        "      taliban: [mutaqi]",
        f"{F}:46: unknown person or organization or post 'mutaqi' in 'sides' "
        "(did you mean 'amir-khan-muttaqi'?)",
    ),
    (
        "reference to the wrong kind",
        "    holder: amir-khan-muttaqi",
        "    holder: taliban",
        f"{F}:35: 'taliban' is an organization, but 'holder' takes a person",
    ),
    (
        "reference to itself",
        "    type: state\n    name: Iran\n",
        "    type: state\n    name: Iran\n    part_of: iran\n",
        f"{F}:25: 'part_of' of 'iran' refers to itself",
    ),
    (
        "unknown topic with suggestion",
        "    topics: [trade-and-transit]",
        "    topics: [trade-and-transport]",
        f"{F}:48: unknown topic 'trade-and-transport' in 'topics' "
        "(did you mean 'trade-and-transit'?)",
    ),
    (
        "bad date format",
        "    date: 2022-07-16",
        "    date: 16/07/2022",
        f"{F}:44: 'date': bad date '16/07/2022': use YYYY, YYYY-MM or YYYY-MM-DD",
    ),
    (
        "impossible date",
        "    date: 2022-07-16",
        "    date: 2022-02-30",
        f"{F}:44: 'date': impossible date '2022-02-30': use YYYY, YYYY-MM or YYYY-MM-DD",
    ),
    (
        "missing evidence",
        "    name: Bahadur Aminian\n    evidence: 1\n",
        "    name: Bahadur Aminian\n",
        f"{F}:13: person 'bahadur-aminian' has no evidence: cite the source line(s)",
    ),
    (
        "duplicate id",
        "  - id: bahadur-aminian",
        "  - id: amir-khan-muttaqi",
        f"{F}:13: duplicate id 'amir-khan-muttaqi' (first defined at {F}:10)",
    ),
    (
        "malformed YAML",
        "    name: A deal\n",
        "    name: [A deal\n",
        f"{F}:54: malformed YAML:",
    ),
    (
        "duplicate key",
        "    name: Taliban\n",
        "    name: Taliban\n    name: Taleban\n",
        f"{F}:21: duplicate key 'name' (first at line 20)",
    ),
    (
        "unknown field with suggestion",
        "    organization: taliban",
        "    organisation: taliban",
        f"{F}:30: unknown field 'organisation' for a post (did you mean 'organization'?)",
    ),
    (
        "missing required field",
        "    organization: taliban\n",
        "",
        f"{F}:28: post 'foreign-minister' has no 'organization'",
    ),
    (
        "unknown kind",
        "people:",
        "peple:",
        f"{F}:9: unknown kind 'peple' (did you mean 'people'?)",
    ),
    (
        "evidence past the end of the source",
        "    evidence: [2, 4]",
        "    evidence: [2, 40]",
        f"{F}:58: evidence line 40 is past the end of mini.txt (4 lines)",
    ),
    (
        "evidence on a blank line",
        "    evidence: [2, 4]",
        "    evidence: [2, 3]",
        f"{F}:58: evidence line 3 of mini.txt is blank",
    ),
    (
        "evidence that is not a line number",
        "    evidence: [2, 4]",
        "    evidence: [2, line four]",
        f"{F}:58: evidence line must be a line number ≥ 1, not 'line four'",
    ),
    (
        "unknown source",
        "source: mini\n",
        "source: mimi\n",
        f"{F}:12: unknown source 'mimi' (did you mean 'mini'?)",
    ),
    (
        "bad enum value",
        "    kind: arrangement",
        "    kind: arangement",
        f"{F}:54: 'kind' must be one of treaty, contract, security-deal, arrangement, pledge, "
        "proposal, offer, not 'arangement' (did you mean 'arrangement'?)",
    ),
    (
        "bad status in a history",
        "{status: agreed,",
        "{status: agred,",
        f"{F}:55: a status in 'history' must be one of proposed, offered, pledged, discussed, "
        "agreed, signed, reaffirmed, implemented, not 'agred' (did you mean 'agreed'?)",
    ),
    (
        "bad id",
        "  - id: deal",
        "  - id: Big Deal",
        f"{F}:52: bad id 'Big Deal': use lower-case words joined by hyphens",
    ),
    (
        "record without id",
        "  - id: deal\n",
        "  - title: deal\n",
        f"{F}:52: record has no 'id'",
    ),
    (
        "end before start",
        "    attested: [2022-07-16]",
        "    start: 2022-07\n    end: 2021",
        f"{F}:38: end 2021 is before start 2022-07",
    ),
    (
        "actor on two sides",
        "      iran: [bahadur-aminian]",
        "      iran: [bahadur-aminian, amir-khan-muttaqi]",
        f"{F}:47: 'amir-khan-muttaqi' is on two sides ('taliban' and 'iran')",
    ),
    (
        "quantity without an amount",
        "    quantities: [{amount: 10, unit: tons, of: oil}]",
        "    quantities: [{unit: tons, of: oil}]",
        f"{F}:57: a quantity needs 'amount'",
    ),
    (
        "number that is not a number",
        "    quantities: [{amount: 10, unit: tons, of: oil}]",
        "    quantities: [{amount: ten, unit: tons, of: oil}]",
        f"{F}:57: 'amount' must be a number, not 'ten'",
    ),
    (
        "a list where one id is expected",
        "    holder: amir-khan-muttaqi",
        "    holder: [amir-khan-muttaqi, bahadur-aminian]",
        f"{F}:35: 'holder' takes one id, not a list",
    ),
    (
        "kinds must be lists",
        "posts:\n",
        "posts: foreign-minister\nposts_unused:\n",
        f"{F}:27: 'posts' must be a list of records",
    ),
    (
        "SHACL violation traced to its record",
        "    parties: [taliban, iran]",
        "    parties: [taliban]",
        f"{F}:52: deal: {TWO_PARTIES}",
    ),
    (
        "SHACL: a meeting needs two participants",
        "      iran: [bahadur-aminian]\n",
        "",
        f"{F}:41: meeting: a meeting has at least two participants [participant]",
    ),
]


def _edit(facts: Path, old: str, new: str) -> None:
    path = facts / F
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_cases_are_listed() -> None:
    assert len(CASES) >= 20, len(CASES)


def test_mini_fixture_builds(build_mini: BuildRunner, mini: Path) -> None:
    result = build_mini()
    assert result.exit_code == 0, result.output
    assert "Meeting" in result.output and "0 warning(s)" in result.output, result.output
    assert (mini / "build" / "kg.ttl").is_file()


@pytest.mark.parametrize(
    ("old", "new", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_error_is_reported_at_its_line(
    build_mini: BuildRunner, mini: Path, old: str, new: str, expected: str
) -> None:
    first = build_mini()
    assert first.exit_code == 0, first.output
    ttl = mini / "build" / "kg.ttl"
    before = ttl.read_bytes()
    store_before = (mini / "build" / "store").resolve()

    _edit(mini / "facts", old, new)
    result = build_mini()

    assert result.exit_code == 1, result.output
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "build failed:" in result.stderr and "left as it was" in result.stderr
    # The previous outputs are exactly as they were.
    assert ttl.read_bytes() == before
    assert (mini / "build" / "store").resolve() == store_before
    assert store_before.is_dir()


@pytest.mark.parametrize("validator", ["pyshacl", "sparql"])
def test_shape_violations_are_traced_by_both_validators(mini: Path, validator: str) -> None:
    from kg.build import build
    from kg.diagnostics import FactsError

    _edit(mini / "facts", "    parties: [taliban, iran]", "    parties: [taliban]")
    with pytest.raises(FactsError) as caught:
        build(mini / "facts", mini / "build", [mini / "sources"], validator=validator)
    shown = [str(d) for d in caught.value.diagnostics]
    assert f"{F}:52: deal: {TWO_PARTIES}" in shown, shown


def test_every_problem_is_reported_not_just_the_first(build_mini: BuildRunner, mini: Path) -> None:
    _edit(mini / "facts", "    date: 2022-07-16", "    date: 2022-13")
    _edit(mini / "facts", "    holder: amir-khan-muttaqi", "    holder: muttaki")
    _edit(mini / "facts", "    organization: taliban", "    organization: talibaan")
    result = build_mini()
    assert result.exit_code == 1
    assert f"{F}:30: unknown organization 'talibaan'" in result.stderr, result.stderr
    assert f"{F}:35: unknown person 'muttaki'" in result.stderr, result.stderr
    assert f"{F}:44: 'date': impossible date '2022-13'" in result.stderr, result.stderr
    assert "3 error(s)" in result.stderr


def test_top_level_must_be_a_mapping(build_mini: BuildRunner, mini: Path) -> None:
    (mini / "facts" / "extra.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    result = build_mini()
    assert result.exit_code == 1
    assert "extra.yaml:1: a facts file must be a mapping of kinds to lists of records" in (
        result.stderr
    ), result.stderr


def test_record_must_be_a_mapping(build_mini: BuildRunner, mini: Path) -> None:
    (mini / "facts" / "extra.yaml").write_text("places:\n  - tehran\n", encoding="utf-8")
    result = build_mini()
    assert result.exit_code == 1
    assert "extra.yaml:2: a place record must be a mapping of fields" in result.stderr


def test_not_utf8(build_mini: BuildRunner, mini: Path) -> None:
    (mini / "facts" / "extra.yaml").write_bytes(b"places:\n  - id: caf\xe9\n")
    result = build_mini()
    assert result.exit_code == 1
    assert "extra.yaml: not UTF-8 text" in result.stderr, result.stderr


def test_empty_file_is_a_warning(build_mini: BuildRunner, mini: Path) -> None:
    (mini / "facts" / "empty.yaml").write_text("# nothing yet\n", encoding="utf-8")
    result = build_mini()
    assert result.exit_code == 0, result.output
    assert "empty.yaml: warning: file is empty" in result.stderr
    assert "1 warning(s)" in result.output


def test_missing_source_text_is_a_warning(mini: Path) -> None:
    from click.testing import CliRunner

    from kg.cli import main

    out = mini / "build"
    result = CliRunner().invoke(
        main,
        ["build", "--facts", str(mini / "facts"), "--out", str(out), "--sources", str(mini)],
    )
    assert result.exit_code == 0, result.output
    assert f"{F}:7: warning: source file mini.txt not found in {mini}" in result.stderr, (
        result.stderr
    )


def test_missing_facts_folder(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kg.cli import main

    result = CliRunner().invoke(
        main, ["build", "--facts", str(tmp_path / "nope"), "--out", str(tmp_path / "b")]
    )
    assert result.exit_code == 1
    assert "nope: facts folder not found" in result.stderr


def test_empty_facts_folder(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kg.cli import main

    (tmp_path / "facts").mkdir()
    result = CliRunner().invoke(
        main, ["build", "--facts", str(tmp_path / "facts"), "--out", str(tmp_path / "b")]
    )
    assert result.exit_code == 1
    assert "no .yaml files in the facts folder" in result.stderr


def test_usage_error_exits_2(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kg.cli import main

    result = CliRunner().invoke(main, ["build", "--no-such-option"])
    assert result.exit_code == 2
    assert "No such option '--no-such-option'" in result.output


def test_yaml_tags_are_refused(build_mini: BuildRunner, mini: Path) -> None:
    # Found by the fuzzer: a python tag used to escape as a traceback.
    _edit(mini / "facts", "source: mini\n", "source: !!python/object:os.system\n")
    result = build_mini()
    assert result.exit_code == 1
    assert f"{F}:2: unsupported YAML: could not determine a constructor for the tag" in (
        result.stderr
    ), result.stderr
    assert "Traceback" not in result.output


def test_long_error_lists_are_capped_and_counted(build_mini: BuildRunner, mini: Path) -> None:
    bad = "".join(f"  - id: p{i}\n    name: P {i}\n" for i in range(30))  # no evidence
    (mini / "facts" / "many.yaml").write_text("people:\n" + bad, encoding="utf-8")
    result = build_mini("--max-errors", "5")
    assert result.exit_code == 1
    listed = [ln for ln in result.stderr.splitlines() if ln.startswith("many.yaml:")]
    assert len(listed) == 5
    assert "… and 25 more problem(s) not listed (--max-errors 0 lists all)" in result.stderr
    assert "build failed: 30 error(s)" in result.stderr
    every = build_mini("--max-errors", "0")
    assert len([ln for ln in every.stderr.splitlines() if ln.startswith("many.yaml:")]) == 30


def _laughs(levels: int = 9) -> str:
    """The "billion laughs": each level an anchor of nine aliases of the one before."""
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        (_laughs(), 1, "anchor 'lol0'"),  # 9**9 strings once expanded: gigabytes
        ("people: &me [*me]\n", 1, "anchor 'me'"),  # a list that contains itself
        ("source: mini\npeople:\n  - id: a\n    name: *nobody\n", 4, "alias 'nobody'"),
        ("source: mini\npeople:\n  - &p\n    id: a\n    name: A\n    evidence: 1\n", 3, "anchor"),
    ],
    ids=["billion-laughs", "recursive", "alias", "anchor"],
)
def test_yaml_anchors_and_aliases_are_refused(
    build_mini: BuildRunner, mini: Path, text: str, line: int, what: str
) -> None:
    import time

    (mini / "facts" / "extra.yaml").write_text(text, encoding="utf-8")
    start = time.monotonic()
    result = build_mini()
    assert time.monotonic() - start < 30
    assert result.exit_code == 1, result.output
    assert f"extra.yaml:{line}: YAML {what}" in result.stderr, result.stderr
    assert "not allowed" in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert not (mini / "build" / "kg.ttl").exists()


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("/etc/passwd", "must be a plain relative path inside the sources folder"),
        ("../../../../../../etc/passwd", "must be a plain relative path"),
        ("sub/../../mini/facts/mini.yaml", "must be a plain relative path"),
        ("..\\\\facts\\\\mini.yaml", "must be a plain relative path"),
        ("outside.txt", "leads outside the sources folder"),  # a link out of the folder
        ("binary.txt", "is not UTF-8 text"),
    ],
    ids=["absolute", "dotdot", "inner-dotdot", "backslash", "symlink-out", "binary"],
)
def test_source_files_stay_inside_the_sources_folder(
    build_mini: BuildRunner, mini: Path, file: str, expected: str
) -> None:
    (mini / "secret.txt").write_text("root:x:0:0\n" * 5, encoding="utf-8")
    (mini / "sources" / "outside.txt").symlink_to(mini / "secret.txt")
    (mini / "sources" / "binary.txt").write_bytes(b"\xff\xfe\x00\x00binary\n" * 5)
    _edit(mini / "facts", "    file: mini.txt", f'    file: "{file}"')
    result = build_mini()
    assert result.exit_code == 1, result.output
    assert f"{F}:7: source file" in result.stderr and expected in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert not (mini / "build" / "kg.ttl").exists()
