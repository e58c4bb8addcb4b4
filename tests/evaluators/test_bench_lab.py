"""``actmine bench lab``: both ways run and agree; figures are printed, never asserted."""

from __future__ import annotations

import json
import re

from support import REPO


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


def _shape(line: str) -> str:
    """A line with its figures replaced: what the printer fixes, not what was measured."""
    return re.sub(r"\s+", " ", re.sub(r"\d+(\.\d+)?(e[+-]\d+)?", "N", line)).strip()


def test_scaling_page_shows_what_bench_lab_prints_for_several_candidates(cli, tiny_config):
    """docs/scaling.md quotes `bench lab --candidates-per-batch 4` between bench-multi
    markers: the quote must have the shape the command prints today, and its figures must
    agree with each other (candidates/s = K / seconds, speed-up = one at a time / batch)."""
    page = (REPO / "docs" / "scaling.md").read_text()
    match = re.search(r"<!-- bench-multi:start -->\n```\n(.*?)```\n<!-- bench-multi:end -->",
                      page, re.S)
    assert match, "docs/scaling.md lacks the bench-multi markers around a code block"
    quoted = match.group(1).strip().splitlines()

    result = cli("bench", "lab", "--config", tiny_config, "--steps", "3",
                 "--candidates-per-batch", "2")
    assert result.returncode == 0, result.stderr
    printed = result.stdout.splitlines()
    start = next(i for i, line in enumerate(printed) if "candidates per batch" in line)
    assert [_shape(x) for x in quoted] == [_shape(x) for x in printed[start:start + 4]]

    k = int(quoted[0].split()[0])
    (t_batch, cps_batch), (t_alone, cps_alone) = (
        map(float, re.findall(r"([\d.]+) s +([\d.]+) candidates/s", line)[0])
        for line in quoted[1:3])
    assert abs(cps_batch - k / t_batch) < 1e-3 and abs(cps_alone - k / t_alone) < 1e-3
    speedup = float(re.search(r"speed-up: x([\d.]+)", quoted[3]).group(1))
    assert abs(speedup - t_alone / t_batch) < 0.01
