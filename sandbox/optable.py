"""Which ATen ops an activation IR may contain, and what each costs per element.

This table is the trust base of admission: an op is allowed only if it is *named here with
a weight* and PyTorch itself tags it ``pointwise`` (functional, deterministic). An op that
is tagged pointwise but missing from the table is refused, never given a guessed weight;
``REFUSED`` says why for the ones a model might reach.

FLOP weights (v2): Dongarra-style integers (``+ - * = 1``, ``/ sqrt = 4``, transcendental =
8, composites the sum of their parts), raised wherever ``actmine bench flops``
(sandbox/flop_bench.py) measured an op at more than about 2.5x its weight relative to GELU
(12) on a cache-resident float32 tensor, so that no admitted op runs more than about 3x its
charge. Changing a weight changes what caches mean: bump ``FLOP_TABLE_VERSION``.
"""

from __future__ import annotations

import functools
import math

import torch

FLOP_TABLE_VERSION = 2

# Ops whose output does not depend on the input's values at all (factories).
FACTORY_OPS = frozenset(
    {"aten.scalar_tensor.default", "aten.full.default", "aten.full_like.default",
     "aten.zeros_like.default", "aten.ones_like.default"}
)
# Allowed without a pointwise tag: constants, fills, copies and dtype casts (whose
# arguments sandbox/ir.py checks node by node).
UNTAGGED = frozenset({"_to_copy", "clone", "alias", "detach", "scalar_tensor", "full",
                      "full_like", "zeros_like", "ones_like"})
# Views and 0-dim constants: no work per element.
FREE = frozenset({"alias", "detach", "positive", "scalar_tensor", "full"})
# Per-element weights by ATen packet (aten.<packet>.<overload>).
WEIGHTS: dict[str, int] = {
    **dict.fromkeys(
        "add sub mul neg abs relu sign sgn floor ceil trunc frac round square clamp_min "
        "clamp_max logical_not bitwise_not clone zeros_like ones_like full_like "
        "hardshrink".split(), 1),
    **dict.fromkeys("rsub minimum maximum min max deg2rad rad2deg logical_and logical_or "
                    "logical_xor bitwise_and bitwise_or bitwise_xor isposinf isneginf "
                    "leaky_relu hardtanh threshold clamp clip copysign lerp addcmul nan_to_num "
                    "softshrink".split(), 2),
    "signbit": 3,
    # Comparisons and tests write a bool tensor: several multiplications on CPU.
    **dict.fromkeys("eq ne lt le gt ge isnan".split(), 4),
    "_to_copy": 4,  # dtype casts: 1.5-4 multiplications, bool -> float the slowest
    **dict.fromkeys("div true_divide reciprocal sqrt rsqrt addcdiv hardsigmoid".split(), 4),
    **dict.fromkeys("isinf fmin fmax".split(), 6),
    "hypot": 7, "isfinite": 10,
    **dict.fromkeys("fmod remainder".split(), 10),
    **dict.fromkeys(
        "exp exp2 expm1 log log2 log10 log1p sin cos tan asin acos atan atan2 sinh cosh tanh "
        "atanh sigmoid erf erfc logit".split(), 8),
    # Composites, charged as their parts.
    "gelu": 12, "elu": 11, "celu": 11, "selu": 12, "silu": 9, "softplus": 18, "mish": 27,
    "logaddexp": 18, "logaddexp2": 18,
    # Special functions: their CPU kernels are scalar series or rational approximations,
    # charged by measurement (several exceed the default budget of 64 on their own).
    "xlogy": 16, "special_entr": 16, "erfinv": 16, "lgamma": 32, "special_i1e": 32,
    "sinc": 36, "acosh": 48, "special_i1": 48, "special_xlog1py": 64, "asinh": 72,
    "special_i0e": 100, "i0": 144, "special_erfcx": 144, "special_log_ndtr": 144,
    "digamma": 150,
    "where": 24, "masked_fill": 24, "heaviside": 24,  # scalar select loops on CPU
}
POW_GENERAL = 17  # exp + log + mul: what the general pow kernel costs
WEIGHTS["pow"] = POW_GENERAL  # by its exponent when that is a number (node_flops)
# Exponents ATen special-cases (pow_tensor_scalar): every other one runs the general kernel.
POW_SPECIAL = {0.0: 1, 1.0: 1, 2.0: 1, 3.0: 2, 0.5: 4, -0.5: 4, -1.0: 4, -2.0: 5}
GELU_TANH = 15  # tanh 8 + ~7 mul/add (approximate="tanh")

_COST_BY_ARGUMENT = "its cost per element grows with an argument"
REFUSED: dict[str, str] = {
    **{f"special_{kind}_polynomial_{n}": f"is a loop of n steps per element ({_COST_BY_ARGUMENT})"
       for kind, ns in (("chebyshev", "tuvw"), ("shifted_chebyshev", "tuvw"),
                        ("hermite", ("h", "he")), ("laguerre", "l"), ("legendre", "p"))
       for n in ns},
    "mvlgamma": f"sums p lgammas per element ({_COST_BY_ARGUMENT})",
    "polygamma": f"is a series whose length depends on n ({_COST_BY_ARGUMENT})",
    "igamma": "runs a series whose length depends on the values", "igammac": "runs a series "
    "whose length depends on the values", "special_zeta": "runs a series whose length "
    "depends on the values", "gcd": "loops over the bits of integers", "lcm": "loops over "
    "the bits of integers",
    **dict.fromkeys(("special_airy_ai", "special_bessel_j0", "special_bessel_j1",
                     "special_bessel_y0", "special_bessel_y1", "special_modified_bessel_i0",
                     "special_modified_bessel_i1", "special_modified_bessel_k0",
                     "special_modified_bessel_k1", "special_scaled_modified_bessel_k0",
                     "special_scaled_modified_bessel_k1", "special_spherical_bessel_j0",
                     "nextafter", "frexp", "special_ndtri", "angle", "conj_physical", "ldexp"),
                    "has no gradient or no use in an activation"),
    **dict.fromkeys(("bitwise_left_shift", "bitwise_right_shift"),
                    "shifts integers (undefined past the bit width)"),
}


class OpRefused(ValueError):
    """An allowed op used with arguments whose cost cannot be charged."""


def packet_name(op_name: str) -> str:
    """'aten.add.Tensor' -> 'add'."""
    parts = op_name.split(".")
    return parts[1] if len(parts) > 1 else op_name


def refusal(op_name: str) -> str | None:
    """Why a pointwise-tagged op is refused, when the table says."""
    return REFUSED.get(packet_name(op_name))


def node_flops(op_name: str, args: list, kwargs: dict) -> int:
    """Per-element cost of one IR node (scalar-only arithmetic costs nothing)."""
    name = packet_name(op_name)
    if name in FREE:
        return 0
    if name == "pow":
        if op_name == "aten.pow.Tensor_Scalar" and len(args) > 1 and _is_number(args[1]):
            return POW_SPECIAL.get(float(args[1]), POW_GENERAL)
        return POW_GENERAL  # a tensor exponent, or a number ** tensor: the general kernel
    if name == "gelu" and kwargs.get("approximate") == "tanh":
        return GELU_TANH
    if name in ("clamp", "clip"):
        bounds = [a for a in args[1:3] if a is not None] + [
            kwargs[k] for k in ("min", "max") if kwargs.get(k) is not None]
        return max(1, len(bounds))
    if op_name == "aten.round.decimals":
        return 6  # scale, round, unscale
    if name == "logit" and (len(args) > 1 and args[1] is not None or kwargs.get("eps") is not None):
        return WEIGHTS["logit"] + 2  # clamp first
    if name not in WEIGHTS:
        raise OpRefused(f"{op_name} has no FLOP weight")
    return WEIGHTS[name]


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and is_finite_number(value)


def weight_table() -> dict[str, int]:
    """The published table, for `actmine doctor` and docs/admission.md."""
    table = dict.fromkeys(FREE, 0)
    table.update(WEIGHTS)
    table.update({"gelu_tanh": GELU_TANH, "pow_general": POW_GENERAL,
                  **{f"pow_{e:g}": w for e, w in POW_SPECIAL.items()}})
    return dict(sorted(table.items()))


@functools.cache
def resolve_op(op_name: str):
    """Map an IR op name to the torch.ops.aten overload, or None if it is not allowed."""
    parts = op_name.split(".")
    if len(parts) != 3 or parts[0] != "aten":
        return None
    _, packet, overload = parts
    if packet not in WEIGHTS and packet not in FREE:
        return None
    if overload == "out" or overload.endswith("_out"):
        return None  # out= variants write into an argument
    try:
        ops = getattr(torch.ops.aten, packet)
        if overload not in ops.overloads():  # 'overloads' itself is a method, not an op
            return None
        op = getattr(ops, overload)
    except (AttributeError, RuntimeError):
        return None
    if not isinstance(op, torch._ops.OpOverload):
        return None
    tags = set(op.tags)
    if packet not in UNTAGGED and torch.Tag.pointwise not in tags:
        return None
    if torch.Tag.nondeterministic_seeded in tags:
        return None
    if any(arg.alias_info is not None and arg.alias_info.is_write for arg in op._schema.arguments):
        return None
    return op


def is_allowed(op_name: str) -> bool:
    return resolve_op(op_name) is not None


MAX_INT = 2**53  # integers an IR may hold: exact in float64, so no silent rounding anywhere


def is_finite_number(value) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -MAX_INT <= value <= MAX_INT  # float() of a 400-digit int would overflow
    return isinstance(value, float) and math.isfinite(value)
