"""`kg serve` and `kg push`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.cli.common import store_path


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (loopback only unless you say otherwise).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=7878,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--query-timeout",
    type=click.FloatRange(min=1),
    default=10.0,
    show_default=True,
    help="Seconds a query may run before it is cancelled (HTTP 503).",
)
@click.option(
    "--max-results",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Most rows or triples an answer may have (HTTP 422 beyond).",
)
@click.option(
    "--idle-timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds a connection may wait between bytes before it is dropped (slow clients).",
)
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Connections served at once; one more gets HTTP 503 at once.",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="A name clients use to reach the server, besides localhost, 127.0.0.1, [::1] and "
    "--host (requests naming another Host get 421). Repeatable.",
)
@click.pass_context
def serve_cmd(
    ctx: click.Context,
    host: str,
    port: int,
    query_timeout: float,
    max_results: int,
    idle_timeout: float,
    max_connections: int,
    allow_hosts: tuple[str, ...],
) -> None:
    """Serve the built graph as a read-only SPARQL 1.1 endpoint, with a query page at /.

    SPARQL runs in a real Oxigraph server over the same store; kg serve refuses updates,
    LOAD and SERVICE, enforces the timeout and result cap with clear HTTP errors, and
    negotiates JSON, XML, CSV and TSV results and Turtle or N-Triples graphs. It answers
    only for loopback names, --host and --allow-host, refuses other sites' pages and
    queries nested deep enough to crash the engine, and drops idle connections.

    Example: kg serve --port 7878   (then: curl 'http://127.0.0.1:7878/sparql?query=ASK{}')
    """
    from kg.server import ServerConfig, serve
    from kg.store import default_store_path

    config = ServerConfig(
        store_path(ctx) or default_store_path(),
        host,
        port,
        query_timeout,
        max_results,
        idle_timeout=idle_timeout,
        max_connections=max_connections,
        allow_hosts=allow_hosts,
    )
    serve(config)


@click.command("push")
@click.option(
    "--endpoint",
    "endpoint",
    required=True,
    metavar="URL",
    help="The server's SPARQL query endpoint (e.g. http://host:7878/query).",
)
@click.option(
    "--store-url",
    metavar="URL",
    help="Its Graph Store Protocol URL "
    "(default: the endpoint with /query or /sparql replaced by /store).",
)
@click.option("--graph", metavar="IRI", help="Named graph to replace (default: the default graph).")
@click.option(
    "--turtle",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("build/kg.ttl"),
    show_default=True,
    help="The built graph to send.",
)
def push_cmd(endpoint: str, store_url: str | None, graph: str | None, turtle: Path) -> None:
    """Load the built graph into a SPARQL 1.1 server, replacing the target graph.

    Sends build/kg.ttl (as N-Triples) with one Graph Store Protocol PUT, which replaces
    the graph in one step (atomically where the server's store is transactional, as
    Oxigraph's is). Then query it with `kg --endpoint URL [--graph IRI] …`. Virtuoso has
    no writable default graph: give --graph, and --store-url …/sparql-graph-crud.

    Example: kg push --endpoint http://127.0.0.1:7878/query --graph https://example.org/kg
    """
    from kg.remote import gsp_url, push
    from kg.store import StoreError

    if not turtle.is_file():
        raise StoreError(f"no {turtle}: run `kg build` first")
    target = store_url or gsp_url(endpoint)
    if sys.stderr.isatty():  # progress on a terminal only; quiet when piped
        click.echo(
            f"sending {turtle} to {target}" + (f" as graph {graph}" if graph else "") + " …",
            err=True,
        )
    sent = push(turtle, target, graph)
    click.echo(
        f"pushed {sent} bytes of N-Triples to {target}"
        + (f" (graph {graph})" if graph else " (default graph)")
    )
