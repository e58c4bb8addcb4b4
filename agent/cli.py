"""The ``actmine`` command line (typer). User errors are one line on stderr and exit code 2;
a rejected candidate in ``check``/``eval`` exits 1."""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import typer
from actmine.evaluators.executor import ExecutorError
from actmine.evaluators.lab import LabError
from actmine.store.cache import shared_cache_dir
from actmine.store.run_dir import RunDirError

from .bench import bench_app
from .config import ConfigError, load_settings
from .errors import UserFacingError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None,
                  help="Mine activation functions that generalise out of distribution.")
app.add_typer(bench_app, name="bench")


LAB_PROFILE_HELP = "quick (one seed, 300 steps) or default: fills the [lab] keys the config leaves unset"


class UserError(Exception):
    """Bad input a user can fix: printed as one line, exit code 2."""


def _fail(message: str, code: int = 2) -> None:
    from rich.markup import escape

    from .console import err

    err.print(f"[bold red]error:[/bold red] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def handles_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):  # typer's own usage errors
            raise
        except (UserError, RunDirError, ConfigError, LabError, ExecutorError) as exc:
            _fail(str(exc))
        except UserFacingError as exc:  # the LLM layer, templates, a busy run directory
            _fail(str(exc))
        except KeyError as exc:  # unknown task names and the like
            _fail(str(exc.args[0]) if exc.args else repr(exc))
        except Exception as exc:  # noqa: BLE001 - a bug or an OS failure: still one line
            if os.environ.get("ACTMINE_TRACEBACK"):
                raise
            _fail(f"{type(exc).__name__}: {exc} (everything finished is stored; set "
                  f"ACTMINE_TRACEBACK=1 to see where it failed)".replace("\n", " "), code=1)

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
    """actmine's user-level directory ($ACTMINE_CACHE_DIR or ~/.cache/actmine)."""
    return shared_cache_dir().parent


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
                   "flops_breakdown": [list(row) for row in admission.flops_breakdown],
                   "ir": admission.ir.to_dict() if admission.ir else None}
        print(json.dumps(payload, indent=2))
    elif admission.admitted:
        from .flops_table import cost_breakdown

        out.print(f"admitted: {admission.flops} FLOPs/element ({cost_breakdown(admission)}), "
                  f"{admission.nodes} ops, IR {admission.ir_hash}", soft_wrap=True)
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
    cache = ResultCache(settings.cache.shared_dir() or shared_cache_dir())
    try:
        refs = cache.get_reference(lab_config.hash)
        if refs is None:
            if not as_json:
                err.print("[dim]computing ReLU's reference losses for this lab (cached after)[/dim]")
            refs = lab.references(lab_config)
            cache.put_reference(lab_config.hash, refs)
        lab.install_references(refs)
        cache.put_ir(admission.ir_hash, admission.ir.to_dict())  # for 'actmine export --ir'
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
    """Eleven known activations (ReLU to GMTU) through admission and the full lab, beside the paper's figures."""
    from .baselines_cmd import run_command

    run_command(load_settings(config), user_cache_dir() / "cache", as_json, only, workers)


# ----------------------------------------------------------------- search
@app.command()
@handles_errors
def search(run_dir: Path = typer.Option(..., "--run-dir", help="directory of the run (created or resumed)"),
           budget: int | None = typer.Option(None, help="fresh lab evaluations to spend in total"),
           config: Path | None = typer.Option(None, help="TOML config file"),
           proposer: str | None = typer.Option(None, help="symbolic (default) or random"),
           llm: str | None = typer.Option(None, "--llm", help="'local': add the bundled "
                                          "SmolLM2-135M (llama.cpp, loopback) to the ensemble"),
           seed: int | None = typer.Option(None, help="search seed"),
           top: int = typer.Option(10, help="leaderboard rows to print"),
           force: bool = typer.Option(False, "--force", help="resume even if the configuration changed"),
           lab_profile: str | None = typer.Option(None, "--lab-profile", help=LAB_PROFILE_HELP)):
    """Run (or resume) a search until the evaluation budget is spent."""
    from .console import Reporter, best_against_references, leaderboard_table, out, spend_text

    settings = _with_llm(load_settings(config, {"search.budget": budget,
                                                "search.proposer": proposer,
                                                "search.seed": seed,
                                                "lab.profile": lab_profile}), llm)
    run, summary = _run_search(run_dir, settings, force, Reporter())
    try:
        best = run.programs.best(top)
        out.print(leaderboard_table(best, f"Leaderboard of {run_dir}"))
        out.print(f"{summary['fresh_evaluations']} evaluations, {summary['proposals']} proposals, "
                  f"{summary['admitted']} admitted, {summary['cache_hits']} cache hits; "
                  f"{spend_text(summary['usd'], summary['tokens'])}; stopped by "
                  f"{summary['stopped_by']}")
        if summary.get("rejections"):
            share = summary["admitted"] / max(1, summary["proposals"])
            counts = sorted(summary["rejections"].items(), key=lambda kv: -kv[1])
            out.print(f"admitted {share:.0%} of proposals; rejected: "
                      + ", ".join(f"{category} {n}" for category, n in counts))
        verdict = best_against_references(best[0] if best else None, run.programs.all())
        if verdict:
            out.print(verdict)
        out.print(f"run directory: {run_dir.resolve()}")
    finally:
        run.close()
    if summary["aborted"]:
        raise typer.Exit(130)  # interrupted: what a shell expects of a ^C'd command


def _with_llm(settings, llm: str | None):
    if llm is None:
        return settings
    if llm != "local":
        raise UserError(f"--llm {llm!r}: only 'local' (the bundled SmolLM2) is built in; "
                        f"add other models as [[models]] entries in --config")
    return settings.with_local_model()


def _run_search(run_dir: Path, settings, force: bool, reporter):
    """Open (or start) the run, search until a budget or a signal stops it. Returns the
    still-open run and the summary."""
    import anyio
    from actmine.store.run_dir import open_run

    from .orchestrator import Search

    run = open_run(run_dir, settings.identity(), create=True, force=force,
                   shared_cache=settings.cache.shared_dir())
    try:
        search_ = Search(run, settings, reporter)
        summary = anyio.run(search_.run_search)
    except BaseException:
        run.close()
        raise
    return run, summary


# ----------------------------------------------------------------- daemon
@app.command()
@handles_errors
def daemon(run_dir: Path = typer.Option(..., "--run-dir", help="directory of the run (created or resumed)"),
           config: Path | None = typer.Option(None, help="TOML config file"),
           budget: int | None = typer.Option(None, help="fresh lab evaluations in total (overrides search.budget)"),
           llm: str | None = typer.Option(None, "--llm", help="'local': add the bundled "
                                          "SmolLM2-135M (llama.cpp, loopback) to the ensemble"),
           force: bool = typer.Option(False, "--force", help="resume even if the configuration changed"),
           lab_profile: str | None = typer.Option(None, "--lab-profile", help=LAB_PROFILE_HELP)):
    """Run until the budget is spent or SIGINT/SIGTERM, logging a status line a minute;
    restart it with the same command to resume from the store."""
    from .console import Reporter, out

    settings = _with_llm(load_settings(config, {"search.budget": budget,
                                                "lab.profile": lab_profile}), llm)
    reporter = Reporter(interactive=False, per_program=False, summary_every=60.0)
    run, summary = _run_search(run_dir, settings, force, reporter)
    run.close()
    out.print(f"daemon finished: stopped by {summary['stopped_by']}; "
              f"{summary['fresh_evaluations']} evaluations, {summary['proposals']} proposals, "
              f"${summary['usd']:.4f}, {summary['tokens']} tokens")
    if summary["aborted"]:
        raise typer.Exit(130)


# ----------------------------------------------------------------- status
@app.command()
@handles_errors
def status(run_dir: Path = typer.Option(..., "--run-dir", help="run directory"),
           as_json: bool = typer.Option(False, "--json", help="print JSON"),
           top: int = typer.Option(10, help="leaderboard rows")):
    """Leaderboard, throughput, spend and rejections of a live or finished run."""
    from actmine.store.run_dir import open_run

    from .console import out
    from .status import print_status, status_payload

    run = open_run(run_dir, readonly=True)  # safe while a search writes the same run
    try:
        payload = status_payload(run, top)
        if as_json:
            print(json.dumps(payload, indent=2))
        else:
            print_status(out, payload)
    finally:
        run.close()


# ----------------------------------------------------------------- report
@app.command()
@handles_errors
def report(run_dir: Path = typer.Option(..., "--run-dir", help="run directory (live or finished)"),
           out: Path | None = typer.Option(None, "--out", help="HTML file to write (default DIR/report.html)"),
           top: int = typer.Option(20, help="leaderboard rows")):
    """One self-contained HTML report: leaderboard, functions, fits, lineage, admission, spend."""
    from .report import build_report

    if out is not None and out.is_dir():
        raise UserError(f"--out {out} is a directory; pass a file name such as {out / 'report.html'}")
    try:
        result = build_report(run_dir, out, top=top)
    except OSError as exc:
        raise UserError(f"cannot write the report: {exc.strerror or exc} ({exc.filename}); "
                        f"choose another --out") from None
    print(f"{result.path} ({result.size / 1e6:.2f} MB, {result.images} figures, "
          f"{result.programs} programs, {result.seconds:.1f} s)")


# ----------------------------------------------------------------- export
@app.command()
@handles_errors
def export(run_dir: Path | None = typer.Option(None, "--run-dir", help="run to export from"),
           rank: int | None = typer.Option(None, "--rank", min=1,
                                           help="leaderboard rank (default 1, the best)"),
           program_id: int | None = typer.Option(None, "--id", help="program id"),
           ir: str | None = typer.Option(None, "--ir", help="IR hash or unique prefix; without "
                                         "--run-dir it is looked up in the shared cache"),
           out_file: Path | None = typer.Option(None, "--out", help="file to write (default: "
                                                "print to stdout)"),
           config: Path | None = typer.Option(None, help="TOML config (lab and shared cache for "
                                              "--ir without --run-dir)")):
    """Write a function as a standalone PyTorch module (imports torch only)."""
    from actmine.store import export as exporting
    from actmine.store.cache import ResultCache
    from actmine.store.run_dir import open_run

    from .console import err

    if sum(x is not None for x in (rank, program_id, ir)) > 1:
        raise UserError("choose one of --rank, --id and --ir")
    if run_dir is None and ir is None:
        raise UserError("pass --run-dir DIR (with --rank K or --id N) or --ir HASH")
    try:
        if run_dir is not None:
            run = open_run(run_dir, readonly=True)
            try:
                function, info = exporting.from_run(run, rank=rank, program_id=program_id,
                                                    ir_prefix=ir)
            finally:
                run.close()
        else:
            settings = load_settings(config)
            directory = settings.cache.shared_dir() or shared_cache_dir()
            if not directory.exists():
                raise UserError(f"the shared cache {directory} does not exist; pass --run-dir")
            cache = ResultCache(directory)
            try:
                function, info = exporting.from_cache(cache, ir, settings.lab.to_config().hash)
            finally:
                cache.close()
        code = exporting.render_module(function, info)
        if out_file is None:
            sys.stdout.write(code)
            return
        exporting.write_module(out_file, code)
    except exporting.ExportError as exc:
        raise UserError(str(exc)) from None
    fitness = f"fitness {info.fitness:+.4f}, " if info.fitness is not None else ""
    err.print(f"wrote {out_file}: activation {info.ir_hash[:12]} ({fitness}{info.flops} "
              f"FLOPs/element); use it as {out_file.stem}.Activation()")


# ----------------------------------------------------------------- doctor
@app.command()
@handles_errors
def doctor(as_json: bool = typer.Option(False, "--json", help="print JSON"),
           strict: bool = typer.Option(False, "--strict",
                                       help="exit 1 when any sandbox protection is missing")):
    """Which sandbox protections this machine provides (measured), and the FLOP weights."""
    from actmine.sandbox.optable import FLOP_TABLE_VERSION, weight_table
    from actmine.sandbox.protections import LAYERS
    from actmine.sandbox.supervisor import ZygoteError, shared_zygote

    from .console import out

    zygote = shared_zygote()
    try:
        zygote.start()
    except ZygoteError as exc:
        raise UserError(f"{exc}; reinstall with `make setup`") from None
    report = zygote.report
    missing = sorted(name for name, layer in report.items() if not layer.get("ok"))
    weights = weight_table()
    if as_json:
        print(json.dumps({"protections": report, "missing": missing,
                          "flop_table_version": FLOP_TABLE_VERSION, "flop_weights": weights},
                         indent=2))
    else:
        for name, layer in report.items():
            mark = "[green]ok     [/green]" if layer.get("ok") else "[bold red]MISSING[/bold red]"
            out.print(f"{mark} {name:<18} {layer.get('detail', '')}", soft_wrap=True)
        out.print("[green]ok     [/green] audit_hook         trip-wire on open/socket/subprocess/"
                  "ctypes/imports (defence in depth)")
        out.print("[green]ok     [/green] static_filter      AST allowlist before anything runs")
        for name in missing:
            out.print(f"[yellow]warning: {name} is unavailable, so candidates run without: "
                      f"{LAYERS.get(name, name)}[/yellow]", soft_wrap=True)
        by_weight: dict[int, list[str]] = {}
        for op, weight in weights.items():
            by_weight.setdefault(weight, []).append(op)
        out.print(f"\nFLOP weights per element (table v{FLOP_TABLE_VERSION}):")
        for weight in sorted(by_weight):
            out.print(f"  {weight:>2}: {', '.join(by_weight[weight])}", soft_wrap=True)
    if strict and missing:
        raise typer.Exit(1)


# ------------------------------------------------------------------ flops
@app.command()
@handles_errors
def flops(files: list[Path] = typer.Argument(..., help="Python files defining activation(x)"),
          markdown: bool = typer.Option(False, "--markdown", help="print a Markdown table"),
          config: Path | None = typer.Option(None, help="TOML config ([admission] section)")):
    """FLOPs per element of each file's traced IR (the README table is this output)."""
    from actmine.sandbox.admission import admit

    from .console import out
    from .flops_table import markdown_table, rich_table

    settings = load_settings(config)
    admission_config = settings.admission.to_config()
    sources = [(path.stem, _read_candidate(path)) for path in files]
    rows = [(name, admit(source, admission_config)) for name, source in sources]
    if markdown:
        print(markdown_table(rows), end="")
    else:
        out.print(rich_table(rows))
    if not all(admission.admitted for _, admission in rows):
        raise typer.Exit(1)


from . import bench_pipeline, bench_search, cli_llm  # noqa: E402,F401 - register their commands


def main() -> None:
    app()


# --------------------------------------------------------------- transfer
from .transfer_cmd import transfer as _transfer  # noqa: E402 - registered after the helpers it uses

app.command("transfer")(_transfer)
