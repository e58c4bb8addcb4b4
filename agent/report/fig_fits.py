"""The best function on the lab: each task's fit over its training and test ranges (like the
paper's Figure 2), and where its pre-activations fall after training."""

from __future__ import annotations

import math

import numpy as np

from . import style
from .fig_functions import curve
from .retrain import FitResult, TaskFit

COLS = 4


def _array(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def fits_figure(fit: FitResult, reference: FitResult) -> bytes:
    """One panel per lab task: ``fit`` (the best function) against ``reference`` (ReLU)."""
    rows = math.ceil(len(fit.tasks) / COLS)
    cols = min(COLS, len(fit.tasks))
    fig, axes = style.figure(rows, cols, height=2.45 * rows + 0.5)
    for ax in axes.flat[len(fit.tasks):]:
        ax.set_visible(False)
    for ax, task, ref in zip(axes.flat, fit.tasks, reference.tasks):
        _task_panel(ax, task, ref)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels),
               bbox_to_anchor=(0.5, -0.045 / rows))
    # Fixed margins instead of tight_layout: one draw fewer on the report's slowest figure.
    fig.subplots_adjust(left=0.05, right=0.99, top=1 - 0.32 / fig.get_figheight(),
                        bottom=0.45 / fig.get_figheight(), wspace=0.22, hspace=0.42)
    return style.to_png(fig)


def _task_panel(ax, task: TaskFit, ref: TaskFit) -> None:
    grid, truth = _array(task.grid), _array(task.truth)
    ax.axvspan(*task.train_range, color=style.TRAIN, alpha=0.10, linewidth=0,
               label="training range")
    for i, band in enumerate(task.test_bands):
        ax.axvspan(*band, color=style.TEST, alpha=0.14, linewidth=0,
                   label="test range (OOD)" if i == 0 else None)
    if task.samples:
        ax.scatter(task.samples["x_train"], _array(task.samples["y_train"]), s=4,
                   color=style.TRAIN, alpha=0.55, linewidths=0, zorder=2)
        ax.scatter(task.samples["x_test"], _array(task.samples["y_test"]), s=4,
                   color=style.TEST, alpha=0.7, linewidths=0, zorder=2)
    ax.plot(grid, truth, color=style.TRUTH, linewidth=1.3, label="truth", zorder=3)
    relu_colour = style.REFERENCES["ReLU"][0]
    ax.plot(grid, _array(ref.prediction), color=relu_colour, linestyle=(0, (4, 2)), linewidth=1.3,
            label="ReLU network", zorder=4)
    ax.plot(grid, _array(task.prediction), color=style.BEST, linewidth=1.8, label="best function",
            zorder=5)
    finite = truth[np.isfinite(truth)]
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        pad = 0.35 * (hi - lo or 1.0)
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(float(grid[0]), float(grid[-1]))
    title = task.name if task.n_inputs == 1 else f"{task.name} (all {task.n_inputs} inputs = t)"
    ax.set_title(title, fontsize=9)
    ax.text(0.02, 0.97, f"{task.formula}\nOOD MSE {task.test_mse:.3g} vs ReLU {ref.test_mse:.3g}",
            transform=ax.transAxes, va="top", ha="left", fontsize=7.2, color="#333333",
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.5},
            zorder=6)
    ax.tick_params(labelsize=7.5)
    ax.locator_params(nbins=5)


def preactivation_figure(fit: FitResult, fn, label: str) -> bytes:
    """Histogram of hidden pre-activations (train vs test inputs) under the function's curve."""
    edges = np.asarray(fit.hist_edges, dtype=float)
    fig, axes = style.figure(1, 1, height=3.2)
    ax = axes[0][0]
    widths = np.diff(edges)
    for counts, colour, name in ((fit.hist_train, style.TRAIN, "training inputs"),
                                 (fit.hist_test, style.TEST, "test inputs (OOD)")):
        counts = np.asarray(counts, dtype=float)
        density = counts / max(counts.sum(), 1.0) / widths
        ax.stairs(density, edges, fill=True, color=colour, alpha=0.35, label=name)
        ax.stairs(density, edges, color=colour, linewidth=1.2)
    ax.set_xlabel("pre-activation (input of the activation, all hidden layers; central 99%)")
    ax.set_ylabel("density")
    ax.set_xlim(edges[0], edges[-1])
    twin = ax.twinx()
    xs, ys, _ = curve(fn, (float(edges[0]), float(edges[-1])), 400)
    twin.plot(xs, ys, color=style.BEST, linewidth=2.0, label=label)
    twin.set_ylabel("f(x)", color=style.BEST)
    twin.tick_params(axis="y", colors=style.BEST)
    twin.grid(False)
    twin.spines["right"].set_visible(True)
    lines = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left")
    ax.set_title(f"pre-activations of the best function after training (seed {fit.seed})")
    fig.tight_layout()
    return style.to_png(fig)
