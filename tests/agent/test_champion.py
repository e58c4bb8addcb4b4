"""The champion: the best function (by fitness) that also beats GELU on the held-out
validation tasks and on the transfer proxy, where the run measures them. Programs are
written to and read back from a real SQLite program log."""

from __future__ import annotations

import pytest
from actmine.agent.search.champion import find_champion
from actmine.store.programs import Program, ProgramLog

pytestmark = pytest.mark.fast

FAMILIES = {"family:polynomial": -0.2, "family:harmonic": 0.1}


def program(pid: int, fitness: float | None, proposer: str = "symbolic", seed: str | None = None,
            status: str = "ok", **objectives) -> Program:
    meta = {"seed": seed} if seed else {}
    if "near" in objectives:
        meta["near_duplicate_of"] = objectives.pop("near")
    return Program(pid, proposer, f"def activation(x):\n    return x  # {pid}\n", True,
                   ir_hash=f"ir{pid}", fitness=fitness, status=status, stage="full", meta=meta,
                   objectives={**FAMILIES, **objectives} if fitness is not None else {},
                   seq=pid)  # finished


def stored(tmp_path, programs: list[Program]) -> list[Program]:
    log = ProgramLog(tmp_path / "programs.db")
    try:
        for p in programs:
            log.add(p)
        return log.all()
    finally:
        log.close()


BASE = [program(1, 0.0, "seed", "relu", validation=0.0),
        program(2, -0.5, "seed", "gelu", validation=-0.3),
        program(3, -0.9, validation=0.2),  # the lab's winner, worse than GELU held out
        program(4, -0.7, validation=-0.4)]


def test_the_champion_beats_gelu_on_validation_and_the_proxy_is_skipped(tmp_path):
    verdict = find_champion(stored(tmp_path, BASE))
    assert verdict.program.id == 4 and verdict.gelu.id == 2
    assert verdict.applied == ("validation",) and verdict.skipped == ("proxy",)
    line = verdict.line()
    assert line.startswith("champion: #4 by symbolic, fitness -0.700")
    assert "validation (-0.400 vs -0.300)" in line and "not judged on proxy" in line
    data = verdict.to_dict()
    assert data["id"] == 4 and data["validation"] == -0.4 and data["gelu"] == {"validation": -0.3}


def test_with_a_proxy_both_conditions_apply(tmp_path):
    programs = [program(1, 0.0, "seed", "relu", validation=0.0),
                program(2, -0.5, "seed", "gelu", validation=-0.3, proxy=-0.1),
                program(3, -0.9, validation=0.2, proxy=-0.5),
                program(4, -0.7, validation=-0.4, proxy=0.05),  # transfers worse than GELU
                program(5, -0.6, validation=-0.35, proxy=-0.2),
                program(6, -0.65, validation=-0.5)]  # no proxy measured: cannot be judged
    verdict = find_champion(stored(tmp_path, programs))
    assert verdict.program.id == 5 and verdict.applied == ("validation", "proxy")
    assert verdict.skipped == ()
    assert "proxy (-0.200 vs -0.100)" in verdict.beats()


def test_gelu_without_a_score_or_no_gelu_means_no_champion_and_says_why(tmp_path):
    no_proxy = find_champion(stored(tmp_path, [*BASE[:3], program(4, -0.7, validation=-0.4,
                                                                     proxy=-0.3)]))
    assert no_proxy.program is None and "GELU (#2) has no proxy score" in no_proxy.why_none
    assert no_proxy.line().startswith("champion: none yet (GELU (#2) has no proxy score")

    no_gelu = find_champion([BASE[0], BASE[3]])
    assert no_gelu.program is None and "seed_functions = true" in no_gelu.why_none

    nobody = find_champion([BASE[1], program(7, -0.9, validation=0.1)])
    assert nobody.program is None and nobody.why_none == "no candidate beats GELU on validation"


def test_without_validation_or_proxy_fitness_is_the_only_evidence(tmp_path):
    """An old run (no objectives) or a lab without validation tasks."""
    old = [Program(1, "seed", "relu", True, ir_hash="a", fitness=0.0, status="ok",
                   meta={"seed": "relu"}),
           Program(2, "seed", "gelu", True, ir_hash="b", fitness=-0.5, status="ok",
                   meta={"seed": "gelu"}),
           Program(3, "symbolic", "x", True, ir_hash="c", fitness=-0.8, status="ok")]
    verdict = find_champion(stored(tmp_path, old))
    assert verdict.program.id == 3 and verdict.applied == ("fitness",)
    assert verdict.skipped == ("validation", "proxy")
    assert "fitness (-0.800 vs -0.500)" in verdict.line()


def test_pruned_in_flight_duplicate_and_near_duplicate_programs_are_not_champions(tmp_path):
    programs = stored(tmp_path, [
        *BASE,
        program(5, -1.5, status="pruned", validation=-2.0),
        program(6, -0.8, validation=-0.9, near=4),  # took #4's evaluation: #4 stands for it
    ])
    in_flight = Program(7, "symbolic", "x", True, ir_hash="ir7", fitness=-3.0, status="ok",
                        objectives={"validation": -3.0})  # seq None: not finished
    verdict = find_champion([*programs, in_flight])
    assert verdict.program.id == 4
