"""What a running search is doing, for ``actmine status``: DIR/live.json, rewritten every
second by the search (what is in flight, budgets, the ensemble's weights). Whether a search
is running at all comes from the run directory's lock (store/run_dir.py ``writer_pid``), so
a killed search never looks alive."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from actmine.store.run_dir import writer_pid

LIVE_FILE = "live.json"


def write_live(run_dir: Path, state: dict) -> bool:
    """Publish the state (atomically); False when the directory refuses it (a full disk,
    a directory removed under a running search): status then shows less, nothing else."""
    path = Path(run_dir) / LIVE_FILE
    tmp = path.with_name(f".{LIVE_FILE}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps({"pid": os.getpid(), "updated": time.time(), **state},
                                  sort_keys=True))
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        return False
    return True


def read_live(run_dir: Path) -> dict | None:
    """The live state while a search holds the directory, else None."""
    pid = writer_pid(run_dir)
    if pid is None:
        return None
    with contextlib.suppress(OSError, ValueError):
        state = json.loads((Path(run_dir) / LIVE_FILE).read_text())
        if state.get("pid") == pid:
            return state
    return {"pid": pid}  # starting up: nothing published yet
