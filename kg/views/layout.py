"""Where the nodes go: seeded layouts, so that the same facts give the same picture.

Up to KK_LIMIT nodes, stress majorization from a seeded spring start; up to LAYOUT_LIMIT,
a seeded spring layout; above, a deterministic spectral seed the browser's physics spreads.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

LAYOUT_LIMIT = 800  # above this many nodes the browser lays out (seeded), not networkx
SEED = 7
KK_LIMIT = 300


def layout(nodes: Collection[str], pairs: list[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """Return integer positions of the nodes, the same for the same graph every time."""
    if not nodes:
        return {}
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(sorted(nodes))
    graph.add_edges_from(pairs)
    scale = 160 * len(nodes) ** 0.5 + 300
    if len(nodes) <= KK_LIMIT:
        # Kamada-Kawai's energy (stress: on-screen distances close to graph distances)
        # spreads a small graph evenly; start from a seeded spring layout so that the same
        # graph settles the same way every time.
        start = nx.spring_layout(graph, seed=SEED)
        pos = _stress_layout(graph, start, scale)
    elif len(nodes) <= LAYOUT_LIMIT:
        pos = nx.spring_layout(graph, seed=SEED, iterations=60, scale=scale)
    else:
        # A force layout costs seconds per thousand nodes here; a spectral layout costs a
        # fraction of a second, and the browser's physics then spreads it for a moment.
        pos = _spectral(graph, scale)
    return {n: (round(float(x)), round(float(y))) for n, (x, y) in pos.items()}


def _stress_layout(graph: Any, start: dict[str, Any], scale: float) -> dict[str, Any]:
    """Minimise Kamada-Kawai's energy by stress majorization (SMACOF) with numpy alone.

    networkx's kamada_kawai_layout minimises the same energy with scipy.optimize, whose
    import alone took 0.25 s of kg view --ego's 1 s here. On the shipped graph its
    energy ends 3.2% above networkx's (a nearby local minimum; 1,378 against 1,335).
    """
    import networkx as nx
    import numpy as np

    nodes = sorted(graph)
    if len(nodes) < 2:
        return {n: np.zeros(2) for n in nodes}
    index = {n: i for i, n in enumerate(nodes)}
    dist = np.full((len(nodes), len(nodes)), np.inf)
    for source, lengths in nx.all_pairs_shortest_path_length(graph):
        for target, d in lengths.items():
            dist[index[source], index[target]] = d
    # Pairs in different components pull on each other no more than in networkx's version
    # (distance 1e6 there): each component keeps its place from the spring start.
    linked = np.isfinite(dist) & (dist > 0)
    dist[~linked] = 0.0
    weight = np.zeros_like(dist)
    weight[linked] = dist[linked] ** -2.0
    lap = -weight
    np.fill_diagonal(lap, weight.sum(axis=1))
    lap_inv = np.linalg.pinv(lap)
    x = np.array([start[n] for n in nodes], dtype=float)
    for _ in range(300):
        gaps = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=-1))
        pull = np.divide(weight * dist, gaps, out=np.zeros_like(gaps), where=gaps > 1e-9)
        b = -pull
        np.fill_diagonal(b, pull.sum(axis=1))
        moved = lap_inv @ (b @ x)
        done = np.abs(moved - x).max() < 1e-5
        x = moved
        if done:
            break
    x -= x.mean(axis=0)
    x *= scale / (np.abs(x).max() or 1.0)
    return {n: x[i] for i, n in enumerate(nodes)}


def _spectral(graph: Any, scale: float) -> dict[str, tuple[float, float]]:
    """Lay out a large graph by the Laplacian's low eigenvectors, deterministically.

    networkx's spectral_layout starts ARPACK from a random vector, so its picture changes
    from run to run; here the start vector is fixed and each axis's sign normalised.
    """
    import networkx as nx
    import numpy as np
    from scipy.sparse.linalg import eigsh

    nodes = list(graph)
    n = len(nodes)
    if n < 4:
        return {v: (float(i), 0.0) for i, v in enumerate(nodes)}
    lap = nx.laplacian_matrix(graph, nodelist=nodes).astype(float)
    # Shift so that the smallest eigenvalues become the largest: ARPACK finds those fast.
    shift = 2.0 * max(d for _, d in graph.degree()) + 1.0
    values, vectors = eigsh(
        shift * _identity(n) - lap, k=3, which="LA", v0=np.ones(n) / np.sqrt(n), tol=1e-6
    )
    order = np.argsort(-values)[1:3]  # skip the constant vector
    coords = vectors[:, order]
    for axis in range(2):
        col = coords[:, axis]
        if col[np.argmax(np.abs(col))] < 0:
            coords[:, axis] = -col
    coords -= coords.mean(axis=0)
    coords *= scale / max(float(np.abs(coords).max()), 1e-12)
    return {v: (float(x), float(y)) for v, (x, y) in zip(nodes, coords, strict=True)}


def _identity(n: int) -> Any:
    from scipy.sparse import identity

    return identity(n, format="csr")
