"""`kg view`: interactive HTML network views."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kg.cli import complete
from kg.cli.common import DATE, date_range, open_store


@click.command("view")
@click.option(
    "--ego",
    metavar="NAME",
    shell_complete=complete.names,
    help="Only what lies within --depth links of NAME.",
)
@click.option(
    "--depth",
    type=click.IntRange(1, 6),
    default=1,
    show_default=True,
    help="Links to follow from --ego.",
)
@click.option(
    "--topic",
    "-t",
    metavar="TOPIC",
    shell_complete=complete.topics,
    help="Only meetings and facts on a topic (narrower topics included) and who they involve.",
)
@click.option("--from", "start", type=DATE, help="Only what is dated from this date.")
@click.option("--to", "end", type=DATE, help="Only what is dated up to this date.")
@click.option(
    "--path",
    "path",
    nargs=2,
    metavar="A B",
    shell_complete=complete.names,
    help="Highlight the shortest chain between A and B.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("build/graph.html"),
    show_default=True,
    help="HTML file to write.",
)
@click.option(
    "--max-nodes",
    type=click.IntRange(1),
    default=2000,  # kg.views.make.MAX_NODES (a test holds them equal; not imported: kg --help)
    show_default=True,
    help="Refuse to draw more nodes than this (a browser slows down past it).",
)
@click.option(
    "--screenshot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save a PNG of the page, taken with headless Chromium.",
)
@click.pass_context
def view_cmd(
    ctx: click.Context,
    ego: str | None,
    depth: int,
    topic: str | None,
    start: Any,
    end: Any,
    path: tuple[str, str] | None,
    output: Path,
    max_nodes: int,
    screenshot: Path | None,
) -> None:
    """Write an interactive network view: one offline HTML file to open or mail.

    Nodes are styled by kind (people, governments, ministries, groups, agreements,
    projects, places, events; legend on the page). Several meetings between two actors are
    one red edge whose width and tooltip count and list them. Selecting a node shows its
    card, each fact with its source line. The layout is seeded: the same facts give the
    same picture.

    Example: kg view --ego muttaqi --depth 2 -o muttaqi.html
    """
    from kg.views import make_view
    from kg.views.render import write

    first, last = date_range(start, end)
    # A view that cannot be drawn raises ViewError, a KgError the kg command reports.
    view = make_view(
        open_store(ctx),
        ego=ego,
        depth=depth,
        topic=topic,
        start=first,
        end=last,
        path=path,
        max_nodes=max_nodes,
    )
    written = write(view, output)
    click.echo(f"wrote {written} ({len(view.nodes)} nodes)")
    if screenshot:
        from kg.views.screenshot import ScreenshotError, take

        try:
            take(written, screenshot)
        except ScreenshotError as exc:
            click.echo(f"warning: no screenshot: {exc}", err=True)
            return
        click.echo(f"wrote {screenshot}")
