"""The inputs on which the source and its IR must agree, in value and in gradient.

The candidate's sandbox runs the *source* on them; the checker's sandbox runs the *IR* on
the same inputs (both regenerate them from the probe seed); the parent compares what the
two sent back (sandbox/agreement.py). Results travel as base64 float32, so the sizes are
fixed and checked.
"""

from __future__ import annotations

import base64
import math

import numpy as np
import torch

from .reasons import Category, Rejection

PROBE_SHAPES = ((7,), (3, 5), (2, 3, 4))  # odd shapes: the output must follow the input's
PROBE_SCALE = 4.0
RANGE = 50.0  # inputs an activation must handle
# Points where kinks and guards live (0, +-tiny, integers, halves): a gradient formula that
# differs from the source's usually differs exactly there.
SPECIAL = (0.0, -0.0, 1e-30, -1e-30, 1e-8, -1e-8, 1e-3, -1e-3, 0.5, -0.5, 1.5, -1.5,
           math.pi, -math.pi, math.pi / 2, -math.pi / 2, RANGE, -RANGE,
           *(float(i) for i in range(-10, 11)))
DENSE_SIZE = 4096


def shape_probes(seed: int) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=gen) * PROBE_SCALE for shape in PROBE_SHAPES]


def dense_probe(seed: int) -> torch.Tensor:
    """DENSE_SIZE float32 points: the special ones, then random ones at every scale."""
    gen = torch.Generator().manual_seed(seed ^ 0x5EED)
    n = DENSE_SIZE - len(SPECIAL)
    thirds = (n // 3, n // 3, n - 2 * (n // 3))
    normal = torch.randn(thirds[0], generator=gen, dtype=torch.float64) * PROBE_SCALE
    uniform = (torch.rand(thirds[1], generator=gen, dtype=torch.float64) * 2 - 1) * RANGE
    # log-uniform magnitudes from 1e-30 to RANGE, either sign
    logs = torch.rand(thirds[2], generator=gen, dtype=torch.float64) * (
        math.log10(RANGE) + 30) - 30
    signs = torch.where(torch.rand(thirds[2], generator=gen) < 0.5, -1.0, 1.0).double()
    points = torch.cat([torch.tensor(SPECIAL, dtype=torch.float64), normal, uniform,
                        signs * torch.pow(10.0, logs)])
    return points.float()


def value_and_grad(fn, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """fn(x) and d fn / dx elementwise (zeros where the output does not depend on x)."""
    leaf = x.detach().clone().requires_grad_(True)
    y = fn(leaf.clone())  # a non-leaf input, so in-place work on it stays legal autograd
    _check_output(x, y)
    if y.requires_grad:
        (grad,) = torch.autograd.grad(y.sum(), leaf, allow_unused=True)
    else:
        grad = None
    grad = torch.zeros_like(x) if grad is None else grad
    return y.detach(), grad.detach()


def report(fn, seed: int) -> dict:
    """What a sandbox sends back about fn: outputs on the shape probes, and value and
    gradient on the dense probe."""
    outputs = []
    for x in shape_probes(seed):
        with torch.no_grad():
            y = fn(x.clone())
        _check_output(x, y)
        outputs.append(encode(y))
    value, grad = value_and_grad(fn, dense_probe(seed))
    return {"probe_outputs": outputs, "dense_value": encode(value), "dense_grad": encode(grad)}


def _check_output(x, y) -> None:
    if type(y) is not torch.Tensor:
        raise Rejection(Category.FORBIDDEN,
                        f"activation must return a plain torch.Tensor, got {type(y).__name__}")
    if y.shape != x.shape or y.dtype != x.dtype:
        raise Rejection(Category.NOT_POINTWISE,
                        f"output shape/dtype {tuple(y.shape)}/{y.dtype} differs from input "
                        f"{tuple(x.shape)}/{x.dtype}")


def encode(t: torch.Tensor) -> str:
    return base64.b64encode(t.detach().float().contiguous().numpy().tobytes()).decode()


def decode(blob, count: int) -> np.ndarray | None:
    """count float32 values, or None when the blob is anything else."""
    if not isinstance(blob, str) or len(blob) > 8 * count + 16:
        return None
    try:
        raw = base64.b64decode(blob, validate=True)
    except ValueError:
        return None
    if len(raw) != 4 * count:
        return None
    return np.frombuffer(raw, dtype=np.float32).copy()
