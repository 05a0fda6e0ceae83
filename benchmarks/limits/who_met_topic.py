"""Limit: `kg who-met --topic TOPIC --limit N --format json` (a first page).

Usage: python benchmarks/limits/who_met_topic.py BUILD TOPIC LIMIT
"""

import sys

import pyoxigraph as ox
from common import emit, explain, generation, meeting, meetings_on, open_store, resolve

gen = generation(sys.argv[1])
store = open_store(gen)
concept = ox.NamedNode("http://www.w3.org/2004/02/skos/core#Concept")
topic, _ = resolve(store, sys.argv[2], concept)
emit(explain(store, [meeting(r) for r in meetings_on(store, gen, topic, int(sys.argv[3]))]))
