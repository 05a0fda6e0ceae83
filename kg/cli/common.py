"""What every command shares: the store option, date parsing, user errors."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

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
        try:
            return super().invoke(ctx)
        except KgError as exc:
            from kg.text import visible

            # Messages quote facts, names typed and servers' answers: show their controls.
            click.echo(f"error: {visible(str(exc), keep_newlines=True)}", err=True)
            sys.exit(exc.exit_code)


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


def date_range(start: Any, end: Any) -> tuple[Any, Any]:
    """The first and last day a --from/--to pair covers (None where not given).

    A reversed range (`--from 2023 --to 2022`) would match nothing without a word: it is a
    usage error naming both dates.
    """
    if start and end and start.earliest > end.latest:
        raise click.UsageError(
            f"--from {start.text} is after --to {end.text}: the range holds no date"
        )
    return (start.earliest if start else None, end.latest if end else None)


def store_path(ctx: click.Context) -> Path | None:
    """Return the --store given to `kg`, if any."""
    from pathlib import Path  # here: `kg --help` needs no paths

    root = ctx.find_root()
    path = root.params.get("store")
    return Path(path) if path else None


def open_store(ctx: click.Context) -> Store:
    """Open the graph: `kg --endpoint URL` (a SPARQL server), else `--store` / build/store."""
    root = ctx.find_root().params
    store: Store
    if root.get("endpoint"):
        from kg.remote import RemoteStore

        store = RemoteStore(root["endpoint"], root.get("graph"), root.get("timeout") or 30.0)
    else:
        from kg.store import EmbeddedStore

        # The --store given as it is (a string: pathlib is not imported by lookups).
        store = EmbeddedStore.open(root.get("store") or None, lazy=True)
    ctx.meta["kg.store"] = store  # for empty_answer(): is an empty answer an empty graph?
    return store


def empty_answer(error: bool = True) -> None:
    """An answer came back empty: if the graph opened holds no kg data at all (an empty
    endpoint, a wrong KG_GRAPH), say so: an error for a lookup, a note for `kg query`
    (which may ask any graph)."""
    ctx = click.get_current_context(silent=True)
    store = ctx.meta.get("kg.store") if ctx is not None else None
    if store is None:
        return
    from kg.store import StoreError, no_kg_data

    problem = no_kg_data(store)
    if problem is None:
        return
    if error:
        raise StoreError(problem)
    from kg.text import visible

    click.echo(f"note: {visible(problem)}", err=True)
