"""The table of benchmarks, and selecting from it by name or family."""

from __future__ import annotations

from actmine.sandbox.errors import UserError

from . import algorithmic, images, molecules, timeseries
from .common import Benchmark

BENCHMARKS: tuple[Benchmark, ...] = tuple(
    images.BENCHMARKS + molecules.BENCHMARKS + algorithmic.BENCHMARKS + timeseries.BENCHMARKS)
FAMILIES = ("images", "molecules", "algorithmic", "timeseries")


class UnknownBenchmark(UserError, LookupError):
    """A benchmark or family name the table does not hold."""


def select(spec: str | None = None) -> list[Benchmark]:
    """``spec``: comma-separated benchmark or family names; None or "all" for every one."""
    if not spec or spec == "all":
        return list(BENCHMARKS)
    chosen: list[Benchmark] = []
    for word in (w.strip() for w in spec.split(",") if w.strip()):
        matches = [b for b in BENCHMARKS if word in (b.name, b.family)]
        if not matches:
            names = ", ".join([*FAMILIES, *(b.name for b in BENCHMARKS)])
            raise UnknownBenchmark(f"unknown benchmark or family {word!r}; choose from {names}")
        chosen += [b for b in matches if b not in chosen]
    return chosen


def get(name: str) -> Benchmark:
    for b in BENCHMARKS:
        if b.name == name:
            return b
    raise UnknownBenchmark(f"unknown benchmark {name!r}")
