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
