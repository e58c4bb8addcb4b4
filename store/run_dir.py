"""A run directory: metadata, the result cache and the program log, opened together.

    DIR/run.json       tool, format, actmine version, run id, configuration (written once)
    DIR/cache/         diskcache: admissions, evaluations, ReLU references, IRs
    DIR/programs.db    SQLite program log (WAL)
    DIR/events.jsonl   structlog events (written by agent/)
    DIR/lock           held (flock) by the one process writing the run; holds its pid

A new run is built in a hidden sibling directory and renamed into place, so a crash during
creation leaves either nothing or a complete run, never a half-made one. A directory that
exists, is not empty and has no valid run.json is refused, never silently reused; so is a
run with a missing program log or cache, another run format, or (unless ``force``) another
configuration. One writer at a time (the lock); any number of readers (``readonly``).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from actmine.sandbox.errors import UserError

from .cache import ResultCache, TieredCache
from .programs import ProgramLog
from .version import actmine_version

__all__ = ["FORMAT", "RunDir", "RunDirError", "actmine_version", "open_run", "writer_pid"]

# 3: the IR lives once, in the run's cache (format 2 also kept it in programs.db, whose copy
# is simply no longer read, so format 2 opens as it is).
FORMAT = 3
READABLE_FORMATS = (2, 3)


class RunDirError(UserError):
    """A user-facing problem with a run directory (one line, names the fix)."""


@dataclass
class RunDir:
    path: Path
    meta: dict
    programs: ProgramLog
    readonly: bool = False
    _cache: TieredCache | None = field(default=None, repr=False)
    _lock_fd: int | None = field(default=None, repr=False)

    @property
    def cache(self) -> TieredCache:
        """Readers open the cache only when they need it: opening writes to its SQLite file."""
        if self._cache is None:
            self._cache = TieredCache(_open_cache(self.path / "cache"))
        return self._cache

    @property
    def events_path(self) -> Path:
        return self.path / "events.jsonl"

    @property
    def run_id(self) -> str:
        return str(self.meta.get("run_id") or self.path.resolve())

    def close(self) -> None:
        self.programs.close()
        if self._cache is not None:
            self._cache.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None


def _read_meta(path: Path) -> dict:
    meta_file = path / "run.json"
    try:
        meta = json.loads(meta_file.read_text())
    except FileNotFoundError:
        raise RunDirError(f"{path} is not an actmine run directory (no run.json); "
                          f"pass a new or empty directory, or an existing run") from None
    except (OSError, ValueError) as exc:
        raise RunDirError(f"{meta_file} is unreadable or corrupted ({exc.__class__.__name__}); "
                          f"restore it or start a new run directory") from None
    if not isinstance(meta, dict) or meta.get("tool") != "actmine":
        raise RunDirError(f"{meta_file} was not written by actmine; use another directory")
    if meta.get("format") not in READABLE_FORMATS:
        raise RunDirError(f"{path} uses run format {meta.get('format')} (actmine "
                          f"{meta.get('version', '?')}), this actmine {actmine_version()} reads "
                          f"format {FORMAT}; use a matching actmine version or a new --run-dir")
    return meta


def _create(path: Path, config: dict | None) -> None:
    """Build the run next to ``path`` and rename it into place (atomic on POSIX)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.parent / f".{path.name}.creating-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        ResultCache(staging / "cache").close()
        ProgramLog(staging / "programs.db").close()
        meta = {"tool": "actmine", "format": FORMAT, "version": actmine_version(),
                "run_id": uuid.uuid4().hex, "created": time.time(), "config": config or {}}
        (staging / "run.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
        try:
            os.rename(staging, path)  # replaces ``path`` only if it is an empty directory
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            # Another process created the run first: use theirs.
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _lock(path: Path) -> int:
    fd = os.open(path / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        pid = writer_pid(path)
        who = f" (pid {pid})" if pid and pid > 0 else ""
        raise RunDirError(f"{path} is in use by another actmine process{who}; stop it first, "
                          f"or watch it with 'actmine status --run-dir {path}'") from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def writer_pid(path: Path | str) -> int | None:
    """The pid of the process writing this run, None if nobody holds its lock, -1 if the
    holder has not written its pid yet."""
    lock_file = Path(path) / "lock"
    try:
        fd = os.open(lock_file, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.read(fd, 32).decode(errors="replace").strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def open_run(path: Path | str, config: dict | None = None, *, create: bool = False,
             force: bool = False, readonly: bool = False,
             shared_cache: Path | str | None = None) -> RunDir:
    """Open (or with create=True, start) a run. ``config`` is compared to the stored one.

    A writer (``readonly=False``) takes the run's lock; ``shared_cache`` adds the
    user-level cache behind the run's own."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise RunDirError(f"{path} is a file, not a directory; choose a directory for the run")
    if not path.exists() or not any(path.iterdir()):
        if not create:
            raise RunDirError(f"{path} holds no run yet; start one with "
                              f"'actmine search --run-dir {path}'")
        try:
            _create(path, config)
        except (OSError, sqlite3.Error) as exc:
            raise RunDirError(f"cannot create the run directory {path}: {exc}; choose a "
                              f"writable location") from None
    meta = _read_meta(path)
    for part in ("programs.db", "cache"):
        if not (path / part).exists():
            raise RunDirError(f"{path} is damaged: {part} is missing; restore it from a backup "
                              f"or start a new run directory")
    lock_fd = None if readonly else _lock(path)
    try:
        if config is not None and meta.get("config") != config:
            if not force:
                changed = sorted(_diff_keys(meta.get("config", {}), config))
                raise RunDirError(
                    f"{path} was started with a different configuration "
                    f"(changed: {', '.join(changed) or 'unknown'}); use the original settings, a "
                    f"new --run-dir, or --force to continue anyway")
            meta["config"] = config
            tmp = path / "run.json.tmp"
            tmp.write_text(json.dumps(meta, indent=2, sort_keys=True))
            os.replace(tmp, path / "run.json")
        programs, cache = _open_stores(path, readonly, shared_cache)
    except BaseException:
        if lock_fd is not None:
            os.close(lock_fd)
        raise
    return RunDir(path, meta, programs, readonly, cache, lock_fd)


def _open_stores(path: Path, readonly: bool,
                 shared_cache) -> tuple[ProgramLog, TieredCache | None]:
    """The program log and (for a writer) the caches; all or nothing."""
    try:
        programs = ProgramLog(path / "programs.db", readonly=readonly)
    except sqlite3.Error as exc:
        raise RunDirError(f"the program log {path / 'programs.db'} is corrupted ({exc}); "
                          f"restore it from a backup or start a new run directory") from None
    cache = None
    try:
        if not readonly:
            cache = TieredCache(_open_cache(path / "cache"))
            if shared_cache is not None:
                cache.shared = _open_cache(Path(shared_cache), shared=True)
            programs.record_session(os.getpid(), actmine_version())
    except BaseException:
        programs.close()
        if cache is not None:
            cache.close()
        raise
    return programs, cache


def _open_cache(directory: Path, shared: bool = False) -> ResultCache:
    try:
        return ResultCache(directory)
    except (sqlite3.Error, OSError) as exc:
        if shared:
            raise RunDirError(f"the shared cache {directory} is unusable ({exc}); delete it, "
                              f"point ACTMINE_CACHE_DIR elsewhere, or set [cache] shared = "
                              f"false") from None
        raise RunDirError(f"the cache {directory} is corrupted ({exc}); restore it from a "
                          f"backup or start a new run directory") from None


def _diff_keys(old, new, prefix: str = "") -> set[str]:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return {prefix.rstrip(".")} if old != new else set()
    out = set()
    for key in set(old) | set(new):
        out |= _diff_keys(old.get(key), new.get(key), f"{prefix}{key}.")
    return out
