"""Content-addressed cache on diskcache (SQLite): never pay twice for the same function.

    admission/<admission config>/<normalised-source hash> -> Admission dict
    evaluation/<lab hash>/<canonical IR hash>             -> Evaluation dict
    reference/<lab hash>                                  -> ReLU's losses for that lab

The lab hash is in every evaluation key, so a changed lab never serves stale fitness.
diskcache commits each ``set`` before returning and is safe across processes, so the
daemon and ``actmine status`` can share a run directory.
"""

from __future__ import annotations

from pathlib import Path

import diskcache


class ResultCache:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        # sqlite_synchronous=2 (FULL): a set() survives power loss once it returns.
        self._cache = diskcache.Cache(str(self.directory), size_limit=2**34,
                                      eviction_policy="none", sqlite_synchronous=2)

    def close(self) -> None:
        self._cache.close()

    # -------------------------------------------------------------- admission
    def get_admission(self, config_key: str, source_hash: str) -> dict | None:
        if not source_hash:
            return None
        return self._cache.get(f"admission/{config_key}/{source_hash}")

    def put_admission(self, config_key: str, source_hash: str, admission: dict) -> None:
        if source_hash:
            self._cache.set(f"admission/{config_key}/{source_hash}", admission)

    # ------------------------------------------------------------- evaluation
    def get_evaluation(self, lab_hash: str, ir_hash: str) -> dict | None:
        return self._cache.get(f"evaluation/{lab_hash}/{ir_hash}")

    def put_evaluation(self, lab_hash: str, ir_hash: str, evaluation: dict) -> None:
        self._cache.set(f"evaluation/{lab_hash}/{ir_hash}", evaluation)

    # -------------------------------------------------------------- reference
    def get_reference(self, lab_hash: str) -> dict | None:
        return self._cache.get(f"reference/{lab_hash}")

    def put_reference(self, lab_hash: str, reference: dict) -> None:
        self._cache.set(f"reference/{lab_hash}", reference)

    def stats(self) -> dict[str, int]:
        counts = {"admission": 0, "evaluation": 0, "reference": 0}
        for key in self._cache.iterkeys():
            kind = str(key).split("/", 1)[0]
            if kind in counts:
                counts[kind] += 1
        return counts
