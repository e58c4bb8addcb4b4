"""Short diagnostics of a function for the prompts: what its curve does beyond the box, and
where the lab says it fails.

The curve comes from the trusted IR, rebuilt with ``ActivationIR.to_callable()``; the
proposal's Python never runs here. The lab's figures come from the program's objectives
(score per task family, held-out validation). Every note is one short line a model can act
on, e.g. "for |x| > 5: tends to a constant (about +1.00 as x -> +inf, -1.00 as x -> -inf;
bounded)", "grows like |x|^2 beyond the box", "periodic ripple (period about 6.3)",
"worst family: harmonic (1.80x ReLU's error)".
"""

from __future__ import annotations

import math

import numpy as np
import torch
from actmine.sandbox.ir import ActivationIR

TAIL = (5.0, 50.0)  # "beyond the box": the lab's inputs and OOD bands lie well inside |x| < 5
POINTS = 901
OVERFIT_GAP = 0.3  # validation this much worse (in log ratio) than fitness: say so


def _values(ir: ActivationIR, xs: np.ndarray) -> np.ndarray | None:
    try:
        with torch.no_grad():
            ys = ir.to_callable()(torch.tensor(xs, dtype=torch.float32))
        ys = ys.detach().to(torch.float64).cpu().numpy().reshape(-1)
    except Exception:  # noqa: BLE001 - no diagnostics rather than no prompt
        return None
    return ys if ys.shape == xs.shape and np.all(np.isfinite(ys)) else None


def _ripple(xs: np.ndarray, residual: np.ndarray, scale: float) -> tuple[float, float] | None:
    """(period, amplitude) of an oscillation around the tail's linear trend, or None."""
    amplitude = float(residual.max() - residual.min()) / 2
    if amplitude < 1e-3 * scale:
        return None
    steps = np.diff(residual)
    moving = np.abs(steps) > 1e-9 * scale
    signs = np.sign(steps[moving])
    turns = np.flatnonzero(signs[1:] != signs[:-1])
    if len(turns) < 4:  # a parabola's residual turns once or twice; a ripple every half period
        return None
    where = xs[1:][moving][1:][turns]
    return 2 * float(np.mean(np.abs(np.diff(where)))), amplitude


def _num(value: float) -> str:
    return f"{round(value, 2) + 0.0:+.2f}"  # no "-0.00"


def _tail(xs: np.ndarray, ys: np.ndarray) -> tuple[str, str]:
    """(kind, phrase) of one tail: kind groups phrases that read the same on both sides."""
    scale = 1.0 + float(np.max(np.abs(ys)))
    fit = np.polyfit(xs, ys, 1)
    slope, level = float(fit[0]), float(np.mean(ys))
    rise = abs(slope) * abs(xs[-1] - xs[0])  # of the linear trend over the tail
    ripple = _ripple(xs, ys - np.polyval(fit, xs), scale)
    if ripple and rise < 2 * ripple[1] and ripple[1] > 0.1 * abs(level):
        return "periodic", f"oscillates (period about {ripple[0]:.2g}, amplitude {ripple[1]:.2g})"
    ripple_text = (f" with a periodic ripple (period about {ripple[0]:.2g}, amplitude "
                   f"{ripple[1]:.2g})" if ripple else "")
    if rise < 0.01 * (1 + abs(level)):
        return "constant", f"tends to a constant (about {_num(level)}; bounded){ripple_text}"
    far = np.abs(xs) >= 10
    mags = np.abs(ys[far])
    power = (float(np.polyfit(np.log(np.abs(xs[far])), np.log(mags), 1)[0])
             if np.all(mags > 1e-12) else 0.0)
    if power > 4:
        return "exponential", f"grows exponentially{ripple_text}"
    if power > 1.25:
        exponent = "x^2" if abs(power - 2) < 0.25 else f"|x|^{power:.1f}"
        return f"power{exponent}", f"grows like {exponent}{ripple_text}"
    if power > 0.75:
        return "linear", f"linear (slope {slope:+.2f}){ripple_text}"
    if power > 0.15:
        return "sublinear", f"grows slower than linearly (like |x|^{power:.1f}){ripple_text}"
    return "bounded", (f"levels off slowly (about {_num(ys[-1])} at |x| = {abs(xs[-1]):g})"
                      f"{ripple_text}")


def shape_notes(ir: ActivationIR) -> list[str]:
    """What the function does beyond the box, from its IR."""
    xs = np.linspace(*TAIL, POINTS)
    right, left = _values(ir, xs), _values(ir, -xs)
    if right is None or left is None:
        return []
    (kind_r, text_r), (kind_l, text_l) = _tail(xs, right), _tail(-xs, left)
    lo = f"{TAIL[0]:g}"
    if text_r == text_l or (kind_r == kind_l and kind_r in ("periodic", "exponential")):
        return [f"for |x| > {lo}: {text_r}"]
    if kind_r == kind_l == "constant" and "ripple" not in text_r + text_l:
        return [f"for |x| > {lo}: tends to a constant (about {_num(np.mean(right))} as x -> "
                f"+inf, {_num(np.mean(left))} as x -> -inf; bounded)"]
    return [f"for x > {lo}: {text_r}; for x < -{lo}: {text_l}"]


def lab_notes(families: dict[str, float], fitness: float | None,
              validation: float | None) -> list[str]:
    """Where the lab says it fails or shines, and whether held-out tasks agree."""
    notes = []
    scored = {k: v for k, v in families.items() if v is not None and math.isfinite(v)}
    worst = max(scored, key=scored.get, default=None)
    best = min(scored, key=scored.get, default=None)
    if worst is not None and scored[worst] - scored[best] > 0.05:  # a tie says nothing
        notes.append(f"worst family: {worst} ({math.exp(scored[worst]):.2f}x ReLU's error); "
                     f"best: {best} ({math.exp(scored[best]):.2f}x)")
    if validation is not None and fitness is not None and validation - fitness > OVERFIT_GAP:
        notes.append(f"held-out validation is worse than its lab fitness "
                     f"({math.exp(validation):.2f}x against {math.exp(fitness):.2f}x ReLU's "
                     f"error): it may be over-fitting the lab's tasks")
    return notes


def validation_text(validation: float | None) -> str:
    if validation is None:
        return "not measured (the lab holds no validation tasks, or it did not reach them)"
    return f"{validation:+.3f} (x{math.exp(validation):.2f} ReLU's out-of-distribution error)"


def notes_text(notes: list[str]) -> str:
    return "\n".join(f"- {note}" for note in notes) or "(none)"
