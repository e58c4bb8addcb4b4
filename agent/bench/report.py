"""``actmine bench report``: how long the report of a large run takes, and how big it is.

The run is synthetic (agent/report/synthetic.py) but written through the real store APIs
with the default lab configuration. The first render retrains the best function and ReLU
on that lab (cost proportional to the lab's size: tasks x steps); the second finds the fit
cached in DIR/report/, as every later render of the same best function does.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from ..report.build import build_report
from ..report.synthetic import build_synthetic_run


def run_bench(programs: int = 1000, run_dir: str | None = None) -> None:
    with tempfile.TemporaryDirectory(prefix="actmine-bench-report-") as tmp:
        path = Path(run_dir) if run_dir else Path(tmp) / "run"
        started = time.perf_counter()
        build_synthetic_run(path, programs)
        print(f"synthetic run: {programs} programs written in "
              f"{time.perf_counter() - started:.1f} s ({path})", flush=True)
        cpu = time.process_time()
        cold = build_report(path, path / "report.html")
        cold_cpu, cpu = time.process_time() - cpu, time.process_time()
        warm = build_report(path, path / "report.html")
        warm_cpu = time.process_time() - cpu
        # CPU seconds beside wall seconds: on a shared machine the wall clock also counts
        # other people's work.
        print(f"first render (retrains the best function and ReLU on the lab): "
              f"{cold.seconds:.1f} s wall, {cold_cpu:.1f} s CPU; retraining "
              f"{cold.fit_seconds:.1f} s wall")
        print(f"render with the fits cached: {warm.seconds:.1f} s wall, {warm_cpu:.1f} s CPU "
              f"(target under 10 s)")
        print(f"report size: {warm.size / 1e6:.2f} MB, {warm.images} figures "
              f"(target under 10 MB)")
