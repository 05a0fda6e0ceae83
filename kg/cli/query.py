"""`kg query`: any read-only SPARQL query against the graph."""

from __future__ import annotations

import sys
from typing import Any

import click

from kg.cli.common import open_store
from kg.cli.output import format_option, table


@click.command("query")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@format_option
@click.option(
    "--allow-service",
    is_flag=True,
    help="Let the query use SERVICE, which fetches from other hosts (refused otherwise).",
)
@click.pass_context
def query_cmd(ctx: click.Context, file: Any, fmt: str, allow_service: bool) -> None:
    """Run a SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE) from FILE, or - for stdin.

        The usual prefixes (kg, skos, org, prov, dcterms, foaf, schema, rdf, rdfs, owl, xsd,
        id, topic, cameo) are predeclared. --format json prints the SPARQL 1.1 JSON results format
        (JSON-LD for CONSTRUCT/DESCRIBE); csv prints SPARQL CSV results (N-Triples for graphs);
        table prints a table (Turtle for graphs). The store is opened read-only: updates fail.
    A query that mentions SERVICE anywhere (which would make kg fetch from another host) is
    refused unless --allow-service is given.

        Example: echo 'SELECT ?p WHERE { ?p a kg:Person }' | kg query -
    """
    import pyoxigraph as ox

    from kg.prefixes import PREFIXES
    from kg.server import mentions_service
    from kg.store import StoreError
    from kg.text import solutions_csv

    text = file.read()
    if not allow_service and mentions_service(text):
        raise StoreError(
            "the query mentions SERVICE, which fetches from other hosts: refused "
            "(pass --allow-service if you mean it; the word counts even in a string)"
        )
    store = open_store(ctx)
    try:
        result = store.raw(text, prefixes=PREFIXES)
    except StoreError as exc:
        if "syntax error" in str(exc):
            raise StoreError(
                f"{exc} (kg query runs read-only queries: SELECT, ASK, CONSTRUCT, DESCRIBE)"
            ) from None
        raise
    out = sys.stdout.buffer
    if isinstance(result, ox.QuerySolutions):
        if fmt == "table":
            names = [v.value for v in result.variables]
            rows = [{n: _show(sol[n]) for n in names} for sol in result]
            click.echo(table([(n, n) for n in names], rows) if rows else "(no rows)")
            return
        if fmt == "csv":
            out.write(solutions_csv(result))  # formula-safe cells, see README
        else:
            out.write(result.serialize(format=ox.QueryResultsFormat.JSON) or b"")
    elif isinstance(result, ox.QueryBoolean):
        if fmt == "table":
            click.echo("true" if bool(result) else "false")
            return
        rfmt = ox.QueryResultsFormat.JSON if fmt == "json" else ox.QueryResultsFormat.CSV
        out.write(result.serialize(format=rfmt) or b"")
    else:
        gfmt = {
            "table": ox.RdfFormat.TURTLE,
            "json": ox.RdfFormat.JSON_LD,
            "csv": ox.RdfFormat.N_TRIPLES,
        }[fmt]
        # Vocabulary prefixes only: entity IRIs read better in full than as id:person\/x.
        vocab = {k: v for k, v in PREFIXES.items() if k not in ("id", "topic")}
        data = ox.serialize(result, format=gfmt, prefixes=vocab if fmt == "table" else None)
        out.write(data or b"")
    out.flush()
    if fmt == "json" or (fmt == "table" and not isinstance(result, ox.QuerySolutions)):
        click.echo()


def _show(term: Any) -> str:
    if term is None:
        return ""
    return str(term.value)
