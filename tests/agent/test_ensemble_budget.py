"""Ensemble weights and the bandit, budgets, model configuration."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from actmine.agent.budget import Budget, Spent, Verdict
from actmine.agent.config import (
    ConfigError,
    EnsembleSettings,
    ModelSettings,
    SearchSettings,
    Settings,
    load_settings,
)
from actmine.agent.search.ensemble import Ensemble
from actmine.store.programs import Program

pytestmark = pytest.mark.fast  # make test-fast

MODEL = {"name": "flash", "base_url": "https://example.invalid/v1"}


def test_member_weights_default_to_symbolic_without_models_and_models_with():
    assert Settings().member_weights() == {"symbolic": 1.0}
    assert Settings.model_validate({"search": {"proposer": "random"}}).member_weights() == {
        "random": 1.0}
    mixed = Settings.model_validate({"models": [MODEL, {**MODEL, "name": "pro", "weight": 0.25}],
                                     "ensemble": {"symbolic": 0.5}})
    assert mixed.member_weights() == {"symbolic": 0.5, "flash": 1.0, "pro": 0.25}


def test_model_config_errors_name_the_key(tmp_path):
    cases = {
        'name = "a"\nbase_url = "http://h/v1"\ntemprature = 0.5': "models[a].temprature",
        'name = "a"\nbase_url = "http://h/v1"\napi_key_env = "sk-abc123"': "never the key itself",
        'name = "a"\nbase_url = "h/v1"': "base_url must be an http(s) URL",
        'name = "symbolic"\nbase_url = "http://h/v1"': "taken by a built-in proposer",
    }
    for body, expected in cases.items():
        path = tmp_path / "c.toml"
        path.write_text(f"[[models]]\n{body}\n")
        with pytest.raises(ConfigError) as info:
            load_settings(path)
        assert expected in str(info.value), str(info.value)
    path.write_text("[[models]]\nname = 'a'\nbase_url = 'http://h/v1'\n" * 2)
    with pytest.raises(ConfigError, match="used twice"):
        load_settings(path)


def test_weighted_choice_follows_weights():
    ensemble = Ensemble({"symbolic": 1.0, "flash": 3.0}, EnsembleSettings())
    rng = random.Random(0)
    counts = Counter(ensemble.choose(rng) for _ in range(4000))
    assert 0.7 < counts["flash"] / 4000 < 0.8


def program(pid, member, fitness=None, parents=(), usd=0.0):
    meta = {"usage": {"cost_usd": usd}} if member not in ("symbolic", "seed") else {}
    return Program(id=pid, proposer="symbolic" if member == "symbolic" else (
        "seed" if member == "seed" else "llm"), model=None if member in ("symbolic", "seed")
        else member, source="", admitted=fitness is not None, fitness=fitness,
        status="ok" if fitness is not None else None, parents=parents, meta=meta)


def test_bandit_shifts_weight_to_the_member_that_improves_per_dollar():
    ensemble = Ensemble({"cheap": 1.0, "dear": 1.0},
                        EnsembleSettings(bandit=True, bandit_exploration=0.1))
    ensemble.record(program(1, "seed", fitness=0.0))
    pid = 2
    for _ in range(30):  # both improve equally, one costs 20x more
        ensemble.record(program(pid, "cheap", fitness=-0.05, parents=(1,), usd=0.001))
        ensemble.record(program(pid + 1, "dear", fitness=-0.05, parents=(1,), usd=0.02))
        pid += 2
    probs = ensemble.probabilities()
    assert probs["cheap"] > 0.8 and probs["dear"] >= 0.05  # never starved
    replayed = Ensemble({"cheap": 1.0, "dear": 1.0},
                        EnsembleSettings(bandit=True, bandit_exploration=0.1))
    for p in [program(1, "seed", fitness=0.0)] + [
            program(i, "cheap" if i % 2 == 0 else "dear", fitness=-0.05, parents=(1,),
                    usd=0.001 if i % 2 == 0 else 0.02) for i in range(2, 62)]:
        replayed.record(p)
    assert replayed.probabilities() == pytest.approx(probs)  # resume = replay the store


def test_money_budget_is_never_overrun_by_requests_in_flight():
    model = ModelSettings(**MODEL, max_tokens=1000, input_usd_per_mtok=1.0,
                          output_usd_per_mtok=10.0)
    budget = Budget(SearchSettings(budget=100, budget_usd=0.025), Spent())
    held = [budget.reserve_request(model, 400) for _ in range(5)]
    granted = [r for r in held if r is not None]
    assert len(granted) == 2  # each reserves up to 1200 tokens: <= $0.0112
    assert budget.exhausted is None  # others are in flight: they may settle for less
    for r in granted:
        budget.settle_request(r, 300, 0.003)
    assert budget.spent.usd == pytest.approx(0.006)
    while (r := budget.reserve_request(model, 400)) is not None:
        budget.settle_request(r, 1200, 0.0112)
    assert budget.spent.usd <= 0.025 and budget.verdict() is Verdict.DONE
    assert budget.exhausted.startswith("money")


def test_evaluation_budget_waits_for_work_in_flight_then_ends():
    budget = Budget(SearchSettings(budget=2), Spent(proposals=4, fresh_evaluations=1))
    assert budget.verdict() is Verdict.GO
    assert budget.reserve_evaluation()
    assert budget.verdict() is Verdict.WAIT and not budget.reserve_evaluation()
    budget.release_evaluation()
    budget.record_fresh_evaluation()
    assert budget.verdict() is Verdict.DONE and budget.exhausted == "evaluations (2)"


def in_flight(budget: Budget, pending: int) -> Budget:
    for _ in range(pending):
        budget.begin_proposal()  # a proposal counts from its start
    return budget


def test_near_the_end_only_likely_admissions_are_started():
    # 1 of 20 finished proposals was evaluated: one remaining evaluation needs ~8 proposals.
    def budget():
        return Budget(SearchSettings(budget=2), Spent(proposals=20, fresh_evaluations=1))

    assert in_flight(budget(), 8).verdict() is Verdict.WAIT
    assert in_flight(budget(), 7).verdict() is Verdict.GO


def test_a_new_run_starts_no_more_proposals_than_its_budget_until_rejections_show():
    assert in_flight(Budget(SearchSettings(budget=16), Spent()), 15).verdict() is Verdict.GO
    assert in_flight(Budget(SearchSettings(budget=16), Spent()), 16).verdict() is Verdict.WAIT
    # four finished rejections widen it
    assert in_flight(Budget(SearchSettings(budget=16), Spent(proposals=4)), 16).verdict() is Verdict.GO
