"""Near-duplicates: functions whose curves match an evaluated one take its evaluation for
free. Real sandbox admissions, a real cache, real (tiny) lab training, real run
directories; the search loop fed scripted proposals, then resumed."""

from __future__ import annotations

import json
import random

import anyio
import numpy as np
import pytest
from actmine.agent.budget import Budget, Spent
from actmine.agent.cached_lab import CachedLab
from actmine.agent.config import SearchSettings
from actmine.agent.executors import ExecutorConfig
from actmine.agent.executors.inline import InlineExecutor
from actmine.agent.proposal import Proposal
from actmine.agent.search import orchestrator
from actmine.agent.search.curves import GRID, CurveIndex, curve_of
from actmine.agent.search.pipeline import Pipeline
from actmine.sandbox.admission import AdmissionConfig
from actmine.store.cache import ResultCache
from actmine.store.programs import Program
from actmine.store.run_dir import open_run
from support import tiny_settings


def module(body: str) -> str:
    return f"import torch\nimport torch.nn.functional as F\n\n\ndef activation(x):\n    return {body}\n"


GELU = module("F.gelu(x)")
GELU_TANH = module("F.gelu(x, approximate='tanh')")  # differs by < 5e-4 on [-6, 6]
GELU_NUDGED = module("F.gelu(x) + 1e-5 * torch.sin(x)")
QUICK_GELU = module("x * torch.sigmoid(1.702 * x)")  # 3e-3 away (relative): not a duplicate
TANH = module("torch.tanh(x)")


@pytest.fixture
def lab(tmp_path, tiny_lab):
    cache = ResultCache(tmp_path / "cache")
    yield CachedLab(cache, InlineExecutor(ExecutorConfig(workers=1)), AdmissionConfig(), tiny_lab)
    cache.close()


def admitted(lab: CachedLab, source: str):
    admission, _ = anyio.run(lab.admit, source)
    assert admission.admitted, admission.reason
    return admission


@pytest.mark.fast
def test_curves_come_from_the_ir_and_match_within_the_relative_tolerance(lab):
    curves = {name: curve_of(admitted(lab, src).ir) for name, src in [
        ("gelu", GELU), ("tanh_approx", GELU_TANH), ("quick", QUICK_GELU), ("tanh", TANH)]}
    assert curves["gelu"].shape == GRID.shape
    assert np.allclose(curves["tanh"], np.tanh(GRID), atol=1e-6)
    index = CurveIndex()
    index.add(1, "gelu-ir", curves["gelu"])
    index.add(2, "tanh-ir", curves["tanh"])
    index.add(3, "gelu-ir", curves["quick"])  # an IR already indexed is not added twice
    assert len(index) == 2
    match = index.match(curves["tanh_approx"])
    assert match is not None and (match.program_id, match.ir_hash) == (1, "gelu-ir")
    assert 0 < match.distance < 1e-3
    assert index.match(curves["quick"]) is None
    assert CurveIndex(tolerance=0.0).match(curves["gelu"]) is None
    off = CurveIndex(tolerance=0.0)
    off.add(1, "gelu-ir", curves["gelu"])
    assert len(off) == 0  # tolerance 0: detection is off


@pytest.mark.fast
def test_a_near_duplicate_takes_the_evaluation_and_needs_no_budget(lab):
    pipeline = Pipeline(lab, Budget(SearchSettings(budget=1), Spent()), run_id="run-1")

    async def go():
        first = await pipeline.process(1, Proposal(GELU, "test"), 0, 0.0)
        near = await pipeline.process(2, Proposal(GELU_NUDGED, "test", meta={"op": "m"}), 0, 0.0)
        other = await pipeline.process(3, Proposal(QUICK_GELU, "test"), 0, 0.0)
        return first, near, other

    first, near, other = anyio.run(go)
    assert not first.cached and first.near_duplicate_of is None
    assert near.ir_hash != first.ir_hash  # a different graph ...
    assert near.near_duplicate_of == 1 and near.meta["op"] == "m"  # ... the same curve
    assert near.cached and near.evaluated
    assert (near.fitness, near.status, near.stage, near.objectives) == (
        first.fitness, first.status, first.stage, first.objectives)
    assert "near-duplicate of #1" in near.reason
    assert other is None  # a new curve needs the (spent) budget: it waits in flight
    assert pipeline.budget.evaluations_reserved == 0


class _Scripted:
    """A proposer that proposes exactly these sources, in order."""

    name = "scripted"

    def __init__(self, sources: list[str]):
        self.sources = list(sources)

    def propose(self, parents, rng: random.Random) -> Proposal:
        return Proposal(self.sources.pop(0), self.name, tuple(p.id for p in parents[:1]))


def _settings(budget: int):
    settings = tiny_settings()
    return settings.model_copy(update={"search": settings.search.model_copy(
        update={"budget": budget, "proposals_in_flight": 1, "seed_functions": False})})


def _search(run_dir, budget: int, sources: list[str], create: bool = False) -> list[Program]:
    settings = _settings(budget)
    run = open_run(run_dir, settings.identity(), create=create)
    try:
        search = orchestrator.Search(run, settings, proposers={"symbolic": _Scripted(sources)})
        anyio.run(search.run_search)
        return run.programs.all()
    finally:
        run.close()


def test_the_search_records_near_duplicates_and_rebuilds_the_index_on_resume(tmp_path, cli):
    run_dir = tmp_path / "run"
    first = _search(run_dir, 2, [GELU, GELU_NUDGED, TANH], create=True)
    assert [p.near_duplicate_of for p in first] == [None, first[0].id, None]
    assert sum(not p.cached for p in first) == 2  # GELU and tanh were trained, nothing else

    # A new process: the index exists only in the store (IRs in the run's cache).
    second = _search(run_dir, 3, [GELU_TANH, QUICK_GELU])
    by_source = {p.source: p for p in second}
    assert by_source[GELU_TANH].near_duplicate_of == first[0].id
    assert by_source[QUICK_GELU].near_duplicate_of is None and not by_source[QUICK_GELU].cached

    status = json.loads(cli("status", "--run-dir", run_dir, "--json").stdout)
    assert status["counts"]["near_duplicates"] == 2
    assert status["counts"]["fresh_evaluations"] == 3
    assert {row["id"] for row in status["leaderboard"]}.isdisjoint(
        {p.id for p in second if p.near_duplicate_of})  # not separate leaderboard rows
    text = cli("status", "--run-dir", run_dir).stdout
    assert "2 near-duplicates" in text
