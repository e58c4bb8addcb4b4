"""One weighted ensemble of proposers: the symbolic mutator, the random baseline and every
configured model are members, chosen at random by weight for each proposal.

With ``bandit = true`` the weights adapt: each member's configured weight is multiplied by
an upper-confidence score of the fitness it gained per dollar (gain = how much a child
beats its first parent, rejections gain 0; a free proposal is charged a small floor so
free and paid members compare), and every member keeps a minimum share so none is ever
starved. Its statistics are replayed from the store at start, so a resumed run continues
with what it had learned.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from actmine.store.programs import Program

from ..config import EnsembleSettings
from ..proposal import member_of


@dataclass
class Arm:
    pulls: int = 0
    gain: float = 0.0
    cost: float = 0.0


class Ensemble:
    def __init__(self, weights: dict[str, float], settings: EnsembleSettings):
        if not weights:
            raise ValueError("the ensemble has no member with a positive weight")
        self.weights = dict(weights)
        self.settings = settings
        self.arms = {name: Arm() for name in weights}
        self._fitness: dict[int, float] = {}  # program id -> fitness, for parents' gains

    # ------------------------------------------------------------ choosing
    def choose(self, rng: random.Random) -> str:
        names = sorted(self.weights)
        probs = self.probabilities()
        return rng.choices(names, weights=[probs[n] for n in names])[0]

    def probabilities(self) -> dict[str, float]:
        total = sum(self.weights.values())
        base = {n: w / total for n, w in self.weights.items()}
        if not self.settings.bandit or len(base) == 1:
            return base
        scores = self._scores()
        raw = {n: base[n] * scores[n] for n in base}
        norm = sum(raw.values()) or 1.0
        share = min(self.settings.bandit_min_share, 1.0 / len(raw))
        return {n: share + (1 - share * len(raw)) * raw[n] / norm for n in raw}

    def _scores(self) -> dict[str, float]:
        """Gain per dollar, scaled to [0, 1] across members, plus a UCB1 exploration bonus."""
        floor = self.settings.bandit_cost_floor_usd
        rate = {n: a.gain / (a.cost + floor * a.pulls) if a.pulls else 0.0
                for n, a in self.arms.items()}
        top = max(rate.values()) or 1.0
        total = sum(a.pulls for a in self.arms.values())
        c = self.settings.bandit_exploration
        return {n: rate[n] / top + c * math.sqrt(math.log(total + 1) / (a.pulls + 1))
                for n, a in self.arms.items()}

    # ------------------------------------------------------------ learning
    def record(self, program: Program) -> None:
        if program.fitness is not None and program.status == "ok":
            self._fitness[program.id] = program.fitness
        arm = self.arms.get(member_of(program))
        if arm is None:  # seeds, or a member no longer configured
            return
        arm.pulls += 1
        usage = program.meta.get("usage") if isinstance(program.meta, dict) else None
        arm.cost += float(usage.get("cost_usd") or 0.0) if isinstance(usage, dict) else 0.0
        if program.fitness is not None and program.status == "ok":
            parent = self._fitness.get(program.parents[0]) if program.parents else None
            baseline = parent if parent is not None else 0.0  # ReLU scores 0
            arm.gain += max(0.0, baseline - program.fitness)

    def snapshot(self) -> dict:
        return {n: {"probability": round(p, 4), "pulls": self.arms[n].pulls,
                    "gain": round(self.arms[n].gain, 4), "usd": round(self.arms[n].cost, 6)}
                for n, p in self.probabilities().items()}
