"""`kg serve` and `kg push`."""

from __future__ import annotations

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
@click.option(
    "--cors",
    "cors",
    multiple=True,
    metavar="ORIGIN",
    help="An origin whose pages may query from a browser (https://yasgui.example, or * for "
    "any). Repeatable. Default: any when listening on loopback, none otherwise.",
)
@click.option(
    "--no-cors",
    is_flag=True,
    help="No page of another origin may query (they get 403), even on loopback.",
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
    cors: tuple[str, ...],
    no_cors: bool,
) -> None:
    """Serve the built graph as a read-only SPARQL 1.1 endpoint, with a query page at /.

    SPARQL runs in a real Oxigraph server over the same store; kg serve refuses updates,
    LOAD and SERVICE, enforces the timeout and result cap with clear HTTP errors, and
    gives SPARQL JSON, XML, CSV and TSV results and Turtle, N-Triples, RDF/XML, JSON-LD,
    N-Quads, TriG or N3 graphs (Accept, or format=json|xml|csv|tsv|turtle|…). kg's
    prefixes are predeclared, as in kg query. After `kg build`, the next query is answered
    from the new build. It answers only for loopback names, --host and --allow-host,
    refuses pages of other sites unless CORS lets them in (--cors), refuses queries
    nested deep enough to crash the engine, and drops idle connections.
    Each entity's IRI path, /id/<kind>/<slug>, answers with its card (HTML) or its
    description (Turtle, JSON-LD, N-Triples, RDF/XML), as the Accept header asks.

    Example: kg serve --port 7878   (then: curl 'http://127.0.0.1:7878/sparql?query=ASK{}')
    """
    from kg.server import ServerConfig, cors_origin, serve
    from kg.store import StoreError, missing_store, store_dir

    if no_cors and cors:
        raise click.UsageError("--cors and --no-cors contradict each other: give one")
    try:
        origins = tuple(cors_origin(c) for c in cors)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--cors'") from None
    store = store_dir(store_path(ctx))
    if not store.is_dir():
        raise StoreError(missing_store(store))
    config = ServerConfig(
        store,
        host,
        port,
        query_timeout,
        max_results,
        idle_timeout=idle_timeout,
        max_connections=max_connections,
        allow_hosts=allow_hosts,
        cors=() if no_cors else (origins or None),
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
@click.option(
    "--batch",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="Send at most N triples a request (a PUT, then POSTs: not atomic; 0: one PUT). "
    "Virtuoso 7 needs it for graphs of a million triples or more (200000 works).",
)
@click.option(
    "--build-files/--no-build-files",
    default=True,
    show_default=True,
    help="Also send the files kg build wrote beside kg.ttl (aggregates, indexes), which "
    "lookups through the server then read instead of computing them by SPARQL.",
)
def push_cmd(
    endpoint: str,
    store_url: str | None,
    graph: str | None,
    turtle: Path,
    batch: int,
    build_files: bool,
) -> None:
    """Load the built graph into a SPARQL 1.1 server, replacing the target graph.

    Sends build/kg.ttl (as N-Triples) with one Graph Store Protocol PUT, which replaces
    the graph in one step (atomically where the server's store is transactional, as
    Oxigraph's is). With it go the build files beside kg.ttl (stats' aggregates, the
    meeting, tenure and hub indexes, the actor network), into a graph of their own, with
    the digest of kg.ttl they belong to: lookups through the server read them while the
    graph there is still that one. Then query it with `kg --endpoint URL [--graph IRI] …`.
    Virtuoso has no writable default graph: give --graph, and --store-url
    …/sparql-graph-crud; from a million triples on, --batch 200000 (one request that large
    never returns).

    Example: kg push --endpoint http://127.0.0.1:7878/query --graph https://example.org/kg
    """
    from kg.remote import build_files as read_build_files
    from kg.remote import files_graph, gsp_url, push
    from kg.store import StoreError

    if not turtle.is_file():
        raise StoreError(
            f"no {turtle.absolute()}: run `kg build` first, in the folder that holds facts/ "
            "(or cd into a built project), or pass --turtle FILE"
        )
    from kg.progress import Progress, size_text

    # Read now, from the build that kg.ttl belongs to (build/kg.ttl leads to the current
    # generation's; a build switching generations meanwhile changes neither).
    files = read_build_files(turtle.resolve().parent) if build_files else {}

    target = store_url or gsp_url(endpoint)
    # Progress on a terminal only (stderr); quiet when piped. The server loads the graph
    # once it has it all: the line then says so, as that may take a while too.
    bar = Progress(turtle.stat().st_size, f"pushing {turtle.name}", show=size_text)

    def sent_so_far(done: int, total: int) -> None:
        bar.total = float(total)  # the N-Triples sent, not the Turtle's size estimated first
        bar.update(done, "(sent; the server is loading it)" if done >= bar.total else None)

    try:
        sent = push(
            turtle,
            target,
            graph,
            progress=sent_so_far if bar.enabled else None,
            batch=batch,
            files=files,
        )
    finally:
        bar.close()
    click.echo(
        f"pushed {sent} bytes of N-Triples to {target}"
        + (f" (graph {graph})" if graph else " (default graph)")
    )
    if files:
        size = sum(len(data) for data in files.values())
        click.echo(f"and {len(files)} build files ({size} bytes) to graph {files_graph(graph)}")
