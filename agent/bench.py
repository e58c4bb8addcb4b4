"""``actmine bench ...``: speed and memory targets, measured side by side in one run and
printed as ratios (never asserted in tests: shared machines are noisy)."""

from __future__ import annotations

import typer

bench_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                        help="Benchmarks printed as side-by-side ratios.")


@bench_app.command("report")
def bench_report(programs: int = typer.Option(1000, help="programs in the synthetic run"),
                 run_dir: str | None = typer.Option(None, "--run-dir",
                                                    help="keep the synthetic run here (default: a temporary directory)")):
    """Render the report of a synthetic run (real store APIs, default lab): time and size."""
    from .report.bench import run_bench

    run_bench(programs, run_dir)


@bench_app.command("admission")
def admission(rounds: int = typer.Option(5, min=1, help="zygote admissions per source"),
              fresh_rounds: int = typer.Option(1, min=1, help="fresh-interpreter admissions per source"),
              sources: int = typer.Option(6, min=1, max=6, help="how many of the built-in sources"),
              as_json: bool = typer.Option(False, "--json", help="print JSON")):
    """Median admission latency: zygote children vs a fresh `python -c` per candidate."""
    import json

    from actmine.sandbox.benchmark import SOURCES, measure

    from .console import out
    from .progress import Progress

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
def flops(size: int = typer.Option(16384, min=256, help="elements per timed tensor"),
          as_json: bool = typer.Option(False, "--json", help="print JSON")):
    """Every op in the FLOP table timed against its charge, relative to GELU (12)."""
    import json

    from actmine.sandbox.flop_bench import measure

    from .progress import Progress

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
    import json

    from actmine.evaluators import bench_lab
    from actmine.evaluators.baselines import BASELINES, get_baselines
    from actmine.evaluators.lab import device_of, training_callable
    from actmine.sandbox.admission import admit

    from .config import ConfigError, load_settings
    from .console import err, out

    try:
        settings = load_settings(config, {"lab.device": device})
        (baseline,) = get_baselines([activation])
    except (ConfigError, KeyError) as exc:
        err.print(f"[bold red]error:[/bold red] {exc.args[0] if exc.args else exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    lab_config = settings.lab.to_config()
    target = device_of(lab_config)
    if target.type == "cuda":
        import torch

        if not torch.cuda.is_available():
            err.print("[bold red]error:[/bold red] --device cuda: this torch sees no CUDA GPU "
                      "(torch.cuda.is_available() is False); use --device cpu", soft_wrap=True)
            raise typer.Exit(2)
    # The candidates of the multi-candidate part: the chosen baseline, then the others.
    names = [baseline.name] + [b.name for b in BASELINES if b.name != baseline.name]
    chosen = [names[i % len(names)] for i in range(candidates_per_batch)]
    by_name = {b.name: training_callable(admit(b.source, settings.admission.to_config()).ir)
               for b in get_baselines(sorted(set(chosen), key=chosen.index))}
    if not as_json:
        from actmine.evaluators.tasks import get_tasks

        n = len(get_tasks(lab_config.tasks))
        err.print(f"[dim]training {n} tasks x {len(lab_config.seeds)} seeds with {baseline.name} "
                  f"on {target}, batched then one model at a time...[/dim]")
    from .progress import Progress

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
             f"{r['depth']}x{r['hidden']} MLP, {r['n_train']} samples, {r['steps']} steps, "
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
