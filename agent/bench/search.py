"""``actmine bench search``: does evolution earn its keep, and does its selection?

The same search (same lab, budget of fresh evaluations, seed functions and search seeds)
runs in three arms, each run cold in its own directory:

    pareto   the symbolic proposer, parents ranked by Pareto front over the lab's families
    scalar   the symbolic proposer, parents ranked by the one fitness number (as before)
    random   fresh random trees, best-of-N: what every evolutionary claim must beat

Printed: the best fitness so far after every tenth of the budget, and the held-out
validation score of that best (the lab's validation tasks, never selected on: a rising
validation under a falling fitness is over-fitting to the lab), mean and range over seeds;
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

# A lab of the default shape (its tasks, validation and optimiser) at a fraction of the
# cost: one seed, narrower and shorter, so a comparison over several searches takes minutes.
BENCH_LAB = """
[lab]
seeds = [0]
hidden = 32
steps = 300
"""
ARMS = {"pareto": ("symbolic", "pareto"), "scalar": ("symbolic", "scalar"),
        "random": ("random", "scalar")}


def search_settings(base: dict, arm: str, seed: int, budget: int) -> Settings:
    proposer, selection = ARMS[arm]
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    data["search"] = {**data.get("search", {}), "budget": budget, "seed": seed,
                      "proposer": proposer, "proxy": False}
    data["database"] = {**data.get("database", {}), "selection": selection}
    data.pop("ensemble", None)
    data.pop("models", None)
    data["cache"] = {"shared": False}  # every run pays for its own evaluations
    return Settings.model_validate(data)


def curves(run_dir: Path, budget: int) -> tuple[np.ndarray, np.ndarray]:
    """(best fitness so far, validation of that best) after each fresh evaluation."""
    from actmine.store.programs import ProgramLog

    log = ProgramLog(run_dir / "programs.db", readonly=True)
    try:
        programs = sorted(log.all(), key=lambda p: p.seq or 0)
    finally:
        log.close()
    best_curve, validation_curve = [], []
    best, validation = np.inf, np.nan
    for p in programs:
        if p.evaluated:
            if p.fitness < best:
                best, validation = p.fitness, p.objectives.get("validation", np.nan)
            if not p.cached:
                best_curve.append(best)
                validation_curve.append(validation)
    pad = budget - len(best_curve)
    best_curve += [best] * pad
    validation_curve += [validation] * pad
    return (np.asarray(best_curve[:budget], dtype=float),
            np.asarray(validation_curve[:budget], dtype=float))


def plot(runs: dict[str, np.ndarray], validation: dict[str, np.ndarray], path: Path,
         title: str) -> None:
    with style.active():
        fig, axes = style.figure(cols=2, height=3.6, width=11.0)
        colours = style.proposer_colours(runs)
        for ax, data, label in ((axes[0][0], runs, "best fitness so far"),
                                (axes[0][1], validation, "validation of that best")):
            for name, arm in data.items():
                x = np.arange(1, arm.shape[1] + 1)
                ax.plot(x, np.nanmean(arm, axis=0), color=colours[name], label=f"{name} (mean)")
                ax.fill_between(x, np.nanmin(arm, axis=0), np.nanmax(arm, axis=0),
                                color=colours[name], alpha=0.15, linewidth=0)
            ax.axhline(0.0, color=style.MUTED, linewidth=0.9, linestyle=(0, (4, 2)))
            ax.set_xlabel("fresh lab evaluations")
            ax.set_ylabel(f"{label} (lower is better)")
            ax.legend(loc="upper right")
        axes[0][0].set_title(title)
        path.write_bytes(style.to_png(fig))


def run(evaluations: int, seed_list: list[int], config: Path | None, png: Path) -> dict:
    """Every (arm, seed) search, cold, in its own directory: curves, table rows, PNG."""
    try:
        base = tomllib.loads(config.read_text() if config else BENCH_LAB)
        settings = {(a, s): search_settings(base, a, s, evaluations)
                    for a in ARMS for s in seed_list}
    except (ValueError, OSError) as exc:  # TOML and validation errors are ValueErrors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"bench search: {config}: {first}") from None
    fitness: dict[str, list[np.ndarray]] = {a: [] for a in ARMS}
    validation: dict[str, list[np.ndarray]] = {a: [] for a in ARMS}
    with tempfile.TemporaryDirectory(prefix="actmine-bench-search-") as tmp, \
            Progress("searches", total=len(settings), unit="searches") as bar:
        for (arm, seed), s in settings.items():
            bar.update(status=f"{arm}, seed {seed}")
            run_dir = Path(tmp) / f"{arm}-{seed}"
            run_once(s, run_dir)
            best, held_out = curves(run_dir, evaluations)
            fitness[arm].append(best)
            validation[arm].append(held_out)
            bar.advance(line=f"{arm} seed {seed}: best {best[-1]:+.3f}, validation "
                             f"{held_out[-1]:+.3f}")
    runs = {a: np.stack(c) for a, c in fitness.items()}
    checks = {a: np.stack(c) for a, c in validation.items()}
    lab = next(iter(settings.values())).lab.to_config()
    plot(runs, checks, png, f"search arms ({len(seed_list)} seeds)")
    checkpoints = sorted({max(1, round(evaluations * k / 10)) for k in range(1, 11)})

    def stats(arr: np.ndarray, n: int) -> dict:
        column = arr[:, n - 1]
        finite = column[np.isfinite(column)]
        if not len(finite):
            return {"mean": None, "min": None, "max": None}
        return {"mean": float(finite.mean()), "min": float(finite.min()),
                "max": float(finite.max())}

    rows = [{"evaluations": n, **{a: {"fitness": stats(runs[a], n),
                                      "validation": stats(checks[a], n)} for a in ARMS}}
            for n in checkpoints]
    return {"lab_hash": lab.hash, "validation_tasks": [t.name for t in lab.validation_tasks()],
            "seeds": seed_list,
            "evaluations": evaluations, "checkpoints": rows, "png": str(png)}


def lines(result: dict) -> list[str]:
    """The table a person reads: best so far (and its validation) at each tenth."""
    def cell(x: dict) -> str:
        return "n/a" if x["mean"] is None else f"{x['mean']:+.3f} [{x['min']:+.3f},{x['max']:+.3f}]"

    seeds = ",".join(map(str, result["seeds"]))
    held = ", ".join(result["validation_tasks"]) or "none held out"
    out = [f"best fitness so far / validation of that best (mean [min, max] over seeds "
           f"{seeds}; lab {result['lab_hash']}, validation: {held}; lower is better)",
           f"{'evals':>5}" + "".join(f"{a:>48}" for a in ARMS)]
    for row in result["checkpoints"]:
        out.append(f"{row['evaluations']:>5}" + "".join(
            f"{cell(row[a]['fitness']):>25} {cell(row[a]['validation']):>22}" for a in ARMS))
    final = result["checkpoints"][-1]
    ranking = sorted(ARMS, key=lambda a: final[a]["fitness"]["mean"] or 9)
    out.append(f"after {result['evaluations']} evaluations, by mean best fitness: "
               f"{' < '.join(ranking)}; plot: {result['png']}")
    return out
