"""``actmine bench ...``: speed and memory targets, measured side by side in one run and
printed as ratios (never asserted in tests: shared machines are noisy)."""

from __future__ import annotations

import typer

bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks printed as side-by-side ratios.")
