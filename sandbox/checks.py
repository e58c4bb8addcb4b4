"""Numeric checks on the rebuilt IR (defence in depth), run in the checker's sandbox.

The IR is pointwise by construction; these checks catch mistakes in the allowlist, dtype
tricks the graph cannot carry faithfully (float-to-int casts, integer division and
powers), output that depends on an element's position (vectorised and scalar kernels
round differently, and an amplifier can make that visible), and numerically broken
functions (sandbox/singular.py). Agreement with the source is judged by the parent
(sandbox/agreement.py) on what sandbox/checker.py reports.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .ir import ActivationIR, Ref
from .probes import dense_probe
from .reasons import Category, Rejection
from .singular import check_finite

Activation = Callable[[torch.Tensor], torch.Tensor]
CAST_REASON = ("casting floats to integers is not allowed (out-of-range values are undefined "
               "and differ between CPU and GPU); use torch.round/floor/trunc, which keep the "
               "float dtype")
POSITION_TOLERANCE = 1e-4  # relative to max(1, |y|): far above a few ulps, far below a jump
SCALAR_CHUNK = 7  # shorter than any vector loop: every element takes the scalar path


def run_all(ir: ActivationIR, fn: Activation, seed: int) -> None:
    check_dtypes(ir)
    with torch.no_grad():
        check_types_and_shapes(fn)
        check_independence(fn)
        check_position(fn, seed)
        check_equivariance(fn)
        check_determinism(fn)
    check_finite(ir, fn, seed)


def check_dtypes(ir: ActivationIR) -> None:
    """Dtypes from a run on meta tensors (no data): no float->int casts, no integer
    division (by zero it raises, at training time) and no integer powers (a scalar loop)."""
    values = ir.to_callable().all_values(torch.empty(4, device="meta"))
    for i, node in enumerate(ir.nodes, start=1):
        out = values[i]
        name = node.op.split(".")[1]
        ins = [values[a.index] for a in node.args if isinstance(a, Ref)]
        if name == "_to_copy" and ins and ins[0].dtype.is_floating_point \
                and not out.dtype.is_floating_point and out.dtype != torch.bool:
            raise Rejection(Category.FORBIDDEN, CAST_REASON)
        integral = not out.dtype.is_floating_point and out.dtype != torch.bool
        if integral and (name in ("remainder", "fmod") or node.op.endswith("_mode")):
            raise Rejection(Category.FORBIDDEN,
                            "integer division or remainder is not allowed (a zero divisor "
                            "raises); divide floats")
        if integral and name == "pow":
            raise Rejection(Category.FORBIDDEN, "integer powers are not allowed (they run a "
                                                "slow scalar loop); use float tensors")


def check_types_and_shapes(fn: Activation) -> None:
    for shape in ((7,), (3, 5), (2, 3, 4), (1,), (0,)):
        x = torch.randn(shape)
        y = fn(x)
        if type(y) is not torch.Tensor or y.shape != x.shape or y.dtype != x.dtype:
            raise Rejection(Category.NOT_POINTWISE,
                            f"for an input of shape {shape} the output was "
                            f"{type(y).__name__} {tuple(getattr(y, 'shape', ()))} "
                            f"{getattr(y, 'dtype', '')}; it must match the input")


def check_independence(fn: Activation, draws: int = 2, n: int = 64) -> None:
    """Redraw a random half of the inputs: the other outputs must stay bit-identical."""
    gen = torch.Generator().manual_seed(1234)
    x = torch.randn(n, generator=gen) * 3
    y = fn(x)
    for _ in range(draws):
        subset = torch.rand(n, generator=gen) < 0.5
        x2 = torch.where(subset, torch.randn(n, generator=gen) * 3, x)
        y2 = fn(x2)
        same = ~subset
        if not torch.equal(y[same].nan_to_num(7.0), y2[same].nan_to_num(7.0)):
            raise Rejection(Category.NOT_POINTWISE,
                            "changing some inputs changed other outputs; each output may only "
                            "depend on its own input element")


def check_position(fn: Activation, seed: int, n: int = 512) -> None:
    """Each value alone in a short tensor (scalar kernels) against inside a long one
    (vectorised kernels): a function that amplifies their last-bit differences gives an
    output that depends on where an element sits."""
    x = dense_probe(seed)[:n]
    whole = fn(x)
    parts = torch.cat([fn(x[i:i + SCALAR_CHUNK]) for i in range(0, n, SCALAR_CHUNK)])
    at = _first_far(whole, parts)
    if at is not None:
        raise Rejection(Category.NOT_POINTWISE,
                        f"the output at x={x[at].item():g} depends on the element's position "
                        f"in the tensor ({whole[at].item():.6g} vs {parts[at].item():.6g}); "
                        f"it amplifies rounding differences between kernels, so keep slopes "
                        f"moderate and avoid remainder/round of large values")


def _first_far(a: torch.Tensor, b: torch.Tensor) -> int | None:
    both_nan = a.isnan() & b.isnan()
    scale = torch.maximum(a.abs(), b.abs()).nan_to_num(0.0).clamp_min(1.0)
    far = ~both_nan & ~((a - b).abs() <= POSITION_TOLERANCE * scale) & (a != b)
    idx = far.nonzero()
    return int(idx[0]) if idx.numel() else None


def check_equivariance(fn: Activation) -> None:
    gen = torch.Generator().manual_seed(99)
    x = torch.randn(24, generator=gen) * 3  # 16 vectorised elements and 8 in the tail
    y = fn(x)
    perm = torch.randperm(24, generator=gen)
    if _first_far(fn(x[perm]), y[perm]) is not None:
        raise Rejection(Category.NOT_POINTWISE, "permuting the inputs did not permute the outputs")
    if _first_far(fn(x.view(4, 6)).reshape(-1), y) is not None:
        raise Rejection(Category.NOT_POINTWISE, "reshaping the input changed the output values")


def check_determinism(fn: Activation) -> None:
    x = torch.linspace(-6, 6, 97)
    if not torch.equal(fn(x).nan_to_num(7.0), fn(x).nan_to_num(7.0)):
        raise Rejection(Category.NOT_POINTWISE, "two calls on the same input gave different outputs")
