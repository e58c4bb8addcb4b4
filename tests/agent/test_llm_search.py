"""The whole loop with a model: a fault-injecting OpenAI-compatible server on loopback, the
real CLI in a subprocess, real sandbox, lab workers and store."""

from __future__ import annotations

import json

from actmine.agent.llm.local_server import free_port
from actmine.agent.llm.stub_server import StubServer, random_activation
from llm_config import config_text

FAULTS = ["rate_limited", "server_error", "hang", "drop", "invalid_json", "empty_choices",
          "truncated", "bad_request", "server_error", "drop", "rate_limited", "truncated"]
CLIENT_KIND = {"hang": "timeout", "drop": "connection", "bad_request": "client_error"}


def stub_model(base_url: str, **extra) -> dict:
    return {"name": "stub", "base_url": base_url, "timeout": 1.0, "retries": 3,
            "backoff_initial": 0.02, "backoff_max": 0.3, "input_usd_per_mtok": 1.0,
            "output_usd_per_mtok": 2.0, **extra}


def test_search_survives_every_fault_spends_its_budget_and_counts_them(cli, tmp_path):
    with StubServer(faults=FAULTS, retry_after=0.1, hang_seconds=4) as stub:
        config = tmp_path / "faulty.toml"
        config.write_text(config_text(
            {"budget": 4, "seed_functions": False, "requests_in_flight": 3, "evaluations_in_flight": 2},
            [stub_model(stub.base_url)]))
        result = cli("search", "--run-dir", tmp_path / "run", "--config", config, timeout=600)
        injected = dict(stub.injected)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    status = json.loads(cli("status", "--run-dir", tmp_path / "run", "--json").stdout)
    assert status["counts"]["fresh_evaluations"] == 4
    expected = {}
    for fault, n in injected.items():
        kind = CLIENT_KIND.get(fault, fault)
        expected[kind] = expected.get(kind, 0) + n
    assert status["faults"] == expected  # every injected fault was seen and counted once
    rejections = {r["category"]: r["count"] for r in status["rejections"]}
    assert rejections["llm_error"] >= 1  # the 400 fails at once, as a stored result
    assert rejections["syntax"] >= 1  # truncated code reaches the checker and is refused
    stub_totals = status["members"]["stub"]
    assert stub_totals["usd"] > 0 and stub_totals["input_tokens"] > 0
    assert status["spend"]["usd"] == stub_totals["usd"]
    assert status["leaderboard"][0]["model"] == "stub"
    human = cli("status", "--run-dir", tmp_path / "run", extra_env={"COLUMNS": "200"})
    assert human.returncode == 0, human.stderr
    for text in ("not running", "Leaderboard", "throughput:", "Proposers", "model faults",
                 "stub: ", "Rejections", "llm_error"):
        assert text in human.stdout, text


def test_start_up_errors_are_one_line_before_any_work(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("ACTMINE_TEST_ABSENT_KEY", raising=False)
    unreachable = f"http://127.0.0.1:{free_port()}/v1"
    bad_prompts = tmp_path / "prompts"
    bad_prompts.mkdir()
    (bad_prompts / "rewrite.txt").write_text("improve {parent_sourse}\n")
    cases = {
        "models[m].temprature": ({}, [{"name": "m", "base_url": unreachable,
                                        "temprature": 0.3}], None),
        "ACTMINE_TEST_ABSENT_KEY is not set": ({}, [{"name": "m", "base_url": unreachable,
                                                     "api_key_env": "ACTMINE_TEST_ABSENT_KEY"}],
                                               None),
        "cannot reach": ({}, [{"name": "m", "base_url": unreachable}], None),
        "unknown placeholder {parent_sourse}": ({}, [{"name": "m", "base_url": unreachable}],
                                                {"dir": str(bad_prompts)}),
        "search.budgte": ({"budgte": 3}, [], None),
    }
    for i, (expected, (search, models, prompts)) in enumerate(cases.items()):
        config = tmp_path / f"c{i}.toml"
        config.write_text(config_text(search, models, prompts=prompts))
        result = cli("search", "--run-dir", tmp_path / f"run{i}", "--config", config,
                     timeout=120)
        assert result.returncode == 2, (expected, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (expected, result.stderr)


def test_mixed_ensemble_records_who_made_each_proposal(cli, tmp_path):
    with StubServer(latency=0.1) as stub:
        config = tmp_path / "mixed.toml"
        config.write_text(config_text(
            {"budget": 6, "seed_functions": False, "requests_in_flight": 2, "evaluations_in_flight": 2},
            [stub_model(stub.base_url)], ensemble={"symbolic": 1.0, "bandit": True}))
        result = cli("search", "--run-dir", tmp_path / "run", "--config", config, timeout=600)
    assert result.returncode == 0, result.stderr
    status = json.loads(cli("status", "--run-dir", tmp_path / "run", "--json").stdout)
    assert set(status["members"]) == {"symbolic", "stub"}
    assert status["members"]["stub"]["requests"] == status["members"]["stub"]["proposals"]
    events = [json.loads(line) for line in (tmp_path / "run" / "events.jsonl").open()]
    programs = [e for e in events if e["event"] == "program"]
    assert {e["member"] for e in programs} == {"symbolic", "stub"}
    assert all(e["template"] in ("rewrite", "diff", "crossover", "repair")
               for e in programs if e["member"] == "stub")


def test_bench_pipeline_prints_both_runs_side_by_side(cli, tmp_path):
    config = tmp_path / "lab.toml"
    config.write_text(config_text({}, []))
    result = cli("bench", "pipeline", "--latency", "0.3", "--budget", "3", "--requests", "6",
                 "--evaluators", "1", "--config", config, timeout=600,
                 extra_env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert "6 at once" in result.stdout and "one at a time" in result.stdout
    assert "evaluators busy" in result.stdout


def test_children_admitted_after_the_budget_are_kept_and_evaluated_on_resume(cli, tmp_path):
    import sqlite3

    def deferred(run_dir) -> set[int]:  # recorded, not finished: the budget ran out first
        with sqlite3.connect(run_dir / "programs.db") as db:
            return {i for (i,) in db.execute("SELECT id FROM programs WHERE seq IS NULL")}

    def answer(i: int) -> str:  # eight duds first: the run widens, then everything lands
        return "no idea" if i < 8 else f"```python\n{random_activation(i)}```"

    run_dir = tmp_path / "run"
    with StubServer(latency=0.5, answer=answer) as stub:
        config = tmp_path / "c.toml"
        config.write_text(config_text(
            {"budget": 2, "seed_functions": False, "requests_in_flight": 8, "evaluations_in_flight": 1},
            [stub_model(stub.base_url, timeout=10.0)]))
        assert cli("search", "--run-dir", run_dir, "--config", config).returncode == 0
        kept = deferred(run_dir)
        assert kept  # answers in flight when the budget was spent: none thrown away
        more = cli("search", "--run-dir", run_dir, "--config", config, "--budget",
                   2 + len(kept))
        assert more.returncode == 0, more.stderr
    status = json.loads(cli("status", "--run-dir", run_dir, "--json").stdout)
    assert status["counts"]["fresh_evaluations"] == 2 + len(kept)
    assert not kept & deferred(run_dir)  # every kept child was evaluated first


def test_llm_check_asks_every_model_once(cli, tmp_path):
    with StubServer(api_key="k") as stub:
        config = tmp_path / "c.toml"
        config.write_text(config_text({}, [stub_model(stub.base_url,
                                                      api_key_env="ACTMINE_TEST_KEY")]))
        result = cli("llm", "check", "--config", config,
                     extra_env={"COLUMNS": "200", "ACTMINE_TEST_KEY": "k"})
        assert stub.requests == 1
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("stub: ok in ") and "tokens" in result.stdout
