"""Limit: `kg roles --on DAY --limit N --format json` (a first page).

Usage: python benchmarks/limits/roles_on.py BUILD YYYY-MM-DD LIMIT

The tenures that may have been held on the day come from the tenure index beside the store
(tenures.json, in roles' order) and the tenures an event of the day presumes (a query);
only the page's tenures are asked for in full.
"""

import sys

import pyoxigraph as ox
from common import (
    PRESUMED,
    ROLES,
    date,
    each,
    emit,
    explain,
    generation,
    open_store,
    role_key,
    role_on,
    select,
    sidecar,
    v,
)  # fmt: skip

gen = generation(sys.argv[1])
day, limit = sys.argv[2], int(sys.argv[3])
store = open_store(gen)
presumed: dict[str, str] = {}
for r in select(store, PRESUMED, **{"from": date(day), "to": date(day)}):
    presumed.setdefault(v(r, "tenure"), v(r, "inference"))
# tenures.json rows: tenure, earliest, latest, holder label, post, post label, outer days.
every = sidecar(gen, "tenures")
order = [t for t in every if (t[7] or t[2]) >= day and (t[6] or t[1]) <= day]
if presumed:
    listed = {t[0] for t in order}
    order += [t for t in every if t[0] in presumed and t[0] not in listed]
    order.sort(key=lambda t: (t[1], t[3], t[5], t[0]))
page = [ox.NamedNode(t[0]) for t in order[:limit]]
rows = sorted(each(store, ROLES, "tenure", page), key=role_key)
emit(explain(store, [role_on(day, day, presumed)(r) for r in rows]))
