"""Lookup commands: who-met, show, roles, timeline, agreements, path, topics, stats."""

from __future__ import annotations

from typing import Any

import click

from kg.cli import answers, complete
from kg.cli.common import DATE, call, format_option, open_store
from kg.cli.output import emit
from kg.text import visible


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
    call(ctx, answers.who_met, person=person, with_=with_, topic=topic, start=start, end=end,
         kinds=kinds, no_inferred=no_inferred, fmt=fmt, limit=limit, offset=offset)  # fmt: skip


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
    call(ctx, answers.roles, name=name, on=on, post=post, fmt=fmt, limit=limit, offset=offset)


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
    call(ctx, answers.timeline, name=name, start=start, end=end, fmt=fmt, limit=limit,
         offset=offset)  # fmt: skip


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
@paging
@click.pass_context
def agreements(
    ctx: click.Context,
    status: str | None,
    party: str | None,
    on: Any,
    topic: str | None,
    fmt: str,
    limit: int | None,
    offset: int,
) -> None:
    """Agreements, pledges, proposals and offers: their status, parties and roles, topics.

    Each row is one act with the status it had on --on (its latest status change on or
    before that date; a date known only to the month or year counts from its first day),
    or its latest status without --on: when and at which event it changed, who made the
    change, and the source line saying so. Parties are listed with their roles
    (signatory, proposer, pledger, addressee…); JSON also gives each act's history.

    Example: kg agreements --on 2022-08-10 --topic water
    """
    call(ctx, answers.agreements, status=status, party=party, on=on, topic=topic, fmt=fmt,
         limit=limit, offset=offset)  # fmt: skip


@click.command("show")
@click.argument("name", shell_complete=complete.names)
@format_option
@click.pass_context
def show(ctx: click.Context, name: str, fmt: str) -> None:
    """An entity's card: names, type, roles over time, events and everything said of it.

    Every fact shows the source lines it comes from.

    Example: kg show "Kazemi Qomi"
    """
    call(ctx, answers.show, name=name, fmt=fmt)


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
    call(ctx, answers.path, a=a, b=b, fmt=fmt)


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


@click.command("stats")
@click.option(
    "--table",
    "which",
    type=click.Choice(list(answers.STATS_TABLES)),
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
    call(ctx, answers.stats, which=which, fmt=fmt)
