"""The Python API, and the promise behind it: every door (``actmine eval``, ``actmine
baselines``, a search, the API) goes through one trusted path and so gives the same fitness
and the same cache entry for the same function."""

from __future__ import annotations

import json

import actmine
import pytest
import torch
import torch.nn.functional as F
from actmine.agent.config import load_settings
from actmine.evaluators.known import by_names
from actmine.sandbox.errors import UserError
from actmine.store.cache import ResultCache, shared_cache_dir
from support import TINY_TOML

# The full lab, no cascade: `actmine baselines` always runs it so, and the others can too.
FULL = TINY_TOML.replace("short_threshold = 5.0", "short_threshold = 5.0\ncascade = false")
GELU = by_names(["GELU"])[0]


@pytest.fixture
def full_config(tmp_path, monkeypatch):
    path = tmp_path / "full.toml"
    path.write_text(FULL)
    monkeypatch.setenv("ACTMINE_CACHE_DIR", str(tmp_path / "user-cache"))  # as the cli fixture
    return path


def gelu_plus_sine(x):
    return F.gelu(x) + 0.1 * torch.sin(x)


def test_check_evaluate_and_rejection(full_config):
    admission = actmine.check(GELU.source, full_config)
    assert admission.admitted and admission.flops == 12
    evaluation = actmine.evaluate(gelu_plus_sine, full_config)  # a function: its source
    assert evaluation.status == "ok" and evaluation.stage == "full"
    again = actmine.evaluate("import torch\nimport torch.nn.functional as F\n"
                             "def activation(x):\n    return F.gelu(x) + 0.1 * torch.sin(x)\n",
                             full_config)
    assert again == evaluation  # the same IR: served from the cache
    with pytest.raises(actmine.Rejected) as caught:
        actmine.evaluate("def activation(x):\n    return x.mean()\n", full_config)
    assert caught.value.admission.category == "not_pointwise"
    with pytest.raises(UserError, match="def"):
        actmine.evaluate(lambda x: x, full_config)


def test_every_door_gives_the_same_fitness_and_one_cache_entry(cli, tmp_path, full_config):
    candidate = tmp_path / "gelu.py"
    candidate.write_text(GELU.source)
    by_eval = cli("eval", candidate, "--json", "--config", full_config)
    assert by_eval.returncode == 0, by_eval.stderr
    by_eval = json.loads(by_eval.stdout)
    assert by_eval["cached"] is False  # the first door pays

    by_api = actmine.evaluate(GELU.source, full_config)
    by_baselines = cli("baselines", "--only", "GELU", "--json", "--config", full_config)
    assert by_baselines.returncode == 0, by_baselines.stderr
    (row,) = json.loads(by_baselines.stdout)["baselines"]
    assert row["cached"] is True

    run_dir = tmp_path / "run"
    summary = actmine.search(run_dir, actmine.settings(full_config, **{"search.budget": 3}))
    assert summary["fresh_evaluations"] == 3
    seeded = {p.meta.get("seed"): p for p in actmine.load_run(run_dir).programs()}
    by_search = seeded["gelu"]
    assert by_search.cached  # the search found the evaluation the others had made

    fitness = {by_eval["fitness"], by_api.fitness, row["fitness"], by_search.fitness}
    assert len(fitness) == 1, fitness
    lab_hash = load_settings(full_config).lab.to_config().hash
    cache = ResultCache(shared_cache_dir())
    try:
        assert cache.get_evaluation(lab_hash, by_eval["ir_hash"])["fitness"] == by_api.fitness
        assert by_eval["ir_hash"] in cache.evaluated_irs(lab_hash)
    finally:
        cache.close()


def test_load_run_gives_records_lineage_and_a_module(tmp_path, full_config):
    run_dir = tmp_path / "run"
    actmine.search(run_dir, actmine.settings(full_config, **{"search.budget": 4}))
    run = actmine.load_run(run_dir)
    best = run.leaderboard(3)
    assert len(best) == 3 and best[0].fitness <= best[1].fitness <= best[2].fitness
    assert run.lineage(best[0].id).program.id == best[0].id
    module = run.module(1)
    x = torch.linspace(-3, 3, 7)
    assert torch.equal(module(x), run.ir(1).to_callable()(x))
    assert isinstance(module, torch.nn.Module)
    with pytest.raises(UserError, match="holds no run"):
        actmine.load_run(tmp_path / "nothing")
