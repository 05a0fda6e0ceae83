"""Limit: `kg show NAME --format json`.

Usage: python benchmarks/limits/show.py BUILD NAME
"""

import sys

from common import emit, generation, open_store, resolve, show

gen = generation(sys.argv[1])
store = open_store(gen)
emit(show(store, gen, *resolve(store, sys.argv[2])))
