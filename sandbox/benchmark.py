"""Admission latency: zygote children against fresh interpreters, measured side by side in
one run over the same sources (``actmine bench admission`` prints it)."""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass

from .admission import AdmissionConfig, admit
from .fresh import FreshInterpreter
from .supervisor import Zygote

# Typical proposals: one composite, a few transcendental sums, a piecewise function.
SOURCES = (
    "import torch.nn.functional as F\n\ndef activation(x):\n    return F.gelu(x)\n",
    "import torch\nimport torch.nn.functional as F\n\ndef activation(x):\n"
    "    return F.gelu(x) + 0.1 * torch.sin(x)\n",
    "import torch\n\ndef activation(x):\n"
    "    return torch.tanh(1.5 * x) * torch.exp(-0.2 * x * x) + 0.1 * x\n",
    "import torch\n\ndef activation(x):\n    return torch.where(x > 0, x, 0.5 * torch.expm1(x))\n",
    "import torch\nimport torch.nn.functional as F\n\ndef activation(x):\n"
    "    return F.gelu(x) * (1 + 0.5 * torch.sinc(x))\n",
    "import torch\n\ndef activation(x):\n    return x * torch.sigmoid(1.702 * x)\n",
)


@dataclass(frozen=True)
class AdmissionBench:
    zygote_ms: list[float]
    fresh_ms: list[float]
    zygote_start_s: float
    cpus: int
    load_average: float

    @property
    def zygote_median_ms(self) -> float:
        return statistics.median(self.zygote_ms)

    @property
    def fresh_median_ms(self) -> float:
        return statistics.median(self.fresh_ms)

    @property
    def speedup(self) -> float:
        return self.fresh_median_ms / self.zygote_median_ms

    def to_dict(self) -> dict:
        return {"zygote_median_ms": round(self.zygote_median_ms, 1),
                "fresh_median_ms": round(self.fresh_median_ms, 1),
                "speedup": round(self.speedup, 1), "zygote_runs": len(self.zygote_ms),
                "fresh_runs": len(self.fresh_ms), "zygote_start_s": round(self.zygote_start_s, 2),
                "cpus": self.cpus, "load_average": round(self.load_average, 2)}


def measure(rounds: int = 5, fresh_rounds: int = 1, progress=None,
            sources: int = len(SOURCES)) -> AdmissionBench:
    """For every source: ``fresh_rounds`` fresh-interpreter admissions and ``rounds`` zygote
    admissions, interleaved so both paths see the same machine load."""
    zygote = Zygote()
    started = time.perf_counter()
    zygote.start()
    start_s = time.perf_counter() - started
    fresh = FreshInterpreter(zygote.protections)
    config = AdmissionConfig()
    zygote_ms: list[float] = []
    fresh_ms: list[float] = []
    try:
        chosen = SOURCES[:max(1, sources)]
        for i, source in enumerate(chosen):
            for _ in range(fresh_rounds):
                fresh_ms.append(_timed(source, config, fresh))
            for _ in range(rounds):
                zygote_ms.append(_timed(source, config, zygote))
            if progress is not None:
                progress(i + 1, len(chosen))
    finally:
        zygote.close()
    return AdmissionBench(zygote_ms, fresh_ms, start_s, os.cpu_count() or 1,
                          os.getloadavg()[0])


def _timed(source: str, config: AdmissionConfig, backend) -> float:
    started = time.perf_counter()
    verdict = admit(source, config, backend)
    elapsed = (time.perf_counter() - started) * 1000
    if not verdict.admitted:
        raise RuntimeError(f"benchmark source was rejected ({verdict.category}: "
                           f"{verdict.reason}); the sandbox is broken on this machine")
    return elapsed
