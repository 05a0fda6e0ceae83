"""Lookup commands: who-met, show, roles, timeline, agreements, path, topics, stats."""

from __future__ import annotations

import json
from typing import Any

import click

from kg.cli import complete
from kg.cli.common import DATE, date_range, empty_answer, open_store
from kg.cli.output import Page, emit, format_option, one_table, table
from kg.text import visible

# Table columns (header, field) of roles and events, in the commands and on the card.
ROLE_COLUMNS = [
    ("person", "person"),
    ("post", "post"),
    ("organization", "organization"),
    ("when", "when"),
    ("line", "sources"),
]
EVENT_COLUMNS = [("date", "date"), ("type", "type"), ("event", "event"), ("line", "sources")]


def paging(func: Any) -> Any:
    """Add --limit and --offset to a command whose rows may run to thousands."""
    func = click.option(
        "--offset", type=click.IntRange(min=0), default=0, help="Skip this many rows first."
    )(func)
    func = click.option(
        "--limit",
        type=click.IntRange(min=0),
        default=None,
        help="Show at most this many rows (default: 500 in a table, all in json/csv; 0: all).",
    )(func)
    return func


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
        click.echo(f"note: {note}", err=True)
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



# who-met and agreements take a topic alike (completed from the store's topics).
topic_option = click.option(
    "--topic",
    "-t",
    metavar="TOPIC",
    shell_complete=complete.topics,
    help="A topic; narrower topics match too (energy finds oil).",
)

@click.command("who-met")
@click.option(
    "--person",
    "-p",
    metavar="NAME",
    shell_complete=complete.names,
    help="An actor on one side (person, institution, post or state).",
)
@click.option(
    "--with",
    "with_",
    metavar="NAME",
    shell_complete=complete.names,
    help="An actor on the other side.",
)
@topic_option
@click.option("--from", "start", type=DATE, help="From this date (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--to", "end", type=DATE, help="Up to this date.")
@click.option(
    "--kind",
    "-k",
    "kinds",
    metavar="KIND",
    multiple=True,
    help="Only events of this kind (repeat it, or a comma list: visit,message); `any`: every "
    "kind. Default: the kinds that count as meetings.",
)
@click.option(
    "--no-inferred",
    "no_inferred",
    is_flag=True,
    help="Leave out the rows kg inferred (an office's presumed holder), marked * otherwise.",
)
@format_option
@paging
@click.pass_context
def who_met(
    ctx: click.Context,
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
    """Who met whom: one row per pair of actors on opposite sides of an event.

    A delegation of several institutions gives one row per institution. Dates match by
    overlap: an event known only to the month matches a filter on any day of that month.
    Where the source names only an office, its presumed holder is a row too, marked * (a
    footnote names the rule and the lines it rests on); --no-inferred leaves those out.

    Only events of a kind that counts as a meeting are listed unless --kind says otherwise:
    an invitation, a message or a handover has two sides but is not a meeting (`kg stats`
    lists the kinds and which count). Each row says its event's kind.

    Example: kg who-met --kind invitation,message
    """
    from kg import lookups
    from kg.names import resolve, resolve_topic

    first, last = date_range(start, end)
    store = open_store(ctx)
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


@click.command("roles")
@click.argument("name", required=False, shell_complete=complete.names)
@click.option(
    "--on", "on", type=DATE, help="Held on this date (a month or year: at some time in it)."
)
@click.option(
    "--post", metavar="TEXT", help="Words the post's name contains (ambassador, minister)."
)
@format_option
@paging
@click.pass_context
def roles(
    ctx: click.Context,
    name: str | None,
    on: Any,
    post: str | None,
    fmt: str,
    limit: int | None,
    offset: int,
) -> None:
    """Who held which post in which organization, and when.

    NAME may be a person, a post or an organization (its sub-organizations included).
    Where the source shows a role only on some dates, those dates are listed under
    `attested` and the role counts as held between the first and the last of them. With
    --on, a role is also listed, marked * when a rule says so, where its holder is presumed
    in an office an event of that date names (held: presumed), or where the date is
    outside its dates but within its bounds (held: possibly; e.g. before a successor).

    Example: kg roles --post ambassador --on 2022-08-20
    """
    from kg import lookups
    from kg.names import resolve

    store = open_store(ctx)
    entity = resolve(store, name) if name else None
    rows = lookups.roles(
        store, entity, *date_range(on, on), post=post, offset=offset, limit=page_size(fmt, limit)
    )
    shown = page(rows, fmt, limit, offset)
    emit(fmt, ROLE_COLUMNS, shown, "no roles match", mark=("person",))


@click.command("timeline")
@click.argument("name", required=False, shell_complete=complete.names)
@click.option("--from", "start", type=DATE, help="From this date.")
@click.option("--to", "end", type=DATE, help="Up to this date.")
@format_option
@paging
@click.pass_context
def timeline(
    ctx: click.Context,
    name: str | None,
    start: Any,
    end: Any,
    fmt: str,
    limit: int | None,
    offset: int,
) -> None:
    """Dated events in order, optionally only those involving NAME.

    Example: kg timeline muttaqi
    """
    from kg import lookups
    from kg.names import resolve

    first, last = date_range(start, end)
    store = open_store(ctx)
    entity = resolve(store, name) if name else None
    rows = lookups.timeline(store, entity, first, last, offset=offset, limit=page_size(fmt, limit))
    shown = page(rows, fmt, limit, offset)
    emit(
        fmt,
        EVENT_COLUMNS,
        shown,
        "no events match",
    )


@click.command("agreements")
@click.option(
    "--status", metavar="STATUS", help="Only acts with this status then (proposed, signed…)."
)
@click.option(
    "--party",
    "-p",
    metavar="NAME",
    shell_complete=complete.names,
    help="Only acts with NAME as a party (or a part of it, a post in it, a state it governs).",
)
@click.option(
    "--on",
    "on",
    type=DATE,
    help="The status each act had on this date (its latest change by then).",
)
@topic_option
@format_option
@click.pass_context
def agreements(
    ctx: click.Context,
    status: str | None,
    party: str | None,
    on: Any,
    topic: str | None,
    fmt: str,
) -> None:
    """Agreements, pledges, proposals and offers: their status, parties and roles, topics.

    Each row is one act with the status it had on --on (its latest status change on or
    before that date; a date known only to the month or year counts from its first day),
    or its latest status without --on: when and at which event it changed, who made the
    change, and the source line saying so. Parties are listed with their roles
    (signatory, proposer, pledger, addressee…); JSON also gives each act's history.

    Example: kg agreements --on 2022-08-10 --topic water
    """
    from kg import lookups
    from kg.names import resolve, resolve_topic

    store = open_store(ctx)
    rows = lookups.agreements(
        store,
        status=status,
        party=resolve(store, party) if party else None,
        on=on.latest if on else None,
        topic=resolve_topic(store, topic) if topic else None,
    )
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


@click.command("show")
@click.argument("name", shell_complete=complete.names)
@format_option
@click.pass_context
def show(ctx: click.Context, name: str, fmt: str) -> None:
    """An entity's card: names, type, roles over time, events and everything said of it.

    Every fact shows the source lines it comes from.

    Example: kg show "Kazemi Qomi"
    """
    from kg import lookups
    from kg.names import resolve

    store = open_store(ctx)
    card = lookups.show(store, resolve(store, name))
    if fmt == "json":
        click.echo(json.dumps(card, indent=2, ensure_ascii=False))
        return
    if fmt == "csv":
        emit("csv", [], card["statements"])
        return
    _print_card(card, lookups.status_headings(store))


def _more(shown: int, total: int, what: str, command: str) -> None:
    if shown < total:
        click.echo(f"(the first {shown} of {total} {what}; `kg {command} NAME` lists them all)")


def _print_card(card: dict[str, Any], headings: dict[str, str]) -> None:
    # Text from facts is shown with its control characters as escapes (kg.text.visible).
    click.echo(visible(f"{card['label']}  ({', '.join(card['types'])})"))
    click.echo(visible(f"  {card['iri']}"))
    if card["aliases"]:
        click.echo(visible(f"  also: {', '.join(card['aliases'])}"))
    for note in card["notes"]:
        click.echo(visible(f"  note: {note}", keep_newlines=True))
    lines = ", ".join(f"{s['document']}:{s['line']}" for s in card["sources"])
    click.echo(visible(f"  sources: {lines}"))
    # The card's roles and events read as `kg roles NAME` and `kg timeline NAME` do.
    card_roles = [c for c in ROLE_COLUMNS if c[0] != "organization"]
    for key, columns, command in (
        ("roles", card_roles, "roles"),
        ("events", EVENT_COLUMNS, "timeline"),
    ):
        if card[key]:
            click.echo(f"\n{key.capitalize()}")
            click.echo(table(columns, card[key]))
            _more(len(card[key]), card[f"{key}_total"], key, command)
    # Statements grouped by how the source puts them: what it states first, then each
    # report, view, assessment or forecast under a heading naming who asserts it.
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for st in card["statements"]:
        groups.setdefault((st["status"], st["asserted_by"]), []).append(st)
    for status, asserter in sorted(groups, key=lambda k: (k[0] != "stated", k)):
        heading = headings.get(status, status).replace("{asserter}", asserter)
        click.echo(visible(f"\n{heading[:1].upper()}{heading[1:]}", keep_newlines=True))
        rows = [
            {
                **st,
                "relation": st["relation"] if st["direction"] != "in" else f"← {st['relation']}",
                "value": st["value"] + "".join(f" ({h})" for h in st.get("holds", [])),
            }
            for st in groups[(status, asserter)]
        ]
        click.echo(table([("relation", "relation"), ("value", "value"), ("line", "sources")], rows))
    if any(st["direction"] == "in" for st in card["statements"]):
        click.echo("\n(← marks statements about it made by another fact)")
    # A hub's card counts the relations it has too many of to list (kg.lookups.show).
    everything = f"`kg query statements --param 'entity=<{card['iri']}>'` lists them all"
    for cut in card.get("statements_more", []):
        relation = ("← " if cut["direction"] == "in" else "") + cut["relation"]
        listed = f"the first {cut['shown']} of " if cut["shown"] else "not listed: "
        click.echo(visible(f"({listed}{cut['total']} '{relation}' statements; {everything})"))


@click.command("path")
@click.argument("a", shell_complete=complete.names)
@click.argument("b", shell_complete=complete.names)
@format_option
@click.pass_context
def path(ctx: click.Context, a: str, b: str, fmt: str) -> None:
    """The shortest chain of relations between two entities, each hop with its evidence.

    Of chains of equal length, the one with fewest hops through claims (reports, views,
    judgements) wins, then the first by its labels; what a claim is about is followed only
    when nothing else links the two, and a negative claim never. `kg view --path` marks
    the same chain.

    Example: kg path muttaqi "Saif al-Adel"
    """
    from kg.chains import arrowed, shortest_path
    from kg.names import resolve

    store = open_store(ctx)
    hops = shortest_path(store, resolve(store, a), resolve(store, b))
    rows = [{**h, "relation": arrowed(h)} if fmt == "table" else h for h in hops]
    columns = [("from", "from"), ("relation", "relation"), ("to", "to"), ("line", "sources")]
    if fmt == "table" and any(h["claim_iri"] for h in hops):
        # A hop through a claim says how the source puts it.
        columns.insert(3, ("how", "status"))
    emit(fmt, columns, rows)


CLAIM_COLUMNS = [
    ("status", "status"),
    ("asserted by", "asserted_by"),
    ("claim", "claim"),
    ("holds", "holds"),
    ("line", "sources"),
]


@click.command("claims")
@click.option(
    "--about",
    metavar="NAME",
    shell_complete=complete.names,
    help="Only claims about this entity.",
)
@click.option(
    "--status",
    metavar="STATUS",
    help="Only claims the source puts this way: stated, reported, attributed (a party's "
    "view), assessed (the author's judgement), predicted, hedged or denied.",
)
@click.option(
    "--by",
    metavar="WHO",
    help="Only claims asserted by this party, or by 'author' or 'unnamed' (sources).",
)
@format_option
@click.pass_context
def claims(
    ctx: click.Context, about: str | None, status: str | None, by: str | None, fmt: str
) -> None:
    """What the source asserts beyond events and roles, each with how it puts it.

    Every claim carries its status (stated, reported, a party's view, the author's
    assessment or prediction, hedged, denied), who asserts it, when it holds and its
    source lines. Only stated claims are ever plain facts in the graph.

    Example: kg claims --about Iran --status reported
    """
    from kg import lookups
    from kg.names import resolve

    store = open_store(ctx)
    entity = resolve(store, about) if about else None
    status_iri = lookups.resolve_status(store, status) if status else None
    if by is None:
        by_iri = None
    elif by.lower() in lookups.ASSERTERS:
        by_iri = lookups.ASSERTERS[by.lower()]
    else:
        by_iri = resolve(store, by).iri
    rows = lookups.claims(store, entity, status_iri, by_iri)
    if fmt == "table":
        rows = [{**r, "holds": ", ".join(r["holds"])} for r in rows]
    emit(fmt, CLAIM_COLUMNS, rows, "no claims match")


@click.command("topics")
@format_option
@click.pass_context
def topics(ctx: click.Context, fmt: str) -> None:
    """The topic tree, with how many facts are tagged with each topic or a narrower one.

    A fact is tagged with what it is about, not its participants' portfolios; a topic
    includes its narrower topics but not its related ones (water and energy), which are
    listed beside it.

    Example: kg topics
    """
    from kg import lookups

    rows = lookups.topics(open_store(ctx))
    if fmt != "table" or not rows:
        emit(fmt, [], rows, "no topics")
        return
    children: dict[str | None, list[dict[str, Any]]] = {}
    for r in rows:
        children.setdefault(r["broader"], []).append(r)

    def walk(parent: str | None, depth: int) -> None:
        for r in children.get(parent, []):
            alts = f"  [{', '.join(r['alt_labels'])}]" if r["alt_labels"] else ""
            related = ", ".join(r["related"])
            related = f"  (related, not included: {related})" if related else ""
            line = f"{'  ' * depth}{r['label']} ({r['id']}, {r['tagged']}){alts}{related}"
            click.echo(visible(line))
            walk(r["id"], depth + 1)

    walk(None, 0)


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


@click.command("stats")
@click.option(
    "--table",
    "which",
    type=click.Choice(list(STATS_TABLES)),
    help="Only this table: classes, kinds (events per kind), months, topics or pairs "
    "(meetings per month, topic, pair of sides). csv holds one table: classes unless told.",
)
@format_option
@click.pass_context
def stats(ctx: click.Context, which: str | None, fmt: str) -> None:
    """Counts per class and per event kind; meetings per month, per topic and per pair of sides.

    A meeting here is an event of a kind that counts as a meeting (listed under meeting
    kinds: not an invitation, a message or a handover) with actors on two sides; a topic
    count includes events tagged with a narrower topic. Events per kind counts every event
    of each kind, and those with actors on two sides.

    --table NAME prints one of the tables (json: its list of rows); csv is always one
    table, which pandas.read_csv reads: classes unless --table says which.

    Example: kg stats --table months --format csv
    """
    from kg import lookups

    data = lookups.stats(open_store(ctx))
    if not data["classes"]:
        empty_answer()
    which = one_table(fmt, which, list(STATS_TABLES))
    if which is not None:
        key, cols = STATS_TABLES[which]
        emit(fmt, cols, data[key], f"no {key.replace('_', ' ')}")
        return
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for i, (key, cols) in enumerate(STATS_TABLES.values()):
        click.echo(("\n" if i else "") + key.replace("_", " ").capitalize())
        click.echo(table(cols, data[key]))
    kinds = ", ".join(data["meeting_kinds"])
    click.echo(f"\nMeetings are the events of these kinds: {kinds}")
