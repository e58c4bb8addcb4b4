"""Crash safety with real processes, real SQLite files and real SIGKILL.

One real search (tiny lab, 3 proposals and 2 evaluations in flight, 2 islands with frequent
migrations and resets) is killed with SIGKILL at 10 random moments and restarted each
time; a second, uninterrupted run with the same budget is the reference.

What "equal counts" means here (the search is concurrent, so which functions get proposed
depends on timing and is not compared; what is compared is the accounting):

* fresh evaluations (program rows evaluated and not served by a cache) == budget, in both runs;
* every fresh evaluation is of a different IR, and the IRs with fresh rows are exactly the
  evaluations in the run's cache: nothing evaluated was lost, nothing was paid for twice;
* every cache hit row is of an IR that has a fresh row in the same run;
* nothing committed before a kill is ever started again after it: an "evaluate" event in a
  segment never names an IR whose evaluation was in the cache when the previous segment
  was killed (work in flight at the kill is lost and may be redone: that is allowed);
* committed rows never change or disappear across kills.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from actmine.store.cache import ResultCache
from actmine.store.programs import ProgramLog
from support import ACTMINE, TINY_TOML, tiny_settings

BUDGET = 60  # enough that ten kills land mid-run even on an idle machine with a fast lab
KILLS = 10
CONFIG = TINY_TOML + """
[database]
islands = 2
migration_interval = 4
reset_interval = 8
"""


def _start(run_dir: Path, config: Path, cache_dir: Path, log: Path,
           budget: int = BUDGET) -> subprocess.Popen:
    env = dict(os.environ, ACTMINE_CACHE_DIR=str(cache_dir))
    with open(log, "a") as err:
        return subprocess.Popen([ACTMINE, "search", "--run-dir", str(run_dir), "--budget",
                                 str(budget), "--config", str(config)],
                                stdout=subprocess.DEVNULL, stderr=err, env=env,
                                start_new_session=True)


def _finished(run_dir: Path) -> dict[int, tuple]:
    if not (run_dir / "run.json").exists():
        return {}
    log = ProgramLog(run_dir / "programs.db", readonly=True)
    try:
        return {p.id: (p.seq, p.source, p.ir_hash, p.fitness, p.cached) for p in log.all()}
    finally:
        log.close()


def _cached_irs(run_dir: Path, lab_hash: str) -> set[str]:
    if not (run_dir / "run.json").exists():
        return set()
    cache = ResultCache(run_dir / "cache")
    try:
        return cache.evaluated_irs(lab_hash)
    finally:
        cache.close()


def _evaluate_events(run_dir: Path, start: int = 0) -> tuple[list[str], int]:
    """IR hashes of 'evaluate' events after byte offset ``start``, and the new offset."""
    path = run_dir / "events.jsonl"
    if not path.exists():
        return [], 0
    data = path.read_bytes()
    irs = []
    for line in data[start:].splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line cut by the kill
        if event.get("event") == "evaluate":
            irs.append(event["ir_hash"])
    return irs, len(data)


def _wait_for_rows(run_dir: Path, target: int, proc: subprocess.Popen,
                   timeout: float = 180) -> None:
    """Until ``target`` programs are finished (read while the search writes)."""
    deadline = time.monotonic() + timeout
    while len(_finished(run_dir)) < target:
        assert proc.poll() is None, "the search ended before it was killed; raise BUDGET"
        assert time.monotonic() < deadline, "the search made no progress"
        time.sleep(0.05)


def _reader_and_second_writer(run_dir: Path, config: Path, proc: subprocess.Popen,
                              tmp_path: Path) -> None:
    """While the search holds the run (SIGSTOPped, so it cannot finish meanwhile, possibly
    inside a transaction), ``actmine status`` reads it and a second search is refused."""
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        status = subprocess.run([ACTMINE, "status", "--run-dir", str(run_dir), "--json"],
                                capture_output=True, text=True, timeout=300)
        assert status.returncode == 0, status.stderr
        live = json.loads(status.stdout)
        assert live["running_pid"] == proc.pid
        assert 0 < live["counts"]["fresh_evaluations"] <= BUDGET
        second = subprocess.run([ACTMINE, "search", "--run-dir", str(run_dir), "--budget",
                                 str(BUDGET), "--config", str(config)],
                                capture_output=True, text=True, timeout=300,
                                env=dict(os.environ, ACTMINE_CACHE_DIR=str(tmp_path)))
        assert second.returncode == 2
        assert f"in use by another actmine process (pid {proc.pid})" in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1
    finally:
        os.kill(proc.pid, signal.SIGCONT)


def _final_accounting(run_dir: Path, lab_hash: str) -> dict:
    log = ProgramLog(run_dir / "programs.db", readonly=True)
    try:
        finished = log.all()
    finally:
        log.close()
    fresh = [p for p in finished if p.evaluated and not p.cached]
    hits = [p for p in finished if p.evaluated and p.cached]
    fresh_irs = {p.ir_hash for p in fresh}
    by_id = {p.id: p for p in finished}

    def paid_for(p) -> bool:  # by a fresh row: its own IR's, or the one it near-duplicates
        twin = by_id.get(p.near_duplicate_of) if p.near_duplicate_of is not None else None
        return p.ir_hash in fresh_irs or (twin is not None and twin.ir_hash in fresh_irs)
    return {
        "fresh_evaluations": len(fresh),
        "distinct_fresh_irs": len(fresh_irs),
        "cache_evaluations": len(_cached_irs(run_dir, lab_hash)),
        "fresh_irs_are_the_cache": fresh_irs == _cached_irs(run_dir, lab_hash),
        "hits_without_a_fresh_row": sum(not paid_for(p) for p in hits),
        "seq_is_dense": sorted(p.seq for p in finished) == list(range(1, len(finished) + 1)),
    }


def test_sigkill_at_random_moments_loses_nothing_and_pays_nothing_twice(tmp_path):
    config = tmp_path / "kill.toml"
    config.write_text(CONFIG)
    lab_hash = tiny_settings().lab.to_config().hash
    rng = random.Random(2026)

    # ---- the killed run
    run_dir, log = tmp_path / "killed", tmp_path / "killed.log"
    before_kill: dict[int, tuple] = {}
    committed_irs: set[str] = set()
    offset = 0
    for kill in range(KILLS):
        proc = _start(run_dir, config, tmp_path / "cache-killed", log)
        try:
            if kill == 0:  # somewhere in creating the run and starting up
                time.sleep(rng.uniform(0.2, 3.0))
            else:  # somewhere in the middle of real work
                target = len(_finished(run_dir)) + rng.randint(1, 2)
                _wait_for_rows(run_dir, target, proc)
                time.sleep(rng.uniform(0.0, 0.5))
            if kill == 4:
                _reader_and_second_writer(run_dir, config, proc, tmp_path)
            assert proc.poll() is None, "the search ended before it was killed; raise BUDGET"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        started, offset = _evaluate_events(run_dir, offset)
        assert not set(started) & committed_irs, "a committed evaluation was started again"
        now = _finished(run_dir)
        assert {i: now.get(i) for i in before_kill} == before_kill, "a committed row changed"
        irs = _cached_irs(run_dir, lab_hash)
        assert committed_irs <= irs, "a committed evaluation disappeared"
        before_kill, committed_irs = now, irs
    assert len(before_kill) > 10, "the kills landed before the run made progress"

    proc = _start(run_dir, config, tmp_path / "cache-killed", log)
    assert proc.wait(timeout=600) == 0, log.read_text()[-2000:]
    started, _ = _evaluate_events(run_dir, offset)
    assert not set(started) & committed_irs, "a committed evaluation was started again"
    killed = _final_accounting(run_dir, lab_hash)

    # ---- the uninterrupted reference
    reference_dir = tmp_path / "uninterrupted"
    proc = _start(reference_dir, config, tmp_path / "cache-reference", tmp_path / "ref.log")
    assert proc.wait(timeout=600) == 0, (tmp_path / "ref.log").read_text()[-2000:]
    reference = _final_accounting(reference_dir, lab_hash)
    started, _ = _evaluate_events(reference_dir)
    assert sorted(started) == sorted(set(started)) and len(started) == BUDGET

    expected = {"fresh_evaluations": BUDGET, "distinct_fresh_irs": BUDGET,
                "cache_evaluations": BUDGET, "fresh_irs_are_the_cache": True,
                "hits_without_a_fresh_row": 0, "seq_is_dense": True}
    assert reference == expected
    assert killed == reference


SEQUENTIAL = TINY_TOML.replace("proposals_in_flight = 3", "proposals_in_flight = 1").replace(
    "evaluations_in_flight = 2", "evaluations_in_flight = 1") + """
[database]
islands = 2
migration_interval = 3
reset_interval = 6
"""


@pytest.mark.parametrize("kills", [3])
def test_sequential_run_killed_and_resumed_equals_the_uninterrupted_one(tmp_path, kills):
    """With one proposal in flight the search is deterministic, so resuming after SIGKILL
    must reproduce the uninterrupted run row for row: same ids, sources, IRs, fitness and
    cache flags. This is what rebuilding random state, database and counters from the
    store (never from memory) buys."""
    config = tmp_path / "seq.toml"
    config.write_text(SEQUENTIAL)
    budget = 12
    rng = random.Random(7)
    run_dir = tmp_path / "killed"
    for _ in range(kills):
        proc = _start(run_dir, config, tmp_path / "c1", tmp_path / "k.log", budget)
        try:
            target = len(_finished(run_dir)) + rng.randint(2, 3)
            _wait_for_rows(run_dir, target, proc)
            time.sleep(rng.uniform(0.0, 0.4))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    proc = _start(run_dir, config, tmp_path / "c1", tmp_path / "k.log", budget)
    assert proc.wait(timeout=600) == 0
    proc = _start(tmp_path / "whole", config, tmp_path / "c2", tmp_path / "w.log", budget)
    assert proc.wait(timeout=600) == 0

    def rows(path: Path) -> list[tuple]:
        return [(i, source, ir, fitness, cached)
                for i, (_, source, ir, fitness, cached) in sorted(_finished(path).items())]

    whole = rows(tmp_path / "whole")
    assert sum(1 for r in whole if r[3] is not None and not r[4]) == budget
    assert rows(run_dir) == whole
