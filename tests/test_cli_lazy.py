"""The kg group loads a command only when it runs, and its help lists them all the same.

`kg --help` writes the Commands section from kg.cli.COMMANDS, a table of each command's
module and first paragraph of help, so that listing them imports none of them. These tests
hold the table to the commands themselves, at every width click may wrap to.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kg.cli import COMMANDS, all_commands, main
from tests.conftest import ROOT


def test_the_table_lists_every_command_defined_under_kg_cli() -> None:
    """A command added to a module of kg/cli but not to COMMANDS would be unreachable."""
    defined = set()
    for path in sorted((ROOT / "kg" / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                for dec in node.decorator_list:
                    call = dec if isinstance(dec, ast.Call) else None
                    func = call.func if call else None
                    if isinstance(func, ast.Attribute) and func.attr == "command":
                        assert call is not None and isinstance(call.args[0], ast.Constant)
                        defined.add(call.args[0].value)
    assert defined == set(COMMANDS)
    loaded = all_commands()
    assert {name: cmd.name for name, cmd in loaded.items()} == {n: n for n in COMMANDS}


def test_lazy_help_lists_each_commands_own_short_help_at_every_width() -> None:
    loaded = all_commands()
    for width in range(50, 121):
        lazy = click.HelpFormatter(width=width)
        main.format_commands(click.Context(main), lazy)
        # click's own listing, from the loaded commands (what an eager group prints).
        eager = click.HelpFormatter(width=width)
        limit = eager.width - 6 - max(len(name) for name in loaded)
        with eager.section("Commands"):
            eager.write_dl([(n, loaded[n].get_short_help_str(limit)) for n in sorted(loaded)])
        assert lazy.getvalue() == eager.getvalue(), width
        assert "who-met" in lazy.getvalue()


def test_help_and_a_lookup_import_only_what_they_use(shipped_build: Path) -> None:
    """`kg --help` imports no command; `kg stats` only the lookups' bodies, and no click (the
    fast path, kg.cli.fast); a command it does not take goes to click."""
    probe = (
        "import sys\nsys.argv[0] = 'kg'\nfrom kg.cli import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "import kg.store\n"
        "print(sorted(m for m in sys.modules if m.startswith('kg.cli.') or m == 'click'))\n"
    )

    def modules(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-c", probe, *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        return proc.stdout.strip().splitlines()[-1]

    assert (
        modules("--help")
        == "['click', 'kg.cli.base', 'kg.cli.common', 'kg.cli.fast', 'kg.cli.group']"
    )
    assert modules("--store", str(shipped_build), "stats", "--format", "json") == (
        "['kg.cli.answers', 'kg.cli.base', 'kg.cli.fast', 'kg.cli.output']"
    )
    assert modules("--store", str(shipped_build), "topics", "--format", "json") == (
        "['click', 'kg.cli.answers', 'kg.cli.base', 'kg.cli.common', 'kg.cli.complete', "
        "'kg.cli.fast', 'kg.cli.group', 'kg.cli.lookups', 'kg.cli.output']"
    )


def test_a_lookup_answered_by_the_sidecars_never_opens_the_store(
    shipped_build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyoxigraph

    import kg.store

    opened: list[str] = []

    class Store:
        @staticmethod
        def read_only(path: str) -> pyoxigraph.Store:
            opened.append(path)
            return pyoxigraph.Store.read_only(path)

    class Ox:  # pyoxigraph, its Store counted
        def __getattr__(self, name: str) -> object:
            return Store if name == "Store" else getattr(pyoxigraph, name)

    monkeypatch.setattr(kg.store, "ox", Ox())
    runner = CliRunner()
    for args in (["stats"], ["engagement"], ["topics"]):
        result = runner.invoke(main, ["--store", str(shipped_build), *args, "--format", "json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)
    assert opened == []
    result = runner.invoke(main, ["--store", str(shipped_build), "show", "muttaqi"])
    assert result.exit_code == 0 and "Muttaqi" in result.output, result.output
    assert len(opened) == 1


def test_a_lookup_imports_no_library_it_does_not_use(shipped_build: Path) -> None:
    """A JSON lookup's process loads no parser, graph library or template engine, and none of
    the standard modules kg keeps for tables, CSV and typos (each costs a cold lookup time)."""
    probe = (
        "import sys\nfrom kg.cli import main\n"
        "try:\n    main(sys.argv[1:], prog_name='kg')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ["
        "'yaml', 'rdflib', 'networkx', 'rustworkx', 'pyshacl', 'pyvis', 'jinja2', 'numpy', "
        "'scipy', 'dataclasses', 'difflib', 'csv', 'textwrap']))\n"
    )
    for args in (
        ["show", "muttaqi"],
        ["who-met", "--person", "muttaqi"],
        ["path", "muttaqi", "Iran"],
    ):
        proc = subprocess.run(
            [sys.executable, "-c", probe, "--store", str(shipped_build), *args, "--format", "json"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        assert proc.stdout.strip().splitlines()[-1] == "[]", (args, proc.stdout[-300:])
