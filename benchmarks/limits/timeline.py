"""Limit: `kg timeline NAME [--limit N] --format json`.

Usage: python benchmarks/limits/timeline.py BUILD NAME [LIMIT]
"""

import sys

from common import emit, generation, open_store, resolve, timeline

store = open_store(generation(sys.argv[1]))
entity, _ = resolve(store, sys.argv[2])
emit(timeline(store, entity, int(sys.argv[3]) if len(sys.argv) > 3 else 0)[0])
