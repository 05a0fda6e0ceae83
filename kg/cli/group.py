"""The `kg` group (click): its options, and its commands loaded by name when one runs.

Only click is imported here. Each command's module is imported when that command runs
(`kg show` never loads `kg build`'s or `kg view`'s code), and `kg --help` lists the
commands from kg.cli.COMMANDS without importing any of them: a cold lookup pays only for
what it uses (tests/test_cli_lazy.py holds the table to the commands' own help).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import click

from kg import __version__
from kg.cli import COMMANDS
from kg.cli.common import KgGroup


class LazyGroup(KgGroup):
    """The `kg` group: commands loaded by name when invoked, listed from COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name) if cmd_name in COMMANDS else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The Commands section of `kg --help`, as click writes it, without importing them."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        # Shortened as click shortens a command's help, through its public API: click 8.5
        # made click.utils.make_default_short_help private (deprecated, untyped for mypy).
        rows = [
            (name, click.Command(name, help=COMMANDS[name][2]).get_short_help_str(limit))
            for name in COMMANDS
        ]
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows))


def load_command(name: str) -> click.Command:
    """Import the command NAME of COMMANDS."""
    module, attribute, _ = COMMANDS[name]
    command: click.Command = getattr(import_module(module), attribute)
    return command


def all_commands() -> dict[str, click.Command]:
    """Every command, loaded (for tests and tools that walk them all)."""
    return {name: load_command(name) for name in COMMANDS}


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
# kg's own __version__ (the one pyproject gives, tested): no package metadata needed, so a
# checkout run as `python -m kg` answers too.
@click.version_option(__version__, "--version", "-V", prog_name="kg")
@click.option(
    "--endpoint",
    envvar="KG_ENDPOINT",
    metavar="URL",
    help="Query this SPARQL 1.1 endpoint instead of the embedded store ($KG_ENDPOINT).",
)
@click.option(
    "--graph",
    envvar="KG_GRAPH",
    metavar="IRI",
    help="With --endpoint: the named graph holding kg's data ($KG_GRAPH).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="With --endpoint: seconds to wait for each answer.",
)
@click.option(
    "--store",
    envvar="KG_STORE",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="The graph to query (default: $KG_STORE, or build/store).",
)
def main(endpoint: str | None, graph: str | None, timeout: float, store: str | None) -> None:
    """kg: a sourced knowledge graph of actors, institutions and agreements.

    Start with `kg build` in a checkout: it reads facts/, validates them and writes
    build/. Then ask: `kg who-met --topic energy`, `kg show muttaqi`, `kg roles --on
    2022-08-20`, `kg timeline`, `kg path A B`, `kg query FILE.rq`.
    """


def _param_spec(param: click.Parameter) -> dict[str, Any]:
    """What the fast path (kg.cli.fast) needs to know of a parameter: its name, options,
    whether it is a flag or repeated, its type, default and environment variable."""
    from kg.cli.common import FuzzyDateType

    flag = isinstance(param, click.Option) and param.is_flag
    kind, low, choices = ("flag", None, []) if flag else _param_type(param.type, FuzzyDateType)
    if isinstance(param, click.Option) and (param.secondary_opts or param.nargs != 1):
        raise TypeError(f"the fast path takes no {param.opts} of this shape")
    if isinstance(param, click.Argument) and param.nargs != 1:
        raise TypeError(f"the fast path takes no argument {param.name} of nargs {param.nargs}")
    envvar = param.envvar if isinstance(param.envvar, str) else None
    # No default: None (click 8.3 and later mark it with their own UNSET).
    default = None if param.default is getattr(click.core, "UNSET", None) else param.default
    return {
        "name": param.name,
        "opts": list(param.opts) if isinstance(param, click.Option) else [],
        "required": param.required,
        "flag": flag,
        "multiple": param.multiple,
        "type": kind,
        "min": low,
        "choices": choices,
        "default": None if flag or param.multiple else default,
        "envvar": envvar,
    }


def _param_type(kind: Any, date_type: type) -> tuple[str, Any, list[str]]:
    if isinstance(kind, date_type):
        return "date", None, []
    if isinstance(kind, click.Choice):
        return "choice", None, [str(c) for c in kind.choices]
    if isinstance(kind, click.IntRange) and kind.max is None and not kind.min_open:
        return "int", kind.min, []
    if isinstance(kind, click.FloatRange) and kind.max is None and not kind.min_open:
        return "float", kind.min, []
    if isinstance(kind, click.Path) and not kind.file_okay and not kind.exists:
        return "dir", None, []
    if kind is click.STRING:
        return "text", None, []
    raise TypeError(f"the fast path takes no parameter of type {kind!r}")


def fast_spec() -> dict[str, Any]:
    """The fast path's reading of the group's and its commands' parameters (kg/cli/fast.json,
    which tests/test_cli_fast.py holds equal to this; write_fast_spec() writes it)."""
    from kg.cli.fast import FAST

    def spec(params: list[click.Parameter]) -> list[dict[str, Any]]:
        # --version (eager, no value passed on) is left to click, as --help is.
        return [_param_spec(p) for p in params if p.expose_value and not p.is_eager]

    return {
        "group": spec(main.params),
        "commands": {name: spec(load_command(name).params) for name in FAST},
    }


def write_fast_spec() -> None:
    """Write kg/cli/fast.json from the click declarations (after changing a fast command's
    options: python -c 'from kg.cli.group import write_fast_spec; write_fast_spec()')."""
    import json

    from kg.cli.fast import SPEC

    with open(SPEC, "w", encoding="utf-8") as fh:
        json.dump(fast_spec(), fh, indent=1, sort_keys=True)
        fh.write("\n")
