"""The population the search breeds from, rebuilt from the program log on every start.

Selection is a tournament among the best distinct evaluated programs, so good functions
are bred more often while the rest of the top still gets picked.
"""

from __future__ import annotations

import random

from .programs import Program, ProgramLog


class Population:
    def __init__(self, top: int = 16, tournament: int = 3):
        self.top = top
        self.tournament = tournament
        self._by_ir: dict[str, Program] = {}

    @classmethod
    def from_log(cls, log: ProgramLog, top: int = 16) -> Population:
        pop = cls(top)
        for program in log.all():
            pop.add(program)
        return pop

    def add(self, program: Program) -> None:
        if program.fitness is None or program.ir_hash is None:
            return
        current = self._by_ir.get(program.ir_hash)
        # Keep the first program seen for an IR (the one whose lineage is the original).
        if current is None or (current.status != "ok" and program.status == "ok"):
            self._by_ir[program.ir_hash] = program

    def ranked(self) -> list[Program]:
        return sorted(self._by_ir.values(),
                      key=lambda p: (p.status != "ok", p.fitness, p.id))

    def __len__(self) -> int:
        return len(self._by_ir)

    def select_parents(self, rng: random.Random, k: int = 2) -> list[Program]:
        pool = self.ranked()[: self.top]
        if not pool:
            return []
        picks = []
        for _ in range(k):
            contenders = [rng.choice(pool) for _ in range(self.tournament)]
            picks.append(min(contenders, key=lambda p: (p.status != "ok", p.fitness)))
        return picks
