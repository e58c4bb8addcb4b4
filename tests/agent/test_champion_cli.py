"""The champion and the validation score where a user meets them: ``actmine status`` (text and
JSON), ``actmine export --champion``, ``load_run(...).champion()``, and a real tiny search
whose lab holds a validation task (its end line, a resume by the daemon, the report)."""

from __future__ import annotations

import ast
import json

import anyio
import pytest
import torch
from actmine import load_run
from actmine.agent.cached_lab import CachedLab
from actmine.agent.executors import ExecutorConfig
from actmine.agent.executors.inline import InlineExecutor
from actmine.sandbox.ir import ActivationIR
from actmine.store.programs import Program
from actmine.store.run_dir import open_run
from support import TINY_TOML, tiny_settings


def module(body: str) -> str:
    return f"import torch\nimport torch.nn.functional as F\n\n\ndef activation(x):\n    return {body}\n"


# (source, proposer, seed name, fitness, validation)
PROGRAMS = [
    (module("torch.relu(x)"), "seed", "relu", 0.0, 0.0),
    (module("F.gelu(x)"), "seed", "gelu", -0.5, -0.3),
    (module("torch.tanh(x)"), "symbolic", None, -0.9, 0.2),  # the lab's best, not held out
    (module("F.gelu(x) + 0.1 * torch.sin(x)"), "symbolic", None, -0.7, -0.4),  # the champion
]


def fabricated_run(path, programs=PROGRAMS):
    """A run directory whose IRs come from the real sandbox; fitness and validation are
    set so that the lab's best is not the champion."""
    settings = tiny_settings()
    run = open_run(path, settings.identity(), create=True)
    lab = CachedLab(run.cache, InlineExecutor(ExecutorConfig()), settings.admission.to_config(),
                    settings.lab.to_config())
    try:
        for pid, (source, proposer, seed, fitness, validation) in enumerate(programs, start=1):
            admission, _ = anyio.run(lab.admit, source)
            assert admission.admitted, admission.reason
            objectives = {"family:polynomial": fitness}
            if validation is not None:
                objectives["validation"] = validation
            run.programs.add(Program(pid, proposer, source, True, ir_hash=admission.ir_hash,
                                     source_hash=admission.source_hash, flops=admission.flops,
                                     fitness=fitness, status="ok", stage="full",
                                     meta={"seed": seed} if seed else {},
                                     objectives=objectives))
    finally:
        run.close()
    return path


@pytest.mark.fast
def test_status_marks_the_champion_and_shows_validation_beside_fitness(cli, tmp_path):
    run_dir = fabricated_run(tmp_path / "run")
    text = cli("status", "--run-dir", run_dir, extra_env={"COLUMNS": "200"})
    assert text.returncode == 0, text.stderr
    out = text.stdout
    assert "valid." in out and "+0.200" in out  # the lab's best fails held out
    rows = [line for line in out.splitlines() if "gelu(x) + 0.1" in line]
    assert rows and "★" in rows[0] and "-0.400" in rows[0]
    assert "★ the champion: the best that also beats GELU on validation" in out
    assert "champion: #4 by symbolic, fitness -0.700; beats GELU on validation " \
           "(-0.400 vs -0.300); not judged on proxy" in out

    payload = json.loads(cli("status", "--run-dir", run_dir, "--json").stdout)
    assert payload["champion"]["id"] == 4 and payload["champion"]["applied"] == ["validation"]
    assert payload["champion"]["skipped"] == ["proxy"]
    by_id = {row["id"]: row for row in payload["leaderboard"]}
    assert by_id[4]["champion"] and not by_id[3]["champion"]
    assert by_id[3]["validation"] == 0.2 and by_id[3]["rank"] == 1

    assert load_run(run_dir).champion().program.id == 4


@pytest.mark.fast
def test_export_champion_writes_its_ir_or_says_there_is_none(cli, tmp_path):
    run_dir = fabricated_run(tmp_path / "run")
    out = tmp_path / "champion.py"
    done = cli("export", "--run-dir", run_dir, "--champion", "--out", out)
    assert done.returncode == 0, done.stderr
    doc = ast.get_docstring(ast.parse(out.read_text()))
    assert "program    #4 of run" in doc and "champion   beats GELU on validation" in doc
    namespace: dict = {}
    exec(compile(out.read_text(), str(out), "exec"), namespace)  # our generated module
    x = torch.linspace(-5, 5, 101)
    run = open_run(run_dir, readonly=True)
    try:
        ir = ActivationIR.from_dict(run.cache.get_ir(run.programs.get(4).ir_hash))
    finally:
        run.close()
    assert torch.equal(namespace["activation"](x), ir.to_callable()(x))

    losers = [p[:4] + (0.5,) if p[2] is None else p for p in PROGRAMS]  # nobody beats GELU
    none_dir = fabricated_run(tmp_path / "none", losers)
    failed = cli("export", "--run-dir", none_dir, "--champion")
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1
    assert "has no champion: no candidate beats GELU on validation" in failed.stderr
    assert "--rank 1" in failed.stderr
    both = cli("export", "--run-dir", run_dir, "--champion", "--rank", 1)
    assert both.returncode == 2 and "choose one of" in both.stderr


VALIDATION_TOML = (TINY_TOML.replace('tasks = ["square", "sine", "feynman_I_14_4"]',
                                     'tasks = ["square", "sine", "feynman_I_14_4"]\n'
                                     'validation = ["square"]')
                   .replace("proxy = false", "proxy = true"))  # bfs needs no data: always run


def test_a_search_with_validation_names_its_champion_resumes_and_reports(cli, tmp_path):
    config = tmp_path / "validation.toml"
    config.write_text(VALIDATION_TOML)
    run_dir = tmp_path / "run"
    first = cli("search", "--run-dir", run_dir, "--budget", 6, "--config", config)
    assert first.returncode == 0, first.stderr
    assert "valid." in first.stdout and "champion: " in first.stdout
    payload = json.loads(cli("status", "--run-dir", run_dir, "--json").stdout)
    assert all(row["validation"] is not None for row in payload["leaderboard"]
               if row["stage"] == "full")
    champion = payload["champion"]
    assert champion["applied"] == ["validation", "proxy"] and champion["skipped"] == []
    assert champion["gelu"]["validation"] is not None  # GELU's seed was evaluated held out
    assert champion["gelu"]["proxy"] is not None  # and trained on the proxy benchmarks
    proxy = payload["proxy"]  # its cost, counted apart from the lab's budget
    assert proxy["candidates"] >= 2 and "bfs" in proxy["benchmarks"] and proxy["jobs"] > 0
    if champion["id"] is not None:
        assert champion["validation"] < champion["gelu"]["validation"]

    again = cli("daemon", "--run-dir", run_dir, "--budget", 8, "--config", config)
    assert again.returncode == 0, again.stderr
    assert "daemon finished" in again.stdout and "champion: " in again.stdout
    after = json.loads(cli("status", "--run-dir", run_dir, "--json").stdout)
    assert after["counts"]["fresh_evaluations"] == 8

    report = cli("report", "--run-dir", run_dir, timeout=900)
    assert report.returncode == 0, report.stderr
    html = (run_dir / "report.html").read_text()
    assert "Selection fitness against held-out validation" in html
    assert 'id="champion"' in html and "champion" in html
