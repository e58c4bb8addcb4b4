"""One island of the program database: a MAP-Elites archive and how to sample from it.

Islands evolve apart (a child joins its parent's island), so one lucky lineage cannot take
over the whole search; each island keeps, per behavioural cell, the best program seen
there. Parents are drawn by rank with a power law (the best is picked most, the tail still
gets picked); inspirations are other elites of the same island, so a proposer sees
different behaviours that work.

The rank is by fitness (``selection = "scalar"``), or by several objectives at once
(``"pareto"``: NSGA-II's non-dominated front, then crowding distance, over each program's
``objectives``, the lab's score per task family): a function best on one kind of
generalisation is kept near the top even when another wins the average.
"""

from __future__ import annotations

import random

from . import pareto
from .cells import Cell, CellGrid
from .programs import Program

SELECTIONS = ("scalar", "pareto")
# Objectives selection may weigh: the lab's families and the transfer proxy; never the
# held-out "validation" score, which exists to show over-fitting to what is selected on.
SELECTABLE = ("family:", "proxy")


def rank_key(program: Program) -> tuple:
    """Lower is better: finished runs first, then fitness, then the older program."""
    return (program.status != "ok", program.fitness, program.id)


def ordered(programs: list[Program], selection: str = "scalar") -> list[Program]:
    """Best first: by fitness, or by Pareto front and crowding over the objectives."""
    ranked = sorted(programs, key=rank_key)
    ok = [p for p in ranked if p.status == "ok"]
    if selection == "scalar" or len(ok) < 3:
        return ranked
    keys = sorted({k for p in ok for k in p.objectives if k.startswith(SELECTABLE)})
    if not keys:
        return ranked
    points = [[p.objectives.get(k, p.fitness) for k in keys] for p in ok]
    return [ok[i] for i in pareto.order(points)] + ranked[len(ok):]


def power_law_pick(ranked: list[Program], rng: random.Random, alpha: float) -> Program:
    weights = [(i + 1) ** -alpha for i in range(len(ranked))]
    return rng.choices(ranked, weights=weights)[0]


class Island:
    def __init__(self, index: int, grid: CellGrid, selection: str = "scalar"):
        self.index = index
        self.grid = grid
        self.selection = selection
        self.elites: dict[Cell, Program] = {}
        self._order: list[Program] | None = None  # ranked() until the elites change

    def offer(self, program: Program) -> bool:
        """Keep ``program`` if its cell is empty or it beats the cell's elite."""
        cell = self.grid.cell(program.features)
        current = self.elites.get(cell)
        if current is not None and rank_key(current) <= rank_key(program):
            return False
        self.elites[cell] = program
        self._order = None
        return True

    def ranked(self) -> list[Program]:
        if self._order is None:
            self._order = ordered(list(self.elites.values()), self.selection)
        return self._order

    def best(self) -> Program | None:
        return min(self.elites.values(), key=rank_key, default=None)

    def clear(self) -> None:
        self.elites.clear()
        self._order = None

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
