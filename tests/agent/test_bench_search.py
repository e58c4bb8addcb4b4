"""`actmine bench search`: symbolic evolution and the random baseline, same evaluations and
seeds, in one command; a table and a PNG."""

from __future__ import annotations

import json

from PIL import Image


def test_bench_search_compares_symbolic_and_random(cli, tiny_config, tmp_path):
    png = tmp_path / "curves.png"
    result = cli("bench", "search", "--evaluations", 10, "--seeds", "0,1", "--config",
                 tiny_config, "--png", png, "--json", timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["evaluations"] == 10 and report["seeds"] == [0, 1]
    rows = report["checkpoints"]
    assert [r["evaluations"] for r in rows] == list(range(1, 11))
    for proposer in ("symbolic", "random"):
        means = [r[proposer]["mean"] for r in rows]
        assert means == sorted(means, reverse=True)  # best so far never gets worse
        assert all(r[proposer]["min"] <= r[proposer]["mean"] <= r[proposer]["max"] for r in rows)
    with Image.open(png) as image:
        image.load()
        assert image.width > 400 and image.height > 200


def test_bench_search_prints_a_table(cli, tiny_config, tmp_path):
    result = cli("bench", "search", "--evaluations", 10, "--seeds", "3", "--config",
                 tiny_config, "--png", tmp_path / "c.png", timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert "symbolic" in lines[1] and "random" in lines[1]
    assert lines[-1].startswith("after 10 evaluations symbolic is better on")
    assert (tmp_path / "c.png").stat().st_size > 1000
