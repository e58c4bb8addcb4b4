"""How the search got there: best fitness against evaluations (and spend), the lineage of the
best function, and what admission let through."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from actmine.store.programs import Program

from . import style
from .lineage import Lineage
from .tables import step_of

NICE_RATIOS = (1e-4, 1e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0,
               10.0, 100.0, 1e4)


def _ratio_axis(ax) -> None:
    """Fitness is log(OOD MSE / ReLU's); the right axis reads it as a plain ratio, with
    ticks at round ratios spread evenly in log space (call after setting the y-limits)."""
    def log(r):
        return np.log(np.clip(r, 1e-12, None))

    sec = ax.secondary_yaxis("right", functions=(np.exp, log))
    lo, hi = ax.get_ylim()
    if hi - lo > math.log(1000):  # many decades: powers of ten read best
        candidates = [10.0 ** k for k in range(math.floor(lo / math.log(10)),
                                               math.ceil(hi / math.log(10)) + 1)]
    else:
        candidates = NICE_RATIOS
    ticks = [r for r in candidates if lo <= math.log(r) <= hi]
    while len(ticks) > 7:  # thin out, always keeping 1.0 (ReLU)
        ticks = [r for i, r in enumerate(ticks) if i % 2 == 0 or r == 1.0]
    sec.set_yticks(ticks, [f"{r:g}" for r in ticks])
    sec.set_ylabel("x ReLU's OOD error")


def _fitness_limits(values: np.ndarray) -> tuple[float, float]:
    lo = float(np.min(values))
    hi = float(max(0.3, np.percentile(values, 90)))
    pad = 0.08 * (hi - lo or 1.0)
    return lo - pad, hi + pad


def evolution_figure(programs: list[Program], cost: dict[int, float]) -> bytes:
    """Each evaluated program and the running best, against fresh evaluations and (when a
    model cost money) against cumulative spend."""
    evaluated = [p for p in programs if p.fitness is not None]
    spent = any(v for v in cost.values())
    fig, axes = style.figure(1, 2 if spent else 1, height=3.4)
    xs, cum_cost, fresh, total = [], [], 0, 0.0
    for p in programs:  # id order: the order proposals were made
        total += cost.get(p.id, 0.0) or 0.0
        if p.fitness is None:
            continue
        fresh += 0 if p.cached else 1
        xs.append(fresh)
        cum_cost.append(total)
    fitness = np.array([p.fitness for p in evaluated], dtype=float)
    ok = np.array([p.status == "ok" for p in evaluated], dtype=bool)
    running = np.minimum.accumulate(np.where(ok, fitness, np.inf)) if len(fitness) else fitness
    lo, hi = _fitness_limits(fitness) if len(fitness) else (-1.0, 1.0)
    colours = style.proposer_colours(p.proposer for p in evaluated)
    panels = [(axes[0][0], np.array(xs), "fresh lab evaluations")]
    if spent:
        panels.append((axes[0][1], np.array(cum_cost), "model spend (USD)"))
    for ax, x, xlabel in panels:
        for name, colour in colours.items():
            mask = np.array([p.proposer == name for p in evaluated], dtype=bool)
            for sel, marker, alpha in ((mask & ok, "o", 0.75), (mask & ~ok, "x", 0.45)):
                if sel.any():
                    ax.scatter(x[sel], np.clip(fitness[sel], lo, hi), s=14, marker=marker,
                               color=colour, alpha=alpha, linewidths=1 if marker == "x" else 0,
                               label=name if marker == "o" else None, zorder=3)
        finite = np.isfinite(running)
        if finite.any():
            ax.step(x[finite], running[finite], where="post", color=style.TRUTH, linewidth=2.0,
                    label="best so far", zorder=4)
        ax.axhline(0.0, color=style.MUTED, linestyle=(0, (4, 2)), linewidth=1.1, zorder=2)
        ax.text(1.0, 0.0, "ReLU ", color=style.MUTED, ha="right", va="bottom", fontsize=8,
                transform=ax.get_yaxis_transform())
        ax.set_ylim(lo, hi)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("fitness (log OOD error vs ReLU)")
        _ratio_axis(ax)
    axes[0][0].set_title("fitness of each evaluated program, and the best so far")
    if spent:
        axes[0][1].set_title("best so far against money spent")
    axes[0][0].legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=len(colours) + 1,
                      markerscale=1.3)
    fig.tight_layout()
    return style.to_png(fig)


def lineage_figure(lineage: Lineage, programs: dict[int, Program]) -> bytes:
    """Ancestors of the best function placed by program id (time) and fitness."""
    nodes = [programs[i] for i in lineage.nodes if programs[i].fitness is not None]
    fig, axes = style.figure(1, 1, height=3.8)
    ax = axes[0][0]
    pos = {p.id: (p.id, p.fitness) for p in nodes}
    main = set(lineage.main_line)
    for parent, child, is_main in lineage.edges:
        if parent in pos and child in pos:
            (x0, y0), (x1, y1) = pos[parent], pos[child]
            on_main = is_main and parent in main and child in main
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0), zorder=2, arrowprops={
                "arrowstyle": "-|>", "shrinkA": 5, "shrinkB": 5, "mutation_scale": 9,
                "color": "#444444" if on_main else "#AAAAAA",
                "linewidth": 1.6 if on_main else 0.9,
                "linestyle": "-" if is_main else (0, (3, 2))})
    colours = style.proposer_colours(p.proposer for p in nodes)
    for name, colour in colours.items():
        group = [p for p in nodes if p.proposer == name]
        sizes = [70 if p.id in main else 28 for p in group]
        ax.scatter([p.id for p in group], [p.fitness for p in group], s=sizes, color=colour,
                   edgecolors=["#222222" if p.id in main else "none" for p in group],
                   linewidths=0.8, label=name, zorder=3)
    labelled = _labelled_steps(lineage, programs)
    root = programs[lineage.root]
    if root.fitness is not None:
        ax.scatter([root.id], [root.fitness], s=260, marker="*", color=style.BEST,
                   edgecolors="#222222", linewidths=0.8, zorder=4, label=f"best (#{root.id})")
    for k, pid in enumerate(lineage.main_line):
        p = programs[pid]
        if pid not in pos or pid not in labelled:
            continue
        step = step_of(p)
        ax.annotate(f"#{pid} {step}", pos[pid], xytext=(0, 9 if k % 2 == 0 else -14),
                    textcoords="offset points", ha="center", fontsize=7.2, color="#333333",
                    zorder=5)
    ax.axhline(0.0, color=style.MUTED, linestyle=(0, (4, 2)), linewidth=1.0, zorder=1)
    if nodes:
        ys = np.array([p.fitness for p in nodes], dtype=float)
        lo, hi = float(ys.min()), float(max(ys.max(), 0.0))
        pad = 0.12 * (hi - lo or 1.0)
        ax.set_ylim(lo - pad, hi + pad)
        xs = [p.id for p in nodes]
        ax.set_xlim(min(xs) - 1.5, max(xs) + 1.5)
    ax.set_xlabel("program id (order of proposal)")
    ax.set_ylabel("fitness")
    _ratio_axis(ax)
    ax.set_title("lineage of the best function: main line bold, other parents dashed")
    ax.legend(loc="upper right", ncol=2)
    fig.tight_layout()
    return style.to_png(fig)


def _labelled_steps(lineage: Lineage, programs: dict[int, Program], most: int = 12) -> set[int]:
    """Main-line programs worth a label: all of a short line; else the first, the best and
    the steps that improved fitness most (labels on every step of a long line overlap)."""
    line = lineage.main_line
    if len(line) <= most:
        return set(line)
    gains = []
    for parent, child in zip(line, line[1:]):
        a, b = programs[parent].fitness, programs[child].fitness
        if a is not None and b is not None:
            gains.append((b - a, child))
    return {line[0], line[-1]} | {pid for _, pid in sorted(gains)[: most - 2]}


def admission_figure(programs: list[Program]) -> bytes:
    """The funnel from proposal to a full evaluation, and rejections by category."""
    n = len(programs)
    admitted = [p for p in programs if p.admitted]
    evaluated = [p for p in admitted if p.fitness is not None]
    funnel = [("proposed", n), ("admitted", len(admitted)), ("evaluated", len(evaluated)),
              ("fresh evaluation", sum(not p.cached for p in evaluated)),
              ("full stage, ok", sum(p.status == "ok" for p in evaluated))]
    categories = Counter(p.category or "unknown" for p in programs if not p.admitted)
    fig, axes = style.figure(1, 2, height=2.9)
    ax_f, ax_c = axes[0]
    labels = [k for k, _ in funnel][::-1]  # barh draws bottom-up: first stage on top
    values = [v for _, v in funnel][::-1]
    bars = ax_f.barh(labels, values, color=[style.BEST] + [style.TRAIN] * 4, height=0.62)
    for bar, value in zip(bars, values):
        share = f" ({100 * value / n:.0f}%)" if n else ""
        ax_f.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {value}{share}",
                  va="center", fontsize=8)
    ax_f.set_xlim(0, max(values + [1]) * 1.3)
    ax_f.set_title("from proposal to evaluation")
    ax_f.grid(axis="y", visible=False)
    if categories:
        items = categories.most_common()[::-1]
        cbars = ax_c.barh([k for k, _ in items], [v for _, v in items], color=style.TEST,
                          height=0.62)
        for bar, (_, value) in zip(cbars, items):
            ax_c.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {value}",
                      va="center", fontsize=8)
        ax_c.set_xlim(0, max(categories.values()) * 1.25)
        ax_c.grid(axis="y", visible=False)
    else:
        ax_c.text(0.5, 0.5, "no rejections", ha="center", va="center",
                  transform=ax_c.transAxes, color=style.MUTED)
        ax_c.set_axis_off()
    ax_c.set_title("rejections by category")
    fig.tight_layout()
    return style.to_png(fig)
