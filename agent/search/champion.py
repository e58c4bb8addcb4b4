"""The run's champion: the best candidate (by fitness) that also beats GELU where the lab
cannot be gamed, on the held-out validation tasks and on the transfer proxy.

A pure function of the finished programs (so status, the report, export and the API all
agree, for a live, finished or resumed run). GELU is the run's seed program with
``meta["seed"] == "gelu"``. A condition applies only where the run measures it: the
validation score where the lab holds validation tasks (some program has
``objectives["validation"]``), the proxy where one was recorded. Where neither applies, the
only evidence left is fitness, so the champion must beat GELU's fitness. Both objectives,
like fitness, are lower-is-better.
"""

from __future__ import annotations

from dataclasses import dataclass

from actmine.store.programs import Program

GELU_SEED = "gelu"
CONDITIONS = ("validation", "proxy")  # objectives keys, in the order they are named


@dataclass(frozen=True)
class Champion:
    """The verdict: the champion (or None), what it was judged on, and why."""

    program: Program | None
    gelu: Program | None
    applied: tuple[str, ...]  # the conditions it had to meet: "validation", "proxy", "fitness"
    skipped: tuple[str, ...]  # conditions the run does not measure (so not required)
    why_none: str = ""  # one line, when there is no champion

    def beats(self) -> str:
        """'GELU on validation (-0.41 vs -0.20) and proxy (...)': the evidence, as text."""
        if self.program is None or self.gelu is None:
            return ""
        parts = [f"{name} ({_value(self.program, name):+.3f} vs {_value(self.gelu, name):+.3f})"
                 for name in self.applied]
        return f"GELU on {' and '.join(parts)}"

    def line(self) -> str:
        """One line for status, the end of a search and the daemon's log."""
        skipped = (f"; not judged on {' or '.join(self.skipped)} (not measured in this run)"
                   if self.skipped else "")
        if self.program is None:
            return f"champion: none yet ({self.why_none}){skipped}"
        p = self.program
        return (f"champion: #{p.id} by {p.model or p.proposer}, fitness {p.fitness:+.3f}; "
                f"beats {self.beats()}{skipped}")

    def to_dict(self) -> dict:
        p = self.program
        return {"id": p.id if p else None, "ir_hash": p.ir_hash if p else None,
                "fitness": p.fitness if p else None,
                "validation": p.objectives.get("validation") if p else None,
                "proxy": p.objectives.get("proxy") if p else None,
                "source": p.source if p else None,
                "gelu_id": self.gelu.id if self.gelu else None,
                "gelu": {name: _value(self.gelu, name) for name in self.applied}
                if self.gelu else {},
                "applied": list(self.applied), "skipped": list(self.skipped),
                "why_none": self.why_none or None, "beats": self.beats(), "line": self.line()}


def _value(program: Program, condition: str) -> float | None:
    return program.fitness if condition == "fitness" else program.objectives.get(condition)


def _rank_key(p: Program) -> tuple:
    """The leaderboard's order (store/programs.py: best): finished 'ok' first, then fitness."""
    return (p.status != "ok", p.fitness, p.id)


def gelu_of(programs: list[Program]) -> Program | None:
    """The run's GELU seed, evaluated (the first, should a run hold it twice)."""
    for p in sorted(programs, key=lambda p: p.id):
        if p.proposer == "seed" and p.meta.get("seed") == GELU_SEED and p.evaluated \
                and p.status == "ok":
            return p
    return None


def find_champion(programs: list[Program]) -> Champion:
    """The champion among finished programs (any order; in-flight ones are ignored)."""
    finished = [p for p in programs if not p.in_flight]
    applied = tuple(c for c in CONDITIONS if any(c in p.objectives for p in finished))
    skipped = tuple(c for c in CONDITIONS if c not in applied)
    if not applied:
        applied = ("fitness",)
    gelu = gelu_of(finished)
    if gelu is None:
        return Champion(None, None, applied, skipped,
                        "this run has no evaluated GELU seed to beat ([search] "
                        "seed_functions = true evaluates it first)")
    missing = [c for c in applied if _value(gelu, c) is None]
    if missing:
        return Champion(None, gelu, applied, skipped,
                        f"GELU (#{gelu.id}) has no {' or '.join(missing)} score to beat")
    seen: set[str] = set()
    for p in sorted((p for p in finished if p.evaluated), key=_rank_key):
        if p.status != "ok" or p.ir_hash in seen:
            continue
        seen.add(p.ir_hash)
        if p.near_duplicate_of is not None:
            continue  # the program it duplicates stands for it
        if all((v := _value(p, c)) is not None and v < _value(gelu, c) for c in applied):
            return Champion(p, gelu, applied, skipped)
    return Champion(None, gelu, applied, skipped,
                    f"no candidate beats GELU on {' and '.join(applied)}")
