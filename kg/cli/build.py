"""`kg build`."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("build")
@click.option(
    "--facts",
    "facts_dir",
    type=click.Path(path_type=Path),
    default=Path("facts"),
    show_default=True,
    help="Folder of curated YAML facts.",
)
@click.option(
    "--out",
    "build_dir",
    type=click.Path(path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Folder to write kg.ttl and the store into.",
)
@click.option(
    "--sources",
    "source_dirs",
    type=click.Path(path_type=Path, file_okay=False),
    multiple=True,
    help="Folder of source texts, to check evidence line numbers "
    "(default: $KG_SOURCES, then sources/ or ../shared/sources/ beside the facts).",
)
@click.option(
    "--schema",
    "schema_files",
    type=click.Path(path_type=Path, dir_okay=False),
    multiple=True,
    metavar="FILE",
    help="A schema file (shaped like ontology/records.yaml) whose kinds are added to kg's.",
)
@click.option(
    "--base-iri",
    default="https://w3id.org/kg/",
    show_default=True,
    metavar="IRI",
    callback=lambda _ctx, _param, value: _check_base(value),
    help="The entities' IRIs are IRI + id/<kind>/<slug>, for a deployment that serves its "
    "own namespace (kg serve answers /id/…); the ontology's kg: terms keep theirs.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Build everything, even when nothing changed since the live build.",
)
@click.option(
    "--timings", is_flag=True, help="Also print how long each stage took, and what was reused."
)
@click.option(
    "--memory",
    metavar="SIZE",
    callback=lambda _ctx, _param, value: _check_memory(value),
    help="Memory the build's buffers may hold (the sort for kg.ttl, the records converted at "
    "once), e.g. 512M or 2G (default: $KG_BUILD_MEMORY, else a quarter of the machine's, at "
    "least 1G). A graph whose store fits is built in memory, a bigger one on disk (slower). "
    "The checked facts are held on top of it.",
)
@click.option(
    "--max-errors",
    type=click.IntRange(min=0),
    default=200,
    show_default=True,
    help="List at most this many problems (0: all); the rest are counted.",
)
def build_cmd(
    facts_dir: Path,
    build_dir: Path,
    source_dirs: tuple[Path, ...],
    schema_files: tuple[Path, ...],
    base_iri: str,
    full: bool,
    timings: bool,
    memory: int,
    max_errors: int,
) -> None:
    """Build the knowledge graph from curated facts.

    Reads every YAML file under --facts, checks it (references, dates, evidence), converts
    it to RDF, validates it against the SHACL shapes and writes BUILD/kg.ttl and an
    embedded store that the other commands query. Every problem is reported with its
    file:line; a failed build leaves the previous outputs untouched. When nothing it reads
    changed since the live build (facts, ontology, --schema files, options, cited source
    texts, kg itself), it builds nothing and reports that build again; --full builds anyway.

    Exit codes: 0 built, 1 invalid facts, 2 usage error.

    Example: kg build --facts facts --out build
    """
    from kg.build import build
    from kg.diagnostics import FactsError
    from kg.progress import Progress

    # On a terminal only (one line, redrawn, with the time left): piped output stays the
    # summary alone.
    bar = Progress(1.0, "kg build:")

    def progress(stage: str, done: float) -> None:
        bar.update(done, stage)

    # Every problem in the facts, each with its file:line (other errors: see KgGroup).
    try:
        result = build(
            facts_dir,
            build_dir,
            list(source_dirs) or None,
            progress=progress,
            schema_files=list(schema_files),
            base_iri=base_iri,
            full=full,
            memory=memory,
        )
    except BaseException as exc:
        bar.close()  # the line goes before any message
        if not isinstance(exc, FactsError):
            raise
        errors = [d for d in exc.diagnostics if d.severity == "error"]
        shown = exc.diagnostics if not max_errors else exc.diagnostics[:max_errors]
        for diag in shown:
            click.echo(str(diag), err=True)
        if len(shown) < len(exc.diagnostics):
            click.echo(
                f"… and {len(exc.diagnostics) - len(shown)} more problem(s) not listed "
                "(--max-errors 0 lists all)",
                err=True,
            )
        click.echo(f"build failed: {len(errors)} error(s); {build_dir}/ left as it was", err=True)
        sys.exit(exc.exit_code)
    bar.close()
    for diag in result.warnings:
        click.echo(str(diag), err=True)
    click.echo(f"built {result.turtle} and {result.store}: {result.triples} triples")
    width = max(len(name) for name in result.counts) if result.counts else 0
    for name, count in result.counts.items():
        click.echo(f"  {name:<{width}}  {count:>5}")
    click.echo(f"{len(result.warnings)} warning(s)")
    if timings:
        click.echo(f"  {result.how} build: {result.why}")
        for stage, seconds in result.timings.items():
            click.echo(f"  {stage:<22} {seconds:7.3f} s")


def _check_base(value: str) -> str:
    """A usage error (exit 2) for a base IRI that cannot prefix the entities' IRIs."""
    from kg.build import check_base_iri

    problem = check_base_iri(value)
    if problem is not None:
        raise click.BadParameter(f"{value!r}: {problem}", param_hint="'--base-iri'")
    return value


def _check_memory(value: str | None) -> int:
    """A usage error (exit 2) for a --memory (or $KG_BUILD_MEMORY) that is not a size."""
    from kg.streaming import memory_setting

    try:
        return memory_setting(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--memory'") from None
