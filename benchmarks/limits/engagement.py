"""Limit: `kg engagement --format json` (counts by month).

Usage: python benchmarks/limits/engagement.py BUILD

Read from aggregates.json, which kg build writes beside the store; the store is not opened.
"""

import sys

from common import cell, citations, emit, generation, sidecar

agg = sidecar(generation(sys.argv[1]), "aggregates")
rows = [{"month": cell(r, "month"), "count": int(cell(r, "count"))} for r in agg["stats-months"]]
reported = [
    {
        "statistic": cell(r, "label"),
        "measure": cell(r, "measure"),
        "value": cell(r, "value") or None,
        "unit": cell(r, "unit") or None,
        "rank": cell(r, "rank") or None,
        "out_of": cell(r, "outOf") or None,
        "trails": sorted(filter(None, cell(r, "trails").split("|"))),
        "period_end": cell(r, "periodEnd") or None,
        "sources": citations(cell(r, "sources")),
    }
    for r in agg["reported"]
]
kinds = agg["stats-kinds"]
emit(
    {
        "by": "month",
        "rows": rows,
        "curated_total": sum(r["count"] for r in rows),
        "reported": reported,
        "per_kind": [
            {
                "kind": cell(k, "kind"),
                "counts_as_meeting": cell(k, "meeting") == "true",
                "count": int(cell(k, "twoSided") or 0),
            }
            for k in kinds
        ],
        "meeting_kinds": [cell(k, "kind") for k in kinds if cell(k, "meeting") == "true"],
    }
)
