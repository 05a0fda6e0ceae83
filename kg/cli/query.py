"""`kg query`: any read-only SPARQL query against the graph."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from kg.cli import complete
from kg.cli.common import empty_answer, format_option, open_store
from kg.cli.output import emit, row_count, table


@click.command("query")
@click.argument("query", metavar="FILE|NAME", required=False, shell_complete=complete.queries)
@format_option
@click.option(
    "--param",
    "-P",
    "params",
    metavar="KEY=VALUE",
    multiple=True,
    help="Bind a parameter of the query's header (repeat it); omitted ones take their default.",
)
@click.option("--list", "list_", is_flag=True, help="List the named queries and stop.")
@click.option(
    "--allow-service",
    is_flag=True,
    help="Let the query use SERVICE, which fetches from other hosts (refused otherwise).",
)
@click.pass_context
def query_cmd(
    ctx: click.Context,
    query: str | None,
    fmt: str,
    params: tuple[str, ...],
    list_: bool,
    allow_service: bool,
) -> None:
    """Run a SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE) from FILE, - for stdin, or
    a named query (kg/queries/NAME.rq; `kg query --list` lists them).

    A query's header (`# param from: date = 0001-01-01`) declares its parameters: --param
    KEY=VALUE binds one (an iri as prefix:name or <IRI>, a date as YYYY-MM-DD), and every
    one omitted is bound to its default. Values are bound, never pasted into the query.

    The usual prefixes (kg, skos, org, prov, dcterms, foaf, schema, rdf, rdfs, owl, xsd, id,
    topic, cameo, void) are predeclared; id: is the graph's id space (kg build --base-iri).
    --format json prints the SPARQL 1.1 JSON results format (JSON-LD for CONSTRUCT/DESCRIBE);
    csv prints SPARQL CSV results (N-Triples for graphs); table prints a table (Turtle for
    graphs). The store is opened read-only: updates fail.
    A query that mentions SERVICE anywhere (which would make kg fetch from another host) is
    refused unless --allow-service is given.

    Example: echo 'SELECT ?p WHERE { ?p a kg:Person }' | kg query -

    Example: kg query who-met --param person=id:person/amir-khan-muttaqi
    """
    import pyoxigraph as ox

    from kg.query import all_queries, column_order, mentions_service, prefixes_of, text_bindings
    from kg.store import StoreError
    from kg.text import solutions_csv

    if list_:
        named = [
            {"name": q.name, "title": q.title, "parameters": ", ".join(q.params)}
            for q in all_queries()
        ]
        emit(fmt, [("name", "name"), ("title", "title"), ("parameters", "parameters")], named)
        return
    if query is None:
        raise click.UsageError("give a query FILE, - for stdin, or NAME (see kg query --list)")
    named_query = _read(query)
    given: dict[str, str] = {}
    for pair in params:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="'--param'")
        given[key.strip()] = value
    text_bindings(named_query, given)  # a bad parameter is refused before the store opens
    text = named_query.text
    if not allow_service and mentions_service(text):
        raise StoreError(
            "the query mentions SERVICE, which fetches from other hosts: refused "
            "(pass --allow-service if you mean it; the word counts even in a string)"
        )
    store = open_store(ctx)
    prefixes = prefixes_of(store)  # id: is the store's id space (kg build --base-iri)
    binds = text_bindings(named_query, given, prefixes)
    try:
        result = store.raw(text, prefixes=prefixes, bindings=binds)
    except StoreError as exc:
        if "syntax error" in str(exc):
            raise StoreError(
                f"{exc} (kg query runs read-only queries: SELECT, ASK, CONSTRUCT, DESCRIBE)"
            ) from None
        raise
    out = sys.stdout.buffer
    if isinstance(result, ox.QuerySolutions):
        # SELECT *: the query's order, not pyoxigraph's alphabetical one.
        names = column_order(text, [v.value for v in result.variables])
        if fmt == "json":
            data = _ordered_json(result.serialize(format=ox.QueryResultsFormat.JSON), names)
            if not data["results"]["bindings"]:
                empty_answer(error=False)
            click.echo(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
            return
        solutions = list(result)
        if not solutions:
            empty_answer(error=False)
        if fmt == "table":
            rows = [{n: _show(sol[n]) for n in names} for sol in solutions]
            if not rows:
                click.echo("(no rows)")
                return
            click.echo(table([(n, n) for n in names], rows))
            click.echo(f"\n{row_count(len(rows))}")
            return
        out.write(solutions_csv(solutions, names=names))  # formula-safe cells, see README
    elif isinstance(result, ox.QueryBoolean):
        if fmt == "table":
            click.echo("true" if bool(result) else "false")
            return
        rfmt = ox.QueryResultsFormat.JSON if fmt == "json" else ox.QueryResultsFormat.CSV
        out.write(result.serialize(format=rfmt) or b"")
    else:
        triples = list(result)
        if not triples:
            empty_answer(error=False)
        gfmt = {
            "table": ox.RdfFormat.TURTLE,
            "json": ox.RdfFormat.JSON_LD,
            "csv": ox.RdfFormat.N_TRIPLES,
        }[fmt]
        # Vocabulary prefixes only: entity IRIs read better in full than as id:person\/x.
        vocab = {k: v for k, v in prefixes.items() if k not in ("id", "topic")}
        graph = ox.serialize(triples, format=gfmt, prefixes=vocab if fmt == "table" else None)
        out.write(graph or b"")
    out.flush()
    if fmt == "json" or (fmt == "table" and not isinstance(result, ox.QuerySolutions)):
        click.echo()


def _ordered_json(body: bytes | None, names: list[str]) -> dict[str, Any]:
    """SPARQL JSON results with head.vars, and each binding's keys, in the order of names:
    pyoxigraph writes a `SELECT *`'s variables sorted by name; the query's order is kept,
    as in the table and the csv."""
    data: dict[str, Any] = json.loads(body or b"{}")
    data["head"]["vars"] = names
    data["results"]["bindings"] = [
        {n: b[n] for n in names if n in b} for b in data["results"]["bindings"]
    ]
    return data


def _show(term: Any) -> str:
    if term is None:
        return ""
    return str(term.value)


def _read(query: str) -> Any:
    """The query FILE, stdin (-) or named query NAME, header read and fragments expanded."""
    from kg.query import QUERY_DIR, read_query
    from kg.store import StoreError

    if query == "-":
        return read_query("stdin", sys.stdin.read())
    path = Path(query)
    if not path.is_file() and "/" not in query and not query.endswith(".rq"):
        path = QUERY_DIR / f"{query}.rq"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StoreError(
            f"no query file or named query {query!r} (kg query --list names them)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot read {query}: {exc}") from None
    return read_query(path.stem, text)
