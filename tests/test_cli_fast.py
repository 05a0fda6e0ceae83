"""The fast path (kg.cli.fast) answers a plain lookup as click would, without importing click,
and leaves everything else to click untouched."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kg.cli.fast import FAST, SPEC, answer
from kg.cli.group import fast_spec
from tests.conftest import ROOT


def test_the_spec_file_is_what_the_click_commands_declare() -> None:
    with open(SPEC, encoding="utf-8") as fh:
        kept = json.load(fh)
    assert kept == json.loads(json.dumps(fast_spec())), (
        "kg/cli/fast.json is stale: python -c "
        "'from kg.cli.group import write_fast_spec; write_fast_spec()'"
    )
    assert set(kept["commands"]) == set(FAST)
    who_met = {p["name"]: p for p in kept["commands"]["who-met"]}
    assert who_met["kinds"]["multiple"] and who_met["start"]["type"] == "date"


def _run(args: list[str], fast: bool) -> tuple[int, str, str]:
    """kg's exit code, stdout and stderr: by `python -m kg` (the fast path first) or by the
    click group alone."""
    code = "from kg.cli import main; main(prog_name='kg')"
    cmd = [sys.executable, "-m", "kg"] if fast else [sys.executable, "-c", code]
    proc = subprocess.run([*cmd, *args], capture_output=True, text=True, cwd=ROOT, check=False)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["show", "muttaqi", "--format", "json"],
        ["show", "muttaqi"],
        ["who-met", "--person", "muttaqi", "--format", "json"],
        ["who-met", "-p", "muttaqi", "--kind", "any", "--kind", "visit", "--limit", "3"],
        ["who-met", "--topic=energy", "--from", "2022", "--to", "2023-06", "--format", "csv"],
        ["roles", "--on", "2022-08-20", "--limit", "5", "--offset", "2"],
        ["timeline", "muttaqi", "--format", "json"],
        ["path", "muttaqi", "Iran", "--format", "json"],
        ["stats", "--table", "months"],
        ["engagement", "--by", "pair", "--format", "json"],
        ["rank", "--type", "person", "--limit", "3"],
        ["agreements", "--party", "Iran", "--format", "json"],
        ["agreements", "-p", "Taliban", "--on", "2022-08", "--limit", "2", "--offset", "1"],
        ["agreements", "--status", "signed", "--topic", "water", "--format", "csv"],
        # errors: the same words and exit code by either way
        ["show", "nobody at all by this name"],
        ["who-met", "--from", "2023", "--to", "2022"],
        ["rank", "--type", "nokind"],
        ["agreements", "--status", "nostatus"],
        ["agreements", "--party", "nobody at all by this name"],
        ["roles", "--on", "2022-13-01"],
        ["who-met", "--limit", "-1"],
        ["show"],
        ["show", "muttaqi", "--bogus"],
        ["show", "--help"],
    ],
)
def test_the_fast_path_answers_as_click_does(shipped_build: Path, args: list[str]) -> None:
    line = ["--store", str(shipped_build), *args]
    fast, slow = _run(line, fast=True), _run(line, fast=False)
    assert fast == slow
    assert "Traceback" not in fast[2]


def test_the_fast_path_leaves_what_it_does_not_take_to_click(
    shipped_build: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ["--store", str(shipped_build)]
    for args in (
        ["--help"],
        ["--version"],
        [*store],
        [*store, "topics"],  # not a fast command
        [*store, "show"],  # its name missing
        [*store, "show", "a", "b"],  # one too many
        [*store, "show", "muttaqi", "-h"],
        [*store, "show", "muttaqi", "--format", "yaml"],
        [*store, "who-met", "--limit", "-1"],
        [*store, "who-met", "--limit", "x"],
        [*store, "who-met", "--from", "2022-02-30"],
        [*store, "who-met", "--person"],
        [*store, "who-met", "--person", "a", "--person", "b"],
        [*store, "who-met", "--no-inferred=yes"],
        [*store, "who-met", "--", "x"],
        [*store, "who-met", "--from", "2023", "--to", "2022"],  # found by the body: click's
        ["--store", str(shipped_build / "kg.ttl"), "stats"],  # a file, not a folder
        ["--timeout", "0", "stats"],
    ):
        assert answer(args) is False, args
        assert capsys.readouterr() == ("", ""), args
    monkeypatch.setenv("_KG_COMPLETE", "bash_complete")
    assert answer([*store, "stats"]) is False


def test_a_plain_lookup_imports_no_click(shipped_build: Path) -> None:
    probe = (
        "import sys\nsys.argv[0] = 'kg'\nfrom kg.cli import run\nrun()\n"
        "print('click' in sys.modules)\n"
    )
    for args in (["stats", "--format", "json"], ["show", "muttaqi"], ["roles", "--on", "2022"]):
        proc = subprocess.run(
            [sys.executable, "-c", probe, "--store", str(shipped_build), *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        assert proc.stdout.splitlines()[-1] == "False", args
