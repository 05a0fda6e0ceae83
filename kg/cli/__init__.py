"""The `kg` command line: thin commands over the kg library.

Only click is imported here; each command imports the heavy libraries it needs, so that
`kg --help` stays instant.
"""

from __future__ import annotations

import click

from kg.cli.build import build_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kg")
def main() -> None:
    """kg: a sourced knowledge graph of actors, institutions and agreements.

    Start with `kg build` in a checkout: it reads facts/, validates them and writes build/.
    """


main.add_command(build_cmd)
