"""Which ATen ops an activation IR may contain, and what each costs per element.

This table is the trust base of admission: the IR is pointwise because every node is
either an ATen op that PyTorch itself tags ``pointwise`` (and is functional and
deterministic) or one of the few shape-free helpers in ``EXTRA_OPS``.

FLOP weights (v1, frozen; see docs/admission.md, "FLOP budget"): Dongarra-style integers,
``+ - * compare = 1``, ``/ sqrt = 4``, transcendental = 8, and explicit weights for
composite core ops that ``core_aten_decompositions`` leaves whole (gelu, elu, ...),
equal to the cost of their parts. Changing a weight changes fitness caches' meaning, so
bump ``FLOP_TABLE_VERSION`` when you do.
"""

from __future__ import annotations

import functools
import math

import torch

FLOP_TABLE_VERSION = 1

# Ops that carry no pointwise tag but are harmless: constants and dtype casts.
# Their arguments are validated node by node in sandbox/trace_graph.py.
EXTRA_OPS = frozenset(
    {
        "aten.scalar_tensor.default",  # 0-dim constant
        "aten.full.default",  # only with size [] (checked)
        "aten.full_like.default",  # constant fill with the input's shape
        "aten.zeros_like.default",
        "aten.ones_like.default",
        "aten._to_copy.default",  # dtype-only casts (checked)
        "aten.clone.default",
        "aten.alias.default",
    }
)

# Ops whose output does not depend on the input's values at all (factories).
FACTORY_OPS = frozenset(
    {"aten.scalar_tensor.default", "aten.full.default", "aten.full_like.default",
     "aten.zeros_like.default", "aten.ones_like.default"}
)

_FREE = {"alias", "clone", "_to_copy", "scalar_tensor", "full", "full_like", "zeros_like",
         "ones_like", "positive"}
_ONE = {
    "add", "sub", "rsub", "mul", "neg", "abs", "relu", "sign", "sgn", "signbit", "floor",
    "ceil", "round", "trunc", "frac", "minimum", "maximum", "fmin", "fmax", "where", "eq",
    "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_not", "logical_xor",
    "bitwise_and", "bitwise_or", "bitwise_not", "bitwise_xor", "isnan", "isinf", "isfinite",
    "copysign", "heaviside", "masked_fill", "square", "hardshrink",
    "nan_to_num", "lerp", "addcmul", "softshrink",
}
_FOUR = {"div", "reciprocal", "sqrt", "rsqrt", "fmod", "remainder", "true_divide",
         "addcdiv", "hypot", "hardsigmoid"}
_EIGHT = {
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "asin",
    "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sigmoid",
    "erf", "erfc", "logit", "special_expit", "special_ndtr",
}
# Composite core ops, charged as the sum of their parts.
_COMPOSITE = {
    "gelu": 12,  # erf 8 + 4 mul/add
    "gelu_tanh": 15,  # tanh 8 + ~7 mul/add (approximate="tanh")
    "elu": 11,  # exp 8 + compare, mul, select
    "leaky_relu": 2,
    "hardtanh": 2,
    "celu": 11,
    "threshold": 2,
    "clamp": 2,
    "clamp_min": 1,
    "clamp_max": 1,
    "softplus": 18,
    "silu": 9,
    "mish": 27,
    "logaddexp": 18,
    "logaddexp2": 18,
    "sinc": 14,
    "xlogy": 10,
    "special_xlog1py": 10,  # sin 8 + div 4 + compare + select
    "erfinv": 16,
    "lgamma": 32,
    "digamma": 32,
    "polygamma": 32,
    "i0": 32,
    "special_i0e": 32,
    "special_i1": 32,
    "special_i1e": 32,
    "special_erfcx": 16,
    "special_log_ndtr": 24,
    "logsigmoid": 18,
    "pow_fractional": 17,  # exp + log + mul
}
UNKNOWN_WEIGHT = 16  # conservative charge for a pointwise op missing from the table


def packet_name(op_name: str) -> str:
    """'aten.add.Tensor' -> 'add'."""
    return op_name.split(".")[1]


def _integer_pow_cost(exponent: float) -> int:
    """Multiplications for binary exponentiation, plus a reciprocal for negative powers."""
    n = abs(int(exponent))
    if n in (0, 1):
        cost = 0
    else:
        cost = n.bit_length() - 1 + bin(n).count("1") - 1
    return cost + (4 if exponent < 0 else 0)


def node_flops(op_name: str, args: list, kwargs: dict) -> int:
    """Per-element cost of one IR node. Scalar-only arithmetic costs nothing."""
    name = packet_name(op_name)
    if name in _FREE:
        return 0
    if name == "pow":
        exponent = args[1] if len(args) > 1 else None
        if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
            if float(exponent).is_integer() and abs(exponent) <= 64:
                return _integer_pow_cost(float(exponent))
            if exponent == 0.5:
                return 4  # sqrt
        return _COMPOSITE["pow_fractional"]
    if name == "gelu" and kwargs.get("approximate") == "tanh":
        return _COMPOSITE["gelu_tanh"]
    if name == "clamp":
        bounds = [a for a in args[1:3] if a is not None] + [
            kwargs[k] for k in ("min", "max") if kwargs.get(k) is not None
        ]
        return max(1, len(bounds))
    if name in _ONE:
        return 1
    if name in _FOUR:
        return 4
    if name in _EIGHT:
        return 8
    if name in _COMPOSITE:
        return _COMPOSITE[name]
    return UNKNOWN_WEIGHT


def weight_table() -> dict[str, int]:
    """The published table, for `actmine doctor` and docs/admission.md."""
    table = {n: 0 for n in _FREE}
    table.update({n: 1 for n in _ONE})
    table.update({n: 4 for n in _FOUR})
    table.update({n: 8 for n in _EIGHT})
    table.update(_COMPOSITE)
    return dict(sorted(table.items()))


@functools.cache
def resolve_op(op_name: str):
    """Map an IR op name to the torch.ops.aten overload, or None if it is not allowed."""
    parts = op_name.split(".")
    if len(parts) != 3 or parts[0] != "aten":
        return None
    _, packet, overload = parts
    if packet.startswith("_") and op_name not in EXTRA_OPS:
        return None
    if packet.endswith("_") or overload == "out" or overload.endswith("_out"):
        return None  # in-place and out= variants mutate
    try:
        op = getattr(getattr(torch.ops.aten, packet), overload)
    except (AttributeError, RuntimeError):
        return None
    if op_name in EXTRA_OPS:
        return op
    tags = set(op.tags)
    if torch.Tag.pointwise not in tags or torch.Tag.nondeterministic_seeded in tags:
        return None
    if any(arg.alias_info is not None and arg.alias_info.is_write for arg in op._schema.arguments):
        return None
    return op


def is_allowed(op_name: str) -> bool:
    return resolve_op(op_name) is not None


def is_finite_number(value) -> bool:
    return isinstance(value, bool) or (
        isinstance(value, (int, float)) and math.isfinite(float(value))
    )
