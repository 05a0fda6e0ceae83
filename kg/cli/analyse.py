"""Analytics commands: rank, communities, engagement; and export."""

from __future__ import annotations

from pathlib import Path

import click

from kg.analytics import MEASURES
from kg.cli import answers
from kg.cli.common import call, format_option, open_store
from kg.cli.output import emit

# The meanings live with the measures (kg.analytics imports no heavy library at load).
_MEASURE_HELP = "\n\n".join(f"{name}: {meaning}." for name, meaning in MEASURES.items())


@click.command(
    "rank",
    help=f"""Rank actors by centrality in the actor graph.

The actor graph links people, institutions and posts by meetings, roles, posts'
organizations, sub-organizations and missions, and shared agreements. Measures:

{_MEASURE_HELP}

Example: kg rank --by betweenness --type person""",
)
@click.option(
    "--by",
    type=click.Choice(list(MEASURES)),
    default="degree",
    show_default=True,
    help="The centrality measure.",
)
@click.option(
    "--type",
    "kind",
    metavar="KIND",
    help="Only list actors of this kind: person, organization or post (the actor kinds of "
    "the record schema; the measure uses the whole graph).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many to list (table and csv; json lists all).",
)
@format_option
@click.pass_context
def rank_cmd(ctx: click.Context, by: str, kind: str | None, limit: int, fmt: str) -> None:
    call(ctx, answers.rank, by=by, kind=kind, limit=limit, fmt=fmt)


@click.command("communities")
@format_option
@click.pass_context
def communities_cmd(ctx: click.Context, fmt: str) -> None:
    """Groups of actors more tied to each other than to the rest (Louvain, seeded).

    The same graph always gives the same groups. Each group is named by its most
    connected member.

    Example: kg communities
    """
    from kg.analytics import communities

    rows = communities(open_store(ctx))
    emit(
        fmt,
        [("#", "community"), ("size", "size"), ("central", "central"), ("members", "members")],
        rows,
        "no actors",
    )


@click.command("engagement")
@click.option(
    "--by",
    type=click.Choice(["month", "topic", "pair"]),
    default="month",
    show_default=True,
    help="Count per month, per topic or per pair of sides.",
)
@click.option(
    "--table",
    "which",
    type=click.Choice(answers.ENGAGEMENT_TABLES),
    help="Only this table: counts (the curated events, --by), kinds (events with two "
    "sides per kind) or reported (the source's own figures). csv holds one table: "
    "counts unless told.",
)
@format_option
@click.pass_context
def engagement_cmd(ctx: click.Context, by: str, which: str | None, fmt: str) -> None:
    """Engagement counts from the curated events, next to the figures the source reports.

    An engagement is an event of a kind that counts as a meeting (not an invitation, a
    message or a handover) with actors on two sides, counted once per pair of sides (not
    once per direction or per participant), as event-data analysts count them; the events
    with two sides of every kind are counted too. A topic count includes events tagged
    with a narrower topic. The source's own figures
    (ReportedStatistic) cover far more meetings than the curated events: both are shown so
    the difference stays explicit.

    --table NAME prints one of the tables (json: its list of rows); csv is always one
    table, which pandas.read_csv reads: counts unless --table says which
    (`--table reported` for the source's figures).

    Example: kg engagement --by pair

    Example: kg engagement --table reported --format csv
    """
    call(ctx, answers.engagement, by=by, which=which, fmt=fmt)


@click.command("export")
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(["turtle", "ntriples", "jsonld", "graphml", "gexf", "csv"]),
    help="RDF (turtle, ntriples, jsonld) of the whole graph; the actor graph for "
    "Gephi and other tools (graphml, gexf); csv: one file per class.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="File to write (a folder for csv; `-`: stdout, not for csv); "
    "default build/export/kg.<ext>.",
)
@click.pass_context
def export_cmd(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """Export the graph for other tools.

    turtle / ntriples / jsonld come straight from the store (JSON-LD with a readable
    @context of kg's prefixes). graphml and gexf hold the actor graph (the one `kg rank`
    uses) with labels, kinds and types on nodes and kind, label, dates and sources on
    edges; the GEXF is 1.2 with dated edges, so Gephi's timeline works. csv writes one
    spreadsheet-ready file per class, names in place of IRIs and source lines included.

    `-o -` writes a single-file format to stdout (kg export --format turtle -o - | rapper …).

    Example: kg export --format gexf -o kg.gexf
    """
    from kg.export import EXTENSIONS, export, export_bytes

    if output is not None and str(output) == "-":
        if fmt == "csv":
            raise click.UsageError(
                "-o - cannot take csv: it writes a folder of files; give a folder"
            )
        click.echo(export_bytes(open_store(ctx), fmt), nl=False)
        return
    target = output or Path("build/export") / ("csv" if fmt == "csv" else f"kg.{EXTENSIONS[fmt]}")
    written = export(open_store(ctx), fmt, target)
    click.echo(f"wrote {written}")
