"""Limit: `kg stats --format json`.

Usage: python benchmarks/limits/stats.py BUILD

kg build computes these counts once and writes them beside the store (aggregates.json):
the best a script can do is read that file; it never opens the store.
"""

import sys

from common import cell, emit, generation, local, sidecar

agg = sidecar(generation(sys.argv[1]), "aggregates")
kinds = [
    {
        "kind": cell(r, "kind"),
        "label": cell(r, "label"),
        "counts_as_meeting": cell(r, "meeting") == "true",
        "events": int(cell(r, "events") or 0),
        "with_two_sides": int(cell(r, "twoSided") or 0),
    }
    for r in agg["stats-kinds"]
]
emit(
    {
        "classes": [
            {
                "class": cell(r, "classLabel") or local(cell(r, "class")),
                "count": int(cell(r, "count")),
            }
            for r in agg["stats-classes"]
        ],
        "meetings_per_month": [
            {"month": cell(r, "month"), "count": int(cell(r, "count"))} for r in agg["stats-months"]
        ],
        "meetings_per_topic": [
            {"topic": cell(r, "label"), "count": int(cell(r, "count"))} for r in agg["stats-topics"]
        ],
        "meetings_per_pair": [
            {"a": cell(r, "aLabel"), "b": cell(r, "bLabel"), "count": int(cell(r, "count"))}
            for r in agg["stats-pairs"]
        ],
        "events_per_kind": kinds,
        "meeting_kinds": [k["kind"] for k in kinds if k["counts_as_meeting"]],
    }
)
