"""``actmine daemon``: runs until stopped, refuses a second writer, stops cleanly on SIGTERM,
resumes from the store; ``actmine status`` reads it while it runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

from actmine.agent.llm.stub_server import StubServer
from llm_config import config_text
from support import ACTMINE


def test_daemon_is_live_stops_on_sigterm_and_resumes(cli, tmp_path):
    run_dir = tmp_path / "run"
    env = dict(os.environ, ACTMINE_CACHE_DIR=str(tmp_path / "user-cache"))
    # One request at a time at 1.5 s each: slow enough to catch it running.
    with StubServer(latency=1.5) as stub:
        config = tmp_path / "daemon.toml"
        config.write_text(config_text(
            {"budget": 14, "seed_functions": False, "requests_in_flight": 1, "evaluations_in_flight": 1},
            [{"name": "stub", "base_url": stub.base_url, "timeout": 10.0}]))
        daemon = subprocess.Popen([ACTMINE, "daemon", "--run-dir", str(run_dir), "--config",
                                   str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=env)
        try:
            status = _wait_for(cli, run_dir, lambda s: s["running"]
                               and s["counts"]["fresh_evaluations"] >= 2)
            assert status["live"]["pid"] == daemon.pid
            assert status["live"]["in_flight"]["evaluation_slots"] == 1

            second = cli("daemon", "--run-dir", run_dir, "--config", config, timeout=120)
            assert second.returncode == 2
            assert len(second.stderr.strip().splitlines()) == 1
            assert f"in use by another actmine process (pid {daemon.pid})" in second.stderr

            daemon.send_signal(signal.SIGTERM)
            out, err = daemon.communicate(timeout=120)
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
        assert daemon.returncode == 0, err
        assert "stopped by signal" in out and "Traceback" not in err
        stopped = json.loads(cli("status", "--run-dir", run_dir, "--json").stdout)
        assert not stopped["running"]
        done_before = stopped["counts"]["fresh_evaluations"]
        assert 2 <= done_before < 14

        again = cli("daemon", "--run-dir", run_dir, "--config", config, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "stopped by evaluations (14)" in again.stdout
    final = json.loads(cli("status", "--run-dir", run_dir, "--json").stdout)
    assert final["counts"]["fresh_evaluations"] == 14
    assert final["counts"]["proposals"] > stopped["counts"]["proposals"]
    events = [json.loads(line) for line in (run_dir / "events.jsonl").open()]
    starts = [e for e in events if e["event"] == "search_start"]
    assert len(starts) == 2 and starts[1]["fresh_evaluations"] == done_before
    assert any(e["event"] == "stop_requested" and e["signal"] == "SIGTERM" for e in events)


def _wait_for(cli, run_dir, predicate, timeout: float = 240.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (run_dir / "run.json").exists():
            result = cli("status", "--run-dir", run_dir, "--json")
            if result.returncode == 0:
                status = json.loads(result.stdout)
                if predicate(status):
                    return status
        time.sleep(0.5)
    raise AssertionError(f"the daemon did not get there within {timeout}s")
