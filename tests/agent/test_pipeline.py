"""The trusted path and the pipeline's budget accounting, on real parts: a real cache
directory, the real sandbox, real (tiny) lab training in this process."""

from __future__ import annotations

import anyio
import pytest
from actmine.agent.budget import Budget, Spent
from actmine.agent.cached_lab import CachedLab
from actmine.agent.config import SearchSettings
from actmine.agent.executors import ExecutorConfig
from actmine.agent.executors.inline import InlineExecutor
from actmine.agent.proposal import Proposal
from actmine.agent.search.pipeline import Pipeline
from actmine.sandbox.admission import AdmissionConfig
from actmine.store.cache import ResultCache

pytestmark = pytest.mark.fast

GELU = "import torch.nn.functional as F\n\ndef activation(x):\n    return F.gelu(x)\n"
GELU_AGAIN = "import torch.nn.functional as F\n\ndef activation(y):\n    z = F.gelu(y)\n    return z\n"
TANH = "import torch\n\ndef activation(x):\n    return torch.tanh(x)\n"
MEAN = "def activation(x):\n    return x - x.mean()\n"


@pytest.fixture
def lab(tmp_path, tiny_lab):
    cache = ResultCache(tmp_path / "cache")
    executor = InlineExecutor(ExecutorConfig(workers=2))
    yield CachedLab(cache, executor, AdmissionConfig(), tiny_lab)
    cache.close()


def _pipeline(lab: CachedLab, budget: int) -> Pipeline:
    return Pipeline(lab, Budget(SearchSettings(budget=budget), Spent()), run_id="run-1")


def test_two_spellings_at_once_share_one_evaluation_and_one_budget_unit(lab):
    pipeline = _pipeline(lab, budget=5)
    started = []
    pipeline.on_evaluate = lambda pid, ir_hash: started.append(pid)

    async def both():
        results = {}

        async def one(pid, source):
            results[pid] = await pipeline.process(pid, Proposal(source, "test"), 0, 0.0)

        async with anyio.create_task_group() as tg:
            tg.start_soon(one, 1, GELU)
            tg.start_soon(one, 2, GELU_AGAIN)
        return results

    results = anyio.run(both)
    assert results[1].ir_hash == results[2].ir_hash and results[1].fitness == results[2].fitness
    assert sorted([results[1].cached, results[2].cached]) == [False, True]
    assert len(started) == 1  # one evaluation for both
    assert pipeline.budget.evaluations_reserved == 0


def test_a_spent_budget_leaves_the_child_unfinished_and_a_hit_still_finishes(lab):
    pipeline = _pipeline(lab, budget=1)

    async def go():
        first = await pipeline.process(1, Proposal(GELU, "test"), 0, 0.0)
        over = await pipeline.process(2, Proposal(TANH, "test"), 0, 0.0)
        hit = await pipeline.process(3, Proposal(GELU_AGAIN, "test"), 0, 0.0)
        return first, over, hit

    first, over, hit = anyio.run(go)
    assert first.evaluated and not first.cached
    assert over is None  # admitted, but no evaluation left: stays in flight for a resume
    assert hit.evaluated and hit.cached and hit.fitness == first.fitness


def test_rejections_and_failed_proposals_become_programs(lab):
    pipeline = _pipeline(lab, budget=1)

    async def go():
        rejected = await pipeline.process(1, Proposal(MEAN, "test"), 0, 0.0)
        failed = await pipeline.process(2, Proposal("no code here", "llm", category="llm_error",
                                                    reason="the answer held no code"), 0, 0.0)
        return rejected, failed

    rejected, failed = anyio.run(go)
    assert not rejected.admitted and rejected.category == "not_pointwise"
    assert failed.category == "llm_error" and failed.reason == "the answer held no code"
    assert pipeline.budget.spent.fresh_evaluations == 0


def test_an_evaluation_paid_by_this_program_is_fresh_on_resume(lab):
    """The cache entry names who paid (its origin): the same program finding it after a
    crash counts it as its own fresh evaluation; any other program as a hit."""
    pipeline = _pipeline(lab, budget=3)
    admission, _ = anyio.run(lab.admit, GELU)
    anyio.run(lab.evaluate, admission, {"run": "run-1", "program": 7})
    assert anyio.run(pipeline.evaluate, admission, 7).cached is False
    assert anyio.run(pipeline.evaluate, admission, 8).cached is True
