"""`actmine bench alignment` as a user runs it: two lab designs and the transfer side on a
small panel plus a held-out function from a file (real subprocesses, sandboxed admission,
worker processes, the fixture datasets at the smoke profile), and its statistics."""

from __future__ import annotations

import json

import numpy as np
import pytest
from actmine.agent.bench.alignment import plotted_fitness, spearman
from support import TINY_TOML

FAST = "fmnist-mlp,freesolv,sorting,sunspots"  # one benchmark of each family
FAMILIES = ["images", "molecules", "algorithmic", "timeseries", "all"]


def test_spearman_with_a_paired_bootstrap_interval():
    x = np.arange(8.0)
    same = spearman(x, x ** 3, resamples=200)
    assert same.rho == pytest.approx(1.0) and same.low == pytest.approx(1.0) and same.n == 8
    reverse = spearman(x, -x, resamples=200)
    assert reverse.rho == pytest.approx(-1.0) and reverse.high == pytest.approx(-1.0)
    noisy = spearman(x, np.array([0, 2, 1, 3, 5, 4, 7, 6.0]), resamples=200)
    assert noisy.low <= noisy.rho <= noisy.high and 0.8 < noisy.rho < 1.0
    # a function without a transfer figure is left out, and a constant ranks nothing
    missing = spearman(x, np.array([0, 1, 2, 3, 4, 5, 6, np.nan]), resamples=200)
    assert missing.n == 7 and missing.rho == pytest.approx(1.0)
    assert spearman(x, np.ones(8)).rho is None


def test_a_failed_function_is_plotted_just_right_of_the_others():
    placed = plotted_fitness([-1.5, 0.0, 10.0, None, -0.5])
    assert placed[0] == (-1.5, False) and placed[1] == (0.0, False) and placed[3] == (None, False)
    x, failed = placed[2]
    assert failed and 0.0 < x < 1.0  # beside the worst scored one, not at 10
    assert plotted_fitness([10.0]) == [(0.1, True)]  # nothing scored: beside 0


def test_two_designs_on_a_small_panel_with_a_held_out_file(cli, tiny_config, write_candidate,
                                                           transfer_data, tmp_path):
    anchored = tmp_path / "relu_anchor.toml"
    anchored.write_text(TINY_TOML.replace("[lab]\n", '[lab]\nanchor = "relu"\naggregate = "mean"\n'))
    held_out = write_candidate("import torch\ndef activation(x):\n"
                               "    return x * torch.sigmoid(2.0 * x)\n", "swish2.py")
    png = tmp_path / "figs" / "alignment.png"
    args = ("bench", "alignment", "--design", tiny_config, "--design", anchored,
            "--panel", "ReLU,GELU,tanh,sin", "--add", held_out, "--profile", "smoke",
            "--benchmarks", FAST, "--resamples", "100", "--workers", "2", "--png", png, "--json")
    env = {"ACTMINE_TRANSFER_DATA": str(transfer_data)}
    result = cli(*args, extra_env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["panel"] == ["ReLU", "GELU", "tanh", "sin", "swish2"]
    assert data["designs"] == ["tiny", "relu_anchor"]
    assert data["lab_hashes"]["tiny"] != data["lab_hashes"]["relu_anchor"]
    for design in data["designs"]:
        assert data["fitness"][design]["ReLU"] == 0.0  # every design is anchored at ReLU
        assert all(np.isfinite(v) for v in data["fitness"][design].values())
        assert list(data["correlations"][design]) == FAMILIES
        for corr in data["correlations"][design].values():
            assert corr["n"] == 5
            assert corr["rho"] is None or corr["low"] <= corr["rho"] <= corr["high"]
        assert data["gelu_seconds"][design] > 0
    assert all(v == 0.0 for v in data["transfer"]["ReLU"].values())
    assert set(data["transfer"]["swish2"]) == set(FAMILIES)
    assert list(data["reliability"]) == FAMILIES
    assert data["held_out"] == ["swish2"]  # the added file, scored apart as well
    for design in data["designs"]:  # one function cannot be ranked on its own
        assert all(c["n"] == 1 and c["rho"] is None
                   for c in data["held_out_correlations"][design].values())
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "swish2" in result.stderr  # its lab results are shown as they arrive

    again = cli(*args, extra_env=env)  # everything is cached: the same figures
    assert again.returncode == 0, again.stderr
    repeat = json.loads(again.stdout)
    assert repeat["fitness"] == data["fitness"] and repeat["transfer"] == data["transfer"]


def test_unknown_panel_function_or_benchmark_is_one_line(cli, tiny_config):
    for extra, expected in ((("--panel", "ReLU,Nope"), "unknown activation(s) ['Nope']"),
                            (("--benchmarks", "cifar"), "unknown benchmark or family 'cifar'")):
        result = cli("bench", "alignment", "--design", tiny_config, *extra)
        assert result.returncode != 0 and expected in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
