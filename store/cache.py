"""Content-addressed result caches on diskcache (SQLite): never pay twice for the same function.

    admission/<actmine version>/<admission config>/<normalised-source hash> -> Admission dict
    evaluation/<lab hash>/<canonical IR hash>     -> Evaluation dict (+ "origin")
    reference/<lab hash>                          -> ReLU's losses for that lab
    ir/<canonical IR hash>                        -> IR dict (what ``actmine export --ir`` reads)

Two levels: a run's own cache (``DIR/cache``, so a run directory is self-contained) and a
user-level cache shared by every run and by ``actmine eval`` (``~/.cache/actmine/results``,
see ``shared_cache_dir``). ``TieredCache`` reads the run's cache first, then the shared one
(copying hits into the run), and writes both. The lab hash is in every evaluation key, so a
changed lab never serves stale fitness; the actmine version is in every admission key, so an
upgraded sandbox re-admits rather than trusting an older verdict.

Values are JSON (``diskcache.JSONDisk``), never pickle: the shared directory outlives any one
run and may be copied between machines. diskcache commits each ``set`` before returning and
is safe across processes, so a daemon and ``actmine status`` can share a directory.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

import diskcache

from .version import actmine_version

log = logging.getLogger("actmine.store")

SHARED_SUBDIR = "results"  # JSON format; older pickled caches lived in "cache"


def shared_cache_dir(override: str | os.PathLike | None = None) -> Path:
    """The user-level shared cache: ``override``, else $ACTMINE_CACHE_DIR/results, else
    $XDG_CACHE_HOME/actmine/results, else ~/.cache/actmine/results."""
    if override:
        return Path(override).expanduser()
    root = os.environ.get("ACTMINE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "actmine")
    return Path(root) / SHARED_SUBDIR


def _dict_or_none(value) -> dict | None:
    return value if isinstance(value, dict) else None


class ResultCache:
    """One cache directory."""

    def __init__(self, directory: Path | str):
        self.directory = Path(directory)
        # sqlite_synchronous=2 (FULL): a set() survives power loss once it returns.
        self._cache = diskcache.Cache(str(self.directory), size_limit=2**34,
                                      eviction_policy="none", sqlite_synchronous=2,
                                      disk=diskcache.JSONDisk, disk_compress_level=1)

    def close(self) -> None:
        self._cache.close()

    # -------------------------------------------------------------- admission
    @staticmethod
    def _admission_key(config_key: str, source_hash: str) -> str:
        return f"admission/{actmine_version()}/{config_key}/{source_hash}"

    def get_admission(self, config_key: str, source_hash: str | None) -> dict | None:
        if not source_hash:
            return None
        return _dict_or_none(self._cache.get(self._admission_key(config_key, source_hash)))

    def put_admission(self, config_key: str, source_hash: str | None, admission: dict) -> None:
        if source_hash:
            self._cache.set(self._admission_key(config_key, source_hash), admission)

    # ------------------------------------------------------------- evaluation
    def get_evaluation(self, lab_hash: str, ir_hash: str) -> dict | None:
        """The evaluation dict; its ``origin`` ({"run", "program"}) says who paid for it."""
        return _dict_or_none(self._cache.get(f"evaluation/{lab_hash}/{ir_hash}"))

    def put_evaluation(self, lab_hash: str, ir_hash: str, evaluation: dict,
                       origin: dict | None = None) -> None:
        value = dict(evaluation, origin=origin) if origin is not None else evaluation
        self._cache.set(f"evaluation/{lab_hash}/{ir_hash}", value)

    def evaluated_irs(self, lab_hash: str) -> set[str]:
        prefix = f"evaluation/{lab_hash}/"
        return {k[len(prefix):] for k in self._cache.iterkeys()
                if isinstance(k, str) and k.startswith(prefix)}

    # -------------------------------------------------------------- reference
    def get_reference(self, lab_hash: str) -> dict | None:
        return _dict_or_none(self._cache.get(f"reference/{lab_hash}"))

    def put_reference(self, lab_hash: str, reference: dict) -> None:
        self._cache.set(f"reference/{lab_hash}", reference)

    # --------------------------------------------------------------------- IR
    def get_ir(self, ir_hash: str) -> dict | None:
        return _dict_or_none(self._cache.get(f"ir/{ir_hash}"))

    def put_ir(self, ir_hash: str, ir: dict) -> None:
        if f"ir/{ir_hash}" not in self._cache:
            self._cache.set(f"ir/{ir_hash}", ir)

    def find_irs(self, prefix: str) -> list[str]:
        """IR hashes starting with ``prefix`` (a scan: the shared cache has no index)."""
        start = f"ir/{prefix}"
        return sorted(k[3:] for k in self._cache.iterkeys()
                      if isinstance(k, str) and k.startswith(start))

    def stats(self) -> dict[str, int]:
        counts = {"admission": 0, "evaluation": 0, "reference": 0, "ir": 0}
        for key in self._cache.iterkeys():
            kind = str(key).split("/", 1)[0]
            if kind in counts:
                counts[kind] += 1
        return counts


class TieredCache:
    """The run's cache, backed by the user-level shared cache (same interface as
    ``ResultCache``). The shared level is an optimisation: if it fails at run time (disk
    full, locked for minutes, corrupted) it is switched off with one warning and the
    run carries on with its own cache, which is the durable record."""

    def __init__(self, run: ResultCache, shared: ResultCache | None = None):
        self.run = run
        self.shared = shared

    @property
    def directory(self) -> Path:
        return self.run.directory

    def close(self) -> None:
        self.run.close()
        if self.shared is not None:
            self.shared.close()

    def _shared(self, method: str, *args):
        if self.shared is None:
            return None
        try:
            return getattr(self.shared, method)(*args)
        except (sqlite3.Error, OSError, ValueError) as exc:
            log.warning("shared cache %s disabled for this run: %s", self.shared.directory, exc)
            self.shared = None
            return None

    def _get(self, getter: str, putter: str, *key):
        value = getattr(self.run, getter)(*key)
        if value is None:
            value = self._shared(getter, *key)
            if value is not None:  # keep the run directory self-contained
                getattr(self.run, putter)(*key, value)
        return value

    def get_admission(self, config_key: str, source_hash: str | None) -> dict | None:
        return self._get("get_admission", "put_admission", config_key, source_hash)

    def put_admission(self, config_key: str, source_hash: str | None, admission: dict) -> None:
        self.run.put_admission(config_key, source_hash, admission)
        self._shared("put_admission", config_key, source_hash, admission)

    def get_evaluation(self, lab_hash: str, ir_hash: str) -> dict | None:
        return self._get("get_evaluation", "put_evaluation", lab_hash, ir_hash)

    def put_evaluation(self, lab_hash: str, ir_hash: str, evaluation: dict,
                       origin: dict | None = None) -> None:
        self.run.put_evaluation(lab_hash, ir_hash, evaluation, origin)
        self._shared("put_evaluation", lab_hash, ir_hash, evaluation, origin)

    def evaluated_irs(self, lab_hash: str) -> set[str]:
        return self.run.evaluated_irs(lab_hash)

    def get_reference(self, lab_hash: str) -> dict | None:
        return self._get("get_reference", "put_reference", lab_hash)

    def put_reference(self, lab_hash: str, reference: dict) -> None:
        self.run.put_reference(lab_hash, reference)
        self._shared("put_reference", lab_hash, reference)

    def get_ir(self, ir_hash: str) -> dict | None:
        return self._get("get_ir", "put_ir", ir_hash)

    def put_ir(self, ir_hash: str, ir: dict) -> None:
        self.run.put_ir(ir_hash, ir)
        self._shared("put_ir", ir_hash, ir)

    def stats(self) -> dict[str, int]:
        return self.run.stats()
