"""The ``actmine`` command line (typer). User errors are one line on stderr and exit code 2;
a rejected candidate in ``check``/``eval`` exits 1."""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import typer
from actmine.evaluators.lab import LabError
from actmine.store.run_dir import RunDirError

from .bench import bench_app
from .config import ConfigError, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Mine activation functions that generalise out of distribution.")
app.add_typer(bench_app, name="bench")


class UserError(Exception):
    """Bad input a user can fix: printed as one line, exit code 2."""


def _fail(message: str, code: int = 2) -> None:
    from .console import err

    err.print(f"[bold red]error:[/bold red] {message}", soft_wrap=True)
    raise typer.Exit(code)


def handles_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (UserError, RunDirError, ConfigError, LabError) as exc:
            _fail(str(exc))
        except KeyError as exc:  # unknown task names and the like
            _fail(str(exc.args[0]) if exc.args else repr(exc))

    return wrapper


def _read_candidate(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path} does not exist; pass a Python file defining activation(x)") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a directory; pass a Python file defining activation(x)") from None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text; pass a Python source file") from None


def user_cache_dir() -> Path:
    root = os.environ.get("ACTMINE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "actmine")
    return Path(root)


# ------------------------------------------------------------------ check
@app.command()
@handles_errors
def check(file: Path = typer.Argument(..., help="Python file defining activation(x)"),
          as_json: bool = typer.Option(False, "--json", help="print JSON"),
          config: Path | None = typer.Option(None, help="TOML config ([admission] section)")):
    """Admission only: is the function allowed (pointwise, within the FLOP budget)?"""
    from actmine.sandbox.admission import admit

    from .console import out

    settings = load_settings(config)
    admission = admit(_read_candidate(file), settings.admission.to_config())
    if as_json:
        payload = {"file": str(file), "verdict": "admitted" if admission.admitted else "rejected",
                   "category": admission.category, "reason": admission.reason,
                   "flops": admission.flops, "nodes": admission.nodes,
                   "ir_hash": admission.ir_hash, "seconds": round(admission.seconds, 4),
                   "ir": admission.ir.to_dict() if admission.ir else None}
        print(json.dumps(payload, indent=2))
    elif admission.admitted:
        out.print(f"admitted: {admission.flops} FLOPs/element, {admission.nodes} ops, "
                  f"IR {admission.ir_hash}")
    else:
        print(f"rejected [{admission.category}]: {admission.reason}", file=sys.stderr)
    if not admission.admitted:
        raise typer.Exit(1)


# ------------------------------------------------------------------- eval
@app.command("eval")
@handles_errors
def eval_command(file: Path = typer.Argument(..., help="Python file defining activation(x)"),
                 as_json: bool = typer.Option(False, "--json", help="print JSON"),
                 full: bool = typer.Option(False, "--full", help="skip the cascade: always run the full lab"),
                 config: Path | None = typer.Option(None, help="TOML config file")):
    """Admission plus lab fitness (OOD loss relative to ReLU; lower is better)."""
    from dataclasses import replace

    from actmine.evaluators import lab
    from actmine.sandbox.admission import admit
    from actmine.store.cache import ResultCache

    from .console import err, out

    settings = load_settings(config)
    admission = admit(_read_candidate(file), settings.admission.to_config())
    if not admission.admitted:
        if as_json:
            print(json.dumps({"file": str(file), "verdict": "rejected",
                              "category": admission.category, "reason": admission.reason}))
        else:
            print(f"rejected [{admission.category}]: {admission.reason}", file=sys.stderr)
        raise typer.Exit(1)
    lab_config = settings.lab.to_config()
    if full:
        lab_config = replace(lab_config, cascade=False)
    cache = ResultCache(user_cache_dir() / "cache")
    try:
        refs = cache.get_reference(lab_config.hash)
        if refs is None:
            if not as_json:
                err.print("[dim]computing ReLU's reference losses for this lab (cached after)[/dim]")
            refs = lab.references(lab_config)
            cache.put_reference(lab_config.hash, refs)
        lab.install_references(refs)
        hit = cache.get_evaluation(lab_config.hash, admission.ir_hash)
        if hit is None:
            evaluation = lab.evaluate(admission.ir, lab_config)
            cache.put_evaluation(lab_config.hash, admission.ir_hash, evaluation.to_dict())
        else:
            evaluation = lab.Evaluation.from_dict(hit)
    finally:
        cache.close()
    if as_json:
        payload = {"file": str(file), "verdict": "admitted", "flops": admission.flops,
                   "ir_hash": admission.ir_hash, "lab_hash": lab_config.hash,
                   **_evaluation_payload(evaluation)}
        print(json.dumps(lab.json_safe(payload), indent=2))
        return
    _print_evaluation(out, evaluation, admission.flops)


def _evaluation_payload(ev) -> dict:
    import math

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


def _print_evaluation(console, ev, flops) -> None:
    import math

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


# -------------------------------------------------------------- baselines
@app.command()
@handles_errors
def baselines(as_json: bool = typer.Option(False, "--json", help="print JSON"),
              config: Path | None = typer.Option(None, help="TOML config ([lab], [admission])"),
              only: list[str] | None = typer.Option(None, "--only", help="a baseline by name (repeatable)"),
              workers: int | None = typer.Option(None, min=1, help="evaluation processes (default: search.evaluations_in_flight)")):
    """Known activations (ReLU ... GMTU) through admission and the full lab, beside the paper's figures."""
    from .baselines_cmd import run_command

    run_command(load_settings(config), user_cache_dir() / "cache", as_json, only, workers)


# ----------------------------------------------------------------- search
@app.command()
@handles_errors
def search(run_dir: Path = typer.Option(..., "--run-dir", help="directory of the run (created or resumed)"),
           budget: int | None = typer.Option(None, help="fresh lab evaluations to spend in total"),
           config: Path | None = typer.Option(None, help="TOML config file"),
           proposer: str | None = typer.Option(None, help="symbolic (default) or random"),
           seed: int | None = typer.Option(None, help="search seed"),
           top: int = typer.Option(10, help="leaderboard rows to print"),
           force: bool = typer.Option(False, "--force", help="resume even if the configuration changed")):
    """Run (or resume) a search until the evaluation budget is spent."""
    import anyio
    from actmine.store.run_dir import open_run

    from .console import Reporter, leaderboard_table, out
    from .orchestrator import Search

    settings = load_settings(config, {"search.budget": budget, "search.proposer": proposer,
                                      "search.seed": seed})
    run = open_run(run_dir, settings.identity(), create=True, force=force)
    try:
        search_ = Search(run, settings, Reporter())
        summary = anyio.run(search_.run_search)
        best = run.programs.best(top)
        out.print(leaderboard_table(best, f"Leaderboard of {run_dir}"))
        out.print(f"{summary['fresh_evaluations']} evaluations, {summary['proposals']} proposals, "
                  f"{summary['admitted']} admitted, {summary['cache_hits']} cache hits")
        out.print(f"run directory: {run_dir.resolve()}")
    finally:
        run.close()


# ----------------------------------------------------------------- status
@app.command()
@handles_errors
def status(run_dir: Path = typer.Option(..., "--run-dir", help="run directory"),
           as_json: bool = typer.Option(False, "--json", help="print JSON"),
           top: int = typer.Option(10, help="leaderboard rows")):
    """Leaderboard and counts of a live or finished run."""
    from actmine.store.run_dir import open_run

    from .console import leaderboard_rows, leaderboard_table, out

    run = open_run(run_dir)
    try:
        counts = run.programs.counts()
        best = run.programs.best(top)
        if as_json:
            print(json.dumps({"run_dir": str(run_dir), "counts": counts,
                              "leaderboard": leaderboard_rows(best)}, indent=2))
            return
        out.print(leaderboard_table(best, f"Leaderboard of {run_dir}"))
        out.print(f"proposals {counts['proposals']}, admitted {counts['admitted']}, "
                  f"evaluated {counts['evaluated']} ({counts['fresh_evaluations']} fresh, "
                  f"{counts['cache_hits']} cache hits)")
        if counts["rejections"]:
            parts = ", ".join(f"{k} {v}" for k, v in sorted(counts["rejections"].items(),
                                                             key=lambda kv: -kv[1]))
            out.print(f"rejections: {parts}")
    finally:
        run.close()


# ----------------------------------------------------------------- doctor
@app.command()
@handles_errors
def doctor():
    """Which sandbox protections this machine provides, and the FLOP weight table."""
    from actmine.sandbox.optable import weight_table
    from actmine.sandbox.supervisor import shared_zygote

    from .console import out

    zygote = shared_zygote()
    zygote.start()
    for name, ok in zygote.protections.items():
        out.print(f"{'ok ' if ok else 'MISSING'} {name}")
    missing = [k for k, v in zygote.protections.items() if not v]
    if missing:
        out.print(f"[yellow]warning: {', '.join(missing)} unavailable; candidates run with "
                  f"the remaining layers only[/yellow]")
    out.print("FLOP weights per element: " + ", ".join(f"{k}={v}" for k, v in weight_table().items()))


def main() -> None:
    app()
