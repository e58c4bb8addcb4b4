"""``actmine bench search``: does evolution earn its keep over random sampling?

The same search (same lab, budget of fresh evaluations, seed functions and search seeds)
runs with the symbolic proposer (mutation and crossover of the database's parents) and with
the random baseline (fresh trees, best-of-N), each run cold in its own directory. Printed:
the best fitness after every tenth of the budget, mean and range over the seeds, for both;
written: the same curves as a PNG.
"""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path

import numpy as np

from ..config import ConfigError, Settings
from ..progress import Progress
from ..report import style
from .pipeline import run_once

# A lab of the default shape (all 12 tasks, the same optimiser) at a fraction of the cost:
# one seed, narrower and shorter, so a comparison over several searches takes minutes.
BENCH_LAB = """
[lab]
seeds = [0]
hidden = 32
steps = 300
"""
PROPOSERS = ("symbolic", "random")


def search_settings(base: dict, proposer: str, seed: int, budget: int) -> Settings:
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    data["search"] = {**data.get("search", {}), "budget": budget, "seed": seed,
                      "proposer": proposer}
    data.pop("ensemble", None)
    data.pop("models", None)
    data["cache"] = {"shared": False}  # every run pays for its own evaluations
    return Settings.model_validate(data)


def best_curve(run_dir: Path, budget: int) -> np.ndarray:
    """Best fitness so far after each fresh evaluation (index k: after k + 1)."""
    from actmine.store.programs import ProgramLog

    log = ProgramLog(run_dir / "programs.db", readonly=True)
    try:
        programs = sorted(log.all(), key=lambda p: p.seq or 0)
    finally:
        log.close()
    curve, best = [], np.inf
    for p in programs:
        if p.evaluated:
            best = min(best, p.fitness)
            if not p.cached:
                curve.append(best)
    curve += [best] * (budget - len(curve))
    return np.asarray(curve[:budget], dtype=float)


def plot(curves: dict[str, np.ndarray], path: Path, title: str) -> None:
    with style.active():
        fig, axes = style.figure(height=3.6, width=7.0)
        ax = axes[0][0]
        colours = style.proposer_colours(curves)
        for name, runs in curves.items():
            x = np.arange(1, runs.shape[1] + 1)
            ax.plot(x, runs.mean(axis=0), color=colours[name], label=f"{name} (mean)")
            ax.fill_between(x, runs.min(axis=0), runs.max(axis=0), color=colours[name],
                            alpha=0.18, linewidth=0, label=f"{name} (range over seeds)")
        ax.axhline(0.0, color=style.MUTED, linewidth=0.9, linestyle=(0, (4, 2)))
        ax.text(1, 0.0, " ReLU", color=style.MUTED, va="bottom", fontsize=8)
        ax.set_xlabel("fresh lab evaluations")
        ax.set_ylabel("best fitness so far (lower is better)")
        ax.set_title(title)
        ax.legend(loc="upper right")
        path.write_bytes(style.to_png(fig))


def run(evaluations: int, seed_list: list[int], config: Path | None, png: Path) -> dict:
    """Every (proposer, seed) search, cold, in its own directory: curves, table rows, PNG."""
    try:
        base = tomllib.loads(config.read_text() if config else BENCH_LAB)
        settings = {(p, s): search_settings(base, p, s, evaluations)
                    for p in PROPOSERS for s in seed_list}
    except (ValueError, OSError) as exc:  # TOML and validation errors are ValueErrors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"bench search: {config}: {first}") from None
    curves: dict[str, list[np.ndarray]] = {p: [] for p in PROPOSERS}
    with tempfile.TemporaryDirectory(prefix="actmine-bench-search-") as tmp, \
            Progress("searches", total=len(settings), unit="searches") as bar:
        for (proposer, seed), s in settings.items():
            bar.update(status=f"{proposer}, seed {seed}")
            run_dir = Path(tmp) / f"{proposer}-{seed}"
            run_once(s, run_dir)
            curves[proposer].append(best_curve(run_dir, evaluations))
            bar.advance(line=f"{proposer} seed {seed}: best {curves[proposer][-1][-1]:+.3f}")
    runs = {p: np.stack(c) for p, c in curves.items()}
    lab_hash = next(iter(settings.values())).lab.to_config().hash
    plot(runs, png, f"symbolic evolution vs random sampling ({len(seed_list)} seeds)")
    checkpoints = sorted({max(1, round(evaluations * k / 10)) for k in range(1, 11)})
    rows = [{"evaluations": n, **{p: {"mean": float(r[:, n - 1].mean()),
                                       "min": float(r[:, n - 1].min()),
                                       "max": float(r[:, n - 1].max())}
                                   for p, r in runs.items()}} for n in checkpoints]
    return {"lab_hash": lab_hash, "seeds": seed_list, "evaluations": evaluations,
            "checkpoints": rows, "png": str(png),
            "final": {p: runs[p][:, -1].tolist() for p in PROPOSERS}}


def lines(result: dict) -> list[str]:
    """The table a person reads: best so far at each tenth of the budget."""
    seeds = ",".join(map(str, result["seeds"]))
    out = [f"best fitness so far (mean [min, max] over seeds {seeds}; lab {result['lab_hash']}; "
           f"lower is better, ReLU 0)",
           f"{'evaluations':>11}  {'symbolic':>26}  {'random':>26}"]
    for row in result["checkpoints"]:
        cells = [f"{row[p]['mean']:+.3f} [{row[p]['min']:+.3f}, {row[p]['max']:+.3f}]"
                 for p in PROPOSERS]
        out.append(f"{row['evaluations']:>11}  {cells[0]:>26}  {cells[1]:>26}")
    final = {p: np.asarray(v) for p, v in result["final"].items()}
    wins = int((final["symbolic"] < final["random"]).sum())
    out.append(f"after {result['evaluations']} evaluations symbolic is better on {wins} of "
               f"{len(result['seeds'])} seeds (mean {final['symbolic'].mean():+.3f} vs "
               f"{final['random'].mean():+.3f}); plot: {result['png']}")
    return out
