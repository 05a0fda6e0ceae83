"""The `kg` command line: thin commands over the kg library.

The commands are click commands (kg.cli.group: the group and its options; a module per
family of commands). This package itself imports no click: `run()`, what the `kg` script
and `python -m kg` call, first offers the command line to the fast path (kg.cli.fast),
which answers a plain lookup without click (its import costs about 35 ms, more than a
whole limit script of benchmarks/limits), and hands anything else (help, completion, an
error to explain, a command or option it does not take) to click. `main`, the click group,
is loaded when asked for (`from kg.cli import main`).
"""

from __future__ import annotations

from typing import Any

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


def run() -> None:
    """The `kg` command: a plain lookup by the fast path, anything else by click."""
    import sys

    from kg.cli.fast import answer

    if not answer(sys.argv[1:]):
        from kg.cli.group import main

        main(prog_name="kg")


def __getattr__(name: str) -> Any:
    """The click side, loaded when asked for: main (the group), LazyGroup, load_command,
    all_commands (kg.cli.group)."""
    if name in ("main", "LazyGroup", "load_command", "all_commands"):
        from kg.cli import group

        return getattr(group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
