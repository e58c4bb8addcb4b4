"""Behavioural features of an activation, measured on its IR: the axes of the MAP-Elites grid.

    flops             FLOPs per element (sandbox/flops.py)
    slope_neg         least-squares slope on [-20, -10]  (0: ReLU-like, 1: linear, <0: bends up)
    slope_pos         least-squares slope on [10, 20]    (1: ReLU/GELU-like, 0: saturating)
    non_monotonicity  1 - |net change| / total variation on [-10, 10]  (0: monotone)
    turning_points    local extrema on [-10, 10]  (0 monotone, 1 GELU-like, many: periodic)

Measured in float64 on fixed grids with our own IR interpreter (the proposal's Python never
runs here), so a feature is a pure function of the canonical IR and can be stored once and
replayed. Non-finite outputs are clamped, so every feature is a finite number.
"""

from __future__ import annotations

import numpy as np

FEATURES = ("flops", "slope_neg", "slope_pos", "non_monotonicity", "turning_points")
LIMIT = 1e6  # features are clamped to [-LIMIT, LIMIT]


def measure(ir, flops: int | None = None) -> dict[str, float]:
    """All features of one IR (an ``actmine.sandbox.ir.ActivationIR``)."""
    import torch
    from actmine.sandbox.flops import flops_per_element

    fn = ir.to_callable()
    grids = {"neg": np.linspace(-20.0, -10.0, 201), "pos": np.linspace(10.0, 20.0, 201),
             "mid": np.linspace(-10.0, 10.0, 4001)}
    values = {}
    with torch.no_grad():
        for name, grid in grids.items():
            x = torch.from_numpy(grid)
            y = fn(x)
            y = torch.broadcast_to(torch.as_tensor(y), x.shape).to(torch.float64).numpy()
            values[name] = np.nan_to_num(y, nan=0.0, posinf=LIMIT, neginf=-LIMIT)
    mid = values["mid"]
    steps = np.diff(mid)
    variation = float(np.abs(steps).sum())
    features = {
        "flops": float(flops if flops is not None else flops_per_element(ir)),
        "slope_neg": _slope(grids["neg"], values["neg"]),
        "slope_pos": _slope(grids["pos"], values["pos"]),
        "non_monotonicity": 0.0 if variation == 0 else 1.0 - abs(mid[-1] - mid[0]) / variation,
        "turning_points": float(_turning_points(steps, np.abs(mid).max())),
    }
    return {k: float(np.clip(v, -LIMIT, LIMIT)) for k, v in features.items()}


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    xc = x - x.mean()
    return float((xc * (y - y.mean())).sum() / (xc * xc).sum())


def _turning_points(steps: np.ndarray, scale: float) -> int:
    tolerance = 1e-9 * (1.0 + scale)  # flat stretches (ReLU's left half) are not extrema
    signs = np.sign(steps[np.abs(steps) > tolerance])
    return int((signs[1:] != signs[:-1]).sum())
