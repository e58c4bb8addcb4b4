"""Non-dominated fronts and crowding (store/pareto.py), and islands that rank by them."""

from __future__ import annotations

import math

import pytest
from actmine.store import pareto
from actmine.store.cells import CellGrid
from actmine.store.islands import Island, ordered
from actmine.store.programs import Program

pytestmark = pytest.mark.fast


def test_fronts_peel_off_the_non_dominated_points():
    points = [(1, 5), (2, 2), (5, 1), (3, 3), (6, 6), (2, 2)]
    assert [sorted(f) for f in pareto.fronts(points)] == [[0, 1, 2, 5], [3], [4]]
    assert pareto.dominates((1, 1), (1, 2)) and not pareto.dominates((1, 2), (2, 1))


def test_crowding_keeps_the_extremes_and_the_lonely_first():
    points = [(0.0, 4.0), (1.0, 3.0), (1.1, 2.9), (4.0, 0.0)]
    spread = pareto.crowding(points, [0, 1, 2, 3])
    assert spread[0] == spread[3] == math.inf and spread[1] > 0 and spread[2] > 0
    assert pareto.order(points)[:2] in ([0, 3], [3, 0])


def _program(pid: int, fitness: float, **families) -> Program:
    return Program(id=pid, proposer="t", source="", admitted=True, ir_hash=f"ir{pid}",
                   fitness=fitness, status="ok",
                   objectives={f"family:{k}": v for k, v in families.items()})


def test_pareto_selection_keeps_a_specialist_the_average_would_bury():
    average = _program(1, -0.5, a=-0.5, b=-0.5)
    specialist = _program(2, -0.2, a=-2.0, b=1.6)  # best on family a, poor on b
    dominated = _program(3, -0.4, a=-0.4, b=-0.4)
    scalar = ordered([average, specialist, dominated], "scalar")
    assert [p.id for p in scalar] == [1, 3, 2]
    front_first = ordered([average, specialist, dominated], "pareto")
    assert {p.id for p in front_first[:2]} == {1, 2} and front_first[2].id == 3


def test_the_held_out_validation_score_is_never_selected_on():
    a = _program(1, -0.5, a=-0.5, b=-0.5)
    b = _program(2, -0.4, a=-0.4, b=-0.4)
    c = _program(3, -0.3, a=-0.3, b=-0.3)
    flipped = [Program(**{**p.to_dict(), "parents": (),
                          "objectives": {**p.objectives, "validation": -p.fitness * 10}})
               for p in (a, b, c)]
    assert [p.id for p in ordered(flipped, "pareto")] == [1, 2, 3]


def test_an_island_caches_its_order_until_its_elites_change():
    island = Island(0, CellGrid((("flops", (10.0,)),)), "pareto")
    island.offer(_program(1, -0.1, a=0.0, b=0.0))
    first = island.ranked()
    assert island.ranked() is first
    island.offer(Program(**{**_program(2, -0.3, a=-1.0, b=-1.0).to_dict(),
                            "parents": (), "features": {"flops": 20.0}}))
    assert [p.id for p in island.ranked()] == [2, 1]
