"""Shared fixtures: the repository, the shipped source texts, and a small facts folder."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kg.cli import main

# Browser fixtures (headless Chromium through Playwright) and real servers (kg serve,
# Oxigraph) for the view and endpoint tests.
pytest_plugins = ["tests.browser", "tests.servers"]

ROOT = Path(__file__).resolve().parents[1]
FACTS = ROOT / "facts"
SHARED_SOURCES = ROOT.parent / "shared" / "sources"
MINI = Path(__file__).resolve().parent / "fixtures" / "mini"

# Line 20 of the source: the six Afghan institutions whose delegation signed the oil import
# contract in Tehran on 2022-07-23 (several tests check the graph and the CLI against it).
OIL_DELEGATION = [
    "Afghan state oil and gas company",
    "Da Afghanistan Bank",
    "Norms and Standards Agency",
    "Taliban Ministry of Finance",
    "Taliban Ministry of Foreign Affairs",
    "Taliban Ministry of Trade",
]


@pytest.fixture(scope="session")
def shipped_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the shipped facts once; return the build folder."""
    assert (SHARED_SOURCES / "000_278ee63bc767467f.txt").is_file(), (
        f"the source article is expected at {SHARED_SOURCES}"
    )
    out = tmp_path_factory.mktemp("shipped") / "build"
    result = CliRunner().invoke(
        main, ["build", "--facts", str(FACTS), "--out", str(out), "--sources", str(SHARED_SOURCES)]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of the minimal dataset (facts/ and sources/)."""
    dest = tmp_path / "mini"
    shutil.copytree(MINI, dest)
    return dest


BuildRunner = Callable[..., Result]


def ok(result: Result) -> Result:
    """A CLI run that succeeded, with no traceback in what it printed."""
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


def run_build(dataset: Path, out: Path | str, *extra: str) -> Result:
    """Run `kg build` on DATASET/facts (sources in DATASET/sources) into OUT."""
    return CliRunner().invoke(
        main,
        [
            "build",
            "--facts",
            str(dataset / "facts"),
            "--out",
            str(out),
            "--sources",
            str(dataset / "sources"),
            *extra,
        ],
    )


@pytest.fixture
def build_mini(mini: Path) -> BuildRunner:
    """Run `kg build` on the mini dataset into mini/build; return the click Result."""

    def run(*extra: str) -> Result:
        return run_build(mini, mini / "build", *extra)

    return run


def synthetic_facts(folder: Path, triples: int, files: int = 1) -> Path:
    """Write benchmarks/generate.py's synthetic facts (about TRIPLES triples in FILES facts
    files) and their sources under folder; return folder."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(triples, folder, files)
    return folder
