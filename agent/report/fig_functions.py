"""The top functions and their first derivatives beside ReLU, GELU and GELU-Sinc-Perturbation.

Derivatives come from autograd on the rebuilt IR (our own trusted interpreter), so they
are exact where the function is differentiable; a function whose graph has no gradient
falls back to central differences.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from . import style

X_RANGE = (-8.0, 8.0)
POINTS = 1201


def gelu_sinc_perturbation(x: torch.Tensor) -> torch.Tensor:
    """The paper's GSP: GELU(x) * (1 + 0.5 sinc(x)), normalised sinc."""
    return F.gelu(x) * (1.0 + 0.5 * torch.sinc(x))


REFERENCE_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "ReLU": torch.relu,
    "GELU": F.gelu,
    "GELU-Sinc-Perturbation": gelu_sinc_perturbation,
}


def curve(fn, x_range=X_RANGE, points: int = POINTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, f(x), f'(x) as float64 arrays; non-finite values become NaN (gaps in the plot)."""
    x = torch.linspace(*x_range, points, dtype=torch.float64, requires_grad=True)
    xs = x.detach().numpy()
    try:
        y = fn(x)
        (grad,) = torch.autograd.grad(y.sum(), x, allow_unused=True)
        ys = y.detach().double().numpy()
        dy = grad.double().numpy() if grad is not None else np.zeros_like(xs)
    except RuntimeError:  # an op without a derivative formula: differentiate numerically
        with torch.no_grad():
            ys = fn(x.detach()).double().numpy()
        dy = np.gradient(ys, xs)
    ys = np.where(np.isfinite(ys), ys, np.nan)
    dy = np.where(np.isfinite(dy), dy, np.nan)
    return xs, ys, dy


def _limits(arrays: list[np.ndarray], floor: tuple[float, float],
            cap: tuple[float, float]) -> tuple[float, float]:
    """A y-range that shows the shapes near the origin, not one exploding tail: at least
    ``floor``, at most ``cap`` (a function leaving the frame is still seen leaving it)."""
    values = np.concatenate([a[np.isfinite(a)] for a in arrays] or [np.zeros(1)])
    lo, hi = np.percentile(values, [2, 98]) if values.size else floor
    lo = max(min(lo, floor[0]), cap[0])
    hi = min(max(hi, floor[1]), cap[1])
    pad = 0.06 * (hi - lo)
    return float(lo - pad), float(hi + pad)


def functions_figure(functions: list[tuple[str, Callable]]) -> bytes:
    """``functions``: (legend label, torch callable) for the top programs, best first."""
    fig, axes = style.figure(1, 2, height=3.9)
    ax_f, ax_d = axes[0]
    values, slopes = [], []
    for name, fn in REFERENCE_FUNCTIONS.items():
        colour, dash = style.REFERENCES[name]
        xs, ys, dy = curve(fn)
        ax_f.plot(xs, ys, color=colour, linestyle=dash, linewidth=1.3, label=name)
        ax_d.plot(xs, dy, color=colour, linestyle=dash, linewidth=1.3)
    for i, (label, fn) in enumerate(functions):
        try:
            xs, ys, dy = curve(fn)
        except Exception:  # noqa: BLE001 - one IR that fails in float64 must not sink the page
            continue
        colour = style.RANKED[i % len(style.RANKED)]
        width = 2.4 if i == 0 else 1.6
        ax_f.plot(xs, ys, color=colour, linewidth=width, label=label, zorder=3 + len(functions) - i)
        ax_d.plot(xs, dy, color=colour, linewidth=width, zorder=3 + len(functions) - i)
        values.append(ys)
        slopes.append(dy)
    ax_f.set_ylim(*_limits(values, (-1.5, 8.0), (-6.0, 14.0)))
    ax_d.set_ylim(*_limits(slopes, (-0.5, 1.5), (-2.0, 3.5)))
    ax_f.set_title("activation f(x)")
    ax_d.set_title("first derivative f'(x)")
    for ax in (ax_f, ax_d):
        ax.set_xlim(*X_RANGE)
        ax.set_xlabel("x")
        ax.axhline(0, color="#BBBBBB", linewidth=0.8, zorder=1)
        ax.axvline(0, color="#BBBBBB", linewidth=0.8, zorder=1)
    handles, labels = ax_f.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, bbox_to_anchor=(0.5, -0.02 - 0.045 *
               ((len(labels) + 2) // 3)), handlelength=2.6)
    fig.tight_layout()
    return style.to_png(fig)
