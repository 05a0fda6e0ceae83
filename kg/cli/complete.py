"""Shell completion of names, topics and named queries (click's shell_complete).

Completion runs on every Tab: it reads only the local store (`--store`, $KG_STORE or
build/store), never an endpoint, which could be slow or far, and offers nothing, silently,
when there is no build or anything else goes wrong.
"""

from __future__ import annotations

from typing import Any

import click
from click.shell_completion import CompletionItem

from kg.cli.common import store_path


def _offer(ctx: click.Context, incomplete: str, topics: bool) -> list[CompletionItem]:
    try:
        if ctx.find_root().params.get("endpoint"):
            return []
        from kg.completion import candidates
        from kg.store import EmbeddedStore

        store = EmbeddedStore.open(store_path(ctx))
        return [CompletionItem(v, help=label) for v, label in candidates(store, incomplete, topics)]
    except Exception:  # a Tab must never print a traceback into the command line
        return []


def names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Complete an entity's name (its slug) from the store."""
    return _offer(ctx, incomplete, topics=False)


def topics(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Complete a topic (its slug) from the store."""
    return _offer(ctx, incomplete, topics=True)


def queries(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Complete a named query's name; a path (with / or .) completes as a file."""
    if "/" in incomplete or "." in incomplete:
        return [CompletionItem(incomplete, type="file")]
    try:
        from kg.query import all_queries

        return [
            CompletionItem(q.name, help=q.title)
            for q in sorted(all_queries(), key=lambda q: q.name)
            if q.name.startswith(incomplete)
        ]
    except Exception:
        return []
