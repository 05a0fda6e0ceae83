"""`kg view`: interactive HTML network views."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from kg.cli.common import DATE, open_store


@click.command("view")
@click.option("--ego", metavar="NAME", help="Only what lies within --depth links of NAME.")
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
    help="Only meetings and facts on a topic (narrower topics included) and who they involve.",
)
@click.option("--from", "start", type=DATE, help="Only what is dated from this date.")
@click.option("--to", "end", type=DATE, help="Only what is dated up to this date.")
@click.option(
    "--path", "path", nargs=2, metavar="A B", help="Highlight the shortest chain between A and B."
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
    default=2000,
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
    from kg import views
    from kg.names import resolve, resolve_topic
    from kg.views import render

    store = open_store(ctx)
    if ego:
        center = resolve(store, ego)
        # Built from the center outward: the whole graph's view is never made.
        view = views.ego_view(store, center.iri, depth)
        if center.iri not in view.nodes:
            click.echo(
                f"error: {center.label} is drawn as a meeting, not a node; pick an actor", err=True
            )
            sys.exit(1)
        view.title = f"kg: {center.label}"
    else:
        view = views.build_view(store)
        view.title = "kg: Iran–Taliban relations"
    if topic:
        t = resolve_topic(store, topic)
        view = views.by_topic(view, t.iri, t.label)
    if start or end:
        view = views.by_dates(view, start.earliest if start else None, end.latest if end else None)
    if path:
        a, b = (resolve(store, p) for p in path)
        chain = views.highlight_path(view, a.iri, b.iri)
        if not chain:
            click.echo(
                f"error: no chain of relations links {a.label} and {b.label} in this view", err=True
            )
            sys.exit(1)
        view.note += f"; path {a.label} → {b.label} in blue ({len(chain) - 1} hops)"
    if len(view.nodes) > max_nodes:
        click.echo(
            f"error: the view has {len(view.nodes)} nodes, more than --max-nodes "
            f"{max_nodes}; narrow it with --ego NAME, --topic or --from/--to",
            err=True,
        )
        sys.exit(1)
    try:
        written = render.write(view, output)
    except render.RenderError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"wrote {written} ({len(view.nodes)} nodes)")
    if screenshot:
        from kg.views.screenshot import ScreenshotError, take

        try:
            take(written, screenshot)
        except ScreenshotError as exc:
            click.echo(f"warning: no screenshot: {exc}", err=True)
            return
        click.echo(f"wrote {screenshot}")
