"""A whole search through the real CLI: proposals, sandbox, lab workers, store; then resume."""

from __future__ import annotations

import json


def test_search_runs_prints_leaderboard_and_resumes(cli, tiny_config, tmp_path):
    run_dir = tmp_path / "run"
    first = cli("search", "--run-dir", run_dir, "--budget", 6, "--config", tiny_config)
    assert first.returncode == 0, first.stderr
    assert "Leaderboard" in first.stdout and str(run_dir) in first.stdout
    status = json.loads(cli("status", "--run-dir", run_dir, "--json").stdout)
    assert status["counts"]["fresh_evaluations"] == 6
    assert status["leaderboard"][0]["fitness"] <= status["leaderboard"][-1]["fitness"]
    proposals_before = status["counts"]["proposals"]

    again = cli("search", "--run-dir", run_dir, "--budget", 6, "--config", tiny_config)
    assert again.returncode == 0, again.stderr
    assert "resuming: 6 of 6" in again.stderr
    after = json.loads(cli("status", "--run-dir", run_dir, "--json").stdout)
    assert after["counts"]["fresh_evaluations"] == 6  # nothing re-done
    assert after["counts"]["proposals"] == proposals_before

    more = cli("search", "--run-dir", run_dir, "--budget", 9, "--config", tiny_config)
    assert more.returncode == 0, more.stderr
    final = json.loads(cli("status", "--run-dir", run_dir, "--json").stdout)
    assert final["counts"]["fresh_evaluations"] == 9


def test_resume_with_a_different_lab_is_refused(cli, tiny_config, tmp_path):
    run_dir = tmp_path / "run"
    assert cli("search", "--run-dir", run_dir, "--budget", 1, "--config", tiny_config).returncode == 0
    other = tmp_path / "other.toml"
    other.write_text(tiny_config.read_text().replace("steps = 60", "steps = 61"))
    result = cli("search", "--run-dir", run_dir, "--budget", 2, "--config", other)
    assert result.returncode == 2
    assert "lab.steps" in result.stderr and "--force" in result.stderr
