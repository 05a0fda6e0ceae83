"""The `kg` command line: thin commands over the kg library.

Only click is imported here; each command imports the heavy libraries it needs, so that
`kg --help` stays instant.
"""

from __future__ import annotations

import click

from kg import __version__
from kg.cli import lookups
from kg.cli.analyse import communities_cmd, engagement_cmd, export_cmd, rank_cmd
from kg.cli.build import build_cmd
from kg.cli.common import KgGroup
from kg.cli.query import query_cmd
from kg.cli.serve import push_cmd, serve_cmd
from kg.cli.view import view_cmd


@click.group(cls=KgGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


for command in (
    build_cmd,
    lookups.who_met,
    lookups.show,
    lookups.roles,
    lookups.timeline,
    lookups.agreements,
    lookups.path,
    lookups.claims,
    query_cmd,
    lookups.topics,
    lookups.stats,
    view_cmd,
    serve_cmd,
    push_cmd,
    rank_cmd,
    communities_cmd,
    engagement_cmd,
    export_cmd,
):
    main.add_command(command)
