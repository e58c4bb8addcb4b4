"""The run's program log: every proposal is a SQLite row, written before its work starts and
finished (in one transaction) before it counts anywhere.

    begin(program)   proposal received: row inserted with ``seq`` NULL ("in flight")
    finish(program)  admission and evaluation done: outcome written, ``seq`` assigned

``seq`` numbers finished programs in commit order; the program database replays them in that
order, so a restarted run rebuilds exactly the state the killed one had. Rows still in flight
after a crash are resumed (their admission and evaluation usually come back from the cache),
never re-proposed. Plain ``sqlite3`` rather than diskcache because the log is queried (best
first, counts, lineage), not looked up by key. WAL mode lets ``actmine status`` read while
the daemon writes; readers open the file read-only.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS programs (
    id INTEGER PRIMARY KEY,
    seq INTEGER UNIQUE,              -- commit order of finished programs; NULL while in flight
    created REAL NOT NULL,
    finished REAL,
    proposer TEXT NOT NULL,
    model TEXT,
    template TEXT,
    parents TEXT NOT NULL,           -- JSON list of program ids (also in table parents)
    island INTEGER NOT NULL DEFAULT 0,   -- -1: every island (seeds)
    source TEXT NOT NULL,
    source_hash TEXT,
    admitted INTEGER NOT NULL DEFAULT 0,
    category TEXT,                   -- rejection category (NULL when admitted)
    reason TEXT,
    ir_hash TEXT,
    flops INTEGER,
    fitness REAL,                    -- NULL unless evaluated
    stage TEXT,
    status TEXT,
    lab_hash TEXT,                   -- the lab configuration the fitness is measured under
    cached INTEGER NOT NULL DEFAULT 0,   -- evaluation (or, if rejected, admission) from a cache
    features TEXT NOT NULL DEFAULT '{}', -- behavioural features of the IR (store/features.py)
    meta TEXT NOT NULL DEFAULT '{}',     -- proposer-specific JSON (e.g. the expression tree)
    objectives TEXT NOT NULL DEFAULT '{}' -- the lab's vector: score per task family (and more)
);
CREATE INDEX IF NOT EXISTS programs_fitness ON programs(fitness);
CREATE INDEX IF NOT EXISTS programs_ir ON programs(ir_hash);
CREATE TABLE IF NOT EXISTS parents (
    child INTEGER NOT NULL,
    parent INTEGER NOT NULL,
    PRIMARY KEY (child, parent)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS parents_parent ON parents(parent);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    started REAL NOT NULL,
    pid INTEGER NOT NULL,
    version TEXT NOT NULL
);
"""
FINISHED = "seq IS NOT NULL"
ALL_ISLANDS = -1
# meta key: the program whose evaluation this one took because their curves match
# (agent/search/curves.py); such a program is never a separate leaderboard row or elite.
NEAR_DUPLICATE_OF = "near_duplicate_of"


@dataclass(frozen=True)
class Program:
    """One proposal and its outcome. Crosses into agent/ (parents, prompts, status)."""

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
    lab_hash: str | None = None
    cached: bool = False
    island: int = 0
    meta: dict = field(default_factory=dict)
    created: float = 0.0
    features: dict = field(default_factory=dict)
    # What selection may weigh besides fitness: the lab's score per task family (lower is
    # better, 0 is ReLU), the held-out validation score, the transfer proxy's.
    objectives: dict = field(default_factory=dict)
    seq: int | None = None  # set when finished; None while the proposal is in flight
    finished: float | None = None

    @property
    def evaluated(self) -> bool:
        return self.fitness is not None

    @property
    def in_flight(self) -> bool:
        return self.seq is None

    @property
    def near_duplicate_of(self) -> int | None:
        value = self.meta.get(NEAR_DUPLICATE_OF) if isinstance(self.meta, dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["parents"] = list(self.parents)
        return data


class ProgramLog:
    def __init__(self, path: Path | str, *, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                       timeout=30.0, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("SELECT COUNT(*) FROM programs").fetchone()  # fail early if foreign
        else:
            self._db = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
            self._migrate()

    def close(self) -> None:
        self._db.close()

    def _migrate(self) -> None:
        """Columns added since a run was made (run format 2 and early 3 lack ``objectives``)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(programs)")}
        if "objectives" not in columns:
            self._db.execute("ALTER TABLE programs ADD COLUMN objectives TEXT NOT NULL "
                             "DEFAULT '{}'")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ------------------------------------------------------------------ writes
    def begin(self, program: Program) -> Program:
        """Record a proposal before any work on it starts (it is resumed after a crash)."""
        program = replace(program, seq=None, finished=None,
                          created=program.created or time.time())
        with self._transaction() as db:
            self._upsert(db, program)
        return program

    def finish(self, program: Program) -> Program:
        """Write the outcome and number it, atomically; returns the program with ``seq``.
        (The IR itself lives once, in the run's cache, by its hash.)"""
        with self._transaction() as db:
            (seq,) = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM programs").fetchone()
            program = replace(program, seq=int(seq), finished=time.time(),
                              created=program.created or time.time())
            self._upsert(db, program)
        return program

    def add(self, program: Program) -> Program:
        """A finished program in one step (tests, imports)."""
        return self.finish(program)

    def record_session(self, pid: int, version: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO sessions (started, pid, version) VALUES (?, ?, ?)",
                       (time.time(), pid, version))

    @staticmethod
    def _upsert(db: sqlite3.Connection, program: Program) -> None:
        row = program.to_dict()
        row["parents"] = json.dumps(row["parents"])
        row["meta"] = json.dumps(row["meta"], sort_keys=True)
        row["features"] = json.dumps(row["features"], sort_keys=True)
        row["objectives"] = json.dumps(row["objectives"], sort_keys=True)
        row["admitted"] = int(row["admitted"])
        row["cached"] = int(row["cached"])
        columns = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        db.execute(f"INSERT OR REPLACE INTO programs ({columns}) VALUES ({marks})", row)
        db.executemany("INSERT OR IGNORE INTO parents (child, parent) VALUES (?, ?)",
                       [(program.id, p) for p in program.parents])

    # ------------------------------------------------------------------- reads
    def next_id(self) -> int:
        (value,) = self._db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM programs").fetchone()
        return int(value)

    def all(self) -> list[Program]:
        """Finished programs in commit order (the order the database replays)."""
        return self._programs(f"SELECT * FROM programs WHERE {FINISHED} ORDER BY seq")

    def in_flight(self) -> list[Program]:
        """Proposals recorded but not finished (a crash or a spent budget left them)."""
        return self._programs(f"SELECT * FROM programs WHERE NOT ({FINISHED}) ORDER BY id")

    def get(self, program_id: int) -> Program | None:
        rows = self._programs("SELECT * FROM programs WHERE id = ?", (program_id,))
        return rows[0] if rows else None

    def children(self, program_id: int) -> list[Program]:
        return self._programs(
            f"SELECT p.* FROM programs p JOIN parents l ON l.child = p.id "
            f"WHERE l.parent = ? AND p.{FINISHED} ORDER BY p.id", (program_id,))

    def best(self, limit: int = 10, distinct: bool = True) -> list[Program]:
        """Evaluated programs, best fitness first; one row per IR unless distinct=False.
        Near-duplicates are left out: the program whose evaluation they took stands for them."""
        rows = self._query(
            f"SELECT * FROM programs WHERE fitness IS NOT NULL AND {FINISHED} "
            "ORDER BY (status = 'ok') DESC, fitness ASC, id ASC")
        out, seen = [], set()
        for r in rows:
            program = self._row(r)
            if distinct and (program.ir_hash in seen or program.near_duplicate_of is not None):
                continue
            seen.add(program.ir_hash)
            out.append(program)
            if len(out) >= limit:
                break
        return out

    def counts(self) -> dict:
        q = self._query(
            "SELECT COUNT(*), SUM(admitted), SUM(fitness IS NOT NULL), "
            "SUM(fitness IS NOT NULL AND cached = 0), SUM(fitness IS NOT NULL AND cached = 1) "
            f"FROM programs WHERE {FINISHED}")[0]
        total, admitted, evaluated, fresh, hits = (int(v or 0) for v in q)
        (in_flight,) = self._db.execute(
            f"SELECT COUNT(*) FROM programs WHERE NOT ({FINISHED})").fetchone()
        categories = {c: int(n) for c, n in self._query(
            f"SELECT category, COUNT(*) FROM programs WHERE admitted = 0 AND {FINISHED} "
            "GROUP BY category")}
        proposers = {p: int(n) for p, n in self._query(
            f"SELECT proposer, COUNT(*) FROM programs WHERE {FINISHED} GROUP BY proposer")}
        (near,) = self._db.execute(  # evaluations saved: matched curves took another's
            f"SELECT COUNT(*) FROM programs WHERE {FINISHED} AND fitness IS NOT NULL AND "
            f"json_extract(meta, '$.{NEAR_DUPLICATE_OF}') IS NOT NULL").fetchone()
        return {"proposals": total, "admitted": admitted, "evaluated": evaluated,
                "fresh_evaluations": fresh, "cache_hits": hits, "in_flight": int(in_flight),
                "near_duplicates": int(near), "rejections": categories,
                "proposers": proposers}

    def recent_rejections(self, limit: int = 5) -> list[Program]:
        return self._programs(
            f"SELECT * FROM programs WHERE admitted = 0 AND {FINISHED} "
            "ORDER BY seq DESC LIMIT ?", (limit,))

    def find_irs(self, prefix: str) -> list[str]:
        """IR hashes of this run's admitted programs that start with ``prefix``."""
        rows = self._db.execute(
            "SELECT DISTINCT ir_hash FROM programs WHERE ir_hash IS NOT NULL AND "
            "substr(ir_hash, 1, ?) = ? ORDER BY ir_hash", (len(prefix), prefix)).fetchall()
        return [r[0] for r in rows]

    def best_for_ir(self, ir_hash: str) -> Program | None:
        rows = self._programs(
            f"SELECT * FROM programs WHERE ir_hash = ? AND {FINISHED} "
            "ORDER BY fitness IS NULL, cached, id LIMIT 1", (ir_hash,))
        return rows[0] if rows else None

    def sessions(self) -> list[dict]:
        return [dict(r) for r in self._query("SELECT * FROM sessions ORDER BY id")]

    def _programs(self, sql: str, params: tuple = ()) -> list[Program]:
        return [self._row(r) for r in self._query(sql, params)]

    def _query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        cur = self._db.execute(sql, params)
        cur.row_factory = sqlite3.Row
        return cur.fetchall()

    @staticmethod
    def _row(row: sqlite3.Row) -> Program:
        data = dict(row)
        data["parents"] = tuple(json.loads(data["parents"]))
        data["meta"] = json.loads(data["meta"])
        data["features"] = json.loads(data["features"])
        data["objectives"] = json.loads(data.get("objectives") or "{}")
        data["admitted"] = bool(data["admitted"])
        data["cached"] = bool(data["cached"])
        return Program(**data)
