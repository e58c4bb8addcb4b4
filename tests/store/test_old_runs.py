"""A run directory made by older code (format 3 before programs kept objectives: no
``objectives`` column, no validation) still opens read-only for status, export and the API,
is migrated by the first writer (the report, a resume), and a resume under today's lab
settings is refused with one line naming the fix, or continues with --force."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid

import pytest
from actmine import load_run
from actmine.sandbox.admission import admit
from actmine.store.cache import ResultCache
from support import tiny_settings

# programs.db as actmine wrote it before objectives (git a739ea0, store/programs.py).
OLD_SCHEMA = """
CREATE TABLE programs (
    id INTEGER PRIMARY KEY, seq INTEGER UNIQUE, created REAL NOT NULL, finished REAL,
    proposer TEXT NOT NULL, model TEXT, template TEXT, parents TEXT NOT NULL,
    island INTEGER NOT NULL DEFAULT 0, source TEXT NOT NULL, source_hash TEXT,
    admitted INTEGER NOT NULL DEFAULT 0, category TEXT, reason TEXT, ir_hash TEXT,
    flops INTEGER, fitness REAL, stage TEXT, status TEXT, lab_hash TEXT,
    cached INTEGER NOT NULL DEFAULT 0, features TEXT NOT NULL DEFAULT '{}',
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX programs_fitness ON programs(fitness);
CREATE INDEX programs_ir ON programs(ir_hash);
CREATE TABLE parents (child INTEGER NOT NULL, parent INTEGER NOT NULL,
                      PRIMARY KEY (child, parent)) WITHOUT ROWID;
CREATE INDEX parents_parent ON parents(parent);
CREATE TABLE sessions (id INTEGER PRIMARY KEY, started REAL NOT NULL, pid INTEGER NOT NULL,
                       version TEXT NOT NULL);
"""
HEAD = "import torch\nimport torch.nn.functional as F\n\n\ndef activation(x):\n    return "
OLD_PROGRAMS = [(1, "seed", "relu", "torch.relu(x)", 0.0),
                (2, "seed", "gelu", "F.gelu(x)", -0.5),
                (3, "symbolic", None, "torch.tanh(x)", -0.9)]


def old_run(path):
    settings = tiny_settings()
    path.mkdir()
    admission_config = settings.admission.to_config()
    cache = ResultCache(path / "cache")
    db = sqlite3.connect(path / "programs.db")
    db.executescript(OLD_SCHEMA)
    old_lab = {k: v for k, v in settings.identity()["lab"].items()
               if k not in ("validation", "anchor", "aggregate")}  # keys it did not have
    for pid, proposer, seed, body, fitness in OLD_PROGRAMS:
        source = HEAD + body + "\n"
        verdict = admit(source, admission_config)
        cache.put_admission(admission_config.key, verdict.source_hash, verdict.to_dict())
        cache.put_ir(verdict.ir_hash, verdict.ir.to_dict())
        db.execute("INSERT INTO programs (id, seq, created, finished, proposer, parents, island, "
                   "source, source_hash, admitted, ir_hash, flops, fitness, stage, status, "
                   "lab_hash, meta) VALUES (?, ?, ?, ?, ?, '[]', -1, ?, ?, 1, ?, ?, ?, 'full', "
                   "'ok', 'oldlab', ?)",
                   (pid, pid, time.time(), time.time(), proposer, source, verdict.source_hash,
                    verdict.ir_hash, verdict.flops, fitness,
                    json.dumps({"seed": seed} if seed else {})))
    db.commit()
    db.close()
    cache.close()
    meta = {"tool": "actmine", "format": 3, "version": "0.3.0", "run_id": uuid.uuid4().hex,
            "created": time.time(),
            "config": {**settings.identity(), "lab": old_lab}}
    (path / "run.json").write_text(json.dumps(meta))
    return path


def columns(path) -> set[str]:
    db = sqlite3.connect(path / "programs.db")
    try:
        return {row[1] for row in db.execute("PRAGMA table_info(programs)")}
    finally:
        db.close()


@pytest.mark.fast
def test_an_old_run_shows_status_exports_its_champion_and_loads(cli, tmp_path):
    run_dir = old_run(tmp_path / "old")
    text = cli("status", "--run-dir", run_dir, extra_env={"COLUMNS": "200"})
    assert text.returncode == 0, text.stderr
    assert "valid." not in text.stdout  # nothing held out in this run
    assert ("champion: #3 by symbolic, fitness -0.900; beats GELU on fitness (-0.900 vs "
            "-0.500); not judged on validation or proxy") in text.stdout
    payload = json.loads(cli("status", "--run-dir", run_dir, "--json").stdout)
    assert payload["champion"]["applied"] == ["fitness"]
    assert payload["leaderboard"][0]["validation"] is None
    assert payload["counts"]["near_duplicates"] == 0
    exported = cli("export", "--run-dir", run_dir, "--champion")
    assert exported.returncode == 0, exported.stderr
    assert "torch.tanh(x)" in exported.stdout and "program    #3" in exported.stdout
    assert load_run(run_dir).champion().program.id == 3
    assert "objectives" not in columns(run_dir)  # readers never write


def test_the_report_reads_a_resume_is_refused_in_one_line_or_forced_and_migrates(
        cli, tmp_path, tiny_config):
    run_dir = old_run(tmp_path / "old")
    report = cli("report", "--run-dir", run_dir)
    assert report.returncode == 0, report.stderr
    assert "objectives" not in columns(run_dir)  # the report reads, it never writes
    html = (run_dir / "report.html").read_text()
    assert "champion: #3" in html and "Selection fitness against held-out validation" not in html

    refused = cli("search", "--run-dir", run_dir, "--budget", 4, "--config", tiny_config)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "different configuration" in refused.stderr and "--force" in refused.stderr

    forced = cli("search", "--run-dir", run_dir, "--budget", 4, "--config", tiny_config,
                 "--force")
    assert forced.returncode == 0, forced.stderr
    assert "champion: " in forced.stdout
    assert "objectives" in columns(run_dir)  # the writer added the column
    new = [p for p in load_run(run_dir).programs() if p.id > 3 and p.evaluated]
    assert new and all("family:polynomial" in p.objectives for p in new)  # the new lab's
    assert {p.lab_hash for p in new} == {tiny_settings().lab.to_config().hash}
