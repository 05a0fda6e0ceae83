"""The Python API: ``kg.open()`` returns a Graph whose methods are kg's lookups.

Names are taken as the CLI takes them (``"muttaqi"``, ``"Kazemi Qomi"``; topics by label
or slug) and dates as ``"YYYY"``, ``"YYYY-MM"``, ``"YYYY-MM-DD"`` or a ``datetime.date``;
a month or a year covers all its days. Lists of rows come back as :class:`Rows` (plain
dicts with the fields of the CLI's JSON output, listed in the README) and errors are
kg's own (subclasses of :class:`kg.errors.KgError`, e.g. ``kg.names.UnresolvedName``).

    >>> g = kg.open()  # doctest: +SKIP
    >>> [(r["person"], r["held"]) for r in g.roles(on="2022-08-20", post="ambassador")]
    [('Bahadur Aminian', 'yes'), ('Hassan Kazemi Qomi', 'possibly')]
    >>> g.roles(on="2022-08-20").to_pandas()  # doctest: +SKIP

Nothing heavy is imported here at import time: ``import kg`` and ``kg --help`` stay fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.errors import KgError

if TYPE_CHECKING:
    from kg.lookups import Rows
    from kg.names import Entity
    from kg.store import Store
    from kg.views import View

When = str | dt.date


class BadArgument(KgError, ValueError):
    """An argument the API cannot use: a bad date, an unknown measure or actor kind."""


# Named as the issue names it (kg.open); it shadows the builtin in this module, which uses none.
def open(
    path_or_endpoint: str | Path | None = None,
    *,
    graph: str | None = None,
    timeout: float = 30.0,
) -> Graph:
    """Open the graph: a store folder written by `kg build`, or a SPARQL endpoint URL.

    Without an argument, $KG_STORE or build/store of the current directory (as `kg`
    does). A URL starting with http:// or https:// is a SPARQL 1.1 query endpoint, as
    `kg --endpoint` takes it (graph: one named graph as the default graph). Raises
    kg.store.StoreError when there is no build there.

    >>> kg.open(tmp / "nothing-here")
    Traceback (most recent call last):
    ...
    kg.store.StoreError: no graph at .../nothing-here: run `kg build` first, in the folder
    that holds facts/ ...
    """
    text = str(path_or_endpoint) if path_or_endpoint is not None else ""
    if text.startswith(("http://", "https://")):
        from kg.remote import RemoteStore

        return Graph(RemoteStore(text, graph, timeout))
    from kg.store import EmbeddedStore

    return Graph(EmbeddedStore.open(Path(text) if text else None))


def _day(when: When | None, end: bool) -> dt.date | None:
    """The first (or, for an end, last) day of a date given as text or a date."""
    if when is None or isinstance(when, dt.date):
        return when
    from kg.facts.dates import parse_date

    try:
        fuzzy = parse_date(when)
    except ValueError as exc:
        raise BadArgument(str(exc)) from None
    day: dt.date = fuzzy.latest if end else fuzzy.earliest
    return day


class Graph:
    """An open kg graph; each method is one of kg's lookups (see `kg <command> --help`).

    ``store`` is the underlying kg.store.Store, for kg.notebook and kg.views.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def __repr__(self) -> str:
        where = getattr(self.store, "endpoint", None) or getattr(self.store, "path", "?")
        return f"<kg.Graph {where}>"

    # --- names ---------------------------------------------------------------------------

    def resolve(self, name: str | Entity, kind: str | None = None) -> Entity:
        """Return the one entity a name means; raise UnresolvedName (with a did-you-mean).

        >>> g.resolve("muttaqi").label
        'Amir Khan Muttaqi'
        >>> g.resolve("Mutaqqi")
        Traceback (most recent call last):
        ...
        kg.names.UnresolvedName: no entity named 'Mutaqqi' (did you mean 'Amir Khan Muttaqi'...?)
        """
        from kg.names import Entity, resolve

        return name if isinstance(name, Entity) else resolve(self.store, name, kind)

    def resolve_topic(self, name: str | Entity) -> Entity:
        """Return the topic of the SKOS scheme a label or slug means.

        >>> g.resolve_topic("energy").label
        'Energy'
        """
        from kg.names import Entity, resolve_topic

        return name if isinstance(name, Entity) else resolve_topic(self.store, name)

    def _maybe(self, name: str | Entity | None) -> Entity | None:
        return None if name is None else self.resolve(name)

    def _maybe_topic(self, name: str | Entity | None) -> Entity | None:
        return None if name is None else self.resolve_topic(name)

    # --- lookups -------------------------------------------------------------------------

    def who_met(
        self,
        person: str | Entity | None = None,
        with_: str | Entity | None = None,
        topic: str | Entity | None = None,
        start: When | None = None,
        end: When | None = None,
        kinds: Sequence[str] = (),
        inferred: bool = True,
    ) -> Rows:
        """Who met whom: one row per pair of actors on opposite sides of an event.

        As `kg who-met`: a topic takes in its narrower topics; kinds as `--kind` takes
        them (none: the kinds that count as meetings; ``["any"]``: every kind);
        inferred=False leaves out rows whose actor is an office's presumed holder.

        >>> rows = g.who_met(topic="energy")
        >>> "Da Afghanistan Bank" in {r["b"] for r in rows}
        True
        >>> rows[0]["date"], rows[0]["source"]["line"]
        ('2022-07-23', 20)
        """
        from kg import lookups

        return _rows(
            lookups.who_met(
                self.store,
                person=self._maybe(person),
                with_=self._maybe(with_),
                topic=self._maybe_topic(topic),
                start=_day(start, end=False),
                end=_day(end, end=True),
                kinds=kinds,
                inferred=inferred,
            )
        )

    def show(self, name: str | Entity) -> dict[str, Any]:
        """An entity's card: names, types, sources, roles, events and every statement.

        >>> card = g.show("muttaqi")
        >>> card["label"], card["roles_total"] > 0
        ('Amir Khan Muttaqi', True)
        """
        from kg import lookups

        return lookups.show(self.store, self.resolve(name))

    def roles(
        self, name: str | Entity | None = None, on: When | None = None, post: str | None = None
    ) -> Rows:
        """Who held which post in which organization, and when (as `kg roles`).

        on: held on that day (a month or year: at some time in it); post: words of the
        post's name.

        >>> [(r["person"], r["held"]) for r in g.roles(on="2022-08-20", post="ambassador")]
        [('Bahadur Aminian', 'yes'), ('Hassan Kazemi Qomi', 'possibly')]
        """
        from kg import lookups

        return _rows(
            lookups.roles(
                self.store, self._maybe(name), _day(on, end=False), _day(on, end=True), post=post
            )
        )

    def timeline(
        self, name: str | Entity | None = None, start: When | None = None, end: When | None = None
    ) -> Rows:
        """Dated events in order, optionally only those involving an entity.

        >>> events = g.timeline("muttaqi", start="2022", end="2022")
        >>> all(e["date"].startswith("2022") for e in events), len(events) > 0
        (True, True)
        """
        from kg import lookups

        return _rows(
            lookups.timeline(
                self.store, self._maybe(name), _day(start, end=False), _day(end, end=True)
            )
        )

    def claims(
        self, about: str | Entity | None = None, status: str | None = None, by: str | None = None
    ) -> Rows:
        """What the source asserts beyond events and roles, each with how it puts it.

        status: stated, reported, attributed, assessed, predicted, hedged or denied; by: a
        party's name, or "author" or "unnamed" (sources).

        >>> {r["status"] for r in g.claims(status="reported")}
        {'reported'}
        >>> g.claims(status="rumoured")
        Traceback (most recent call last):
        ...
        kg.names.UnresolvedName: no status 'rumoured'...
        """
        from kg import lookups

        status_iri = lookups.resolve_status(self.store, status) if status else None
        if by is None:
            by_iri = None
        elif by.lower() in lookups.ASSERTERS:
            by_iri = lookups.ASSERTERS[by.lower()]
        else:
            by_iri = self.resolve(by).iri
        return _rows(lookups.claims(self.store, self._maybe(about), status_iri, by_iri))

    def agreements(
        self,
        status: str | None = None,
        party: str | Entity | None = None,
        on: When | None = None,
        topic: str | Entity | None = None,
    ) -> Rows:
        """Agreements, pledges, proposals and offers with the status each had on a day.

        Without `on`, each act's latest status; with it, its latest change by then (as
        `kg agreements --on`).

        >>> all("status" in r and "parties" in r for r in g.agreements())
        True
        """
        from kg import lookups

        return _rows(
            lookups.agreements(
                self.store,
                status=status,
                party=self._maybe(party),
                on=_day(on, end=True),
                topic=self._maybe_topic(topic),
            )
        )

    def path(self, a: str | Entity, b: str | Entity) -> Rows:
        """The shortest chain of relations between two entities, each hop with its evidence.

        Raises kg.chains.NoPath when there is none.

        >>> hops = g.path("muttaqi", "Saif al-Adel")
        >>> hops[0]["from"], hops[-1]["to"]
        ('Amir Khan Muttaqi', 'Saif al-Adel')
        """
        from kg.chains import shortest_path

        return _rows(shortest_path(self.store, self.resolve(a), self.resolve(b)))

    def view(
        self,
        ego: str | None = None,
        depth: int = 1,
        topic: str | None = None,
        start: When | None = None,
        end: When | None = None,
        path: tuple[str, str] | None = None,
        max_nodes: int | None = None,
    ) -> View:
        """What `kg view` draws, as a kg.views.View (the same arguments: an ego's
        neighbourhood, a topic, a span of dates, a chain marked between two names).

        Show it in a notebook with kg.notebook.view_inline, or write the page with
        kg.views.render.write. Raises kg.views.ViewError when it cannot be drawn.

        >>> v = g.view(ego="muttaqi", depth=2)
        >>> v.title, "Bahadur Aminian" in {n.label for n in v.nodes.values()}
        ('kg: Amir Khan Muttaqi', True)
        >>> g.view(path=("muttaqi", "Saif al-Adel")).note
        'whole graph; path Amir Khan Muttaqi → Saif al-Adel in blue (4 hops, as kg path)'
        """
        from kg.views import MAX_NODES, make_view

        return make_view(
            self.store,
            ego=ego,
            depth=depth,
            topic=topic,
            start=_day(start, end=False),
            end=_day(end, end=True),
            path=path,
            max_nodes=MAX_NODES if max_nodes is None else max_nodes,
        )

    def rank(self, by: str = "degree", kind: str | None = None) -> Rows:
        """Rank actors by a centrality measure (degree, betweenness, eigenvector…).

        kind: only actors of this kind (person, organization, post…).

        >>> top = g.rank("betweenness", "person")
        >>> top[0]["rank"], top[0]["name"]
        (1, 'Bahadur Aminian')
        >>> g.rank("fame")
        Traceback (most recent call last):
        ...
        kg.api.BadArgument: unknown measure 'fame' (measures: ...)
        """
        from kg.analytics import MEASURES, rank
        from kg.kinds import actor_kinds

        if by not in MEASURES:
            raise BadArgument(f"unknown measure {by!r} (measures: {', '.join(MEASURES)})")
        kinds = [name for _, name in actor_kinds(self.store)]
        if kind is not None and kind not in kinds:
            raise BadArgument(f"{kind!r} is not an actor kind (kinds: {', '.join(kinds)})")
        return _rows(rank(self.store, by, kind))

    def communities(self) -> Rows:
        """Groups of actors more tied to each other than to the rest (as `kg communities`)."""
        from kg.analytics import communities

        return _rows(communities(self.store))

    def topics(self) -> Rows:
        """The topics of the scheme, each with its broader topic and how many facts it tags.

        >>> "energy" in {t["id"] for t in g.topics()}
        True
        """
        from kg import lookups

        return _rows(lookups.topics(self.store))

    def stats(self) -> dict[str, Any]:
        """Counts of the graph's classes, event kinds and sources (as `kg stats --format json`).

        >>> {c["class"]: c["count"] for c in g.stats()["classes"]}["Person"] > 10
        True
        """
        from kg import lookups

        return lookups.stats(self.store)

    def engagement(self, by: str = "month") -> dict[str, Any]:
        """Engagements per month (or year), and what the source itself reports."""
        from kg import lookups

        return lookups.engagement(self.store, by)

    def query(self, sparql: str, allow_service: bool = False) -> Rows:
        """Run a read-only SPARQL SELECT; return its rows as dicts of plain values.

        kg's prefixes (kg:, skos:, schema:, org:…) are predefined. A value is a str (an
        IRI, a string, a date as text), an int (xsd:integer), a float (xsd:double,
        xsd:decimal), a bool, or None where a variable is unbound. SERVICE, which fetches
        from other hosts, is refused unless allow_service=True.

        >>> g.query("SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Person }")[0]["n"] > 10
        True
        >>> g.query("ASK { ?s ?p ?o }")
        Traceback (most recent call last):
        ...
        kg.store.StoreError: query() runs SELECT queries; ...
        """
        import pyoxigraph as ox

        from kg.query import mentions_service, prefixes_of
        from kg.store import StoreError

        if not allow_service and mentions_service(sparql):
            raise StoreError(
                "the query mentions SERVICE, which fetches from other hosts: refused "
                "(pass allow_service=True if you mean it)"
            )
        result = self.store.raw(sparql, prefixes=prefixes_of(self.store))
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError(
                "query() runs SELECT queries; for ASK, CONSTRUCT or DESCRIBE use "
                "g.store.raw() or `kg query`"
            )
        names = [v.value for v in result.variables]
        return _rows([{n: _plain(sol[n]) for n in names} for sol in result])


_INTEGERS = {"integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger"}


def _plain(term: Any) -> Any:
    """A SPARQL term as a plain Python value (see Graph.query)."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.Literal):
        kind = term.datatype.value.rsplit("#", 1)[-1]
        try:
            if kind in _INTEGERS:
                return int(term.value)
            if kind in ("double", "float", "decimal"):
                return float(term.value)
        except ValueError:
            return term.value
        if kind == "boolean":
            return term.value in ("true", "1")
    return term.value


def _rows(rows: list[dict[str, Any]]) -> Rows:
    """Rows as the API hands them back (kg.lookups.Rows: a list with .to_pandas())."""
    from kg.lookups import Rows

    return rows if isinstance(rows, Rows) else Rows(rows)
