"""The program database: behavioural features, MAP-Elites cells, islands, replay, lineage."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from actmine.agent.config import ConfigError, load_settings
from actmine.sandbox.ir import ActivationIR
from actmine.store.cells import CellGrid
from actmine.store.database import DatabaseConfig, ProgramDatabase
from actmine.store.features import measure
from actmine.store.lineage import describe, lineage_of
from actmine.store.programs import ALL_ISLANDS, Program, ProgramLog

pytestmark = pytest.mark.fast  # make test-fast


def _ir(*nodes, output: int | None = None) -> ActivationIR:
    """IR from (op, args...) tuples; ints in args are refs ({"ref": k}), floats constants."""
    raw = [{"op": op, "args": [{"ref": a} if isinstance(a, int) else a for a in args],
            "kwargs": {}} for op, *args in nodes]
    return ActivationIR.from_dict({"version": 1, "nodes": raw,
                                   "output": {"ref": output or len(nodes)}})


RELU = _ir(("aten.relu.default", 0))
GELU = _ir(("aten.gelu.default", 0))
TANH = _ir(("aten.tanh.default", 0))
GELU_SIN = _ir(("aten.gelu.default", 0), ("aten.sin.default", 0),
               ("aten.mul.Tensor", 2, 2.0), ("aten.add.Tensor", 1, 3))
IDENTITY_ISH = _ir(("aten.mul.Tensor", 0, 1.0))


def test_features_describe_the_shape_of_the_function():
    relu, gelu, tanh, wavy = (measure(ir) for ir in (RELU, GELU, TANH, GELU_SIN))
    assert relu == {"flops": 1.0, "slope_neg": 0.0, "slope_pos": 1.0,
                    "non_monotonicity": 0.0, "turning_points": 0.0}
    assert gelu["turning_points"] == 1 and 0 < gelu["non_monotonicity"] < 0.05
    assert abs(gelu["slope_pos"] - 1) < 1e-6 and abs(gelu["slope_neg"]) < 1e-6
    assert tanh["slope_pos"] == pytest.approx(0, abs=1e-6) and tanh["turning_points"] == 0
    assert wavy["turning_points"] >= 5 and wavy["non_monotonicity"] > 0.1
    assert measure(IDENTITY_ISH)["slope_neg"] == pytest.approx(1.0)
    grid = CellGrid()
    assert len({grid.cell(f) for f in (relu, gelu, tanh, wavy)}) == 4


def test_cells_come_from_config_and_bad_cells_name_the_key(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text("[database]\nislands = 3\n[database.cells]\nflops = [5, 15]\n"
                    "turning_points = [1]\n")
    config = load_settings(good).database.to_config()
    assert config.islands == 3
    assert config.cells == (("flops", (5.0, 15.0)), ("turning_points", (1.0,)))
    assert CellGrid(config.cells).cell({"flops": 12, "turning_points": 3}) == (1, 1)
    assert CellGrid(config.cells).size == 6
    for text, key in (("[database.cells]\nwobble = [1]\n", "database.cells"),
                      ("[database.cells]\nflops = [20, 10]\n", "database.cells"),
                      ("[database]\nislands = 0\n", "database.islands")):
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        with pytest.raises(ConfigError, match=key):
            load_settings(bad)


def _program(pid: int, fitness: float, features: dict, island: int = 0, **kw) -> Program:
    return Program(id=pid, proposer=kw.pop("proposer", "symbolic"), source=f"# {pid}",
                   admitted=True, ir_hash=kw.pop("ir_hash", f"ir{pid}"), fitness=fitness,
                   status="ok", stage="full", features=features, island=island, seq=pid, **kw)


FLAT = {"flops": 5, "slope_neg": 0, "slope_pos": 1, "non_monotonicity": 0, "turning_points": 0}
WAVY = dict(FLAT, turning_points=9, non_monotonicity=0.5)
BUMP = dict(FLAT, turning_points=1, non_monotonicity=0.02)


def test_map_elites_keeps_the_best_per_cell_and_seeds_join_every_island():
    db = ProgramDatabase(DatabaseConfig(islands=3, migration_interval=0, reset_interval=0))
    db.add(_program(1, -0.1, FLAT, ALL_ISLANDS, proposer="seed"))
    assert all(len(island) == 1 for island in db.islands)
    db.add(_program(2, -0.3, FLAT, 1))  # same cell, better: replaces the seed on island 1
    db.add(_program(3, -0.2, WAVY, 1))  # another cell: kept alongside
    db.add(_program(4, +0.5, FLAT, 1))  # same cell, worse: dropped
    assert sorted(p.id for p in db.islands[1].elites.values()) == [2, 3]
    assert [p.id for p in db.islands[0].elites.values()] == [1]
    assert [p.id for p in db.ranked()][:3] == [2, 3, 1]

    sample = db.sample(1, random.Random(0))
    assert sample.island == 1 and sample.parent.id in (2, 3)
    assert [p.id for p in sample.inspirations] == [5 - sample.parent.id]
    again = db.sample(1, random.Random(0))
    assert again == sample  # sampling is a function of the rng: reproducible after resume
    parents = [db.sample(1, random.Random(s)).parent.id for s in range(300)]
    assert parents.count(2) > parents.count(3) > 0  # the best is picked most, not always


def test_migration_moves_each_islands_best_around_the_ring():
    db = ProgramDatabase(DatabaseConfig(islands=3, migration_interval=3, reset_interval=0))
    db.add(_program(1, -0.1, FLAT, 0))
    db.add(_program(2, -0.2, WAVY, 1))
    assert db.migrations == 0
    db.add(_program(3, -0.3, BUMP, 2))  # third evaluated program: migrate
    assert db.migrations == 1
    assert {p.id for p in db.islands[1].elites.values()} == {1, 2}
    assert {p.id for p in db.islands[2].elites.values()} == {2, 3}
    assert {p.id for p in db.islands[0].elites.values()} == {3, 1}


def test_reset_wipes_the_weakest_islands_and_reseeds_them_from_a_survivor():
    db = ProgramDatabase(DatabaseConfig(islands=4, migration_interval=0, reset_interval=4,
                                        reset_fraction=0.5), seed=3)
    for pid, fitness in enumerate((-0.4, -0.1, -0.3, 0.2), start=1):
        db.add(_program(pid, fitness, FLAT if pid % 2 else WAVY, pid - 1))
    assert db.resets == 1
    bests = [island.best().id for island in db.islands]
    assert bests[0] == 1 and bests[2] == 3  # the two strongest survive untouched
    assert bests[1] in (1, 3) and bests[3] in (1, 3)  # the weakest now hold a survivor's best
    assert all(len(island) == 1 for island in db.islands)


def test_replaying_the_log_rebuilds_the_same_database(tmp_path):
    config = DatabaseConfig(islands=3, migration_interval=4, reset_interval=7)
    live = ProgramDatabase(config, seed=11)
    log = ProgramLog(tmp_path / "programs.db")
    rng = random.Random(1)
    shapes = [FLAT, WAVY, BUMP, dict(FLAT, flops=50), dict(WAVY, slope_neg=-1)]
    for pid in range(1, 40):
        program = _program(pid, rng.uniform(-1, 1), rng.choice(shapes),
                           ALL_ISLANDS if pid <= 3 else live.island_for(pid))
        if pid % 5 == 0:  # rejections take part in the log but not in the database
            program = replace(program, admitted=False, fitness=None, category="syntax")
        live.add(log.finish(replace(program, seq=None)))
    rebuilt = ProgramDatabase.from_log(log, config, seed=11)
    log.close()

    def state(db):
        return ([sorted((c, p.id) for c, p in island.elites.items()) for island in db.islands],
                db.migrations, db.resets, [p.id for p in db.ranked()])

    assert live.resets >= 4 and live.migrations >= 7
    assert state(rebuilt) == state(live)


def test_lineage_records_parents_models_templates_and_why_children_failed(tmp_path):
    log = ProgramLog(tmp_path / "programs.db")
    log.finish(_program(1, -0.1, FLAT, proposer="seed", meta={"seed": "gelu"}))
    log.finish(_program(2, -0.2, FLAT, parents=(1,), model="qwen", template="mutate.txt"))
    log.finish(Program(id=3, proposer="llm", source="def activation(x): return x.mean()",
                       admitted=False, parents=(2,), model="qwen", template="mutate.txt",
                       category="not_pointwise", reason="mean reduces over elements"))
    log.finish(_program(4, -0.25, WAVY, parents=(2, 1), meta={"operator": "crossover"}))
    lineage = lineage_of(log, 4)
    assert [p.id for p in lineage.ancestors] == [2, 1]
    assert lineage_of(log, 2).rejection_reasons() == [
        "[not_pointwise] mean reduces over elements"]
    assert [c.id for c in lineage_of(log, 1).children] == [2, 4]
    assert describe(log.get(2)) == ("#2 symbolic model=qwen template=mutate.txt "
                                    "fitness -0.2000 from #1")
    assert describe(log.get(4)).startswith("#4 symbolic/crossover")
    log.close()
