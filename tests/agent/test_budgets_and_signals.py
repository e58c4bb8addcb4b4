"""Token, money and wall-time budgets in real searches (never overrun), and SIGINT: the first
lets work in flight finish, a second one aborts at once; either way nothing finished is lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from actmine.agent.llm.stub_server import StubServer
from llm_config import config_text
from support import ACTMINE


def _status(cli, run_dir) -> dict:
    return json.loads(cli("status", "--run-dir", run_dir, "--json").stdout)


def _model(base_url: str) -> dict:
    return {"name": "stub", "base_url": base_url, "timeout": 5.0, "max_tokens": 200,
            "input_usd_per_mtok": 100.0, "output_usd_per_mtok": 200.0}


@pytest.mark.parametrize("key,limit,stopped,spent", [
    ("budget_tokens", 3000, "tokens (3000)", "tokens"),
    ("budget_usd", 0.5, "money ($0.5)", "usd"),
])
def test_token_and_money_budgets_stop_the_search_and_are_never_overrun(cli, tmp_path, key,
                                                                        limit, stopped, spent):
    with StubServer() as stub:
        config = tmp_path / "budget.toml"
        config.write_text(config_text({"budget": 100, key: limit, "seed_functions": False,
                                       "requests_in_flight": 4}, [_model(stub.base_url)]))
        result = cli("search", "--run-dir", tmp_path / "run", "--config", config, timeout=600)
    assert result.returncode == 0, result.stderr
    assert f"stopped by {stopped}" in " ".join(result.stdout.split())
    status = _status(cli, tmp_path / "run")
    assert 0 < status["spend"][spent] <= limit
    assert status["counts"]["fresh_evaluations"] < 100


def test_wall_time_budget_ends_an_invocation(cli, tiny_config, tmp_path):
    config = tmp_path / "seconds.toml"
    config.write_text(tiny_config.read_text().replace(
        "[search]", "[search]\nbudget_seconds = 15"))
    started = time.monotonic()
    result = cli("search", "--run-dir", tmp_path / "run", "--budget", 10000, "--config",
                 config, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "stopped by wall time (15s)" in " ".join(result.stdout.split())
    assert time.monotonic() - started < 180
    counts = _status(cli, tmp_path / "run")["counts"]
    assert counts["proposals"] > 0 and counts["fresh_evaluations"] < 10000


def _start(run_dir, config, tmp_path) -> subprocess.Popen:
    env = dict(os.environ, ACTMINE_CACHE_DIR=str(tmp_path / "user-cache"))
    return subprocess.Popen([ACTMINE, "search", "--run-dir", str(run_dir), "--budget", "10000",
                             "--config", str(config)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _wait_for_evaluations(cli, run_dir, n: int, proc) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        if (run_dir / "run.json").exists():
            result = cli("status", "--run-dir", run_dir, "--json")
            if result.returncode == 0 and json.loads(result.stdout)["counts"]["fresh_evaluations"] >= n:
                return
        time.sleep(0.3)
    raise AssertionError("no progress")


def _interrupted(cli, run_dir, config, tmp_path, after: int, signals: int, timeout: float):
    """Start a search, wait for ``after`` fresh evaluations, send SIGINT ``signals`` times;
    the finished process and its output."""
    proc = _start(run_dir, config, tmp_path)
    try:
        _wait_for_evaluations(cli, run_dir, after, proc)
        for i in range(signals):
            if i:
                time.sleep(0.3)
            proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc, out, err


def test_sigint_finishes_work_in_flight_and_a_second_one_aborts(cli, tiny_config, tmp_path):
    # Slow evaluations (a longer lab), so that the second ^C lands while they run.
    config = tmp_path / "slow.toml"
    config.write_text(tiny_config.read_text().replace("steps = 60", "steps = 3000"))
    run_dir = tmp_path / "run"
    proc, out, err = _interrupted(cli, run_dir, config, tmp_path, after=2, signals=2,
                                  timeout=60)
    assert "Traceback" not in err
    assert proc.returncode != 0 and len([ln for ln in err.splitlines() if "error" in ln]) <= 1
    aborted = _status(cli, run_dir)
    assert not aborted["running"] and aborted["counts"]["fresh_evaluations"] >= 2
    events = [json.loads(line) for line in (run_dir / "events.jsonl").open()]
    assert [e["signal"] for e in events if e["event"] == "stop_requested"] == ["SIGINT"]

    # One ^C alone: the evaluations in flight finish, then the run ends cleanly (exit 0).
    proc, out, err = _interrupted(cli, run_dir, config, tmp_path,
                                  after=aborted["counts"]["fresh_evaluations"] + 1, signals=1,
                                  timeout=300)
    assert proc.returncode == 0, err
    assert "stopped by signal" in " ".join(out.split())
    stopped = _status(cli, run_dir)
    assert stopped["counts"]["in_flight"] == 0 or stopped["counts"]["fresh_evaluations"] > 0
    assert stopped["counts"]["fresh_evaluations"] > aborted["counts"]["fresh_evaluations"]
