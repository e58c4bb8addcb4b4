"""The program database the search breeds from: islands of MAP-Elites archives.

    add(program)          a finished, evaluated program joins its island (seeds: every island)
    sample(island, rng)   a parent and inspirations for the next proposal on that island
    every migration_interval evaluated programs: each island's best moves to the next (ring)
    every reset_interval  evaluated programs: the weakest islands are wiped and re-seeded
                          with the best of a surviving island (FunSearch's reset)

The database holds nothing that is not in the program log: ``from_log`` replays finished
programs in commit order, and migrations and resets happen at fixed counts of evaluated
programs with random draws seeded by (seed, count), so a restarted run rebuilds exactly the
database the killed one had.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .cells import DEFAULT_CELLS, CellGrid
from .islands import Island, power_law_pick, rank_key
from .programs import ALL_ISLANDS, Program, ProgramLog


@dataclass(frozen=True)
class DatabaseConfig:
    islands: int = 4
    migration_interval: int = 25  # evaluated programs between migrations (0: never)
    reset_interval: int = 100  # evaluated programs between resets (0: never)
    reset_fraction: float = 0.5  # share of islands reset, the weakest first
    parent_alpha: float = 1.0  # power-law exponent of rank-based parent sampling
    inspirations: int = 2  # elites shown to a proposer besides the parent
    cells: tuple[tuple[str, tuple[float, ...]], ...] = DEFAULT_CELLS
    selection: str = "scalar"  # parents ranked by fitness, or "pareto" over the objectives


@dataclass(frozen=True)
class Sample:
    island: int
    parent: Program | None
    inspirations: tuple[Program, ...] = ()

    @property
    def programs(self) -> list[Program]:
        """Parent first, then inspirations: what ``proposer.propose(parents, rng)`` takes."""
        return [self.parent, *self.inspirations] if self.parent is not None else []


class ProgramDatabase:
    def __init__(self, config: DatabaseConfig | None = None, seed: int = 0):
        self.config = config or DatabaseConfig()
        self.seed = seed
        grid = CellGrid(self.config.cells)
        self.islands = [Island(i, grid, self.config.selection)
                        for i in range(self.config.islands)]
        self.evaluated = 0  # drives migrations and resets
        self.migrations = 0
        self.resets = 0
        self._by_ir: dict[str, Program] = {}

    @classmethod
    def from_log(cls, log: ProgramLog, config: DatabaseConfig | None = None,
                 seed: int = 0) -> ProgramDatabase:
        return cls.replay(log.all(), config, seed)

    @classmethod
    def replay(cls, finished: list[Program], config: DatabaseConfig | None = None,
               seed: int = 0) -> ProgramDatabase:
        db = cls(config, seed)
        for program in sorted(finished, key=lambda p: (p.seq is None, p.seq, p.id)):
            db.add(program)
        return db

    # ------------------------------------------------------------------ grow
    def add(self, program: Program) -> None:
        if program.fitness is None or program.ir_hash is None or program.in_flight:
            return
        if program.near_duplicate_of is not None:  # the function it matched is an elite
            return
        current = self._by_ir.get(program.ir_hash)
        if current is None or rank_key(program) < rank_key(current):
            self._by_ir[program.ir_hash] = program
        if program.island == ALL_ISLANDS:
            for island in self.islands:
                island.offer(program)
        else:
            self.islands[program.island % len(self.islands)].offer(program)
        self.evaluated += 1
        every = self.config.migration_interval
        if every and self.evaluated % every == 0:
            self.migrate()
        every = self.config.reset_interval
        if every and self.evaluated % every == 0:
            self.reset()

    def migrate(self) -> None:
        """Ring migration: island i's best is offered to island i+1."""
        if len(self.islands) < 2:
            return
        bests = [island.best() for island in self.islands]
        for i, best in enumerate(bests):
            if best is not None:
                self.islands[(i + 1) % len(self.islands)].offer(best)
        self.migrations += 1

    def reset(self) -> None:
        """Wipe the weakest islands; re-seed each with the best of a random survivor."""
        n = len(self.islands)
        count = int(n * self.config.reset_fraction)
        if n < 2 or count < 1:
            return
        order = sorted(self.islands, key=lambda isl: (isl.best() is None,
                                                      rank_key(isl.best()) if isl.best() else (),
                                                      isl.index))
        survivors, weakest = order[: n - count], order[n - count:]
        rng = random.Random(f"{self.seed}:reset:{self.evaluated}")
        for island in sorted(weakest, key=lambda isl: isl.index):
            donor = rng.choice(survivors).best()
            island.clear()
            if donor is not None:
                island.offer(donor)
        self.resets += 1

    # ---------------------------------------------------------------- sample
    def island_for(self, program_id: int) -> int:
        """Islands take turns by program id, so each gets an equal share of proposals."""
        return program_id % len(self.islands)

    def sample(self, island: int, rng: random.Random) -> Sample:
        island = island % len(self.islands)
        parent, inspirations = self.islands[island].sample(
            rng, self.config.parent_alpha, self.config.inspirations)
        if parent is None:  # an empty island borrows from the whole database
            ranked = self.ranked()
            if not ranked:
                return Sample(island, None)
            parent = power_law_pick(ranked, rng, self.config.parent_alpha)
            inspirations = [p for p in ranked if p is not parent][: self.config.inspirations]
        return Sample(island, parent, tuple(inspirations))

    # ------------------------------------------------------------------ view
    def ranked(self) -> list[Program]:
        """Best distinct IRs across the run."""
        return sorted(self._by_ir.values(), key=rank_key)

    def __len__(self) -> int:
        return len(self._by_ir)

    def summary(self) -> list[dict]:
        """Per island: elites, occupied cells' best fitness (for status and tests)."""
        out = []
        for island in self.islands:
            best = island.best()
            out.append({"island": island.index, "elites": len(island),
                        "best_id": best.id if best else None,
                        "best_fitness": best.fitness if best else None})
        return out
