"""From per-seed results to the table's cells and the paper's summary view.

Summary view (the paper's Fig. 6: "log-ratio of standardised scores against ReLU"): every
benchmark's score is first put on one lower-is-better error scale, 1 - accuracy for
accuracies and the metric itself for RMSE/MAE/MSE, and then

    log_ratio = log(error of ReLU / error of the activation)

so 0 is ReLU, +0.1 is about 10% less error than ReLU, and negative is worse. An
activation that diverges on a benchmark gets the floor, -LOG_RATIO_CAP ("fails
catastrophically"). Ratios use the mean metric over seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .common import Benchmark

LOG_RATIO_CAP = 3.0
ERROR_FLOOR = 1e-4  # a perfect score is an error of 1e-4, not 0, so ratios stay finite


@dataclass(frozen=True)
class Cell:
    """One activation on one benchmark, over seeds."""

    mean: float | None  # None when any seed diverged
    std: float | None
    values: tuple[float | None, ...]
    status: str  # "ok" | "diverged" | "error" (a bug, see the progress log) | "missing"


def cells(benchmarks: list[Benchmark], labels: list[str], profile: str,
          results: dict[tuple[str, str, int], dict],
          seeds: tuple[int, ...] | None = None) -> dict[str, dict[str, Cell]]:
    """Mean and spread over each benchmark's seeds for the profile (or only ``seeds``)."""
    out: dict[str, dict[str, Cell]] = {}
    for bench in benchmarks:
        row = {}
        chosen = [s for s in bench.seeds(profile) if seeds is None or s in seeds]
        for label in labels:
            got = [results.get((bench.name, label, s)) for s in chosen]
            values = tuple(r["metric"] if r else None for r in got)
            if any(r is None for r in got):
                row[label] = Cell(None, None, values, "missing")
            elif any(r["status"] == "error" for r in got):
                row[label] = Cell(None, None, values, "error")
            elif any(r["status"] != "ok" for r in got):
                row[label] = Cell(None, None, values, "diverged")
            else:
                arr = np.asarray(values, dtype=float)
                row[label] = Cell(float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0,
                                  values, "ok")
        out[bench.name] = row
    return out


def error_of(bench: Benchmark, metric: float) -> float:
    error = 1.0 - metric if bench.higher_is_better else metric
    return max(error, ERROR_FLOOR)


def log_ratios(benchmarks: list[Benchmark], labels: list[str], table: dict[str, dict[str, Cell]],
               baseline: str = "ReLU") -> dict[str, dict[str, float | None]]:
    """{activation: {benchmark: log-ratio}}; None where ReLU itself has no score."""
    out: dict[str, dict[str, float | None]] = {label: {} for label in labels}
    for bench in benchmarks:
        base = table[bench.name][baseline]
        for label in labels:
            cell = table[bench.name][label]
            if base.status != "ok" or cell.status in ("missing", "error"):
                value = None
            elif cell.status == "diverged":
                value = -LOG_RATIO_CAP
            else:
                value = math.log(error_of(bench, base.mean) / error_of(bench, cell.mean))
                value = max(-LOG_RATIO_CAP, min(LOG_RATIO_CAP, value))
            out[label][bench.name] = value
    return out


def family_means(benchmarks: list[Benchmark], ratios: dict[str, dict[str, float | None]]
                 ) -> dict[str, dict[str, float | None]]:
    """{activation: {family: mean log-ratio, ..., "all": mean over benchmarks}}."""
    families = list(dict.fromkeys(b.family for b in benchmarks))
    out = {}
    for label, per_bench in ratios.items():
        row: dict[str, float | None] = {}
        for fam in [*families, "all"]:
            vals = [per_bench[b.name] for b in benchmarks
                    if (fam == "all" or b.family == fam) and per_bench[b.name] is not None]
            row[fam] = float(np.mean(vals)) if vals else None
        out[label] = row
    return out


def plot(benchmarks: list[Benchmark], labels: list[str],
         ratios: dict[str, dict[str, float | None]], path: Path, title: str) -> Path:
    """Heatmap of log-ratios (activations x benchmarks, plus the mean), red worse, blue better."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = [b.name for b in benchmarks] + ["mean"]
    means = family_means(benchmarks, ratios)
    grid = np.array([[np.nan if ratios[lab][c] is None else ratios[lab][c] for c in columns[:-1]]
                     + [np.nan if means[lab]["all"] is None else means[lab]["all"]]
                     for lab in labels], dtype=float)
    limit = max(0.05, float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 1.0)
    fig, ax = plt.subplots(figsize=(1.0 + 0.85 * len(columns), 1.2 + 0.5 * len(labels)))
    image = ax.imshow(grid, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(len(columns)), columns, rotation=40, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i in range(len(labels)):
        for j in range(len(columns)):
            text = "n/a" if np.isnan(grid[i, j]) else f"{grid[i, j]:+.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8)
    ax.axvline(len(columns) - 1.5, color="black", linewidth=1)
    fig.colorbar(image, ax=ax, label="log(error ReLU / error)")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
