"""CLRS-style algorithmic tasks generated in code (numpy, seeded), as flat graph batches.

Each task samples inputs at a size n and computes the algorithm's output exactly; models
train at n=16 and are tested at n=64 (CLRS-30's protocol). Graphs are Erdos-Renyi with a
fixed expected degree, so larger graphs are not simply denser ones. Outputs follow CLRS:
a pointer per node (a parent or predecessor; roots point to themselves).

A batch of graphs: node features (N, F), directed edges (2, E) with every self-loop
included (so each node has a message and a "point to myself" choice), edge features
(E, Fe), the graph index of each node, and per node the global index it points to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GraphSample:
    nodes: np.ndarray  # (n, F) float32
    edges: np.ndarray  # (2, E) int64: row 0 source (sender), row 1 target (receiver)
    edge_features: np.ndarray  # (E, Fe) float32
    target: np.ndarray  # (n,) pointer index in [0, n)


def _er_edges(n: int, degree: float, rng: np.random.Generator) -> np.ndarray:
    """Undirected Erdos-Renyi with expected degree ``degree``, both directions listed."""
    upper = np.triu(rng.random((n, n)) < degree / (n - 1), k=1)
    src, dst = np.nonzero(upper)
    return np.stack([np.concatenate([src, dst]), np.concatenate([dst, src])])


def _with_self_loops(edges: np.ndarray, n: int) -> np.ndarray:
    loops = np.arange(n)
    return np.concatenate([edges, np.stack([loops, loops])], axis=1)


def bfs(n: int, rng: np.random.Generator) -> GraphSample:
    """Breadth-first search from a source; output: each node's BFS parent, the smallest-index
    neighbour one layer closer to the source (source and unreached nodes point to
    themselves). Nodes carry their position i/n, which the tie-break needs, as in CLRS."""
    edges = _er_edges(n, 2.0, rng)
    source = int(rng.integers(n))
    depth = np.full(n, -1)
    depth[source] = 0
    parent = np.arange(n)
    frontier = [source]
    while frontier:
        nxt = []
        for u in sorted(frontier):
            for v in np.sort(edges[1][edges[0] == u]):
                if depth[v] < 0:
                    depth[v], parent[v] = depth[u] + 1, u
                    nxt.append(int(v))
        frontier = nxt
    nodes = np.stack([np.arange(n) == source, np.arange(n) / n], 1).astype(np.float32)
    full = _with_self_loops(edges, n)
    feats = (full[0] == full[1]).astype(np.float32)[:, None]  # marks self-loops
    return GraphSample(nodes, full, feats, parent)


def bellman_ford(n: int, rng: np.random.Generator) -> GraphSample:
    """Single-source shortest paths; output: each node's predecessor on its shortest path."""
    edges = _er_edges(n, 3.0, rng)
    weights = rng.uniform(0.05, 1.0, edges.shape[1] // 2)
    weights = np.concatenate([weights, weights])
    source = int(rng.integers(n))
    dist = np.full(n, np.inf)
    dist[source] = 0.0
    for _ in range(n - 1):
        cand = dist[edges[0]] + weights
        new = dist.copy()
        np.minimum.at(new, edges[1], cand)
        if np.array_equal(new, dist):
            break
        dist = new
    pred = np.arange(n)  # source and unreachable nodes point to themselves
    cand = dist[edges[0]] + weights
    for v in range(n):
        incoming = np.flatnonzero((edges[1] == v) & np.isclose(cand, dist[v]))
        if v != source and np.isfinite(dist[v]) and len(incoming):
            pred[v] = edges[0][incoming[0]]
    nodes = np.zeros((n, 1), np.float32)
    nodes[source] = 1
    full = _with_self_loops(edges, n)
    w = np.concatenate([weights, np.zeros(n)])
    feats = np.stack([w, (full[0] == full[1])], 1).astype(np.float32)
    return GraphSample(nodes, full, feats, pred)


def sorting(n: int, rng: np.random.Generator) -> GraphSample:
    """Keys in [0, 1); output: the predecessor of each key in sorted order (the smallest key
    points to itself), CLRS's encoding of a sort's result. Arrays are complete graphs."""
    keys = rng.random(n)
    order = np.argsort(keys, kind="stable")
    pred = np.empty(n, np.int64)
    pred[order[0]] = order[0]
    pred[order[1:]] = order[:-1]
    src, dst = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    full = np.stack([src.ravel(), dst.ravel()])
    feats = (full[0] == full[1]).astype(np.float32)[:, None]
    return GraphSample(keys.astype(np.float32)[:, None], full, feats, pred)


GRAPH_TASKS = {"bfs": bfs, "bellman_ford": bellman_ford, "sorting": sorting}


@dataclass(frozen=True)
class GraphBatch:
    nodes: np.ndarray
    edges: np.ndarray
    edge_features: np.ndarray
    graph: np.ndarray
    target: np.ndarray  # global pointer index
    graphs: int


def sample_batches(task: str, n: int, count: int, batch: int, seed: int) -> list[GraphBatch]:
    rng = np.random.default_rng(seed)
    samples = [GRAPH_TASKS[task](n, rng) for _ in range(count)]
    batches = []
    for start in range(0, count, batch):
        chunk = samples[start: start + batch]
        offsets = np.cumsum([0] + [len(s.nodes) for s in chunk])[:-1]
        batches.append(GraphBatch(
            np.concatenate([s.nodes for s in chunk]),
            np.concatenate([s.edges + o for s, o in zip(chunk, offsets)], axis=1),
            np.concatenate([s.edge_features for s in chunk]),
            np.concatenate([np.full(len(s.nodes), i) for i, s in enumerate(chunk)]),
            np.concatenate([s.target + o for s, o in zip(chunk, offsets)]),
            len(chunk)))
    return batches

