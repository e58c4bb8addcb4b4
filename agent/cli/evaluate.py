"""``actmine eval``: admission plus lab fitness, through the one trusted path."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import anyio
import typer

from .. import api
from ..config import load_settings
from .app import LAB_PROFILE_HELP, app
from .console import err, json_safe, out
from .errors import handles_errors, read_candidate


@app.command("eval")
@handles_errors
def eval_command(file: Path = typer.Argument(..., help="Python file defining activation(x)"),
                 as_json: bool = typer.Option(False, "--json", help="print JSON"),
                 full: bool = typer.Option(False, "--full", help="skip the cascade: always run the full lab"),
                 config: Path | None = typer.Option(None, help="TOML config file"),
                 lab_profile: str | None = typer.Option(None, "--lab-profile", help=LAB_PROFILE_HELP)):
    """Admission plus lab fitness (OOD loss relative to ReLU; lower is better)."""
    settings = load_settings(config, {"lab.profile": lab_profile})
    source = read_candidate(file)
    note = None if as_json else (lambda text: err.print(f"[dim]{text}[/dim]"))
    with api.session(settings, full=full) as lab:
        admission, scored = anyio.run(api.score_async, lab, source, note)
    if scored is None:
        if as_json:
            print(json.dumps({"file": str(file), "verdict": "rejected",
                              "category": admission.category, "reason": admission.reason}))
        else:
            print(f"rejected [{admission.category}]: {admission.reason}", file=sys.stderr)
        raise typer.Exit(1)
    evaluation = scored.evaluation
    if as_json:
        payload = {"file": str(file), "verdict": "admitted", "flops": admission.flops,
                   "ir_hash": admission.ir_hash, "lab_hash": lab.lab_config.hash,
                   "cached": scored.cached, **evaluation_payload(evaluation)}
        print(json.dumps(json_safe(payload), indent=2))
        return
    print_evaluation(out, evaluation, admission.flops)


def evaluation_payload(ev) -> dict:
    return {
        "fitness": ev.fitness, "fitness_se": ev.fitness_se, "ratio_vs_relu": math.exp(ev.fitness),
        "status": ev.status, "stage": ev.stage, "reason": ev.reason,
        "seconds": round(ev.seconds, 2), "family_log_ratios": ev.family_log_ratios,
        "train_mse": ev.train_mse if ev.tasks else None,
        "tasks": [{"task": t.task, "family": t.family, "train_mse": t.train_mse,
                   "test_mse": t.test_mse, "relu_test_mse": t.relu_test_mse,
                   "log_ratio_vs_relu": t.log_ratio} for t in ev.tasks],
        "cascade": [{"stage": "probe", "passed": ev.stage != "probe"}] + [
            {"stage": s.stage, "fitness": s.fitness, "fitness_se": s.fitness_se,
             "seed_fitness": list(s.seed_fitness), "steps": s.steps,
             "seconds": round(s.seconds, 2), "finite": s.finite,
             "tasks": [{"task": t.task, "train_mse": t.train_mse, "test_mse": t.test_mse,
                        "log_ratio_vs_relu": t.log_ratio} for t in s.tasks]}
            for s in ev.stages],
    }


def print_evaluation(console, ev, flops) -> None:
    from rich.table import Table

    spread = f" ±{ev.fitness_se:.2f}" if ev.fitness_se else ""
    what = ("the worst score: training diverged" if ev.status == "non_finite"
            else f"x{math.exp(ev.fitness):.3f} ReLU's OOD error")
    table = Table(title=f"fitness {ev.fitness:+.3f}{spread} ({what}), {flops} FLOPs/element, "
                        f"stage {ev.stage}", title_justify="left")
    for col in ("task", "family", "train MSE", "OOD MSE", "ReLU OOD MSE", "log ratio vs ReLU"):
        table.add_column(col, justify="right" if "MSE" in col or "ratio" in col else "left")
    for t in ev.tasks:
        table.add_row(t.task, t.family, f"{t.train_mse:.2e}", f"{t.test_mse:.3g}",
                      f"{t.relu_test_mse:.3g}", f"{t.log_ratio:+.3f}")
    console.print(table)
    if ev.family_log_ratios and ev.status != "non_finite":
        console.print("families (OOD MSE x ReLU's): " + ", ".join(
            f"{fam} {math.exp(v):.2f}" for fam, v in ev.family_log_ratios.items()))
    console.print("cascade: " + " -> ".join(
        ["probe " + ("failed" if ev.stage == "probe" else "ok")]
        + [f"{s.stage} {s.fitness:+.3f} ({s.steps} steps, {s.seconds:.1f} s)" for s in ev.stages]))
    if ev.reason:
        console.print(f"[dim]{ev.reason}[/dim]")
