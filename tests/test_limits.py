"""The limit scripts (benchmarks/limits/) answer exactly what kg answers.

benchmarks/floor.py times each kg lookup against the script a user of the bare libraries
would write for the same question; the comparison is fair only if both print the same
bytes. Each case here is one row of floor.py's table, on the shipped graph and on a small
synthetic build (benchmarks/generate.py's data, the names floor.py uses by default).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from tests.conftest import ROOT, run_build, synthetic_facts


def _floor() -> object:
    spec = importlib.util.spec_from_file_location("floor", ROOT / "benchmarks" / "floor.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FLOOR = _floor()
# floor.py's names for the shipped graph: a minister, the state at its hub, a topic, a day.
SHIPPED = argparse.Namespace(
    person="muttaqi", other="Saif al-Adel", state="Iran", topic="energy", day="2022-08-20"
)
SYNTHETIC = argparse.Namespace(
    person="Person 1 Surname1",
    other="Person 2 Surname2",
    state="State 1",
    topic="energy",
    day="2020-06-15",
)


def _same(build: Path, kg_args: list[str], limit: list[str]) -> None:
    ours = CliRunner().invoke(main, ["--store", str(build), *kg_args, "--format", "json"])
    assert ours.exit_code == 0, ours.output
    script, *args = limit
    theirs = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "limits" / script), str(build), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert theirs.returncode == 0, theirs.stderr
    assert theirs.stdout == ours.stdout
    assert ours.stdout.strip() not in ("", "[]")  # an answer, not an empty one


@pytest.mark.parametrize(
    ("kg_args", "limit"),
    [(kg_args, limit) for _, kg_args, limit in FLOOR.lookups(SHIPPED)],  # type: ignore[attr-defined]
    ids=[name for name, _, _ in FLOOR.lookups(SHIPPED)],  # type: ignore[attr-defined]
)
def test_limit_script_answers_as_kg_on_the_shipped_graph(
    shipped_build: Path, kg_args: list[str], limit: list[str]
) -> None:
    _same(shipped_build, kg_args, limit)


@pytest.fixture(scope="module")
def synthetic_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """benchmarks/generate.py's facts of about 20,000 triples (4 states), built."""
    data = synthetic_facts(tmp_path_factory.mktemp("synthetic"), 20_000)
    result = run_build(data, data / "build")
    assert result.exit_code == 0, result.output
    return data / "build"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kg_args", "limit"),
    [(kg_args, limit) for _, kg_args, limit in FLOOR.lookups(SYNTHETIC)],  # type: ignore[attr-defined]
    ids=[name for name, _, _ in FLOOR.lookups(SYNTHETIC)],  # type: ignore[attr-defined]
)
def test_limit_script_answers_as_kg_on_synthetic_data(
    synthetic_build: Path, kg_args: list[str], limit: list[str]
) -> None:
    _same(synthetic_build, kg_args, limit)


@pytest.mark.slow
def test_floor_runner_reports_every_lookup_beside_its_limit(synthetic_build: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "benchmarks/floor.py", "--store", str(synthetic_build), "--runs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    names = [name for name, _, _ in FLOOR.lookups(SYNTHETIC)]  # type: ignore[attr-defined]
    for name in ["python -c pass", "kg --help (python -m kg)", *names]:
        assert any(row.startswith(f"| {name} |") for row in rows), name
    assert "DIFFER" not in proc.stdout
