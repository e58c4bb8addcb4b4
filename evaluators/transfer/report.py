"""The transfer report as rich tables (for people) and as a JSON document (for tools)."""

from __future__ import annotations

from rich.table import Table

from .common import Benchmark
from .references import Activation
from .summary import Cell


def _fmt(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}g}"


def _cell_text(cell: Cell, best: bool) -> str:
    if cell.status == "diverged":
        return "[red]diverged[/red]"
    if cell.status == "error":
        return "[red]error[/red]"
    if cell.status == "missing":
        return "-"
    text = f"{_fmt(cell.mean)}±{_fmt(cell.std, 2)}"
    return f"[bold green]{text}[/bold green]" if best else text


def metric_table(benchmarks: list[Benchmark], activations: list[Activation],
                 table: dict[str, dict[str, Cell]], title: str) -> Table:
    out = Table(title=title, title_justify="left")
    out.add_column("benchmark", no_wrap=True)
    out.add_column("metric", no_wrap=True)
    for a in activations:
        out.add_column(a.label, justify="right", no_wrap=True)
    for bench in benchmarks:
        row = table[bench.name]
        scores = {k: c.mean for k, c in row.items() if c.status == "ok"}
        best = (max if bench.higher_is_better else min)(scores, key=scores.get) if scores else None
        arrow = "↑" if bench.higher_is_better else "↓"
        out.add_row(bench.name, f"{bench.metric} {arrow}",
                    *(_cell_text(row[a.label], a.label == best) for a in activations))
    return out


def summary_table(benchmarks: list[Benchmark], activations: list[Activation],
                  means: dict[str, dict[str, float | None]], title: str) -> Table:
    families = list(dict.fromkeys(b.family for b in benchmarks))
    out = Table(title=title, title_justify="left")
    out.add_column("activation")
    for fam in families:
        out.add_column(fam, justify="right")
    out.add_column("all", justify="right")
    for a in activations:
        row = means[a.label]
        out.add_row(a.label, *("-" if row[f] is None else f"{row[f]:+.3f}" for f in [*families, "all"]))
    return out


def legend(activations: list[Activation]) -> list[str]:
    return [f"{a.label}: {a.description}  (IR {a.ir_hash[:12]})" for a in activations]


def payload(profile: str, seeds: dict[str, int], benchmarks: list[Benchmark],
            activations: list[Activation], table: dict[str, dict[str, Cell]],
            ratios: dict, means: dict, png: str | None, seconds: float, fresh: int,
            cached: int) -> dict:
    return {
        "profile": profile, "seeds": seeds, "seconds": round(seconds, 1),
        "jobs": {"fresh": fresh, "cached": cached},
        "benchmarks": [{"name": b.name, "family": b.family, "dataset": b.dataset,
                        "metric": b.metric, "higher_is_better": b.higher_is_better,
                        "version": b.version, "notes": b.notes} for b in benchmarks],
        "activations": [{"label": a.label, "description": a.description, "ir_hash": a.ir_hash,
                         "reference": a.reference} for a in activations],
        "results": {b.name: {a.label: {"mean": table[b.name][a.label].mean,
                                       "std": table[b.name][a.label].std,
                                       "values": list(table[b.name][a.label].values),
                                       "status": table[b.name][a.label].status}
                             for a in activations} for b in benchmarks},
        "log_ratio_vs_relu": ratios,
        "summary": means,
        "png": png,
    }
