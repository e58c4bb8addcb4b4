"""The activation IR: a tiny graph of allowlisted pointwise ATen ops with scalar constants.

It is the only form in which a proposal leaves the sandbox. Everything downstream
(training, caching, FLOP counting, export, reports) works on it, and ``to_callable``
rebuilds it into a torch function without running any of the proposal's Python.

JSON form (version 1)::

    {"version": 1,
     "nodes": [{"op": "aten.gelu.default", "args": [{"ref": 0}], "kwargs": {}}, ...],
     "output": {"ref": 3}}

``{"ref": 0}`` is the input ``x``; ``{"ref": k}`` is the output of node ``k - 1``.
Other argument values are numbers, booleans, null, ``{"dtype": "float32"}``, short
strings from an allowlist (``approximate="tanh"``), a list of ints (``full``'s size) or a
non-finite float spelled ``{"float": "inf"}`` (``"-inf"``, ``"nan"``), so the JSON stays
JSON (bare NaN is not).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from .optable import FACTORY_OPS, OpRefused, is_finite_number, node_flops, resolve_op

IR_VERSION = 1
MAX_NODES_HARD = 512  # parsing cap; the admission budget (default 64) is lower
ALLOWED_DTYPES = ("float16", "bfloat16", "float32", "float64", "bool", "int32", "int64")
ALLOWED_STRINGS = frozenset({"tanh", "none", "floor", "trunc"})
DROPPED_KWARGS = frozenset({"device", "layout", "pin_memory", "memory_format", "non_blocking"})
COMMUTATIVE = frozenset(
    {
        "aten.add.Tensor", "aten.mul.Tensor", "aten.maximum.default", "aten.minimum.default",
        "aten.fmax.default", "aten.fmin.default", "aten.eq.Tensor", "aten.ne.Tensor",
        "aten.logical_and.default", "aten.logical_or.default", "aten.logical_xor.default",
        "aten.hypot.default", "aten.logaddexp.default", "aten.bitwise_and.Tensor",
        "aten.bitwise_or.Tensor", "aten.bitwise_xor.Tensor",
    }
)


class IRError(ValueError):
    """The IR is malformed or uses something outside the allowlist."""


@dataclass(frozen=True)
class Ref:
    index: int


@dataclass(frozen=True)
class DType:
    name: str


@dataclass(frozen=True)
class IRNode:
    op: str
    args: tuple
    kwargs: tuple  # sorted (key, value) pairs


@dataclass(frozen=True)
class ActivationIR:
    nodes: tuple[IRNode, ...]
    output: Ref
    version: int = IR_VERSION

    # ---------------------------------------------------------------- JSON
    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "nodes": [
                {"op": n.op, "args": [_arg_to_json(a) for a in n.args],
                 "kwargs": {k: _arg_to_json(v) for k, v in n.kwargs}}
                for n in self.nodes
            ],
            "output": _arg_to_json(self.output),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_dict(cls, data: Any) -> ActivationIR:
        """Validate untrusted data into an IR; anything wrong is an IRError, never another
        exception (the data may come from a hostile sandbox)."""
        try:
            return cls._from_dict(data)
        except IRError:
            raise
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError,
                RecursionError, MemoryError, RuntimeError) as exc:
            raise IRError(f"malformed IR ({type(exc).__name__})") from None

    @classmethod
    def _from_dict(cls, data: Any) -> ActivationIR:
        if not isinstance(data, dict) or data.get("version") != IR_VERSION:
            raise IRError(f"IR must be a dict with version {IR_VERSION}")
        raw_nodes = data.get("nodes")
        if not isinstance(raw_nodes, list) or len(raw_nodes) > MAX_NODES_HARD:
            raise IRError(f"IR nodes must be a list of at most {MAX_NODES_HARD} entries")
        nodes = []
        for i, raw in enumerate(raw_nodes):
            if not isinstance(raw, dict) or set(raw) != {"op", "args", "kwargs"}:
                raise IRError(f"IR node {i} must have exactly op, args, kwargs")
            op = raw["op"]
            if not isinstance(op, str) or resolve_op(op) is None:
                raise IRError(f"op {op!r} is not an allowed pointwise op")
            if not isinstance(raw["args"], list) or not isinstance(raw["kwargs"], dict):
                raise IRError(f"IR node {i} has malformed args")
            if not all(isinstance(k, str) and k.isidentifier() for k in raw["kwargs"]):
                raise IRError(f"IR node {i} has malformed keyword names")
            args = tuple(_arg_from_json(a, limit=i + 1) for a in raw["args"])
            kwargs = tuple(
                sorted((k, _arg_from_json(v, limit=i + 1)) for k, v in raw["kwargs"].items())
            )
            nodes.append(IRNode(op, args, kwargs))
        output = _arg_from_json(data.get("output"), limit=len(nodes) + 1)
        if not isinstance(output, Ref):
            raise IRError("IR output must be a reference")
        ir = cls(tuple(nodes), output)
        _validate_factories(ir)
        return ir

    @classmethod
    def from_json(cls, text: str) -> ActivationIR:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise IRError(f"IR is not valid JSON: {type(exc).__name__}") from None
        return cls.from_dict(data)

    # ---------------------------------------------------------- identity
    def canonical(self) -> ActivationIR:
        return canonicalize(self)

    @property
    def hash(self) -> str:
        """Content hash of the canonical form: equal functions share one cache entry."""
        text = self.canonical().to_json()
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    @property
    def ops(self) -> list[str]:
        return [n.op for n in self.nodes]

    def to_callable(self, kernels: Mapping[str, Callable] | None = None) -> Interpreter:
        return build_callable(self, kernels)


# ------------------------------------------------------------------ args
def _arg_to_json(value):
    if isinstance(value, Ref):
        return {"ref": value.index}
    if isinstance(value, DType):
        return {"dtype": value.name}
    if isinstance(value, tuple):
        return [_arg_to_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": str(value)}  # 'inf', '-inf', 'nan'
    return value


def _arg_from_json(value, *, limit: int):
    if isinstance(value, dict):
        if set(value) == {"ref"} and isinstance(value["ref"], int) and not isinstance(value["ref"], bool):
            if not 0 <= value["ref"] < limit:
                raise IRError(f"reference {value['ref']} points forward or out of range")
            return Ref(value["ref"])
        if set(value) == {"dtype"} and value["dtype"] in ALLOWED_DTYPES:
            return DType(value["dtype"])
        if set(value) == {"float"} and value["float"] in ("inf", "-inf", "nan"):
            return float(value["float"])
        raise IRError(f"unsupported IR argument {value!r}")
    if isinstance(value, list):
        if len(value) > 4 or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise IRError("list arguments may only hold a few ints")
        return tuple(value)
    if value is None or is_finite_number(value):
        return value
    if isinstance(value, float):  # inf / nan constants are legal in torch, keep them explicit
        return value
    if isinstance(value, str) and value in ALLOWED_STRINGS:
        return value
    raise IRError(f"unsupported IR argument {value!r}")


def _validate_factories(ir: ActivationIR) -> None:
    for node in ir.nodes:
        if node.op == "aten.full.default" and node.args[:1] != ((),):
            raise IRError("full() is only allowed with an empty (scalar) size")
        if node.op == "aten._to_copy.default":
            if set(k for k, _ in node.kwargs) - {"dtype"}:
                raise IRError("_to_copy may only change the dtype")
        try:
            node_flops(node.op, [None if isinstance(a, Ref) else a for a in node.args],
                       dict(node.kwargs))
        except OpRefused as exc:
            raise IRError(str(exc)) from None


# ------------------------------------------------------------- canonical
def _is_commutative(node: IRNode) -> bool:
    if node.op not in COMMUTATIVE or len(node.args) != 2:
        return False
    return dict(node.kwargs).get("alpha", 1) == 1


def canonicalize(ir: ActivationIR) -> ActivationIR:
    """Dead-node removal, CSE, sorted commutative operands, deterministic numbering."""
    keys: dict[int, str] = {0: "x"}

    def arg_key(a) -> str:
        if isinstance(a, Ref):
            return keys[a.index]
        return json.dumps(_arg_to_json(a), sort_keys=True)

    normalised: dict[int, IRNode] = {}
    for i, node in enumerate(ir.nodes, start=1):
        args = node.args
        if _is_commutative(node):
            args = tuple(sorted(args, key=arg_key))
        kwargs = tuple((k, v) for k, v in node.kwargs if not (k == "alpha" and v == 1))
        normalised[i] = IRNode(node.op, args, kwargs)
        body = json.dumps(
            [node.op, [arg_key(a) for a in args], [[k, arg_key(v)] for k, v in kwargs]]
        )
        keys[i] = hashlib.sha256(body.encode()).hexdigest()

    # Emit nodes reachable from the output in DFS post-order, one per structural key.
    order: list[str] = []
    new_index: dict[str, int] = {"x": 0}
    emitted: list[IRNode] = []

    def visit(index: int) -> None:
        key = keys[index]
        if key in new_index:
            return
        node = normalised[index]
        for a in list(node.args) + [v for _, v in node.kwargs]:
            if isinstance(a, Ref):
                visit(a.index)

        def remap(a):
            return Ref(new_index[keys[a.index]]) if isinstance(a, Ref) else a

        emitted.append(
            IRNode(node.op, tuple(remap(a) for a in node.args),
                   tuple((k, remap(v)) for k, v in node.kwargs))
        )
        new_index[key] = len(emitted)
        order.append(key)

    visit(ir.output.index)
    return ActivationIR(tuple(emitted), Ref(new_index[keys[ir.output.index]]), ir.version)


# ---------------------------------------------------------------- rebuild
def build_callable(ir: ActivationIR, kernels: Mapping[str, Callable] | None = None
                   ) -> Interpreter:
    """Our own interpreter for the IR; it calls only allowlisted torch.ops.aten overloads.

    ``kernels`` (trusted code, e.g. evaluators/kernels.py) may replace an allowed op by a
    faster implementation of the same function; the op must still be allowed.
    """
    steps = []
    for node in ir.nodes:
        op = resolve_op(node.op)
        if op is None:
            raise IRError(f"op {node.op} is not allowed")
        op = (kernels or {}).get(node.op, op)
        steps.append((op, node.args, dict(node.kwargs), node.op in FACTORY_OPS))
    return Interpreter(tuple(steps), ir.output.index)


@dataclass(frozen=True)
class Interpreter:
    """The rebuilt function: ``f(x)``, and ``f.all_values(x)`` for every node's value."""

    steps: tuple
    output: int

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.all_values(x)[self.output]

    def all_values(self, x: torch.Tensor) -> list[torch.Tensor]:
        values = [x]
        for op, args, kwargs, is_factory in self.steps:
            call_args = [_resolve(a, values) for a in args]
            call_kwargs = {k: _resolve(v, values) for k, v in kwargs.items()}
            if is_factory:
                call_kwargs["device"] = x.device
            values.append(op(*call_args, **call_kwargs))
        return values


def _resolve(a, values):
    if isinstance(a, Ref):
        return values[a.index]
    if isinstance(a, DType):
        return getattr(torch, a.name)
    if isinstance(a, tuple):
        return list(a)
    return a
