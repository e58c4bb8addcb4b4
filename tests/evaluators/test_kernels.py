"""The lab's faster training kernels compute the stock ops' values and gradients."""

from __future__ import annotations

import math

import pytest
import torch
from actmine.evaluators.kernels import TRAINING_KERNELS, maximum, minimum, sinc
from actmine.evaluators.lab import training_callable
from actmine.sandbox.ir import ActivationIR

pytestmark = pytest.mark.fast  # make test-fast


def _grid() -> torch.Tensor:
    x = torch.linspace(-6, 6, 20001)
    return torch.cat([x, torch.tensor([0.0, -0.0, 1e-30, -1e-6, 1e-3, 2.0, -3.0])])


def test_sinc_matches_torch_and_is_nan_free_at_zero():
    x = _grid().requires_grad_(True)
    ours, ref = sinc(x), torch.sinc(x)
    torch.testing.assert_close(ours, ref, rtol=1e-6, atol=1e-6)
    (g_ours,) = torch.autograd.grad(ours.sum(), x)
    (g_ref,) = torch.autograd.grad(torch.sinc(x).sum(), x)
    assert torch.isfinite(g_ours).all()
    torch.testing.assert_close(g_ours, g_ref, rtol=1e-3, atol=1e-3)
    zero = torch.zeros(1, requires_grad=True)
    (g0,) = torch.autograd.grad(sinc(zero).sum(), zero)
    assert sinc(zero).item() == 1.0 and g0.item() == 0.0
    # inf and NaN stay non-finite: a diverging network must still look diverged.
    assert torch.isnan(sinc(torch.tensor([math.inf, math.nan]))).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_sinc_agrees_with_the_stock_op_in_every_dtype(dtype):
    """A fixed 1e-30 guard underflows to 0 in float16 (sinc(0) was 0/0 = NaN there)."""
    x = _grid().to(dtype)
    ours, ref = sinc(x), torch.sinc(x)
    assert ours.dtype == dtype and torch.isfinite(ours).all()
    eps = torch.finfo(dtype).eps
    torch.testing.assert_close(ours.double(), ref.double(), rtol=2 * eps, atol=2 * eps)
    assert sinc(torch.zeros(1, dtype=dtype)).item() == 1.0
    # Gradients against float64 truth: the stock backward rounds every step in half
    # precision (tens of ulps off); ours computes in float32 like ATen's forward kernels.
    leaf = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(sinc(leaf).sum(), leaf)
    x64 = x.double().requires_grad_(True)
    (truth,) = torch.autograd.grad(torch.sinc(x64).sum(), x64)
    assert grad.dtype == dtype and torch.isfinite(grad).all()
    tol = max(4 * eps, 1e-4)  # cos(y) - sinc(y) cancels near 0 in the wider dtypes
    torch.testing.assert_close(grad.double(), truth, rtol=tol, atol=tol)


@pytest.mark.parametrize("ours,ref", [(maximum, torch.maximum), (minimum, torch.minimum)])
def test_extrema_match_torch_including_broadcast_and_ties(ours, ref):
    a = torch.randn(4, 5, requires_grad=True)
    b = torch.randn(4, 5, requires_grad=True)
    c = torch.tensor(0.1, requires_grad=True)  # a 0-d constant, as IR scalar_tensor nodes are
    pairs = (lambda: (a, b), lambda: (a, c), lambda: (c, a), lambda: (a, a * 1.0))
    for pair in pairs:
        left, right = pair()
        torch.testing.assert_close(ours(left, right), ref(left, right))
        left, right = pair()
        grads = torch.autograd.grad(ours(left, right).square().sum(), (a, b, c), allow_unused=True)
        left, right = pair()
        want = torch.autograd.grad(ref(left, right).square().sum(), (a, b, c), allow_unused=True)
        for g, w in zip(grads, want):
            if w is None:
                assert g is None or not g.any()
            else:
                torch.testing.assert_close(g, w)


def test_the_lab_uses_the_kernels_and_they_are_allowed_ops():
    ir = ActivationIR.from_dict({"version": 1, "nodes": [
        {"op": "aten.sinc.default", "args": [{"ref": 0}], "kwargs": {}},
        {"op": "aten.maximum.default", "args": [{"ref": 0}, {"ref": 1}], "kwargs": {}}],
        "output": {"ref": 2}})
    x = _grid()
    torch.testing.assert_close(training_callable(ir)(x), ir.to_callable()(x))
    for op in TRAINING_KERNELS:
        assert op.startswith("aten.")
