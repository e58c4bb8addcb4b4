"""Run directories, the result cache and the program log, on real files."""

from __future__ import annotations

import json

import pytest
from actmine.store.programs import Program
from actmine.store.run_dir import RunDirError, open_run


def test_new_run_records_metadata_and_reopens(tmp_path):
    run = open_run(tmp_path / "r", {"seed": 1}, create=True)
    run.programs.add(Program(id=1, proposer="seed", source="x", admitted=True, ir_hash="h",
                             fitness=-0.5, stage="full", status="ok", flops=3))
    run.close()
    meta = json.loads((tmp_path / "r" / "run.json").read_text())
    assert meta["tool"] == "actmine" and meta["config"] == {"seed": 1}
    again = open_run(tmp_path / "r", {"seed": 1})
    assert [p.fitness for p in again.programs.best()] == [-0.5]
    assert again.programs.next_id() == 2
    again.close()


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


def test_changed_configuration_needs_force(tmp_path):
    open_run(tmp_path / "r", {"lab": {"steps": 10}}, create=True).close()
    with pytest.raises(RunDirError, match="lab.steps"):
        open_run(tmp_path / "r", {"lab": {"steps": 20}}, create=True)
    open_run(tmp_path / "r", {"lab": {"steps": 20}}, create=True, force=True).close()


def test_cache_is_shared_between_processes(tmp_path):
    import subprocess
    import sys

    from actmine.store.cache import ResultCache

    cache = ResultCache(tmp_path / "cache")
    cache.put_evaluation("lab1", "ir1", {"fitness": -1.0})
    code = ("from actmine.store.cache import ResultCache; import sys; "
            "c = ResultCache(sys.argv[1]); print(c.get_evaluation('lab1', 'ir1')['fitness'])")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "cache")],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "-1.0"
    assert cache.get_evaluation("lab2", "ir1") is None  # another lab never sees it
