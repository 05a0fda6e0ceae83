"""Smoke tests for the benchmark scripts, at their smallest size, so they cannot rot.

They check that the scripts run and report; they assert no timing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a benchmark script from the checkout; its output captured as text."""
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.slow
def test_scale_benchmark_at_10k(tmp_path: Path) -> None:
    proc = _script("benchmarks/scale.py", "--sizes", "10k", "--runs", "1", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = (tmp_path / "results.md").read_text()
    assert table.strip() in proc.stdout  # printed and written
    for row in (
        "| triples |",
        "| kg build, whole process (s) |",
        "| kg who-met --person (s) |",
        "| rdflib: parse kg.ttl + who-met --person (s) |",
        "| kg faster than plain rdflib (×) |",
        "| store on disk (MiB) |",
    ):
        assert row in table, row
    assert proc.stderr == ""  # progress only on a terminal


@pytest.mark.slow
def test_cli_speed_script(shipped_build: Path) -> None:
    proc = _script(
        "benchmarks/cli_speed.py",
        "--runs",
        "1",
        "--store",
        str(shipped_build / "store"),
        "--turtle",
        str(shipped_build / "kg.ttl"),
    )
    assert proc.returncode == 0, proc.stderr
    assert "kg who-met --person muttaqi" in proc.stdout
    assert "heavy modules imported by `kg --help`: []" in proc.stdout


@pytest.mark.slow
def test_versus_script(shipped_build: Path, tmp_path: Path) -> None:
    proc = _script(
        "benchmarks/versus.py", "--tree", f"one={ROOT}", "--tree", f"two={ROOT}",
        "--where", f"embedded=--store '{shipped_build / 'store'}'",
        "--lookup", "topic=who-met --topic energy", "--runs", "1", "--out", str(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = proc.stdout.splitlines()
    assert rows[0] == "| lookup | where | one | two | JSON | load |", rows
    assert rows[2].startswith("| topic | embedded | ") and "| same |" in rows[2], rows
    answers = sorted(tmp_path.glob("*.json"))
    assert len(answers) == 2 and "Afghan state oil and gas company" in answers[0].read_text()
