"""Limit: `kg who-met --person NAME [--limit N] --format json`.

Usage: python benchmarks/limits/who_met_person.py BUILD NAME [LIMIT]
"""

import sys

from common import emit, explain, generation, meeting, meetings_of, open_store, resolve

gen = generation(sys.argv[1])
store = open_store(gen)
person, _ = resolve(store, sys.argv[2])
rows = meetings_of(store, gen, person, int(sys.argv[3]) if len(sys.argv) > 3 else 0)
emit(explain(store, [meeting(r) for r in rows]))
