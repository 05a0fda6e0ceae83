"""The bodies of the lookup commands, without click: the click commands (kg.cli.lookups,
kg.cli.analyse) call them with the group's options and their own, and so does the fast
path (kg.cli.fast), which parses a plain lookup's command line by the same declarations.

Each takes `root` (the group's options: store, endpoint, graph, timeout) and the command's
parameters by the names its click declaration gives them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kg.cli.base import UsageProblem, date_range, echo, empty_answer, open_store
from kg.cli.output import Page, emit, one_table, table
from kg.text import visible

Root = Mapping[str, Any]

# Table columns (header, field) of roles and events, in the commands and on the card.
ROLE_COLUMNS = [
    ("person", "person"),
    ("post", "post"),
    ("organization", "organization"),
    ("when", "when"),
    ("line", "sources"),
]
EVENT_COLUMNS = [("date", "date"), ("type", "type"), ("event", "event"), ("line", "sources")]


def page_size(fmt: str, limit: int | None) -> int:
    """The rows a page holds: --limit, else 500 in a table and all (0) in json/csv."""
    return (500 if fmt == "table" else 0) if limit is None else limit


def page(rows: list[Any], fmt: str, limit: int | None, offset: int) -> list[Any]:
    """Cut rows to the requested page, saying on stderr when rows were left out.

    Rows a lookup has already cut (kg.lookups.Rows) carry the whole answer's total.
    """
    limit = page_size(fmt, limit)
    total = getattr(rows, "total", len(rows))
    if hasattr(rows, "total"):
        shown = list(rows)
    else:
        shown = rows[offset : offset + limit] if limit else rows[offset:]
    note = paging_note(offset, len(shown), total)
    if note:
        echo(f"note: {note}", err=True)
    return Page(shown, total, offset)


def paging_note(offset: int, shown: int, total: int) -> str | None:
    """Say which rows of the answer a page shows, or None when it shows them all.

    More rows are suggested only when there are more after this page.
    """
    if shown == total or total == 0:
        return None
    if not shown:
        return f"no rows at offset {offset}: the answer has {total}"
    note = f"showing rows {offset + 1}–{offset + shown} of {total}"
    if offset + shown < total:
        note += f"; use --offset {offset + shown} for more"
    return note


def who_met(
    root: Root,
    person: str | None,
    with_: str | None,
    topic: str | None,
    start: Any,
    end: Any,
    kinds: tuple[str, ...],
    no_inferred: bool,
    fmt: str,
    limit: int | None,
    offset: int,
) -> None:
    """kg who-met."""
    from kg import lookups
    from kg.names import resolve, resolve_topic

    first, last = date_range(start, end)
    store = open_store(root)
    rows = lookups.who_met(
        store,
        person=resolve(store, person) if person else None,
        with_=resolve(store, with_) if with_ else None,
        topic=resolve_topic(store, topic) if topic else None,
        start=first,
        end=last,
        offset=offset,
        limit=page_size(fmt, limit),
        kinds=kinds,
        inferred=not no_inferred,
    )
    shown = page(rows, fmt, limit, offset)
    emit(
        fmt,
        [
            ("date", "date"),
            ("a", "a"),
            ("b", "b"),
            ("topics", "topics"),
            ("event", "event"),
            ("kind", "kind"),
            ("line", "source"),
        ],
        shown,
        "no meetings match",
        mark=("a", "b"),
    )


def roles(
    root: Root,
    name: str | None,
    on: Any,
    post: str | None,
    fmt: str,
    limit: int | None,
    offset: int,
) -> None:
    """kg roles."""
    from kg import lookups
    from kg.names import resolve

    store = open_store(root)
    entity = resolve(store, name) if name else None
    rows = lookups.roles(
        store, entity, *date_range(on, on), post=post, offset=offset, limit=page_size(fmt, limit)
    )
    shown = page(rows, fmt, limit, offset)
    emit(fmt, ROLE_COLUMNS, shown, "no roles match", mark=("person",))


def agreements(
    root: Root,
    status: str | None,
    party: str | None,
    on: Any,
    topic: str | None,
    fmt: str,
    limit: int | None,
    offset: int,
) -> None:
    """kg agreements."""
    from kg import lookups
    from kg.names import resolve, resolve_topic

    store = open_store(root)
    found = lookups.agreements(
        store,
        status=status,
        party=resolve(store, party) if party else None,
        on=on.latest if on else None,
        topic=resolve_topic(store, topic) if topic else None,
        offset=offset,
        limit=page_size(fmt, limit),
    )
    rows = page(found, fmt, limit, offset)
    if fmt == "csv":  # one flat row per act: the parties as `roles` text, no nested history
        rows = [{k: v for k, v in r.items() if k not in ("parties", "history")} for r in rows]
    emit(
        fmt,
        [
            ("date", "date"),
            ("status", "status"),
            ("agreement", "agreement"),
            ("parties (roles)", "roles"),
            ("by", "by"),
            ("line", "source"),
        ],
        rows,
        "no agreements match",
    )


def timeline(
    root: Root,
    name: str | None,
    start: Any,
    end: Any,
    fmt: str,
    limit: int | None,
    offset: int,
) -> None:
    """kg timeline."""
    from kg import lookups
    from kg.names import resolve

    first, last = date_range(start, end)
    store = open_store(root)
    entity = resolve(store, name) if name else None
    rows = lookups.timeline(store, entity, first, last, offset=offset, limit=page_size(fmt, limit))
    shown = page(rows, fmt, limit, offset)
    emit(fmt, EVENT_COLUMNS, shown, "no events match")


def show(root: Root, name: str, fmt: str) -> None:
    """kg show."""
    from kg import lookups
    from kg.names import resolve

    store = open_store(root)
    card = lookups.show(store, resolve(store, name))
    if fmt == "json":
        echo(json.dumps(card, indent=2, ensure_ascii=False))
        return
    if fmt == "csv":
        emit("csv", [], card["statements"])
        return
    _print_card(card, lookups.status_headings(store))


def _more(shown: int, total: int, what: str, command: str) -> None:
    if shown < total:
        echo(f"(the first {shown} of {total} {what}; `kg {command} NAME` lists them all)")


def _print_card(card: dict[str, Any], headings: dict[str, str]) -> None:
    # Text from facts is shown with its control characters as escapes (kg.text.visible).
    echo(visible(f"{card['label']}  ({', '.join(card['types'])})"))
    echo(visible(f"  {card['iri']}"))
    if card["aliases"]:
        echo(visible(f"  also: {', '.join(card['aliases'])}"))
    for note in card["notes"]:
        echo(visible(f"  note: {note}", keep_newlines=True))
    lines = ", ".join(f"{s['document']}:{s['line']}" for s in card["sources"])
    echo(visible(f"  sources: {lines}"))
    # The card's roles and events read as `kg roles NAME` and `kg timeline NAME` do.
    card_roles = [c for c in ROLE_COLUMNS if c[0] != "organization"]
    for key, columns, command in (
        ("roles", card_roles, "roles"),
        ("events", EVENT_COLUMNS, "timeline"),
    ):
        if card[key]:
            echo(f"\n{key.capitalize()}")
            echo(table(columns, card[key]))
            _more(len(card[key]), card[f"{key}_total"], key, command)
    # Statements grouped by how the source puts them: what it states first, then each
    # report, view, assessment or forecast under a heading naming who asserts it.
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for st in card["statements"]:
        groups.setdefault((st["status"], st["asserted_by"]), []).append(st)
    for status, asserter in sorted(groups, key=lambda k: (k[0] != "stated", k)):
        heading = headings.get(status, status).replace("{asserter}", asserter)
        echo(visible(f"\n{heading[:1].upper()}{heading[1:]}", keep_newlines=True))
        rows = [
            {
                **st,
                "relation": st["relation"] if st["direction"] != "in" else f"← {st['relation']}",
                "value": st["value"] + "".join(f" ({h})" for h in st.get("holds", [])),
            }
            for st in groups[(status, asserter)]
        ]
        echo(table([("relation", "relation"), ("value", "value"), ("line", "sources")], rows))
    if any(st["direction"] == "in" for st in card["statements"]):
        echo("\n(← marks statements about it made by another fact)")
    # A hub's card counts the relations it has too many of to list (kg.lookups.show).
    everything = f"`kg query statements --param 'entity=<{card['iri']}>'` lists them all"
    for cut in card.get("statements_more", []):
        relation = ("← " if cut["direction"] == "in" else "") + cut["relation"]
        listed = f"the first {cut['shown']} of " if cut["shown"] else "not listed: "
        echo(visible(f"({listed}{cut['total']} '{relation}' statements; {everything})"))


def path(root: Root, a: str, b: str, fmt: str) -> None:
    """kg path."""
    from kg.chains import arrowed, shortest_path
    from kg.names import resolve

    store = open_store(root)
    hops = shortest_path(store, resolve(store, a), resolve(store, b))
    rows = [{**h, "relation": arrowed(h)} if fmt == "table" else h for h in hops]
    columns = [("from", "from"), ("relation", "relation"), ("to", "to"), ("line", "sources")]
    if fmt == "table" and any(h["claim_iri"] for h in hops):
        # A hop through a claim says how the source puts it.
        columns.insert(3, ("how", "status"))
    emit(fmt, columns, rows)


# stats --table NAME: each table of `kg stats`, its key in the JSON and its columns.
STATS_TABLES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "classes": ("classes", [("class", "class"), ("count", "count")]),
    "kinds": (
        "events_per_kind",
        [
            ("kind", "kind"),
            ("meeting", "counts_as_meeting"),
            ("events", "events"),
            ("with two sides", "with_two_sides"),
        ],
    ),
    "months": ("meetings_per_month", [("month", "month"), ("count", "count")]),
    "topics": ("meetings_per_topic", [("topic", "topic"), ("count", "count")]),
    "pairs": ("meetings_per_pair", [("a", "a"), ("b", "b"), ("count", "count")]),
}


def stats(root: Root, which: str | None, fmt: str) -> None:
    """kg stats."""
    from kg import lookups

    data = lookups.stats(open_store(root))
    if not data["classes"]:
        empty_answer()
    which = one_table(fmt, which, list(STATS_TABLES))
    if which is not None:
        key, cols = STATS_TABLES[which]
        emit(fmt, cols, data[key], f"no {key.replace('_', ' ')}")
        return
    if fmt == "json":
        echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for i, (key, cols) in enumerate(STATS_TABLES.values()):
        echo(("\n" if i else "") + key.replace("_", " ").capitalize())
        echo(table(cols, data[key]))
    kinds = ", ".join(data["meeting_kinds"])
    echo(f"\nMeetings are the events of these kinds: {kinds}")


def rank(root: Root, by: str, kind: str | None, limit: int, fmt: str) -> None:
    """kg rank."""
    from kg.analytics import rank
    from kg.kinds import actor_kinds

    store = open_store(root)
    kinds = [name for _, name in actor_kinds(store)]
    if kind is not None and kind not in kinds:
        raise UsageProblem(
            f"{kind!r} is not an actor kind (kinds: {', '.join(kinds)})", param="'--type'"
        )
    rows = rank(store, by, kind)
    emit(
        fmt,
        [("rank", "rank"), ("name", "name"), ("type", "type"), (by, "score"), ("ties", "ties")],
        rows if fmt == "json" else rows[:limit],
        "no actors",
    )


# engagement --table NAME: its tables, first the one csv prints unless told.
ENGAGEMENT_TABLES = ("counts", "kinds", "reported")


def engagement(root: Root, by: str, which: str | None, fmt: str) -> None:
    """kg engagement."""
    from kg.lookups import engagement

    data = engagement(open_store(root), by)
    if not data["rows"] and not data["reported"]:
        empty_answer()
    cols = {
        "month": [("month", "month")],
        "topic": [("topic", "topic")],
        "pair": [("side", "a"), ("other side", "b")],
    }[by]
    kind_cols = [("kind", "kind"), ("meeting", "counts_as_meeting"), ("count", "count")]
    # The figure as a reader says it (67; rank 4 of 58), beside the fields it comes from.
    reported = [
        {
            "statistic": r["statistic"],
            "figure": r["value"] or (f"rank {r['rank']} of {r['out_of']}" if r["rank"] else ""),
            **r,
        }
        for r in data["reported"]
    ]
    reported_cols = [("statistic", "statistic"), ("figure", "figure"), ("line", "sources")]
    which = one_table(fmt, which, ENGAGEMENT_TABLES)
    if which == "counts":
        emit(fmt, [*cols, ("count", "count")], data["rows"], "no engagements")
        return
    if which == "kinds":
        emit(fmt, kind_cols, data["per_kind"], "no events with two sides")
        return
    if which == "reported":
        emit(fmt, reported_cols, reported if fmt != "json" else data["reported"], "none")
        return
    if fmt == "json":
        echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    echo(f"Curated events, by {by}")
    echo(table([*cols, ("count", "count")], data["rows"]) if data["rows"] else "(no engagements)")
    if data["curated_total"] is not None:
        echo(f"total: {data['curated_total']}")
    echo("\nEvents with two sides, by kind (only those counted as meetings above)")
    echo(table(kind_cols, data["per_kind"]))
    echo("\nReported by the source (not recomputable from the curated events)")
    echo(table(reported_cols, reported) if reported else "(none)")
