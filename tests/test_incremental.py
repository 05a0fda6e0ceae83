"""Builds that skip work: a build whose inputs are unchanged publishes nothing new."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import BuildRunner


def _generations(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("gen-"))


def _with_a_warning(mini: Path) -> None:
    """A second source whose text is not in the sources folder: a build warns about it."""
    path = mini / "facts" / "mini.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "    file: mini.txt\n",
            "    file: mini.txt\n  - id: lost\n    title: Lost\n    file: lost.txt\n",
        )
        + "  - id: other\n    name: Other deal\n    kind: arrangement\n"
        "    history: [{status: agreed, date: 2022-07-16, evidence: 2}]\n"
        "    parties: [taliban, iran]\n    evidence: [{source: lost, line: 3}]\n",
        encoding="utf-8",
    )


def _summary(result: Result) -> tuple[str, str]:
    """What a build says but its timings: the summary (stdout) and the warnings (stderr)."""
    out = result.stdout.split(" warning(s)\n")[0]
    assert out != result.stdout, result.stdout
    return out, result.stderr


def test_an_unchanged_build_publishes_nothing_and_reports_the_same(
    build_mini: BuildRunner, mini: Path
) -> None:
    _with_a_warning(mini)
    first = build_mini()
    assert first.exit_code == 0, first.output
    assert "warning: source file lost.txt not found" in first.stderr, first.stderr
    out = mini / "build"
    gen = (out / "current").resolve()
    made = {p.name: p.stat().st_mtime_ns for p in gen.iterdir()}

    again = build_mini("--timings")
    assert again.exit_code == 0, again.output
    assert _summary(again) == _summary(first)
    assert "unchanged build: the inputs are those of " + gen.name in again.stdout, again.stdout
    assert (out / "current").resolve() == gen
    assert _generations(out) == [gen.name]
    assert {p.name: p.stat().st_mtime_ns for p in gen.iterdir()} == made


def test_full_builds_anyway(build_mini: BuildRunner, mini: Path) -> None:
    assert build_mini().exit_code == 0
    gen = (mini / "build" / "current").resolve()
    seal = (gen / ".complete").stat().st_mtime_ns
    result = build_mini("--full", "--timings")
    assert result.exit_code == 0, result.output
    assert "full build: --full" in result.stdout, result.stdout
    assert "validate (SHACL)" in result.stdout, result.stdout
    # The same inputs make the same generation, which is kept, not made again.
    assert (mini / "build" / "current").resolve() == gen
    assert (gen / ".complete").stat().st_mtime_ns == seal


def _edit_facts(mini: Path) -> None:
    path = mini / "facts" / "mini.yaml"
    path.write_text(path.read_text().replace("name: A deal", "name: A bigger deal"))


def _edit_source(mini: Path) -> None:
    path = mini / "sources" / "mini.txt"
    path.write_text(path.read_text(encoding="utf-8") + "One more line.\n", encoding="utf-8")


def _add_facts_file(mini: Path) -> None:
    (mini / "facts" / "more.yaml").write_text(
        "people:\n  - id: someone-else\n    name: Someone Else\n"
        "    evidence: [{source: mini, line: 1}]\n",
        encoding="utf-8",
    )


def _new_sources_folder(mini: Path) -> None:
    shutil.move(mini / "sources", mini / "texts")


@pytest.mark.parametrize(
    ("edit", "extra", "why"),
    [
        (_edit_facts, (), "inputs changed"),
        (_add_facts_file, (), "inputs changed"),
        (_edit_source, (), "source text mini.txt changed"),
        (_new_sources_folder, (), "inputs changed"),
        (None, ("--base-iri", "https://example.org/kg/"), "inputs changed"),
    ],
    ids=["facts-edited", "facts-file-added", "source-text-edited", "sources-moved", "option"],
)
def test_a_changed_input_builds(
    build_mini: BuildRunner, mini: Path, edit: object, extra: tuple[str, ...], why: str
) -> None:
    assert build_mini().exit_code == 0
    if callable(edit):
        edit(mini)
    if (mini / "texts").is_dir():
        (mini / "sources").mkdir()  # empty: the texts are in texts/ now
        extra = ("--sources", str(mini / "texts"))
    result = build_mini("--timings", *extra)
    assert result.exit_code == 0, result.output
    assert f"full build: {why}" in result.stdout, result.stdout


def test_a_source_text_that_vanishes_is_warned_about_again(
    build_mini: BuildRunner, mini: Path
) -> None:
    assert build_mini().exit_code == 0
    (mini / "sources" / "mini.txt").unlink()
    result = build_mini("--timings")
    assert result.exit_code == 0, result.output
    assert "full build: source text mini.txt changed" in result.stdout, result.stdout
    assert "warning: source file mini.txt not found" in result.stderr, result.stderr


def test_a_changed_schema_file_builds(build_mini: BuildRunner, mini: Path) -> None:
    schema = mini / "extra.yaml"
    schema.write_text("kinds: {}\n", encoding="utf-8")
    assert build_mini("--schema", str(schema)).exit_code == 0
    again = build_mini("--schema", str(schema), "--timings")
    assert "unchanged build" in again.stdout, again.stdout
    schema.write_text("kinds: {}\n# edited\n", encoding="utf-8")
    result = build_mini("--schema", str(schema), "--timings")
    assert result.exit_code == 0, result.output
    assert "full build: inputs changed" in result.stdout, result.stdout


def test_kg_itself_is_an_input(mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another kg (its code or the ontology it ships) is another digest."""
    import kg.incremental
    from kg.facts import fact_files
    from kg.locations import ontology_dir

    def digest() -> str:
        files = fact_files(mini / "facts")
        return kg.incremental.gather(
            mini / "facts", files, [mini / "sources"], [], "https://w3id.org/kg/", "auto"
        ).digest

    code = tmp_path / "kg"
    shutil.copytree(Path(kg.incremental.__file__).parent, code)
    monkeypatch.setattr(kg.incremental, "_PACKAGE", code)
    before = digest()
    assert digest() == before
    (code / "convert.py").write_text("# another kg\n", encoding="utf-8")
    changed = digest()
    assert changed != before
    onto = tmp_path / "ontology"
    shutil.copytree(ontology_dir(), onto)
    monkeypatch.setattr("kg.locations.ontology_dir", lambda: onto)
    assert digest() == changed
    (onto / "rules" / "10-org-shortcuts.rq").write_text("# rule: x\n", encoding="utf-8")
    assert digest() != changed


@pytest.mark.parametrize(
    "damage",
    ["not json", json.dumps({"format": "something else"}), json.dumps([1, 2])],
    ids=["garbled", "foreign", "wrong-shape"],
)
def test_a_summary_it_cannot_read_is_never_trusted(
    build_mini: BuildRunner, mini: Path, damage: str
) -> None:
    """build.json that is not what kg wrote: the build builds (and replaces it)."""
    from kg.publish import _seal

    assert build_mini().exit_code == 0
    gen = (mini / "build" / "current").resolve()
    (gen / "build.json").write_text(damage, encoding="utf-8")
    (gen / ".complete").unlink()
    _seal(gen)  # as if whole: only what it says is wrong
    result = build_mini("--timings")
    assert result.exit_code == 0, result.output
    assert "full build: the live build has no record of its inputs" in result.stdout, result.stdout
    assert json.loads((mini / "build" / "current" / "build.json").read_text())["inputs"]
