"""`python -m kg` runs the kg command line, under its own name (usage lines, completion's
_KG_COMPLETE), as the `kg` script does."""

from kg.cli import run

run()
