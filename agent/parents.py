"""The orchestrator's view of the program database: add programs, choose parents and
inspirations, rank. Kept behind this small interface so the database behind it (today the
tournament ``Population``; islands and MAP-Elites cells later) can change in one place."""

from __future__ import annotations

import random
from typing import Protocol

from actmine.store.database import Population
from actmine.store.programs import Program


class ParentDatabase(Protocol):
    def add(self, program: Program) -> None: ...

    def select_parents(self, rng: random.Random, k: int = 2) -> list[Program]: ...

    def inspirations(self, rng: random.Random, k: int, exclude: set[int]) -> list[Program]: ...

    def ranked(self) -> list[Program]: ...


class PopulationDatabase:
    """``ParentDatabase`` over store.database.Population."""

    def __init__(self, population: Population):
        self.population = population

    def add(self, program: Program) -> None:
        self.population.add(program)

    def select_parents(self, rng: random.Random, k: int = 2) -> list[Program]:
        return self.population.select_parents(rng, k)

    def inspirations(self, rng: random.Random, k: int, exclude: set[int]) -> list[Program]:
        """The best program not among the parents, plus random others from the top."""
        pool = [p for p in self.population.ranked()[: self.population.top * 2]
                if p.id not in exclude]
        if k <= 0 or not pool:
            return []
        rest = pool[1:]
        return [pool[0], *rng.sample(rest, min(k - 1, len(rest)))]

    def ranked(self) -> list[Program]:
        return self.population.ranked()


def open_database(programs: list[Program], top: int) -> ParentDatabase:
    population = Population(top)
    for program in programs:
        population.add(program)
    return PopulationDatabase(population)
