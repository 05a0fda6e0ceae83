"""What every command shares: the store option, date parsing, user errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from kg.cli.base import FORMATS
from kg.errors import KgError

if TYPE_CHECKING:
    from pathlib import Path

    from kg.store import Store


class KgGroup(click.Group):
    """The `kg` group: an error a user can cause is one line on stderr, not a traceback.

    Every command's KgError (a missing build, an unknown name, no chain, a busy build, a
    server that cannot start…) is caught here, once: `error: <message>` and its exit code.
    """

    def invoke(self, ctx: click.Context) -> Any:
        from kg.cli.base import begin, report

        begin()
        try:
            return super().invoke(ctx)
        except KgError as exc:
            report(exc)


class FuzzyDateType(click.ParamType):  # type: ignore[type-arg]
    """A date as YYYY, YYYY-MM or YYYY-MM-DD; a month or year covers all its days."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from kg.facts.dates import parse_date

        if not isinstance(value, str):
            return value
        try:
            return parse_date(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DATE = FuzzyDateType()


def call(ctx: click.Context, body: Any, **params: Any) -> Any:
    """Run a command's body (kg.cli.answers) with the group's options; a usage error it
    finds is click's, shown with this command's usage line."""
    from kg.cli.base import UsageProblem

    try:
        return body(ctx.find_root().params, **params)
    except UsageProblem as exc:
        if exc.param:
            raise click.BadParameter(exc.message, param_hint=exc.param) from None
        raise click.UsageError(exc.message) from None


def date_range(start: Any, end: Any) -> tuple[Any, Any]:
    """The first and last day a --from/--to pair covers (kg.cli.base.date_range), a
    reversed range a usage error."""
    from kg.cli.base import UsageProblem, date_range

    try:
        return date_range(start, end)
    except UsageProblem as exc:
        raise click.UsageError(exc.message) from None


def store_path(ctx: click.Context) -> Path | None:
    """Return the --store given to `kg`, if any."""
    from pathlib import Path  # here: `kg --help` needs no paths

    root = ctx.find_root()
    path = root.params.get("store")
    return Path(path) if path else None


def open_store(ctx: click.Context) -> Store:
    """Open the graph: `kg --endpoint URL` (a SPARQL server), else `--store` / build/store."""
    from kg.cli.base import open_store

    return open_store(ctx.find_root().params)


def empty_answer(error: bool = True) -> None:
    """An answer came back empty: if the graph opened holds no kg data, say so (see
    kg.cli.base.empty_answer)."""
    from kg.cli.base import empty_answer

    empty_answer(error)


# Every command that prints rows takes it.
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for reading, json (stable fields, see README) or csv for tools.",
)
