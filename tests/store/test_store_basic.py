"""Run directories, the result caches and the program log, on real files."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import zlib

import pytest
from actmine.store import run_dir as run_dir_module
from actmine.store.cache import ResultCache, TieredCache
from actmine.store.programs import Program, ProgramLog
from actmine.store.run_dir import RunDirError, open_run, writer_pid

pytestmark = pytest.mark.fast  # make test-fast


def _evaluated(pid: int, **kw) -> Program:
    return Program(id=pid, proposer="seed", source=f"# {pid}", admitted=True,
                   ir_hash=kw.pop("ir_hash", f"ir{pid}"), fitness=kw.pop("fitness", -0.5),
                   stage="full", status="ok", flops=3, **kw)


def test_new_run_records_metadata_and_reopens(tmp_path):
    run = open_run(tmp_path / "r", {"seed": 1}, create=True)
    run.programs.add(_evaluated(1))
    run_id = run.run_id
    run.close()
    meta = json.loads((tmp_path / "r" / "run.json").read_text())
    assert meta["tool"] == "actmine" and meta["config"] == {"seed": 1}
    assert meta["format"] == 3 and meta["version"] and meta["run_id"] == run_id
    again = open_run(tmp_path / "r", {"seed": 1})
    assert [p.fitness for p in again.programs.best()] == [-0.5]
    assert again.programs.next_id() == 2
    assert len(again.programs.sessions()) == 2  # who wrote the run, with which version
    again.close()


def test_in_flight_rows_are_kept_apart_and_finish_in_commit_order(tmp_path):
    log = ProgramLog(tmp_path / "programs.db")
    for pid in (1, 2, 3):
        log.begin(Program(id=pid, proposer="llm", source=f"# {pid}", admitted=False,
                          parents=(pid - 1,) if pid > 1 else ()))
    assert [p.id for p in log.in_flight()] == [1, 2, 3] and log.all() == []
    assert log.counts()["proposals"] == 0 and log.counts()["in_flight"] == 3
    log.finish(_evaluated(3, parents=(2,)))
    log.finish(_evaluated(1))
    assert [(p.id, p.seq) for p in log.all()] == [(3, 1), (1, 2)]  # commit order
    assert [p.id for p in log.in_flight()] == [2]
    assert log.counts()["fresh_evaluations"] == 2 and log.next_id() == 4
    assert [c.id for c in log.children(2)] == [3]
    assert log.find_irs("ir") == ["ir1", "ir3"] and log.find_irs("ir3") == ["ir3"]
    log.close()


def test_foreign_and_corrupted_directories_are_refused(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(RunDirError, match="not an actmine run directory"):
        open_run(foreign, {}, create=True)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "run.json").write_text("{not json")
    with pytest.raises(RunDirError, match="corrupted"):
        open_run(broken, {}, create=True)
    other_tool = tmp_path / "other"
    other_tool.mkdir()
    (other_tool / "run.json").write_text('{"tool": "openevolve"}')
    with pytest.raises(RunDirError, match="not written by actmine"):
        open_run(other_tool, {}, create=True)


def _damage(run, how: str) -> None:
    if how == "garbage program log":
        (run / "programs.db").write_bytes(b"this is not a database" * 100)
        for extra in ("programs.db-wal", "programs.db-shm"):
            (run / extra).unlink(missing_ok=True)
    elif how == "missing program log":
        (run / "programs.db").unlink()
    elif how == "missing cache":
        import shutil

        shutil.rmtree(run / "cache")
    elif how == "garbage cache":
        (run / "cache" / "cache.db").write_bytes(b"\x00garbage" * 1000)
    elif how == "old format":
        meta = json.loads((run / "run.json").read_text())
        (run / "run.json").write_text(json.dumps(dict(meta, format=1, version="0.0.1")))


@pytest.mark.parametrize("how, message", [
    ("garbage program log", "program log .* is corrupted"),
    ("missing program log", "damaged: programs.db is missing"),
    ("missing cache", "damaged: cache is missing"),
    ("garbage cache", "cache .* is corrupted"),
    ("old format", "uses run format 1 .*actmine 0.0.1"),
])
def test_a_damaged_run_is_an_error_never_a_fresh_start(tmp_path, how, message):
    run = open_run(tmp_path / "r", {"seed": 1}, create=True)
    run.programs.add(_evaluated(1))
    run.close()
    _damage(tmp_path / "r", how)
    with pytest.raises(RunDirError, match=message):
        open_run(tmp_path / "r", {"seed": 1}, create=True)
    assert "\n" not in str(pytest.raises(RunDirError, open_run, tmp_path / "r", {"seed": 1},
                                         create=True).value)


def test_damaged_run_through_the_cli_is_one_line(cli, tmp_path):
    from actmine.agent.config import Settings

    run = open_run(tmp_path / "r", Settings().identity(), create=True)
    run.close()
    _damage(tmp_path / "r", "garbage program log")
    for args in (("status", "--run-dir", tmp_path / "r"),
                 ("search", "--run-dir", tmp_path / "r", "--budget", 1)):
        result = cli(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert "corrupted" in result.stderr
    assert (tmp_path / "r" / "programs.db").read_bytes().startswith(b"this is not")


def test_changed_configuration_needs_force(tmp_path):
    open_run(tmp_path / "r", {"lab": {"steps": 10}}, create=True).close()
    with pytest.raises(RunDirError, match="lab.steps"):
        open_run(tmp_path / "r", {"lab": {"steps": 20}}, create=True)
    open_run(tmp_path / "r", {"lab": {"steps": 20}}, create=True, force=True).close()
    assert json.loads((tmp_path / "r" / "run.json").read_text())["config"] == {
        "lab": {"steps": 20}}


def test_one_writer_many_readers(tmp_path):
    writer = open_run(tmp_path / "r", {}, create=True)
    writer.programs.begin(Program(id=1, proposer="llm", source="# 1", admitted=False))
    assert writer_pid(tmp_path / "r") == __import__("os").getpid()
    with pytest.raises(RunDirError, match=r"in use by another actmine process \(pid \d+\)"):
        open_run(tmp_path / "r", {})
    reader = open_run(tmp_path / "r", readonly=True)
    assert reader.programs.counts()["in_flight"] == 1
    writer.programs.finish(_evaluated(1))
    assert reader.programs.counts()["fresh_evaluations"] == 1  # sees the writer's commits
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.programs.add(_evaluated(2))
    reader.close()
    writer.close()
    assert writer_pid(tmp_path / "r") is None
    open_run(tmp_path / "r", {}).close()  # the lock is free again


def test_a_failed_creation_leaves_nothing_behind(tmp_path, monkeypatch):
    def explode(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run_dir_module, "ProgramLog", explode)
    with pytest.raises(RunDirError, match="cannot create the run directory .*No space left"):
        open_run(tmp_path / "r", {}, create=True)
    assert list(tmp_path.iterdir()) == []  # no half-made run, no staging directory
    monkeypatch.undo()
    open_run(tmp_path / "r", {}, create=True).close()


def test_cache_values_are_json_not_pickle(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    cache.put_evaluation("lab1", "ir1", {"fitness": -1.0, "stages": [1, 2]},
                         origin={"run": "r", "program": 7})
    cache.put_admission("f64-n64", "src1", {"admitted": True})
    assert cache.get_evaluation("lab1", "ir1") == {"fitness": -1.0, "stages": [1, 2],
                                                   "origin": {"run": "r", "program": 7}}
    cache.close()
    db = sqlite3.connect(tmp_path / "cache" / "cache.db")
    values = [v for (v,) in db.execute("SELECT value FROM Cache") if v is not None]
    db.close()
    decoded = [json.loads(zlib.decompress(v)) for v in values]
    assert {"admitted": True} in decoded and len(decoded) == 2


def test_cache_is_shared_between_processes(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    cache.put_evaluation("lab1", "ir1", {"fitness": -1.0})
    code = ("from actmine.store.cache import ResultCache; import sys; "
            "c = ResultCache(sys.argv[1]); print(c.get_evaluation('lab1', 'ir1')['fitness'])")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "cache")],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "-1.0"
    assert cache.get_evaluation("lab2", "ir1") is None  # another lab never sees it
    cache.close()


def test_tiered_cache_reads_through_and_writes_both_levels(tmp_path):
    shared = ResultCache(tmp_path / "shared")
    shared.put_evaluation("lab1", "ir1", {"fitness": -2.0}, {"run": "other", "program": 1})
    shared.put_ir("ir1", {"version": 1})
    tiered = TieredCache(ResultCache(tmp_path / "run"), shared)
    assert tiered.get_evaluation("lab1", "ir1")["origin"] == {"run": "other", "program": 1}
    assert tiered.run.get_evaluation("lab1", "ir1") is not None  # copied into the run
    assert tiered.get_ir("ir1") == {"version": 1}
    tiered.put_evaluation("lab1", "ir2", {"fitness": -3.0}, {"run": "me", "program": 2})
    assert shared.get_evaluation("lab1", "ir2")["fitness"] == -3.0
    assert tiered.get_evaluation("lab2", "ir1") is None
    assert tiered.run.evaluated_irs("lab1") == {"ir1", "ir2"}
    tiered.close()


def test_a_failing_shared_cache_is_switched_off_not_fatal(tmp_path, monkeypatch, caplog):
    shared = ResultCache(tmp_path / "shared")
    tiered = TieredCache(ResultCache(tmp_path / "run"), shared)

    def broken(*args):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(shared, "put_evaluation", broken)
    with caplog.at_level(logging.WARNING, logger="actmine.store"):
        tiered.put_evaluation("lab1", "ir1", {"fitness": -1.0})
    assert tiered.shared is None and "disabled" in caplog.text
    assert tiered.get_evaluation("lab1", "ir1") == {"fitness": -1.0}
    tiered.close()
    shared.close()
