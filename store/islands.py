"""One island of the program database: a MAP-Elites archive and how to sample from it.

Islands evolve apart (a child joins its parent's island), so one lucky lineage cannot take
over the whole search; each island keeps, per behavioural cell, the best program seen
there. Parents are drawn by rank with a power law (the best is picked most, the tail still
gets picked); inspirations are other elites of the same island, so a proposer sees
different behaviours that work.
"""

from __future__ import annotations

import random

from .cells import Cell, CellGrid
from .programs import Program


def rank_key(program: Program) -> tuple:
    """Lower is better: finished runs first, then fitness, then the older program."""
    return (program.status != "ok", program.fitness, program.id)


def power_law_pick(ranked: list[Program], rng: random.Random, alpha: float) -> Program:
    weights = [(i + 1) ** -alpha for i in range(len(ranked))]
    return rng.choices(ranked, weights=weights)[0]


class Island:
    def __init__(self, index: int, grid: CellGrid):
        self.index = index
        self.grid = grid
        self.elites: dict[Cell, Program] = {}

    def offer(self, program: Program) -> bool:
        """Keep ``program`` if its cell is empty or it beats the cell's elite."""
        cell = self.grid.cell(program.features)
        current = self.elites.get(cell)
        if current is not None and rank_key(current) <= rank_key(program):
            return False
        self.elites[cell] = program
        return True

    def ranked(self) -> list[Program]:
        return sorted(self.elites.values(), key=rank_key)

    def best(self) -> Program | None:
        return min(self.elites.values(), key=rank_key, default=None)

    def clear(self) -> None:
        self.elites.clear()

    def __len__(self) -> int:
        return len(self.elites)

    def sample(self, rng: random.Random, alpha: float,
               inspirations: int) -> tuple[Program | None, list[Program]]:
        ranked = self.ranked()
        if not ranked:
            return None, []
        parent = power_law_pick(ranked, rng, alpha)
        others = [p for p in ranked if p.ir_hash != parent.ir_hash]
        chosen: list[Program] = []
        while others and len(chosen) < inspirations:
            pick = power_law_pick(others, rng, alpha)
            chosen.append(pick)
            others.remove(pick)
        return parent, chosen
