"""Never pay twice: the real search loop (real sandbox, real lab worker processes, real
SQLite run directory) fed scripted proposals, and resumed from a hand-made crash state."""

from __future__ import annotations

import json
import random

import anyio
import pytest
from actmine.agent.executors import local as executor_module
from actmine.agent.proposal import Proposal
from actmine.agent.search import orchestrator
from actmine.store.run_dir import open_run
from support import tiny_settings

# One function, written three ways, plus a different one.
GELU_SIN = '''
import torch
import torch.nn.functional as F


def activation(x):
    return F.gelu(x) + 0.1 * torch.sin(x)
'''
RESPELLED = '''
import torch
import torch.nn.functional as F


def activation(inp):
    """The same function: renamed, commutative terms swapped, comments added."""
    wiggle = torch.sin(inp) * 0.1  # periodic part
    base = F.gelu(inp)             # smooth part
    return wiggle + base
'''
REFORMATTED = '''
import torch
import torch.nn.functional as F

# Identical to the first up to comments, a docstring and layout.
def activation( x ):
    """GELU with a ripple."""
    return F.gelu( x )+0.1*torch.sin( x )
'''
OTHER = '''
import torch


def activation(x):
    return x * torch.sigmoid(1.7 * x)
'''


class Scripted:
    """A proposer that proposes exactly these sources, in order."""

    name = "scripted"

    def __init__(self, sources: list[str]):
        self.sources = list(sources)

    def propose(self, parents, rng: random.Random) -> Proposal:
        return Proposal(self.sources.pop(0), self.name, tuple(p.id for p in parents[:1]))


def _settings(budget: int, in_flight: int = 1):
    settings = tiny_settings()
    return settings.model_copy(update={"search": settings.search.model_copy(
        update={"budget": budget, "proposals_in_flight": in_flight})})


def _events(run_dir, name: str) -> list[dict]:
    lines = (run_dir / "events.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == name]


@pytest.fixture
def admissions(monkeypatch):
    """Counts calls into the real sandboxed admission."""
    calls = []
    real = executor_module.admit_json

    def counting(source, config):
        calls.append(source)
        return real(source, config)

    monkeypatch.setattr(executor_module, "admit_json", counting)
    return calls


def test_differently_written_sources_share_one_evaluation(tmp_path, admissions):
    settings = _settings(budget=2)
    run = open_run(tmp_path / "run", settings.identity(), create=True)
    try:
        search = orchestrator.Search(run, settings, proposers={
            "symbolic": Scripted([GELU_SIN, RESPELLED, REFORMATTED, OTHER])})
        search.seeds = []
        summary = anyio.run(search.run_search)
        rows = {p.source: p for p in run.programs.all()}
        evaluated_irs = run.cache.evaluated_irs(settings.lab.to_config().hash)
    finally:
        run.close()

    first, respelled, reformatted, other = (rows[s] for s in (GELU_SIN, RESPELLED,
                                                               REFORMATTED, OTHER))
    # One IR for the three spellings; a different normalised source for the respelled one.
    assert first.ir_hash == respelled.ir_hash == reformatted.ir_hash != other.ir_hash
    assert respelled.source_hash != first.source_hash == reformatted.source_hash
    # One evaluation for the three: the first pays, the others are cache hits.
    assert (first.cached, respelled.cached, reformatted.cached, other.cached) == (
        False, True, True, False)
    assert first.fitness == respelled.fitness == reformatted.fitness
    assert [e["ir_hash"] for e in _events(tmp_path / "run", "evaluate")] == [
        first.ir_hash, other.ir_hash]
    assert evaluated_irs == {first.ir_hash, other.ir_hash}
    assert summary["fresh_evaluations"] == 2 and summary["cache_hits"] == 2
    # The reformatted source skipped the sandbox too (admission cache by normalised source).
    assert admissions == [GELU_SIN, RESPELLED, OTHER]


def test_an_evaluation_paid_before_a_crash_is_counted_once_and_never_redone(tmp_path):
    """The crash window between the evaluation's commit and its program's commit: the
    program is in flight in the log and its evaluation is in the cache with its origin."""
    settings = _settings(budget=1, in_flight=2)
    lab_hash = settings.lab.to_config().hash
    run_dir = tmp_path / "run"
    # A first life: propose two spellings of one function, evaluate the first, then "die".
    run = open_run(run_dir, settings.identity(), create=True)
    try:
        search = orchestrator.Search(run, settings)

        async def admit_and_evaluate():
            refs = await search.lab.references()
            admission, _ = await search.lab.admit(GELU_SIN)
            return admission, await search.executor.evaluate(admission.ir,
                                                             search.lab.lab_config, refs)

        admission, evaluation = anyio.run(admit_and_evaluate)
        run.programs.begin(orchestrator._in_flight(1, Proposal(GELU_SIN, "scripted"), 0))
        run.programs.begin(orchestrator._in_flight(2, Proposal(RESPELLED, "scripted"), 1))
        run.cache.put_evaluation(lab_hash, admission.ir_hash, evaluation.to_dict(),
                                 {"run": run.run_id, "program": 1})
    finally:
        run.close()

    # The second life resumes: nothing is evaluated, the budget of 1 is exactly spent.
    run = open_run(run_dir, settings.identity())
    try:
        # proposing anything new would fail the test
        search = orchestrator.Search(run, settings, proposers={"symbolic": Scripted([])})
        summary = anyio.run(search.run_search)
        programs = {p.id: p for p in run.programs.all()}
        assert run.programs.in_flight() == []
    finally:
        run.close()
    assert _events(run_dir, "evaluate") == []
    assert summary["fresh_evaluations"] == 1 and summary["cache_hits"] == 1
    assert set(programs) == {1, 2}
    assert programs[1].cached is False and programs[2].cached is True
    assert programs[1].ir_hash == programs[2].ir_hash
    assert programs[1].fitness == evaluation.fitness
