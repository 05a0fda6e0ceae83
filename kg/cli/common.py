"""What every lookup command shares: the store option, date parsing, user errors."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


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


def store_path(ctx: click.Context) -> Path | None:
    """Return the --store given to `kg`, if any."""
    root = ctx.find_root()
    path = root.params.get("store")
    return Path(path) if path else None


def open_store(ctx: click.Context) -> Any:
    """Open the graph: `kg --endpoint URL` (a SPARQL server), else `--store` / build/store."""
    root = ctx.find_root().params
    if root.get("endpoint"):
        from kg.remote import RemoteStore

        return RemoteStore(root["endpoint"], root.get("graph"), root.get("timeout") or 30.0)
    from kg.store import EmbeddedStore

    return EmbeddedStore.open(store_path(ctx))


def user_errors(func: F) -> F:
    """Turn the errors a user can cause into one line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from kg.chains import NoPath
        from kg.names import UnresolvedName
        from kg.store import StoreError

        try:
            return func(*args, **kwargs)
        except (StoreError, UnresolvedName, NoPath) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]
