"""Ancestry from the program log's ``parents`` lists.

The first parent is the one a child was mutated from (the main line); a second parent is a
crossover partner or an inspiration. Ids a log does not hold (pruned, or from another run)
are simply skipped.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from actmine.store.programs import Program


@dataclass(frozen=True)
class Lineage:
    root: int  # the program whose ancestry this is
    nodes: tuple[int, ...]  # the root and its ancestors, nearest first
    edges: tuple[tuple[int, int, bool], ...]  # (parent, child, is_main_parent)
    main_line: tuple[int, ...]  # oldest first, ending at root: first parents only


def generations(programs: dict[int, Program]) -> dict[int, int]:
    """Steps from a program with no known parent, along first parents."""
    out: dict[int, int] = {}
    for pid in sorted(programs):
        chain = []
        cur: int | None = pid
        while cur is not None and cur not in out and cur in programs and cur not in chain:
            chain.append(cur)
            parents = programs[cur].parents
            cur = parents[0] if parents else None
        base = out.get(cur, -1) if cur is not None else -1
        for depth, node in enumerate(reversed(chain), start=1):
            out[node] = base + depth
    return out


def lineage(programs: dict[int, Program], root: int, limit: int = 60) -> Lineage:
    """Breadth-first ancestry of ``root``, at most ``limit`` programs."""
    seen = {root}
    order = [root]
    edges = []
    queue = deque([root])
    while queue:
        child = queue.popleft()
        for i, parent in enumerate(programs[child].parents if child in programs else ()):
            if parent not in programs:
                continue
            if parent not in seen:
                if len(order) >= limit:
                    continue
                seen.add(parent)
                order.append(parent)
                queue.append(parent)
            edges.append((parent, child, i == 0))
    main = [root]
    while True:
        parents = programs[main[-1]].parents
        if not parents or parents[0] not in programs or parents[0] in main:
            break
        main.append(parents[0])
    return Lineage(root, tuple(order), tuple(edges), tuple(reversed(main)))
