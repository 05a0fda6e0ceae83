"""Every kind's valid and invalid examples (tests/examples/), and the schema file's own."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from click.testing import CliRunner, Result

from kg.cli import main
from kg.facts.schema import kinds_table, load_schema
from tests.conftest import MINI

ID = "https://w3id.org/kg/id/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
EXAMPLES = Path(__file__).resolve().parent / "examples"
KIND_FILES = sorted(p for p in EXAMPLES.glob("*/*.yaml") if p.parent.name != "schema")
SCHEMA_FILES = sorted((EXAMPLES / "schema").glob("*.yaml"))
_EXPECT = re.compile(r"^# expect: (\d+): (.+)$")


def _expected(path: Path) -> tuple[int, str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = _EXPECT.match(first)
    assert m, f"{path}: an invalid example starts with '# expect: LINE: MESSAGE'"
    return int(m[1]), m[2]


def _build(tmp: Path, facts: list[Path], *extra: str) -> Result:
    folder = tmp / "facts"
    folder.mkdir()
    for f in facts:
        shutil.copy(f, folder / f.name)
    return CliRunner().invoke(
        main,
        ["build", "--facts", str(folder), "--out", str(tmp / "build"),
         "--sources", str(MINI / "sources"), *extra],
    )  # fmt: skip


def test_every_kind_has_a_valid_and_an_invalid_example() -> None:
    kinds = set(load_schema().kinds)
    assert len(kinds) >= 10
    folders = {p.parent.name for p in KIND_FILES}
    assert folders == kinds, folders ^ kinds
    for kind in kinds:
        names = [p.name for p in KIND_FILES if p.parent.name == kind]
        assert "valid.yaml" in names, kind
        assert any(n.startswith("invalid-") for n in names), kind


@pytest.mark.parametrize("path", KIND_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_kind_example(path: Path, tmp_path: Path) -> None:
    result = _build(tmp_path, [MINI / "facts" / "mini.yaml", path])
    if path.name == "valid.yaml":
        assert result.exit_code == 0, result.output
        # Every record of the example is in the graph, under its kind's IRI.
        store = ox.Store.read_only(str(tmp_path / "build" / "store"))
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        records = [
            (kind, rec["id"]) for kind, recs in doc.items() if kind != "source" for rec in recs
        ]
        assert any(kind == path.parent.name for kind, _ in records), path
        for kind, rid in records:
            node = ox.NamedNode(ID + load_schema().kinds[kind].iri.format(id=rid))
            assert list(store.quads_for_pattern(node, RDF_TYPE, None)), rid
        return
    line, message = _expected(path)
    assert result.exit_code == 1, result.output
    assert f"{path.name}:{line}: {message}" in result.output, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "build" / "kg.ttl").exists()


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.stem)
def test_schema_example(path: Path, tmp_path: Path) -> None:
    assert SCHEMA_FILES, "no schema examples"
    result = _build(tmp_path, [MINI / "facts" / "mini.yaml"], "--schema", str(path))
    if path.name == "valid.yaml":
        assert result.exit_code == 0, result.output
        return
    line, message = _expected(path)
    assert result.exit_code == 1, result.output
    assert f"{path.name}:{line}: {message}" in result.output, result.output
    assert "Traceback" not in result.output


def test_readme_table_of_kinds_is_the_schema() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = kinds_table(load_schema())
    assert "| `people` | named people |" in table, table
    assert table in readme, "run python scripts/gen_kinds_table.py"


def test_a_missing_schema_file_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    result = _build(tmp_path, [MINI / "facts" / "mini.yaml"], "--schema", str(missing))
    assert result.exit_code == 1, result.output
    assert f"{missing}: schema file not found" in result.output, result.output
    assert "Traceback" not in result.output
