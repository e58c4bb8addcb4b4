"""What is admitted is what is trained: the IR must compute the source's values *and*
gradients (parent side).

Both reports come from sandboxes (sandbox/probes.py): the candidate's, which ran the
source, and the checker's, which ran the IR. Only fixed-size float32 arrays are compared
here, so this costs the parent microseconds whatever the candidate did.
"""

from __future__ import annotations

import numpy as np

from .probes import DENSE_SIZE, PROBE_SHAPES, decode, dense_probe
from .reasons import Category, Rejection

VALUE_TOLERANCE = (1e-4, 1e-5)  # (relative, absolute): float rounding of reordered ops
GRAD_TOLERANCE = (1e-3, 1e-4)


def compare(source: dict, replay: dict, seed: int) -> None:
    """Raise Rejection unless the source and the IR agree on every probe."""
    for i, shape in enumerate(PROBE_SHAPES):
        size = int(np.prod(shape))
        direct = _array(source, "probe_outputs", size, i, "the sandbox")
        rebuilt = _array(replay, "probe_outputs", size, i, "the checker")
        if _first_mismatch(direct, rebuilt, *VALUE_TOLERANCE) is not None:
            raise Rejection(Category.NOT_POINTWISE, TRACED_DIFFERS)
    direct = _array(source, "dense_value", DENSE_SIZE, None, "the sandbox")
    rebuilt = _array(replay, "dense_value", DENSE_SIZE, None, "the checker")
    at = _first_mismatch(direct, rebuilt, *VALUE_TOLERANCE)
    if at is not None:
        raise Rejection(Category.NOT_POINTWISE, f"{TRACED_DIFFERS} (at x={_x(seed, at):g}: "
                                                f"{direct[at]:g} called, {rebuilt[at]:g} traced)")
    direct = _array(source, "dense_grad", DENSE_SIZE, None, "the sandbox")
    rebuilt = _array(replay, "dense_grad", DENSE_SIZE, None, "the checker")
    at = _first_mismatch(direct, rebuilt, *GRAD_TOLERANCE)
    if at is not None:
        raise Rejection(Category.NOT_POINTWISE,
                        f"the gradient of the traced graph differs from the source's at "
                        f"x={_x(seed, at):g} ({rebuilt[at]:g} against {direct[at]:g}); "
                        f"write the function without gradient tricks")


TRACED_DIFFERS = ("the function behaves differently when traced than when called (hidden "
                  "state or trace detection); write plain tensor code")


def _array(report: dict, key: str, size: int, index: int | None, who: str) -> np.ndarray:
    blob = report.get(key) if isinstance(report, dict) else None
    if index is not None:
        blob = blob[index] if isinstance(blob, list) and len(blob) == len(PROBE_SHAPES) else None
    values = decode(blob, size)
    if values is None:
        raise Rejection(Category.CRASHED, f"{who} returned malformed probe outputs")
    return values


def _first_mismatch(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> int | None:
    with np.errstate(invalid="ignore", over="ignore"):
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        scale = np.maximum(np.abs(a), np.abs(b))
        close = np.isfinite(a) & np.isfinite(b) & (np.abs(a - b) <= atol + rtol * scale)
    bad = np.flatnonzero(~(same | close))
    return int(bad[0]) if bad.size else None


def _x(seed: int, index: int) -> float:
    return float(dense_probe(seed)[index])
