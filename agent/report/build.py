"""``actmine report``: a run directory in, one self-contained HTML file out."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from actmine.evaluators.lab import relu_ir
from actmine.store.run_dir import actmine_version, open_run

from ..progress import Progress, format_duration
from . import fig_fits, fig_functions, fig_search, fig_validation, page, style, tables
from .data import RunData, load, with_details
from .lineage import generations, lineage
from .retrain import FitResult, cached_fit

TOP_FUNCTIONS = 5  # curves on the functions figure; more becomes unreadable


@dataclass(frozen=True)
class ReportResult:
    path: Path
    size: int  # bytes
    seconds: float  # total, including any retraining
    fit_seconds: float  # retraining the best function and ReLU (0 when both were cached)
    images: int
    programs: int


def build_report(run_dir: Path | str, out: Path | str | None = None, *, top: int = 20,
                 progress: bool | None = None) -> ReportResult:
    """Render the report of ``run_dir`` to ``out`` (default DIR/report.html).

    ``progress``: None shows a bar on a terminal and plain lines otherwise (see
    agent/progress.py); True or False forces one or the other."""
    started = time.perf_counter()
    run_dir = Path(run_dir)
    out = Path(out) if out is not None else run_dir / "report.html"
    run = open_run(run_dir, readonly=True)  # a live search holds the lock: only read
    try:
        data = load(run, top)
        by_id = data.by_id
        best = data.best
        tree = lineage(by_id, best.id) if best else None
        if tree is not None:
            data = with_details(run, data, list(tree.nodes) + list(tree.main_line))
    finally:
        run.close()

    fit = reference = None
    fit_seconds, fit_note = 0.0, ""
    best_ir = data.irs.get(best.id) if best else None
    if best is None:
        fit_note = "No function has been evaluated yet."
    elif data.lab is None or best_ir is None:
        fit_note = "The best function's IR or the run's lab settings are not available."
    else:
        t0 = time.perf_counter()
        fit, fresh = cached_fit(run_dir, best_ir, data.lab, f"the best function (#{best.id})",
                                progress)
        reference, fresh_ref = cached_fit(run_dir, relu_ir(), data.lab, "ReLU", progress)
        fit_seconds = time.perf_counter() - t0 if fresh or fresh_ref else 0.0

    images: dict[str, str] = {}
    figures = _figures(data, best, tree, fit, reference)
    with style.active(), Progress("rendering report", total=len(figures) + 1, unit="figures",
                                  interactive=progress) as bar:
        for name, make in figures:
            bar.update(status=name)
            images[name] = style.data_uri(make())
            bar.advance()
        bar.update(status="page")
        context = _context(data, tree, fit, reference, fit_note, images, started)
        html = page.render(context)
        bar.advance()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out)
    return ReportResult(out, out.stat().st_size, time.perf_counter() - started, fit_seconds,
                        len(images), len(data.programs))


def _figures(data: RunData, best, tree, fit: FitResult | None,
             reference: FitResult | None) -> list[tuple[str, object]]:
    programs = list(data.programs)
    by_id = data.by_id
    figures = []
    curves = [(f"#{p.id} ({tables.ratio(p.fitness)}× ReLU) {_short(tables.formula_of(data, p))}",
               data.irs[p.id].to_callable())
              for p in data.leaderboard[:TOP_FUNCTIONS] if p.id in data.irs]
    if curves:
        figures.append(("functions", lambda: fig_functions.functions_figure(curves)))
    if fit is not None:
        best_fn = data.irs[best.id].to_callable()
        figures.append(("fits", lambda: fig_fits.fits_figure(fit, reference)))
        figures.append(("preactivations", lambda: fig_fits.preactivation_figure(
            fit, best_fn, f"best #{best.id}")))
    if any(p.fitness is not None for p in programs):
        cost = tables.costs(data.programs)
        figures.append(("evolution", lambda: fig_search.evolution_figure(programs, cost)))
    if fig_validation.has_validation(programs):
        champion = data.champion
        figures.append(("validation", lambda: fig_validation.validation_figure(
            programs, champion.gelu if champion else None,
            champion.program if champion else None)))
    if tree is not None:
        figures.append(("lineage", lambda: fig_search.lineage_figure(tree, by_id)))
    figures.append(("admission", lambda: fig_search.admission_figure(programs)))
    return figures


def _short(text: str, width: int = 46) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _context(data: RunData, tree, fit, reference, fit_note, images, started) -> dict:
    from actmine.evaluators.tasks import FAMILIES

    by_id = data.by_id
    gens = generations(by_id)
    programs = data.programs
    counts_fresh = sum(p.fitness is not None and not p.cached for p in programs)
    costs = tables.costs(programs)
    spend = sum(costs.values())
    times = [p.created for p in programs if p.created]
    wall = (max(times) - min(times)) if len(times) > 1 else 0.0
    best = data.best
    champ = data.champion.program if data.champion else None
    near = sum(p.near_duplicate_of is not None for p in programs)  # evaluations saved
    adm = tables.admission_stats(programs)
    link = f"#p{best.id}" if best else ""
    tiles = [
        {"label": "best × ReLU", "value": tables.ratio(best.fitness) if best else "n/a",
         "best": True, "href": link},
        {"label": "best program", "value": f"#{best.id}" if best else "n/a", "href": link},
        {"label": "champion", "value": f"#{champ.id}" if champ else "none",
         "href": f"#p{champ.id}" if champ else "#leaderboard"},
        {"label": "proposals", "value": f"{len(programs):,}"},
        {"label": "admitted", "value": adm["admitted_share"]},
        {"label": "fresh evaluations", "value": f"{counts_fresh:,}"},
        {"label": "cache hits", "value": f"{adm['cache_hits']:,}"},
        {"label": "near-duplicates", "value": f"{near:,}"},
        {"label": "wall time", "value": format_duration(wall) if wall else "n/a"},
        {"label": "model spend", "value": f"${spend:,.2f}" if costs else "n/a"},
    ]
    tiles = [{"best": False, "href": "", **t} for t in tiles]
    main_line = []
    if tree is not None:
        previous = None
        for pid in tree.main_line:
            p = by_id[pid]
            change = (f"{p.fitness - previous:+.3f}" if p.fitness is not None
                      and previous is not None else "")
            main_line.append({"id": pid, "proposer": p.proposer, "model": p.model or "—",
                              "step": tables.step_of(p),
                              "fitness": f"{p.fitness:+.3f}" if p.fitness is not None else "n/a",
                              "change": change, "formula": tables.formula_of(data, p)})
            previous = p.fitness if p.fitness is not None else previous
    shown = [p.id for p in data.leaderboard]
    if champ is not None and champ.id not in shown:
        shown.append(champ.id)
    if tree is not None:  # every program the lineage figure or table names gets a card
        shown += [i for i in (*tree.nodes, *tree.main_line) if i not in shown]
    known = set(shown)
    cards = [page.card(data, by_id[i], known) for i in shown]
    rate = (f"{len(programs)} proposals and {counts_fresh} fresh evaluations in "
            f"{format_duration(wall)} ({60 * len(programs) / wall:.1f} proposals/min, "
            f"{60 * counts_fresh / wall:.1f} evaluations/min)" if wall > 0 else "n/a")
    return {
        "version": actmine_version(), "run_name": data.path.name or str(data.path),
        "run_path": str(data.path), "started": page.when(data.meta.get("created")),
        "generated": page.when(data.generated), "warnings": list(data.warnings),
        "tiles": tiles, "families": FAMILIES, "leaderboard": tables.leaderboard(data, gens),
        "has_validation": fig_validation.has_validation(programs),
        "champion_line": data.champion.line() if data.champion else "",
        "n_functions": min(TOP_FUNCTIONS, len(data.leaderboard)), "img": _Images(images),
        "fit_caption": _fit_caption(fit, reference, data, best) if fit else fit_note,
        "has_spend": bool(costs), "lineage_size": len(tree.nodes) if tree else 0,
        "main_line": main_line, "adm": adm, "models": tables.per_model(programs),
        "throughput": rate, "cards": cards,
        "render_seconds": f"{time.perf_counter() - started:.1f}",
    }


def _fit_caption(fit: FitResult, reference: FitResult, data: RunData, best) -> str:
    pairs = [(t.test_mse, r.test_mse) for t, r in zip(fit.tasks, reference.tasks)]
    wins = sum(a < b for a, b in pairs)
    geo = [math.log(a / b) for a, b in pairs if a > 0 and b > 0]
    ratio_text = f"{math.exp(sum(geo) / len(geo)):.3g}" if geo else "n/a"
    return (f"Program #{best.id} retrained with the lab's own data, initialisation and "
            f"optimiser ({fit.steps} steps, seed {fit.seed} of the lab's "
            f"{len(data.lab.seeds)}), and ReLU retrained the same way as the reference. Blue band and "
            f"points: the training range; orange: the out-of-distribution test range. "
            f"Targets are standardised with the training data's mean and spread; multi-input "
            f"tasks are drawn along the diagonal where every input equals t. It beats ReLU out "
            f"of distribution on {wins} of the {len(fit.tasks)} tasks drawn (geometric-mean OOD "
            f"error {ratio_text}× ReLU's on this seed; sequence tasks have no curve to draw "
            f"and are left out).")


class _Images(dict):
    """Missing figures read as empty (the template then shows a note instead)."""

    def __getattr__(self, name: str) -> str:
        return self.get(name, "")
