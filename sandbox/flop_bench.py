"""Every op in the FLOP table timed against its charge, relative to GELU (12 FLOPs).

``actmine bench flops`` prints the rows. A row's *measured* cost is the op's time over
GELU's, times 12; its *ratio* is measured over charged, so 1 means the table is right and
3 means the op runs three times longer than it is charged for. Timed on one thread on a
cache-resident float32 tensor (16K elements by default): the table charges arithmetic, and
on large tensors every cheap op is bound by memory instead. Ratios are never asserted in
tests (shared machines are noisy); tests only check that every op has a recipe.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from .optable import GELU_TANH, POW_GENERAL, POW_SPECIAL, WEIGHTS, weight_table

A = torch.ops.aten
GELU_FLOPS = 12


@dataclass(frozen=True)
class Inputs:
    x: torch.Tensor  # any real
    pos: torch.Tensor  # > 0
    unit: torch.Tensor  # in (-1, 1)
    prob: torch.Tensor  # in (0, 1)
    above_one: torch.Tensor  # > 1
    mask: torch.Tensor  # bool
    not_mask: torch.Tensor

    @classmethod
    def make(cls, size: int) -> Inputs:
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(size, generator=gen) * 3
        return cls(x, x.abs() + 0.1, torch.tanh(x) * 0.99, torch.sigmoid(x), x.abs() + 1.1,
                   x > 0, x <= 0)


Recipe = Callable[[Inputs], object]


def _on(op, *inputs, **kwargs) -> Recipe:
    """op called on the named fields of Inputs (other positional values passed as is)."""
    def call(i: Inputs):
        return op(*(getattr(i, a) if isinstance(a, str) else a for a in inputs), **kwargs)
    return call


def _overload(packet: str):
    ops = getattr(A, packet)
    return ops.Tensor if "Tensor" in ops.overloads() else ops.default


_UNARY = ("abs neg relu sign sgn signbit floor ceil trunc frac round square deg2rad rad2deg "
          "exp exp2 expm1 sin cos tan atan sinh cosh tanh sigmoid erf erfc elu celu selu "
          "silu softplus mish sinc lgamma i0 special_i0e special_i1 special_i1e special_erfcx "
          "special_log_ndtr digamma asinh isnan isinf isfinite isposinf isneginf clone "
          "zeros_like ones_like positive alias detach nan_to_num hardsigmoid hardshrink "
          "softshrink leaky_relu hardtanh gelu").split()
_POSITIVE = "log log2 log10 log1p sqrt rsqrt reciprocal special_entr".split()
_UNIT = "asin acos atanh erfinv".split()
_BINARY = ("add sub mul div true_divide minimum maximum fmin fmax copysign atan2 hypot fmod "
           "remainder xlogy special_xlog1py logaddexp logaddexp2 heaviside eq ne lt le gt "
           "ge").split()
_LOGICAL = "logical_and logical_or logical_xor bitwise_and bitwise_or bitwise_xor".split()
_CASTS = (("x", "float64"), ("x", "float16"), ("x", "bfloat16"), ("x", "bool"),
          ("mask", "float32"))


def recipes() -> dict[str, list[tuple[str, Recipe]]]:
    """Table entry -> (variant, call) pairs; every variant is charged the entry's weight."""
    table: dict[str, list[tuple[str, Recipe]]] = {}
    for names, inputs in ((_UNARY, ("x",)), (_POSITIVE, ("pos",)), (_UNIT, ("unit",)),
                          (_BINARY, ("x", "pos")), (_LOGICAL, ("mask", "not_mask"))):
        for name in names:
            table[name] = [("", _on(_overload(name), *inputs))]
    table |= {
        "logical_not": [("", _on(A.logical_not.default, "mask"))],
        "bitwise_not": [("", _on(A.bitwise_not.default, "mask"))],
        "rsub": [("", _on(A.rsub.Scalar, "x", 1.0))],
        "min": [("", _on(A.min.other, "x", "pos"))],
        "max": [("", _on(A.max.other, "x", "pos"))],
        "acosh": [("", _on(A.acosh.default, "above_one"))],
        "logit": [("", _on(A.logit.default, "prob"))],
        "gelu_tanh": [("", _on(A.gelu.default, "x", approximate="tanh"))],
        "clamp": [("", _on(A.clamp.default, "x", -1.0, 1.0))],
        "clip": [("", _on(A.clip.default, "x", -1.0, 1.0))],
        "clamp_min": [("", _on(A.clamp_min.default, "x", 0.0))],
        "clamp_max": [("", _on(A.clamp_max.default, "x", 0.0))],
        "threshold": [("", _on(A.threshold.default, "x", 0.5, 0.0))],
        "where": [("", _on(A.where.self, "mask", "x", "pos"))],
        "masked_fill": [("", _on(A.masked_fill.Scalar, "x", "mask", 1.0))],
        "lerp": [("", _on(A.lerp.Tensor, "x", "pos", "prob"))],
        "addcmul": [("", _on(A.addcmul.default, "x", "x", "pos"))],
        "addcdiv": [("", _on(A.addcdiv.default, "x", "x", "pos"))],
        "full_like": [("", _on(A.full_like.default, "x", 2.0))],
        "scalar_tensor": [("", _on(A.scalar_tensor.default, 2.0))],
        "full": [("", _on(A.full.default, [], 2.0))],
        "_to_copy": [(f"{'bool' if src == 'mask' else 'float32'}->{dtype}",
                      _on(A._to_copy.default, src, dtype=getattr(torch, dtype)))
                     for src, dtype in _CASTS],
        "pow_general": [("x ** 4", _on(A.pow.Tensor_Scalar, "x", 4)),
                        ("x ** 2.5", _on(A.pow.Tensor_Scalar, "pos", 2.5)),
                        ("x ** -3", _on(A.pow.Tensor_Scalar, "pos", -3)),
                        ("x ** y", _on(A.pow.Tensor_Tensor, "pos", "unit")),
                        ("2 ** x", _on(A.pow.Scalar, 2.0, "x"))],
    }
    table["pow"] = table["pow_general"]
    for exponent in POW_SPECIAL:
        base = "pos" if exponent < 0 or exponent != int(exponent) else "x"
        table[f"pow_{exponent:g}"] = [("", _on(A.pow.Tensor_Scalar, base, exponent))]
    return table


def charges() -> dict[str, int]:
    table = weight_table()
    table.update({"gelu_tanh": GELU_TANH, "pow_general": POW_GENERAL, "pow": WEIGHTS["pow"]})
    return table


@dataclass(frozen=True)
class Row:
    op: str
    variant: str
    charge: int
    measured: float  # GELU-equivalent FLOPs: time / GELU's time * 12

    @property
    def ratio(self) -> float:
        """measured / charge; for free ops, measured against one FLOP."""
        return self.measured / max(self.charge, 1)

    def to_dict(self) -> dict:
        return {"op": self.op, "variant": self.variant, "charge": self.charge,
                "measured": round(self.measured, 2), "ratio": round(self.ratio, 2)}


def measure(size: int = 16384, rounds: int = 5, target_s: float = 0.002,
            progress: Callable[[int, int], None] | None = None) -> list[Row]:
    """One row per variant of every table entry, slowest relative to its charge first."""
    inputs = Inputs.make(size)
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        table, costs = recipes(), charges()
        rows = []
        for done, (op, variants) in enumerate(sorted(table.items()), start=1):
            for variant, call in variants:
                gelu = _time(lambda: A.gelu.default(inputs.x), rounds, target_s)
                own = _time(lambda call=call: call(inputs), rounds, target_s)
                rows.append(Row(op, variant, costs[op], own / gelu * GELU_FLOPS))
            if progress is not None:
                progress(done, len(table))
    finally:
        torch.set_num_threads(saved)
    return sorted(rows, key=lambda r: -r.ratio)


def _time(call: Callable[[], object], rounds: int, target_s: float) -> float:
    """Seconds per call: the best of `rounds` rounds of enough calls to last target_s."""
    call()
    started = time.perf_counter()
    call()
    once = max(time.perf_counter() - started, 1e-7)
    reps = max(1, min(10_000, int(target_s / once)))
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(reps):
            call()
        best = min(best, (time.perf_counter() - started) / reps)
    return best
