"""The run's program log: one SQLite row per finished proposal, committed before it counts.

Plain ``sqlite3`` rather than diskcache here because the program log is queried (best
first, counts by category, lineage), not looked up by key. WAL mode lets ``actmine status``
read while the daemon writes.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS programs (
    id INTEGER PRIMARY KEY,
    created REAL NOT NULL,
    proposer TEXT NOT NULL,
    model TEXT,
    template TEXT,
    parents TEXT NOT NULL,           -- JSON list of program ids
    source TEXT NOT NULL,
    source_hash TEXT,
    admitted INTEGER NOT NULL,
    category TEXT,                   -- rejection category (NULL when admitted)
    reason TEXT,
    ir_hash TEXT,
    flops INTEGER,
    fitness REAL,                    -- NULL unless evaluated
    stage TEXT,
    status TEXT,
    cached INTEGER NOT NULL DEFAULT 0,   -- 1 when admission or evaluation came from the cache
    island INTEGER NOT NULL DEFAULT 0,
    meta TEXT NOT NULL DEFAULT '{}'      -- proposer-specific JSON (e.g. the expression tree)
);
CREATE INDEX IF NOT EXISTS programs_fitness ON programs(fitness);
CREATE INDEX IF NOT EXISTS programs_ir ON programs(ir_hash);
"""


@dataclass(frozen=True)
class Program:
    """One finished proposal and its outcome. Crosses into agent/ (parents, prompts, status)."""

    id: int
    proposer: str
    source: str
    admitted: bool
    parents: tuple[int, ...] = ()
    model: str | None = None
    template: str | None = None
    source_hash: str | None = None
    category: str | None = None
    reason: str | None = None
    ir_hash: str | None = None
    flops: int | None = None
    fitness: float | None = None
    stage: str | None = None
    status: str | None = None
    cached: bool = False
    island: int = 0
    meta: dict = field(default_factory=dict)
    created: float = 0.0

    @property
    def evaluated(self) -> bool:
        return self.fitness is not None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["parents"] = list(self.parents)
        return data


class ProgramLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._db = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def add(self, program: Program) -> None:
        row = program.to_dict()
        row["parents"] = json.dumps(row["parents"])
        row["meta"] = json.dumps(row["meta"])
        row["admitted"] = int(row["admitted"])
        row["cached"] = int(row["cached"])
        row["created"] = row["created"] or time.time()
        columns = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        self._db.execute(f"INSERT OR REPLACE INTO programs ({columns}) VALUES ({marks})", row)

    def next_id(self) -> int:
        (value,) = self._db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM programs").fetchone()
        return int(value)

    def all(self) -> list[Program]:
        return [self._row(r) for r in self._query("SELECT * FROM programs ORDER BY id")]

    def get(self, program_id: int) -> Program | None:
        rows = self._query("SELECT * FROM programs WHERE id = ?", (program_id,))
        return self._row(rows[0]) if rows else None

    def best(self, limit: int = 10, distinct: bool = True) -> list[Program]:
        """Evaluated programs, best fitness first; one row per IR unless distinct=False."""
        rows = self._query(
            "SELECT * FROM programs WHERE fitness IS NOT NULL "
            "ORDER BY (status = 'ok') DESC, fitness ASC, id ASC")
        out, seen = [], set()
        for r in rows:
            program = self._row(r)
            if distinct and program.ir_hash in seen:
                continue
            seen.add(program.ir_hash)
            out.append(program)
            if len(out) >= limit:
                break
        return out

    def counts(self) -> dict:
        q = self._query(
            "SELECT COUNT(*), SUM(admitted), SUM(fitness IS NOT NULL), "
            "SUM(fitness IS NOT NULL AND cached = 0), SUM(cached) FROM programs")[0]
        total, admitted, evaluated, fresh, cached = (int(v or 0) for v in q)
        categories = {c: int(n) for c, n in self._query(
            "SELECT category, COUNT(*) FROM programs WHERE admitted = 0 GROUP BY category")}
        proposers = {p: int(n) for p, n in self._query(
            "SELECT proposer, COUNT(*) FROM programs GROUP BY proposer")}
        return {"proposals": total, "admitted": admitted, "evaluated": evaluated,
                "fresh_evaluations": fresh, "cache_hits": cached, "rejections": categories,
                "proposers": proposers}

    def recent_rejections(self, limit: int = 5) -> list[Program]:
        rows = self._query(
            "SELECT * FROM programs WHERE admitted = 0 ORDER BY id DESC LIMIT ?", (limit,))
        return [self._row(r) for r in rows]

    def _query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        cur = self._db.execute(sql, params)
        cur.row_factory = sqlite3.Row
        return cur.fetchall()

    @staticmethod
    def _row(row: sqlite3.Row) -> Program:
        data = dict(row)
        data["parents"] = tuple(json.loads(data["parents"]))
        data["meta"] = json.loads(data["meta"])
        data["admitted"] = bool(data["admitted"])
        data["cached"] = bool(data["cached"])
        return Program(**data)
