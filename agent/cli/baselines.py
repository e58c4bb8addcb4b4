"""``actmine baselines``: the known activations through admission and the lab (the one
trusted path, via the Python API), in one table beside the paper's lab figures."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, replace
from pathlib import Path

import typer
from actmine.evaluators.known import PAPER_LAB, Known, by_names
from actmine.evaluators.tasks import FAMILIES
from rich.console import Console
from rich.table import Table

from .. import api
from ..config import load_settings
from ..progress import Progress
from .app import LAB_PROFILE_HELP, app
from .console import json_safe, out
from .errors import handles_errors

FAMILY_SHORT = {"polynomial": "poly", "harmonic": "harm", "physics": "phys", "trend": "trend",
                "growth": "grow", "potency": "pot", "length": "len"}


@app.command()
@handles_errors
def baselines(as_json: bool = typer.Option(False, "--json", help="print JSON"),
              config: Path | None = typer.Option(None, help="TOML config ([lab], [admission])"),
              only: list[str] | None = typer.Option(None, "--only", help="a baseline by name (repeatable)"),
              workers: int | None = typer.Option(None, min=1, help="evaluation processes (default: search.evaluations_in_flight)"),
              lab_profile: str | None = typer.Option(None, "--lab-profile", help=LAB_PROFILE_HELP)):
    """Known activations (ReLU to GMTU) through admission and the full lab, beside the paper's figures."""
    settings = load_settings(config, {"lab.profile": lab_profile})
    entries = by_names(only)
    # Baselines always get the full run: a cascade could prune one and leave no figures.
    lab_config = replace(settings.lab.to_config(), cascade=False)
    workers = workers or settings.search.evaluation_slots()
    progress = _Progress(len(entries), quiet=as_json)
    started = time.perf_counter()
    try:
        scorings = api.baselines(only, settings, workers=workers, on_result=progress.result,
                                 on_note=progress.note)
    finally:
        progress.stop()
    seconds = time.perf_counter() - started
    results = [BaselineResult(k, s) for k, s in zip(entries, scorings)]
    if as_json:
        print(json.dumps(json_safe({
            "lab_hash": lab_config.hash, "workers": workers, "seconds": round(seconds, 1),
            "baselines": [_row(r) for r in results], "paper_order": list(PAPER_LAB),
            "our_order": ordering(results, tuple(PAPER_LAB))}), indent=2))
        return
    # Piped output (a log, the README) keeps every column instead of squeezing to 80.
    console = out if out.is_terminal else Console(width=160, highlight=False)
    console.print(_table(results, lab_config.hash))
    paper = " < ".join(f"{n} {PAPER_LAB[n][0]}" for n in PAPER_LAB)
    ours = ordering(results, tuple(PAPER_LAB))
    fit = {r.baseline.name: r.evaluation.fitness for r in results if r.evaluation}
    console.print(f"paper's lab order (OOD loss, lower is better): {paper}", markup=False)
    console.print("ours, same four (fitness): " + " < ".join(f"{n} {fit[n]:+.3f}" for n in ours)
                  + ("  [same order]" if ours == [n for n in PAPER_LAB if n in ours]
                     else "  [order differs]"), markup=False)
    fresh = sum(1 for r in results if r.evaluation and not r.cached)
    console.print(f"{len(results)} baselines, {fresh} evaluated now on {workers} "
                  f"worker(s) in {seconds:.0f} s, the rest from the cache; lab {lab_config.hash}")


@dataclass(frozen=True)
class BaselineResult:
    """A known activation and what the trusted path made of it."""

    baseline: Known
    scoring: api.Scoring

    @property
    def admitted(self) -> bool:
        return self.scoring.admission.admitted

    @property
    def reason(self) -> str:
        return "" if self.admitted else self.scoring.admission.reason

    @property
    def flops(self) -> int | None:
        return self.scoring.admission.flops

    @property
    def evaluation(self):
        return self.scoring.evaluation

    @property
    def cached(self) -> bool:
        return bool(self.scoring.scored and self.scoring.scored.cached)


def ordering(results: list[BaselineResult], names: tuple[str, ...]) -> list[str]:
    """``names`` sorted by our fitness (best first), those evaluated only."""
    fit = {r.baseline.name: r.evaluation.fitness for r in results
           if r.evaluation is not None and r.baseline.name in names}
    return sorted(fit, key=fit.__getitem__)


def _row(r: BaselineResult) -> dict:
    row = {"name": r.baseline.name, "formula": r.baseline.formula, "admitted": r.admitted,
           "reason": r.reason, "flops": r.flops, "cached": r.cached,
           "paper_ood_loss": PAPER_LAB.get(r.baseline.name, (None, None))[0],
           "paper_train_loss": PAPER_LAB.get(r.baseline.name, (None, None))[1]}
    ev = r.evaluation
    if ev is not None:
        row.update(fitness=ev.fitness, fitness_se=ev.fitness_se,
                   ratio_vs_relu=math.exp(ev.fitness), status=ev.status,
                   family_ratio_vs_relu={f: math.exp(v) for f, v in ev.family_log_ratios.items()},
                   train_mse=ev.train_mse, seconds=round(ev.seconds, 2),
                   tasks={t.task: {"train_mse": t.train_mse, "test_mse": t.test_mse,
                                   "log_ratio_vs_relu": t.log_ratio} for t in ev.tasks})
    return row


def _table(results: list[BaselineResult], lab_hash: str) -> Table:
    table = Table(title=f"Baselines in the lab {lab_hash} (fitness vs ReLU, lower is better; "
                        "family columns: error x ReLU's; valid.: the held-out tasks' score)",
                  title_justify="left")
    present = [f for f in FAMILIES
               if any(r.evaluation and f in r.evaluation.family_log_ratios for r in results)]
    validated = any(r.evaluation and r.evaluation.validation is not None for r in results)
    for col in ("baseline", "fitness", "x ReLU", *(FAMILY_SHORT.get(f, f) for f in present),
                *(["valid."] if validated else []), "train MSE", "FLOPs", "paper OOD",
                "paper train", "time"):
        table.add_column(col, justify="left" if col == "baseline" else "right")
    ranked = sorted(results, key=lambda r: r.evaluation.fitness if r.evaluation else math.inf)
    for r in ranked:
        paper_ood, paper_train = PAPER_LAB.get(r.baseline.name, (None, None))
        paper = [f"{paper_ood:.1f}" if paper_ood else "", f"{paper_train:.1f}" if paper_train else ""]
        ev = r.evaluation
        if ev is None:
            blanks = [""] * (len(present) + validated + 2)
            table.add_row(r.baseline.name, "rejected", r.reason[:40], *blanks, *paper, "")
            continue
        fams = ev.family_log_ratios
        held = ([f"{ev.validation:+.3f}" if ev.validation is not None else "-"]
                if validated else [])
        table.add_row(r.baseline.name, f"{ev.fitness:+.3f} ±{ev.fitness_se:.2f}",
                      f"{math.exp(ev.fitness):.2f}",
                      *(f"{math.exp(fams[f]):.2f}" if f in fams else "-" for f in present),
                      *held, f"{ev.train_mse:.1e}", str(r.flops), *paper,
                      f"{ev.seconds:.0f}s" + (" (cached)" if r.cached else ""))
    return table


class _Progress:
    """Adapter from the runner's callbacks to the shared progress helper; silent for --json."""

    def __init__(self, total: int, quiet: bool):
        self.quiet = quiet
        self.bar = None if quiet else Progress("baselines", total, unit="functions").start()

    def note(self, text: str) -> None:
        if self.bar is not None:
            self.bar.note(text)

    def result(self, r: api.Scoring) -> None:
        if self.bar is None:
            return
        cached = r.scored is not None and r.scored.cached
        what = (f"{r.evaluation.fitness:+.3f}{' (cached)' if cached else ''}"
                if r.evaluation else f"rejected: {r.admission.reason}")
        self.bar.advance(status=f"{r.name} {what}", line=f"{r.name}: {what}")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.close()
