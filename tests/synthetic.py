"""A deterministic synthetic view for size tests (no store needed)."""

from __future__ import annotations

import random

from kg.views import Item, Node, View

CATEGORIES = ["person", "government", "ministry", "post", "event", "place"]


def synthetic_view(n: int, seed: int = 1) -> View:
    """Return a connected view of n nodes: a random tree plus n/5 extra links."""
    rnd = random.Random(seed)
    nodes = {
        f"https://example.org/n{i:05d}": Node(
            f"https://example.org/n{i:05d}",
            f"Node {i}",
            "Person",
            CATEGORIES[i % len(CATEGORIES)],
            sources=[{"document": "synthetic.txt", "line": 1 + i % 30}],
        )
        for i in range(n)
    }
    ids = sorted(nodes)
    items = []
    for i in range(1, n):
        j = rnd.randrange(0, i)
        kind = "met" if i % 3 == 0 else "relation"
        items.append(
            Item(kind, f"link {i}", ids[i], ids[j], [{"document": "synthetic.txt", "line": 2}])
        )
    for _ in range(n // 5):
        a, b = rnd.sample(ids, 2)
        items.append(Item("relation", "extra", a, b, []))
    return View(nodes, items, title="synthetic", note=f"{n} synthetic nodes")
