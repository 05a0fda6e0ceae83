"""The sidecar indexes `kg build` writes beside the store: meetings.json and tenures.json.

Both the build (which writes them) and the lookups (which page through them) import this
module; it imports only the store and the named queries, so the write side never reaches
up into the read side (kg.lookups) to make them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kg.query import run
from kg.store import Row, Store, value


def _v(row: Row, name: str) -> str:
    return value(row.get(name))


def role_key(r: Row) -> tuple[str, ...]:
    """roles' order: by first possible day, holder, post."""
    return tuple(_v(r, k) for k in ("earliest", "holderLabel", "postLabel", "tenure"))


def meeting_index(store: Store) -> list[list[Any]]:
    """Every meeting as [event, earliest, latest, label, rows, topics], in who-met's order.

    `rows` is how many rows the event gives in who-met without a person (pairs of actors on
    opposite sides, each pair once); `topics` are the event's own topic IRIs. `kg build`
    stores it beside the store (meetings.json); other stores compute it here.
    """
    sidecar = getattr(store, "sidecar", None)
    if sidecar is not None and (index := sidecar("meetings")) is not None:
        return list(index)
    parts: dict[str, set[tuple[str, str]]] = {}
    for r in run(store, "meeting-sides"):
        parts.setdefault(_v(r, "event"), set()).add((_v(r, "actor"), _v(r, "side")))
    topics: dict[str, set[str]] = {}
    for r in run(store, "meeting-topics"):
        topics.setdefault(_v(r, "event"), set()).add(_v(r, "topic"))
    index = []
    for r in run(store, "meeting-events"):
        event = _v(r, "event")
        actors = parts.get(event, set())
        pairs = {(a, sa, b, sb) for a, sa in actors for b, sb in actors if sa < sb}
        index.append(
            [
                event,
                _v(r, "earliest"),
                _v(r, "latest"),
                _v(r, "eventLabel"),
                len(pairs),
                sorted(topics.get(event, ())),
            ]
        )
    return sorted(index, key=lambda m: (m[1], m[3], m[0]))


def tenure_index(
    store: Store, start: dt.date | None = None, end: dt.date | None = None
) -> list[list[str]]:
    """The tenures that may have been held between start and end (default: all), each as
    [tenure, earliest, latest, holder name, post, post name], in roles' order.

    `kg build` stores all of them beside the store (tenures.json); other stores ask.
    """
    low = start.isoformat() if start else "0001-01-01"
    high = end.isoformat() if end else "9999-12-31"
    sidecar = getattr(store, "sidecar", None)
    if sidecar is not None and (index := sidecar("tenures")) is not None:
        return [t for t in index if t[2] >= low and t[1] <= high]
    fields = ("tenure", "earliest", "latest", "holderLabel", "post", "postLabel")
    rows = sorted(run(store, "tenures", **{"from": start, "to": end}), key=role_key)
    return [[_v(r, f) for f in fields] for r in rows]
