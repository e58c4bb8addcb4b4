"""``actmine bench ...``: speed and memory targets, measured side by side in one run and
printed as ratios (never asserted in tests: shared machines are noisy)."""

from __future__ import annotations

import typer

bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks printed as side-by-side ratios.")


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

    from .console import err, out

    def progress(done: int, total: int) -> None:
        if not as_json:
            err.print(f"[dim]source {done}/{total} measured[/dim]")

    result = measure(rounds, fresh_rounds, progress, sources)
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
