"""What the commands share that needs no click: output, the store, user errors.

click's import costs a cold lookup about 35 ms (more than a whole limit script of
benchmarks/limits), so the lookups' bodies (kg.cli.answers) and what they use are written
without it: the click commands call them, and so does the fast path (kg.cli.fast), which
answers a plain lookup without importing click at all.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from kg.errors import KgError

if TYPE_CHECKING:
    from kg.store import Store


FORMATS = ("table", "json", "csv")  # every command that prints rows: its --format


class UsageProblem(Exception):
    """A usage error found after the arguments were parsed (a reversed date range, an
    unknown kind): the click command shows it as click's usage error, naming `param`."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


def echo(text: str = "", err: bool = False, nl: bool = True) -> None:
    """Write a line to stdout (err: stderr) and flush, as click.echo does for text."""
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n" if nl else text)
    stream.flush()


def report(exc: KgError) -> NoReturn:
    """A user's error as one line on stderr, `error: <message>`, and its exit code."""
    from kg.text import visible

    # Messages quote facts, names typed and servers' answers: show their controls.
    echo(f"error: {visible(str(exc), keep_newlines=True)}", err=True)
    sys.exit(exc.exit_code)


# The store the running command opened (for empty_answer): set by open_store, cleared when
# a command starts (several commands may run in one process, as tests run them).
_opened: dict[str, Any] = {}


def begin() -> None:
    """A command starts: it has opened no store yet."""
    _opened.clear()


def open_store(root: Mapping[str, Any]) -> Store:
    """Open the graph the group's options name: `endpoint` (a SPARQL server), else `store`
    (a folder) or build/store."""
    store: Store
    if root.get("endpoint"):
        from kg.remote import RemoteStore

        store = RemoteStore(root["endpoint"], root.get("graph"), root.get("timeout") or 30.0)
    else:
        from kg.store import EmbeddedStore

        # The --store given as it is (a string: pathlib is not imported by lookups).
        store = EmbeddedStore.open(root.get("store") or None, lazy=True)
    _opened["store"] = store  # for empty_answer(): is an empty answer an empty graph?
    return store


def empty_answer(error: bool = True) -> None:
    """An answer came back empty: if the graph opened holds no kg data at all (an empty
    endpoint, a wrong KG_GRAPH), say so: an error for a lookup, a note for `kg query`
    (which may ask any graph)."""
    store = _opened.get("store")
    if store is None:
        return
    from kg.store import StoreError, no_kg_data

    problem = no_kg_data(store)
    if problem is None:
        return
    if error:
        raise StoreError(problem)
    from kg.text import visible

    echo(f"note: {visible(problem)}", err=True)


def date_range(start: Any, end: Any) -> tuple[Any, Any]:
    """The first and last day a --from/--to pair covers (None where not given).

    A reversed range (`--from 2023 --to 2022`) would match nothing without a word: it is a
    usage error naming both dates.
    """
    if start and end and start.earliest > end.latest:
        raise UsageProblem(f"--from {start.text} is after --to {end.text}: the range holds no date")
    return (start.earliest if start else None, end.latest if end else None)
