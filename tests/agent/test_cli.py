"""The CLI as a user runs it: real subprocesses, real run directories."""

from __future__ import annotations

import json


def test_check_rejects_batch_statistics_with_one_line(cli, write_candidate):
    path = write_candidate("def activation(x): return x - x.mean()\n")
    result = cli("check", path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "mean" in lines[0] and "not_pointwise" in lines[0]


def test_check_json_reports_flops_and_ir_hash(cli, write_candidate):
    path = write_candidate("import torch.nn.functional as F\ndef activation(x):\n    return F.silu(x)\n")
    result = cli("check", path, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] == "admitted" and data["flops"] == 9 and len(data["ir_hash"]) == 24


def test_eval_gelu_reports_fitness_per_task_and_flops(cli, write_candidate, tiny_config):
    path = write_candidate("import torch.nn.functional as F\ndef activation(x):\n    return F.gelu(x)\n")
    result = cli("eval", path, "--json", "--config", tiny_config)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["flops"] == 12 and isinstance(data["fitness"], float)
    assert {t["task"] for t in data["tasks"]} == {"square", "sine", "feynman_I_14_4"}
    assert all("train_mse" in t and "test_mse" in t for t in data["tasks"])
    assert [s["stage"] for s in data["cascade"]][0] == "probe"


def test_user_errors_are_one_line_without_traceback(cli, write_candidate, tmp_path):
    cases = [
        ("check", tmp_path / "missing.py"),
        ("check", write_candidate("def activation(x:\n", "broken.py")),
        ("status", "--run-dir", write_candidate("hello", "notes.txt").parent),
    ]
    for args in cases:
        result = cli(*args)
        assert result.returncode in (1, 2), result
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_bad_config_key_is_named(cli, write_candidate, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[lab]\nstepz = 3\n")
    path = write_candidate("def activation(x):\n    return x\n")
    result = cli("eval", path, "--config", config)
    assert result.returncode == 2
    assert "lab.stepz" in result.stderr
