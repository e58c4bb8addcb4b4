"""Numeric checks on the rebuilt IR, in the trusted parent (defence in depth).

The IR is pointwise by construction; these checks catch mistakes in the allowlist, trace
detection (the IR must agree with the direct call made in the sandbox), and numerically
broken functions (NaN at 0, exploding gradients on the probe range).
"""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Callable

import numpy as np
import torch

from .reasons import Category, Rejection

PROBE_SHAPES = ((7,), (3, 5), (2, 3, 4))  # must match sandbox/child.py
PROBE_SCALE = 4.0
FINITE_RANGE = 50.0

Activation = Callable[[torch.Tensor], torch.Tensor]


def probe_inputs(seed: int) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=gen) * PROBE_SCALE for shape in PROBE_SHAPES]


def run_all(fn: Activation, probe_seed: int, probe_outputs: list[str]) -> None:
    with single_threaded():
        with torch.no_grad():
            check_types_and_shapes(fn)
            check_agrees_with_direct_call(fn, probe_seed, probe_outputs)
            check_independence(fn)
            check_equivariance(fn)
            check_determinism(fn)
        check_finite(fn)


_threads_lock = threading.Lock()
_threads_users = 0
_threads_saved = 1


@contextlib.contextmanager
def single_threaded():
    """Run the tiny check tensors on one intra-op thread. Some kernels (gelu) open an
    OpenMP region even for 7 elements; on a busy machine each region waits for a second
    core, measured at ~10 ms a call against 0.1 ms on one thread. Reference-counted, so
    concurrent admissions restore the caller's setting only when the last one leaves."""
    global _threads_users, _threads_saved
    with _threads_lock:
        if _threads_users == 0:
            _threads_saved = torch.get_num_threads()
            torch.set_num_threads(1)
        _threads_users += 1
    try:
        yield
    finally:
        with _threads_lock:
            _threads_users -= 1
            if _threads_users == 0:
                torch.set_num_threads(_threads_saved)


def check_types_and_shapes(fn: Activation) -> None:
    for shape in ((7,), (3, 5), (2, 3, 4), (1,), (0,)):
        x = torch.randn(shape)
        y = fn(x)
        if type(y) is not torch.Tensor or y.shape != x.shape or y.dtype != x.dtype:
            raise Rejection(Category.NOT_POINTWISE,
                            f"for an input of shape {shape} the output was "
                            f"{type(y).__name__} {tuple(getattr(y, 'shape', ()))} "
                            f"{getattr(y, 'dtype', '')}; it must match the input")


def check_agrees_with_direct_call(fn: Activation, seed: int, encoded: list[str]) -> None:
    if len(encoded) != len(PROBE_SHAPES):
        raise Rejection(Category.CRASHED, "the sandbox returned malformed probe outputs")
    for x, blob in zip(probe_inputs(seed), encoded):
        direct = np.frombuffer(base64.b64decode(blob), dtype=np.float32)
        if direct.size != x.numel():
            raise Rejection(Category.NOT_POINTWISE, "the direct call returned the wrong size")
        replay = fn(x).reshape(-1)
        expected = torch.from_numpy(direct.copy())
        if not torch.allclose(replay, expected, rtol=1e-4, atol=1e-5, equal_nan=True):
            raise Rejection(Category.NOT_POINTWISE,
                            "the function behaves differently when traced than when called "
                            "(hidden state or trace detection); write plain tensor code")


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
    # One element at a time must give the batched values (up to vectorisation rounding).
    idx = torch.randperm(n, generator=gen)[:16]
    singles = torch.stack([fn(x[i : i + 1])[0] for i in idx.tolist()])
    if not torch.allclose(singles, y[idx], rtol=1e-5, atol=1e-6, equal_nan=True):
        raise Rejection(Category.NOT_POINTWISE,
                        "evaluating one element alone gives a different value than in a batch")


def check_equivariance(fn: Activation) -> None:
    gen = torch.Generator().manual_seed(99)
    x = torch.randn(24, generator=gen) * 3
    y = fn(x)
    perm = torch.randperm(24, generator=gen)
    if not torch.allclose(fn(x[perm]), y[perm], rtol=1e-5, atol=1e-6, equal_nan=True):
        raise Rejection(Category.NOT_POINTWISE, "permuting the inputs did not permute the outputs")
    if not torch.allclose(fn(x.view(4, 6)), y.view(4, 6), rtol=1e-5, atol=1e-6, equal_nan=True):
        raise Rejection(Category.NOT_POINTWISE, "reshaping the input changed the output values")


def check_determinism(fn: Activation) -> None:
    x = torch.linspace(-6, 6, 97)
    if not torch.equal(fn(x).nan_to_num(7.0), fn(x).nan_to_num(7.0)):
        raise Rejection(Category.NOT_POINTWISE, "two calls on the same input gave different outputs")


def check_finite(fn: Activation) -> None:
    grid = torch.cat([
        torch.linspace(-FINITE_RANGE, FINITE_RANGE, 4001),
        torch.tensor([0.0, 1e-8, -1e-8, 1e-30, -1e-30, 1e-3, -1e-3]),
    ])
    x = grid.clone().requires_grad_(True)
    y = fn(x)
    bad = ~torch.isfinite(y)
    if bad.any():
        where = x[bad][0].item()
        raise Rejection(Category.NON_FINITE,
                        f"the output is not finite at x={where:g}; guard divisions and logs "
                        f"(e.g. torch.where or adding a small epsilon)")
    if not y.requires_grad:
        raise Rejection(Category.FORBIDDEN,
                        "the output does not depend on x (a constant); an activation must "
                        "compute from its input")
    (grad,) = torch.autograd.grad(y.sum(), x)
    bad = ~torch.isfinite(grad)
    if bad.any():
        where = x[bad][0].item()
        raise Rejection(Category.NON_FINITE,
                        f"the gradient is not finite at x={where:g}; the function must be "
                        f"differentiable with finite slope on [-{FINITE_RANGE:g}, {FINITE_RANGE:g}]")
