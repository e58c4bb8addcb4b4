"""``actmine bench lab``: both ways run and agree; figures are printed, never asserted."""

from __future__ import annotations

import json


def test_bench_lab_trains_both_ways_and_reports_throughput(cli, tiny_config):
    result = cli("bench", "lab", "--json", "--config", tiny_config, "--steps", "20")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["models"] == 3 and data["steps"] == 20
    for way in ("batched", "loop"):
        assert data[way]["seconds"] > 0 and data[way]["model_steps_per_s"] > 0
        assert data[way]["gflops"] > 0
    assert data["peak_matmul_gflops"] > 0 and data["speedup"] > 0
    # The same protocol: the two ways end at the same losses.
    assert data["test_mse_max_rel_diff"] < 1e-3


def test_bench_lab_human_output_and_bad_activation(cli, tiny_config):
    result = cli("bench", "lab", "--config", tiny_config, "--steps", "5", "--activation", "tanh")
    assert result.returncode == 0, result.stderr
    assert "speed-up" in result.stdout and "GFLOP/s" in result.stdout
    bad = cli("bench", "lab", "--config", tiny_config, "--activation", "swish")
    assert bad.returncode == 2 and "swish" in bad.stderr
