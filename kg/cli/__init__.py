"""The `kg` command line: thin commands over the kg library.

Only click is imported here. Each command's module is imported when that command runs
(`kg show` never loads `kg build`'s or `kg view`'s code), and `kg --help` lists the
commands from the table below without importing any of them: a cold lookup pays only for
what it uses (tests/test_cli_lazy.py holds the table to the commands' own help).
"""

from __future__ import annotations

from importlib import import_module

import click

from kg import __version__
from kg.cli.common import KgGroup

# name -> (module, attribute, the first paragraph of its help: what `kg --help` shortens).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "agreements": (
        "kg.cli.lookups",
        "agreements",
        "Agreements, pledges, proposals and offers: their status, parties and roles, topics.",
    ),
    "build": ("kg.cli.build", "build_cmd", "Build the knowledge graph from curated facts."),
    "claims": (
        "kg.cli.lookups",
        "claims",
        "What the source asserts beyond events and roles, each with how it puts it.",
    ),
    "communities": (
        "kg.cli.analyse",
        "communities_cmd",
        "Groups of actors more tied to each other than to the rest (Louvain, seeded).",
    ),
    "engagement": (
        "kg.cli.analyse",
        "engagement_cmd",
        "Engagement counts from the curated events, next to the figures the source reports.",
    ),
    "export": ("kg.cli.analyse", "export_cmd", "Export the graph for other tools."),
    "path": (
        "kg.cli.lookups",
        "path",
        "The shortest chain of relations between two entities, each hop with its evidence.",
    ),
    "push": (
        "kg.cli.serve",
        "push_cmd",
        "Load the built graph into a SPARQL 1.1 server, replacing the target graph.",
    ),
    "query": (
        "kg.cli.query",
        "query_cmd",
        "Run a SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE) from FILE, - for stdin, or a "
        "named query (kg/queries/NAME.rq; `kg query --list` lists them).",
    ),
    "rank": ("kg.cli.analyse", "rank_cmd", "Rank actors by centrality in the actor graph."),
    "roles": (
        "kg.cli.lookups",
        "roles",
        "Who held which post in which organization, and when.",
    ),
    "serve": (
        "kg.cli.serve",
        "serve_cmd",
        "Serve the built graph as a read-only SPARQL 1.1 endpoint, with a query page at /.",
    ),
    "show": (
        "kg.cli.lookups",
        "show",
        "An entity's card: names, type, roles over time, events and everything said of it.",
    ),
    "stats": (
        "kg.cli.lookups",
        "stats",
        "Counts per class and per event kind; meetings per month, per topic and per pair of sides.",
    ),
    "timeline": (
        "kg.cli.lookups",
        "timeline",
        "Dated events in order, optionally only those involving NAME.",
    ),
    "topics": (
        "kg.cli.lookups",
        "topics",
        "The topic tree, with how many facts are tagged with each topic or a narrower one.",
    ),
    "view": (
        "kg.cli.view",
        "view_cmd",
        "Write an interactive network view: one offline HTML file to open or mail.",
    ),
    "who-met": (
        "kg.cli.lookups",
        "who_met",
        "Who met whom: one row per pair of actors on opposite sides of an event.",
    ),
}


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
