"""`actmine bench search`: Pareto and scalar selection of the symbolic proposer and the
random baseline, same evaluations and seeds, in one command; a table and a PNG, with the
held-out validation of each arm's best."""

from __future__ import annotations

import json

from PIL import Image

ARMS = ("pareto", "scalar", "random")


def test_bench_search_compares_selections_and_random(cli, tiny_config, tmp_path):
    config = tmp_path / "held.toml"
    config.write_text(tiny_config.read_text().replace("[lab]", '[lab]\nvalidation = ["cubic"]'))
    png = tmp_path / "curves.png"
    result = cli("bench", "search", "--evaluations", 10, "--seeds", "0,1", "--config",
                 config, "--png", png, "--json", timeout=1200)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["evaluations"] == 10 and report["seeds"] == [0, 1]
    assert report["validation_tasks"] == ["cubic"]
    rows = report["checkpoints"]
    assert [r["evaluations"] for r in rows] == list(range(1, 11))
    for arm in ARMS:
        means = [r[arm]["fitness"]["mean"] for r in rows]
        assert means == sorted(means, reverse=True)  # best so far never gets worse
        assert all(r[arm]["fitness"]["min"] <= r[arm]["fitness"]["mean"]
                   <= r[arm]["fitness"]["max"] for r in rows)
        assert rows[-1][arm]["validation"]["mean"] is not None
    with Image.open(png) as image:
        image.load()
        assert image.width > 400 and image.height > 200


def test_bench_search_prints_a_table(cli, tiny_config, tmp_path):
    result = cli("bench", "search", "--evaluations", 10, "--seeds", "3", "--config",
                 tiny_config, "--png", tmp_path / "c.png", timeout=1200)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert all(arm in lines[1] for arm in ARMS)
    assert lines[-1].startswith("after 10 evaluations, by mean best fitness:")
    assert (tmp_path / "c.png").stat().st_size > 1000
