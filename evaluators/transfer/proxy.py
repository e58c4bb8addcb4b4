"""The transfer proxy: miniatures of a few downstream benchmarks that cost seconds, for the
search's proxy stage (agent/search/proxy.py) and the run's champion.

    bfs            size generalisation (train n=8, test n=24): where lab winners that go
                   flat fail downstream (sorting at that size separated nothing: every
                   activation within +-0.01 of ReLU)
    fmnist-mlp     image classification on a 3,000-image subset (needs the Debian dataset)
    sunspots, co2  forecasting two real series (need statsmodels, the transfer extra):
                   sunspot cycles taller than any in training (amplitude extrapolation)
                   and CO2's trend and season (extrapolation in time)

A benchmark whose data is not installed is left out (and said so); bfs and sorting need
nothing. The score is the mean over the benchmarks of log(error of ReLU / error), as in
``actmine transfer``'s summary: 0 is ReLU, + is better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import registry, summary
from .common import Benchmark
from .data import DataMissing

PROFILE = "proxy"
NAMES = ("bfs", "fmnist-mlp", "sunspots", "co2")


def benchmarks() -> tuple[list[Benchmark], list[str]]:
    """(the proxy benchmarks whose data is here, one line per one that is not)."""
    found, missing = [], []
    for name in NAMES:
        bench = registry.get(name)
        try:
            bench.check()
        except DataMissing as exc:
            missing.append(f"{name}: {exc}")
            continue
        found.append(bench)
    return found, missing


@dataclass(frozen=True)
class ProxyScore:
    score: float  # mean log(error ReLU / error) over the benchmarks; + is better
    per_benchmark: dict[str, float]

    @property
    def objective(self) -> float:
        """As an objective (lower is better, like the lab's)."""
        return -self.score


def score(benches: list[Benchmark], candidate: dict[tuple[str, int], dict],
          relu: dict[tuple[str, int], dict]) -> ProxyScore:
    """From per-(benchmark, seed) results of the candidate and of ReLU."""
    per = {}
    for bench in benches:
        seeds = bench.seeds(PROFILE)
        mine = [candidate.get((bench.name, s)) for s in seeds]
        base = [relu.get((bench.name, s)) for s in seeds]
        if any(r is None or r["status"] == "error" for r in mine + base):
            continue  # not measured: leave it out rather than guess
        if any(r["status"] != "ok" for r in base):
            continue
        if any(r["status"] != "ok" for r in mine):
            per[bench.name] = -summary.LOG_RATIO_CAP
            continue
        error = summary.error_of(bench, float(np.mean([r["metric"] for r in mine])))
        error_relu = summary.error_of(bench, float(np.mean([r["metric"] for r in base])))
        per[bench.name] = max(-summary.LOG_RATIO_CAP,
                              min(summary.LOG_RATIO_CAP, math.log(error_relu / error)))
    value = float(np.mean(list(per.values()))) if per else 0.0
    return ProxyScore(value, per)
