"""Faster training kernels for a few IR ops whose stock CPU kernels are pathologically slow.

The lab trains on ``ir.to_callable(TRAINING_KERNELS)``: each entry computes the same
function as the ATen op it replaces (to float32 rounding; ``tests/evaluators/test_kernels.py``
checks values and gradients against the stock op), built only from fast arithmetic kernels.
Measured on the lab's activation tensors (36 x 256 x 64 float32, one thread), forward plus
backward, stock op -> override: ``sinc`` about 12 -> 5 ms (torch's is a scalar loop),
``maximum``/``minimum`` about 11 -> 3 ms (their backward goes through ``where``/``masked_fill``,
which are several times slower than arithmetic on this build). Admission, FLOP counting and
export still use the stock ops: this only changes how fast the lab trains.
"""

from __future__ import annotations

import math

import torch

# Added to y in sin(y)/y with y's sign: the smallest normal number of y's dtype (a fixed
# 1e-30 is 0 in float16, and 0/0 is NaN). It moves y = +-0 to +-tiny, where sin(tiny)/tiny
# == 1, leaves every |y| above tiny * 2**mantissa bits bit-exact (and the rest within
# rounding of sinc near 1), and keeps inf and NaN as they are, so a diverging network
# still shows up as non-finite.


class _Sinc(torch.autograd.Function):
    """sin(pi x) / (pi x), 1 at 0; derivative pi (cos(pi x) - sinc(x)) / (pi x), 0 at 0."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        # float16/bfloat16 compute in float32, as ATen's kernels do (rounding each step in
        # half precision puts the gradient ten ulps off the stock op's).
        y = x.to(_compute_dtype(x)) * math.pi
        tiny = torch.finfo(y.dtype).tiny
        y = y + torch.copysign(torch.full((), tiny, dtype=y.dtype, device=y.device), y)
        out = torch.sin(y) / y
        ctx.save_for_backward(y, out)
        return out.to(x.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        y, out = ctx.saved_tensors
        return (grad.to(y.dtype) * ((torch.cos(y) - out) / y * math.pi)).to(grad.dtype)


def _compute_dtype(x: torch.Tensor) -> torch.dtype:
    return torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype


def sinc(x: torch.Tensor) -> torch.Tensor:
    return _Sinc.apply(x)


class _Extremum(torch.autograd.Function):
    """max(a, b) (sign=1) or min(a, b) (sign=-1); at ties the gradient is split in half,
    as ATen does. The selection weight is (sign(a - b) + 1) / 2: pure arithmetic."""

    @staticmethod
    def forward(ctx, a: torch.Tensor, b: torch.Tensor, sign: int) -> torch.Tensor:
        ctx.save_for_backward(a, b)
        ctx.sign = sign
        return torch.maximum(a, b) if sign > 0 else torch.minimum(a, b)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        a, b = ctx.saved_tensors
        diff = (a - b) if ctx.sign > 0 else (b - a)
        weight_a = (torch.sign(diff) + 1.0) * 0.5
        grad_a = grad * weight_a
        grad_b = grad - grad_a
        return _reduce(grad_a, a), _reduce(grad_b, b), None


def _reduce(grad: torch.Tensor, like: torch.Tensor) -> torch.Tensor | None:
    """Sum a broadcast gradient back to the shape of the input it belongs to."""
    if not like.requires_grad:
        return None
    return grad if grad.shape == like.shape else grad.sum_to_size(like.shape)


def maximum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return _Extremum.apply(a, b, 1)


def minimum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return _Extremum.apply(a, b, -1)


TRAINING_KERNELS = {
    "aten.sinc.default": sinc,
    "aten.maximum.default": maximum,
    "aten.minimum.default": minimum,
}
