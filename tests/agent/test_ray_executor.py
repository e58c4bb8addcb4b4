"""Searches whose admissions and evaluations run on a real Ray cluster on this machine:
one that actmine starts itself, and one started beforehand with `ray start` and joined;
then a Ray worker killed mid-task, whose work is retried and finishes.

Ray is installed by `make test` (the ray extra); outside CI a missing Ray skips these."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from support import ACTMINE, TINY_TOML

if importlib.util.find_spec("ray") is None and not os.environ.get("CI"):
    pytest.skip("ray extra not installed (pip install -e '.[ray]')", allow_module_level=True)

RAY = str(Path(ACTMINE).with_name("ray"))


def _config(tmp_path: Path, executor: str, lab_steps: int = 60) -> Path:
    path = tmp_path / "ray.toml"
    path.write_text(TINY_TOML.replace("steps = 60", f"steps = {lab_steps}")
                    + "\n[executor]\nkind = \"ray\"\n" + executor)
    return path


def _events(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


def _status(cli, run_dir: Path) -> dict:
    return json.loads(cli("status", "--run-dir", run_dir, "--json").stdout)


def test_search_through_a_private_local_ray_cluster(cli, tmp_path):
    config = _config(tmp_path, "candidates_per_batch = 2\n")
    run_dir = tmp_path / "run"
    raylets_before = _raylets()
    result = cli("search", "--run-dir", run_dir, "--budget", 6, "--config", config, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    status = _status(cli, run_dir)
    assert status["counts"]["fresh_evaluations"] == 6
    (end,) = [e for e in _events(run_dir) if e["event"] == "search_end"]
    executor = end["executor"]
    assert executor["kind"] == "ray" and executor["ray_address"] == "local"
    assert executor["workers"] == 2 and executor["evaluated"] == 6 and executor["retries"] == 0
    # The cluster was actmine's own: nothing of it outlives the search.
    assert _raylets() <= raylets_before


def _raylets() -> set[int]:
    found = subprocess.run(["pgrep", "-f", "ray/core/src/ray/raylet"], capture_output=True,
                           text=True)
    return {int(pid) for pid in found.stdout.split()}


@pytest.fixture
def ray_cluster(tmp_path):
    """A two-CPU Ray cluster started the way a user starts one, then `ray stop`."""
    port = 20000 + os.getpid() % 20000
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    started = subprocess.run([RAY, "start", "--head", f"--port={port}", "--num-cpus=2",
                              "--include-dashboard=false", "--disable-usage-stats"],
                             capture_output=True, text=True, timeout=120, env=env)
    assert started.returncode == 0, started.stderr[-2000:]
    try:
        yield "auto"
    finally:
        subprocess.run([RAY, "stop", "--force"], capture_output=True, timeout=120, env=env)


def _ray_task_pids(name: str) -> list[int]:
    """Ray worker processes running a task of this function (Ray names them ray::NAME)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if f.read().startswith(f"ray::{name}".encode()):
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


def test_a_ray_worker_killed_mid_task_is_retried_and_the_search_finishes(cli, tmp_path,
                                                                          ray_cluster):
    # Evaluations long enough (a few seconds) to be caught in the middle.
    config = _config(tmp_path, f"ray_address = \"{ray_cluster}\"\n", lab_steps=1500)
    run_dir = tmp_path / "run"
    budget = 4
    env = dict(os.environ, ACTMINE_CACHE_DIR=str(tmp_path / "user-cache"))
    search = subprocess.Popen([ACTMINE, "search", "--run-dir", str(run_dir), "--budget",
                               str(budget), "--config", str(config)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 180
        while not (pids := _ray_task_pids("evaluate_many_json")):
            assert search.poll() is None, search.stderr.read()[-2000:]
            assert time.monotonic() < deadline, "no evaluation task ever started on Ray"
            time.sleep(0.05)
        time.sleep(0.5)
        os.kill(pids[0], signal.SIGKILL)
        out, err = search.communicate(timeout=300)
    finally:
        if search.poll() is None:
            search.kill()
            search.wait()
    assert search.returncode == 0, err[-2000:]
    events = _events(run_dir)
    lost = [e for e in events if e["event"] == "worker_lost"]
    assert lost and lost[0]["task"] == "evaluation" and "WorkerCrashedError" in lost[0]["error"]
    (end,) = [e for e in events if e["event"] == "search_end"]
    assert end["executor"]["retries"] == len(lost) and end["executor"]["ray_address"] == "auto"
    status = _status(cli, run_dir)
    assert status["counts"]["fresh_evaluations"] == budget
    programs = [e for e in events if e["event"] == "program"]
    assert all(p["status"] in ("ok", "pruned") for p in programs if p["admitted"])


def test_an_unreachable_ray_cluster_is_one_line_at_start_up(cli, tmp_path):
    config = _config(tmp_path, "ray_address = \"127.0.0.1:1\"\n")
    result = cli("search", "--run-dir", tmp_path / "run", "--budget", 2, "--config", config,
                 timeout=300)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "ray_address" in result.stderr and "Traceback" not in result.stderr
