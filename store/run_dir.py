"""A run directory: metadata, the result cache and the program log, opened together.

    DIR/run.json       actmine version, format, configuration, lab hash (written once)
    DIR/cache/         diskcache: admissions, evaluations, ReLU references
    DIR/programs.db    SQLite program log
    DIR/events.jsonl   structlog events (written by agent/)

A directory that exists, is not empty and has no valid run.json is refused, never silently
reused; so is a run whose configuration or format differs, unless ``force``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .cache import ResultCache
from .programs import ProgramLog

FORMAT = 1


class RunDirError(Exception):
    """A user-facing problem with a run directory (one line, names the fix)."""


def actmine_version() -> str:
    try:
        return version("actmine")
    except PackageNotFoundError:
        return "0+unknown"


@dataclass
class RunDir:
    path: Path
    meta: dict
    cache: ResultCache
    programs: ProgramLog

    @property
    def events_path(self) -> Path:
        return self.path / "events.jsonl"

    def close(self) -> None:
        self.programs.close()
        self.cache.close()


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
    if meta.get("format") != FORMAT:
        raise RunDirError(f"{path} uses run format {meta.get('format')}, this actmine reads "
                          f"format {FORMAT}; use a matching actmine version")
    return meta


def open_run(path: Path | str, config: dict | None = None, *, create: bool = False,
             force: bool = False) -> RunDir:
    """Open (or with create=True, start) a run. ``config`` is compared to the stored one."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise RunDirError(f"{path} is a file, not a directory; choose a directory for the run")
    fresh = not path.exists() or (path.is_dir() and not any(path.iterdir()))
    if fresh:
        if not create:
            raise RunDirError(f"{path} holds no run yet; start one with "
                              f"'actmine search --run-dir {path}'")
        path.mkdir(parents=True, exist_ok=True)
        meta = {"tool": "actmine", "format": FORMAT, "version": actmine_version(),
                "created": time.time(), "config": config or {}}
        tmp = path / "run.json.tmp"
        tmp.write_text(json.dumps(meta, indent=2, sort_keys=True))
        os.replace(tmp, path / "run.json")
    else:
        meta = _read_meta(path)
        if config is not None and meta.get("config") != config:
            if not force:
                changed = sorted(_diff_keys(meta.get("config", {}), config))
                raise RunDirError(
                    f"{path} was started with a different configuration "
                    f"(changed: {', '.join(changed) or 'unknown'}); use the original settings, a "
                    f"new --run-dir, or --force to continue anyway")
            meta["config"] = config
            (path / "run.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
    try:
        cache = ResultCache(path / "cache")
        programs = ProgramLog(path / "programs.db")
    except Exception as exc:  # noqa: BLE001 - sqlite3.DatabaseError and friends
        raise RunDirError(f"the store in {path} is corrupted ({exc}); restore it from a "
                          f"backup or start a new run directory") from None
    return RunDir(path, meta, cache, programs)


def _diff_keys(old, new, prefix: str = "") -> set[str]:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return {prefix.rstrip(".")} if old != new else set()
    out = set()
    for key in set(old) | set(new):
        out |= _diff_keys(old.get(key), new.get(key), f"{prefix}{key}.")
    return out
