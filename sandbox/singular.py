"""Finite everywhere on the input range, not only on a grid.

A function can be finite at every grid point and still be NaN or infinite on an interval
narrower than the grid's spacing: a division whose denominator crosses zero between two
points, a log whose argument dips below zero, a comparison that opens a one-ulp window.
Those places are where some IR node's *argument* reaches the op's singular set, so for
every such node we find where its argument crosses or touches that set, narrow each place
down to adjacent floats (bisection on the float32 bit pattern takes at most 32 steps), and
probe there and around. Output and slope must then be finite and bounded everywhere probed:
a value near float32's maximum is finite but overflows in the next layer.

Runs in the checker's sandbox (sandbox/checker.py), on the trusted, rebuilt IR.
"""

from __future__ import annotations

import math

import torch

from .ir import ActivationIR, Ref
from .probes import RANGE, SPECIAL, dense_probe
from .reasons import Category, Rejection

MAX_VALUE = 1e15  # |f(x)| on [-RANGE, RANGE]
MAX_SLOPE = 1e15  # |f'(x)| on [-RANGE, RANGE]
GRID = 20001
PER_NODE = 24  # places narrowed down per singular node
MAX_PLACES = 384
STEPS = 56  # ternary search from the grid spacing down to adjacent floats

_HALF_PI = math.pi / 2


def _distance(op: str, args: list) -> torch.Tensor | None:
    """Where the op is singular, discontinuous or overflows: zeros (or a sign change) of
    this function of its arguments. None for ops with no such place."""
    name = op.split(".")[1]
    a = args[0] if args else None
    b = args[1] if len(args) > 1 else None
    if name in ("div", "true_divide", "remainder", "fmod", "xlogy"):
        return b
    if name in ("reciprocal", "rsqrt", "sqrt", "log", "log2", "log10", "special_entr",
                "sign", "sgn", "abs", "relu", "heaviside", "signbit"):
        return a
    if name == "pow":
        return a if isinstance(a, torch.Tensor) else b  # base 0, or (c ** x) overflow
    if name in ("log1p", "special_xlog1py"):
        return (a if name == "log1p" else b) + 1
    if name in ("atanh", "asin", "acos", "erfinv"):
        return 1 - a.abs()
    if name == "acosh":
        return a - 1
    if name == "logit":
        return torch.minimum(a, 1 - a)
    if name in ("lgamma", "digamma"):
        return torch.where(a <= 0, a - torch.round(a), torch.ones_like(a))
    if name == "tan":
        return torch.cos(a)
    if name in ("atan2", "hypot"):
        return a.abs() + b.abs()
    if name in ("exp", "expm1", "sinh", "cosh", "exp2"):
        return (128.0 if name == "exp2" else 88.0) - a
    if name in ("eq", "ne", "lt", "le", "gt", "ge", "maximum", "minimum", "fmax", "fmin"):
        return a - b if isinstance(b, torch.Tensor | float | int) else None
    if name in ("floor", "ceil", "round", "trunc", "frac"):
        return a - torch.round(a)
    return None


def check_finite(ir: ActivationIR, fn, seed: int) -> None:
    base = torch.cat([torch.linspace(-RANGE, RANGE, GRID), torch.tensor(SPECIAL),
                      dense_probe(seed)]).sort().values
    x = torch.cat([base, _narrowed(ir, fn, base)])
    leaf = x.clone().requires_grad_(True)
    y = fn(leaf)
    if not y.requires_grad:
        raise Rejection(Category.FORBIDDEN, "the output carries no gradient (a constant, or "
                                            "detached from x); an activation must compute "
                                            "from its input")
    (grad,) = torch.autograd.grad(y.sum(), leaf)
    value = y.detach()
    _judge(x, value, "output", MAX_VALUE, "guard divisions and logs (e.g. torch.where or "
                                          "adding a small epsilon)")
    _judge(x, grad, "gradient", MAX_SLOPE, f"the function must be differentiable with "
                                           f"finite slope on [-{RANGE:g}, {RANGE:g}]")


def _judge(x: torch.Tensor, values: torch.Tensor, what: str, bound: float, hint: str) -> None:
    bad = ~torch.isfinite(values)
    if bad.any():
        at = x[bad][0].item()
        raise Rejection(Category.NON_FINITE, f"the {what} is not finite at x={at:.9g}; {hint}")
    big = values.abs() > bound
    if big.any():
        i = int(big.nonzero()[0])
        raise Rejection(Category.NON_FINITE,
                        f"the {what} reaches {values[i].item():.3g} at x={x[i].item():g}, over "
                        f"{bound:.0e} in magnitude; bound it (clamp the argument of exp or pow, "
                        f"keep denominators away from 0)")


# --------------------------------------------------------------- narrowing
def _key(x: torch.Tensor) -> torch.Tensor:
    """float32 -> int64 in the same order (adjacent floats are adjacent integers)."""
    bits = x.contiguous().view(torch.int32).to(torch.int64)
    return torch.where(bits >= 0, bits, -(bits & 0x7FFFFFFF))


def _unkey(k: torch.Tensor) -> torch.Tensor:
    bits = torch.where(k >= 0, k, (-k) | 0x80000000)  # the unsigned bit pattern
    signed = torch.where(bits >= 2**31, bits - 2**32, bits)
    return signed.to(torch.int32).view(torch.float32)


def _distances(ir: ActivationIR, fn, x: torch.Tensor) -> dict[int, torch.Tensor]:
    """Node index -> distance to its singular set at each x, for nodes that have one."""
    with torch.no_grad():
        values = fn.all_values(x)
    out = {}
    for i, node in enumerate(ir.nodes, start=1):
        args = [values[a.index] if isinstance(a, Ref) else a for a in node.args]
        try:
            d = _distance(node.op, args)
        except (TypeError, RuntimeError):
            continue
        if isinstance(d, torch.Tensor) and d.shape == x.shape and d.is_floating_point():
            out[i] = d.double()
    return out


def _narrowed(ir: ActivationIR, fn, base: torch.Tensor) -> torch.Tensor:
    """Probe points at and around every place where a node meets its singular set."""
    lo_all, hi_all, node_all, kind_all = [], [], [], []
    for node, d in _distances(ir, fn, base).items():
        d = torch.nan_to_num(d, nan=0.0)
        sign = (d[:-1] * d[1:] <= 0).nonzero().flatten()  # crossings: bisect
        mag = d.abs()
        dip = ((mag[1:-1] <= mag[:-2]) & (mag[1:-1] <= mag[2:])).nonzero().flatten() + 1
        for idx, kind, left, right in ((sign, 0, sign, sign + 1), (dip, 1, dip - 1, dip + 1)):
            if idx.numel() == 0:
                continue
            order = mag[idx].argsort()[:PER_NODE]
            lo_all.append(base[left[order]])
            hi_all.append(base[right[order]])
            node_all += [node] * len(order)
            kind_all += [kind] * len(order)
    if not lo_all:
        return torch.empty(0)
    lo, hi = _key(torch.cat(lo_all))[:MAX_PLACES], _key(torch.cat(hi_all))[:MAX_PLACES]
    nodes = torch.tensor(node_all[:MAX_PLACES])
    ternary = torch.tensor(kind_all[:MAX_PLACES]) == 1
    for _ in range(STEPS):
        if bool(((hi - lo) <= 2).all()):  # adjacent floats (the neighbours are probed too)
            break
        third = (hi - lo) // 3
        m1, m2, mid = lo + third, hi - third, (lo + hi) // 2
        pts = torch.cat([_unkey(m1), _unkey(m2), _unkey(mid)])
        d = _node_distance(ir, fn, pts, nodes.repeat(3)).view(3, -1)
        # bisection keeps the half with the sign change; ternary the half with the smaller |d|
        d_lo = _node_distance(ir, fn, _unkey(lo), nodes)
        left = torch.where(ternary, d[0].abs() < d[1].abs(), d_lo * d[2] <= 0)
        new_hi = torch.where(ternary, torch.where(left, m2, hi), torch.where(left, mid, hi))
        new_lo = torch.where(ternary, torch.where(left, lo, m1), torch.where(left, lo, mid))
        lo, hi = new_lo, torch.maximum(new_hi, new_lo)
    around = torch.arange(-3, 4)
    keys = torch.cat([(lo[:, None] + around).flatten(), (hi[:, None] + around).flatten()])
    points = _unkey(keys.clamp(_key(torch.tensor([-RANGE]))[0], _key(torch.tensor([RANGE]))[0]))
    gen = torch.Generator().manual_seed(7)
    centre = _unkey(lo).repeat(8)
    jitter = centre + torch.randn(centre.shape, generator=gen) * 1e-4 * (1 + centre.abs())
    return torch.cat([points, jitter.clamp(-RANGE, RANGE)])


def _node_distance(ir: ActivationIR, fn, x: torch.Tensor, nodes: torch.Tensor) -> torch.Tensor:
    """Distance of node nodes[j] at x[j]."""
    table = _distances(ir, fn, x)
    out = torch.zeros(x.shape, dtype=torch.float64)
    for node, d in table.items():
        mask = nodes == node
        out[mask] = d[mask]
    return torch.nan_to_num(out, nan=0.0)
