"""``actmine bench ...``: speed and memory targets, measured side by side in one run and
printed as ratios (never asserted in tests: shared machines are noisy). The measurements
live in agent/bench/, evaluators/bench_lab.py and sandbox/benchmark.py."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from actmine.sandbox.errors import UserError

from ..config import load_settings
from ..progress import Progress
from .app import app
from .console import err, out
from .errors import handles_errors

bench_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                        help="Benchmarks printed as side-by-side ratios.")
app.add_typer(bench_app, name="bench")


@bench_app.command("report")
@handles_errors
def bench_report(programs: int = typer.Option(1000, help="programs in the synthetic run"),
                 run_dir: str | None = typer.Option(None, "--run-dir",
                                                    help="keep the synthetic run here (default: a temporary directory)")):
    """Render the report of a synthetic run (real store APIs, default lab): time and size."""
    from ..bench.report import run_bench

    run_bench(programs, run_dir)


@bench_app.command("admission")
@handles_errors
def admission(rounds: int = typer.Option(5, min=1, help="zygote admissions per source"),
              fresh_rounds: int = typer.Option(1, min=1, help="fresh-interpreter admissions per source"),
              sources: int = typer.Option(6, min=1, max=6, help="how many of the built-in sources"),
              as_json: bool = typer.Option(False, "--json", help="print JSON")):
    """Median admission latency: zygote children vs a fresh `python -c` per candidate."""
    from actmine.sandbox.benchmark import SOURCES, measure

    with Progress("admission bench", total=min(sources, len(SOURCES)), unit="sources") as bar:
        result = measure(rounds, fresh_rounds,
                         lambda done, total: bar.update(completed=done), sources)
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    met = result.speedup >= 10 and result.zygote_median_ms < 150
    out.print(f"admission latency, median over the same {min(sources, len(SOURCES))} sources, measured "
              f"side by side ({result.cpus} CPUs, load average {result.load_average:.1f}):")
    out.print(f"  zygote (fork of a warm process)   {result.zygote_median_ms:8.0f} ms  "
              f"({len(result.zygote_ms)} runs; zygote start-up once: "
              f"{result.zygote_start_s:.1f} s)")
    out.print(f"  fresh interpreter (python -c)     {result.fresh_median_ms:8.0f} ms  "
              f"({len(result.fresh_ms)} runs)")
    out.print(f"  zygote is {result.speedup:.1f}x faster; target >= 10x and < 150 ms: "
              f"{'met' if met else 'NOT met'}")


@bench_app.command("flops")
@handles_errors
def flops(size: int = typer.Option(16384, min=256, help="elements per timed tensor"),
          as_json: bool = typer.Option(False, "--json", help="print JSON")):
    """Every op in the FLOP table timed against its charge, relative to GELU (12)."""
    from actmine.sandbox.flop_bench import measure

    with Progress("flop bench", total=1, unit="ops") as bar:
        rows = measure(size, progress=lambda done, total: bar.update(completed=done, total=total))
    if as_json:
        print(json.dumps([r.to_dict() for r in rows], indent=2))
        return
    print(f"{'op':<22} {'variant':<18} {'charge':>6} {'measured':>9} {'ratio':>6}   "
          f"(GELU = 12, one thread, {size} float32)")
    for r in rows:
        print(f"{r.op:<22} {r.variant:<18} {r.charge:>6} {r.measured:>9.1f} {r.ratio:>6.2f}")
    worst = rows[0]
    print(f"worst: {worst.op} {worst.variant} runs {worst.ratio:.1f}x its charge; target <= 3x")


# -------------------------------------------------------------------- lab
@bench_app.command("lab")
@handles_errors
def bench_lab(as_json: bool = typer.Option(False, "--json", help="print JSON"),
              config: str | None = typer.Option(None, help="TOML config ([lab] section)"),
              steps: int | None = typer.Option(None, min=1, help="steps per model (default: the lab's)"),
              activation: str = typer.Option("GELU", help="a baseline name (see actmine baselines)"),
              device: str | None = typer.Option(None, help="auto, cpu or cuda (default: [lab] device)"),
              candidates_per_batch: int = typer.Option(
                  1, "--candidates-per-batch", min=1, max=1024,
                  help="also train this many candidates as one batch against one at a time")):
    """The lab protocol trained batched and as a plain per-task loop: throughput, ratio,
    GFLOP/s; with --candidates-per-batch, candidates per second batched and one at a time."""
    from actmine.evaluators import bench_lab
    from actmine.evaluators.known import BASELINE, by_names, with_role
    from actmine.evaluators.lab import device_of, training_callable

    from .. import api

    settings = load_settings(config, {"lab.device": device})
    (baseline,) = by_names([activation])
    lab_config = settings.lab.to_config()
    target = device_of(lab_config)
    if target.type == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise UserError("--device cuda: this torch sees no CUDA GPU "
                            "(torch.cuda.is_available() is False); use --device cpu")
    # The candidates of the multi-candidate part: the chosen baseline, then the others.
    names = [baseline.name] + [k.name for k in with_role(BASELINE) if k.name != baseline.name]
    chosen = [names[i % len(names)] for i in range(candidates_per_batch)]
    by_name = {k.name: training_callable(api.check(k.source, settings).ir)
               for k in by_names(sorted(set(chosen), key=chosen.index))}
    if not as_json:
        n = len(lab_config.all_tasks())
        err.print(f"[dim]training {n} tasks x {len(lab_config.seeds)} seeds with {baseline.name} "
                  f"on {target}, batched then one model at a time...[/dim]")
    with Progress("bench lab", total=2 + 2 * (candidates_per_batch > 1), unit="runs") as bar:
        def done(what: str) -> None:
            bar.advance(line=f"{what} done")

        r = bench_lab.run(by_name[baseline.name], lab_config, steps, done)
        if candidates_per_batch > 1:
            bar.note(f"training {candidates_per_batch} candidates ({', '.join(chosen[:6])}"
                     f"{', ...' if len(chosen) > 6 else ''}) as one batch, then one at a time")
            r["multi_candidate"] = bench_lab.run_candidates([by_name[c] for c in chosen],
                                                            lab_config, steps, done)
            r["multi_candidate"]["activations"] = chosen
    if as_json:
        print(json.dumps(r, indent=2))
        return
    lines = [f"lab protocol: {r['models']} models ({r['tasks']} tasks x {r['seeds']} seeds), "
             f"{r['depth']}x{r['hidden']} MLP"
             + (f" (a recurrent cell for {r['sequence_tasks']} sequence task(s))"
                if r.get("sequence_tasks") else "")
             + f", {r['n_train']} samples, {r['steps']} steps, "
             f"{r['device']}, {r['threads'] or '-'} thread(s)"]
    for name, key in (("batched trainer", "batched"), ("per-task loop  ", "loop")):
        w = r[key]
        lines.append(f"  {name}: {w['seconds']:8.2f} s  {w['model_steps_per_s']:9.0f} model-steps/s"
                     f"  {w['gflops']:6.2f} GFLOP/s ({100 * w['fraction_of_peak']:.0f}% of peak)"
                     f"  {1 / w['seconds']:.3g} candidates/s")
    lines += [
        f"  speed-up: x{r['speedup']:.1f} wall time (x{r['speedup_cpu_time']:.1f} CPU time); target x10",
        f"  fp32 matmul peak here: {r['peak_matmul_gflops']:.1f} GFLOP/s (1024x1024, same threads); "
        f"the protocol is {r['matmul_gflop']:.1f} GFLOP of matmuls",
        f"  same computation: final OOD MSE differs by {100 * r['test_mse_median_rel_diff']:.2g}% "
        f"(median; max {100 * r['test_mse_max_rel_diff']:.2g}%, float rounding grown over "
        f"{r['steps']} steps)"]
    if "multi_candidate" in r:
        m = r["multi_candidate"]
        lines += [
            f"{m['candidates']} candidates per batch ({m['models_per_candidate']} models each), "
            f"{m['device']}:",
            f"  one batch      : {m['batched']['seconds']:8.2f} s  "
            f"{m['batched']['candidates_per_s']:8.3g} candidates/s  "
            f"{m['batched']['gflops']:6.2f} GFLOP/s",
            f"  one at a time  : {m['one_at_a_time']['seconds']:8.2f} s  "
            f"{m['one_at_a_time']['candidates_per_s']:8.3g} candidates/s  "
            f"{m['one_at_a_time']['gflops']:6.2f} GFLOP/s",
            f"  speed-up: x{m['speedup']:.2f}; results "
            f"{'bit-identical' if m['identical'] else 'DIFFER'} to training each alone"]
    out.print("\n".join(lines), soft_wrap=True)


@bench_app.command("pipeline")
@handles_errors
def pipeline(latency: float = typer.Option(5.0, help="seconds the simulated model takes per answer"),
             budget: int = typer.Option(16, help="fresh evaluations per run"),
             requests: int = typer.Option(32, help="requests in flight in the concurrent run"),
             evaluators: int = typer.Option(2, help="evaluation slots (worker processes)"),
             config: Path | None = typer.Option(None, help="TOML config whose [lab] to use"),
             keep: Path | None = typer.Option(None, help="keep the two run directories here")):
    """Evaluator utilisation with many model requests in flight vs one at a time."""
    from ..bench import pipeline as bench_pipeline

    table, lines = bench_pipeline.run(latency, budget, requests, evaluators, config, keep,
                                      note=lambda text: err.print(f"[dim]{text}[/dim]"))
    out.print(table)
    for line in lines:
        out.print(line)


@bench_app.command("search")
@handles_errors
def bench_search(evaluations: int = typer.Option(60, min=10, help="fresh lab evaluations per search"),
                 seeds: str = typer.Option("0,1,2", help="search seeds, comma-separated"),
                 config: Path | None = typer.Option(None, help="TOML config whose [lab] and [search] to use (default: a reduced lab)"),
                 png: Path = typer.Option(Path("bench-search.png"), help="where to write the plot"),
                 as_json: bool = typer.Option(False, "--json", help="print JSON")):
    """Pareto and scalar selection against random sampling: best fitness and validation."""
    from ..bench import search as bench_search_

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise UserError(f"--seeds {seeds!r}: give integers separated by commas") from None
    if not seed_list:
        raise UserError("--seeds: give at least one seed")
    if config is not None and not config.is_file():
        raise UserError(f"config file {config} does not exist")
    result = bench_search_.run(evaluations, seed_list, config, png)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    out.print("\n".join(bench_search_.lines(result)), soft_wrap=True, highlight=False, markup=False)


@bench_app.command("alignment")
@handles_errors
def alignment(designs: list[str] = typer.Option(["legacy", "default"], "--design",
                                                help="a lab profile (legacy, default, quick) or a "
                                                "TOML config; repeat to compare designs"),
              profile: str = typer.Option("quick", help="transfer profile (quick: CPU)"),
              workers: int | None = typer.Option(None, min=1, help="worker processes "
                                                 "(default: one per core)"),
              device: str = typer.Option("cpu", help="cpu or cuda, for the transfer jobs"),
              resamples: int = typer.Option(2000, min=100, help="bootstrap resamples"),
              png: Path = typer.Option(Path("bench-alignment.png"), help="the scatter plot"),
              panel: str | None = typer.Option(None, help="comma-separated panel functions "
                                               "(default: the whole panel of 24)"),
              add: list[Path] = typer.Option([], "--add", help="a .py file with activation(x) "
                                             "to rank beside the panel (a held-out function); "
                                             "repeat for more"),
              benchmarks: str | None = typer.Option(None, help="comma-separated transfer "
                                                    "benchmarks or families (default: all)"),
              as_json: bool = typer.Option(False, "--json", help="print JSON")):
    """Rank agreement of lab fitness with downstream transfer over a panel of activations."""
    from actmine.evaluators.transfer import registry

    from ..bench import alignment as bench_alignment

    parsed = [bench_alignment.Design.parse(spec) for spec in designs]
    members = bench_alignment.choose_panel(
        [n.strip() for n in panel.split(",") if n.strip()] if panel else None, add)
    registry.select(benchmarks)  # an unknown name fails here, before any work
    bar = Progress("alignment: transfer", total=None, unit="jobs").start()

    def transfer_progress(job, result, cached):
        bar.advance(status=f"{job.benchmark} {job.label} seed {job.seed}")

    def lab_result(design, scoring):
        what = (f"{scoring.evaluation.fitness:+.3f}" if scoring.evaluation
                else f"rejected: {scoring.admission.reason}")
        bar.note(f"{design}: {scoring.name} {what}")

    try:
        result = bench_alignment.run(parsed, profile, workers, device, png, resamples,
                                     transfer_progress, bar.note, lab_result, members,
                                     benchmarks)
    finally:
        bar.close()
    if as_json:
        print(json.dumps(bench_alignment.payload(result), indent=2))
        return
    out.print("\n".join(bench_alignment.lines(result)), soft_wrap=True, highlight=False,
              markup=False)
