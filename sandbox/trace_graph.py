"""Trace ``activation(x)`` into the pointwise IR (runs inside the sandboxed child).

``make_fx(functionalize(f), tracing_mode="symbolic")``: shape reads show up as ``sym_size``
nodes, data-dependent Python control flow fails with a guard error, in-place ops become
functional. Composites tagged pointwise (``silu``, ``mish``, ``gelu``, ``sinc``) stay whole
and are charged the FLOPs of their parts (sandbox/flops.py); the few that are not tagged
pointwise are decomposed (``DECOMPOSITIONS``). The parent re-validates the IR it receives,
so this module's job is to give a *useful reason* when something is not allowed.
"""

from __future__ import annotations

import torch
from torch._decomp import get_decompositions
from torch.func import functionalize
from torch.fx.experimental.proxy_tensor import make_fx
from torch.utils._python_dispatch import TorchDispatchMode

from .checks import CAST_REASON
from .ir import DROPPED_KWARGS, IR_VERSION
from .optable import is_allowed, packet_name, refusal
from .reasons import Category, Rejection

# Composites stay whole (silu, mish, softplus, gelu, sinc keep their own, NaN-free backward
# formulas and fused kernels) and are charged explicit FLOP weights. Only the few
# composites PyTorch does not tag pointwise are broken into their parts.
DECOMPOSITIONS = get_decompositions([torch.ops.aten.softshrink, torch.ops.aten.hardshrink])


def _hardswish(x: torch.Tensor) -> torch.Tensor:
    # x * hardsigmoid(x): PyTorch's own decomposition has slope -0.5 at x = -3 where
    # hardswish's backward gives 0; hardsigmoid's backward is 0 there too.
    return x * torch.nn.functional.hardsigmoid(x)


DECOMPOSITIONS[torch.ops.aten.hardswish.default] = _hardswish


def _log_sigmoid_forward(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    # log sigmoid(x) = -softplus(-x): the same values, and softplus's own backward gives
    # PyTorch's gradient everywhere (the min(x, 0) - log1p(exp(-|x|)) decomposition has
    # slope 1 at 0 instead of 0.5). The second output is an unused buffer.
    out = torch.neg(torch.nn.functional.softplus(torch.neg(x)))
    return out, out


DECOMPOSITIONS[torch.ops.aten.log_sigmoid_forward.default] = _log_sigmoid_forward
# Identity in value and in gradient: dropped from the IR.
PASS_THROUGH = {"aten.alias.default", "aten.clone.default"}
# Identity in value but not in gradient (x.detach(), torch.tensor(t)): kept as detach, so
# a straight-through estimator trains with the gradient its source has.
GRADIENT_STOPS = {"aten.detach.default", "aten.lift_fresh_copy.default"}
NOT_POINTWISE_HINTS = {
    "mean": "reduces over elements (batch statistics)", "sum": "reduces over elements",
    "std": "uses batch statistics", "var": "uses batch statistics",
    "sort": "reorders elements", "cumsum": "mixes neighbouring elements",
    "roll": "shifts elements", "flip": "reorders elements", "_softmax": "normalises across elements",
    "native_layer_norm": "normalises across elements", "native_batch_norm": "uses batch statistics",
    "select": "indexes single elements", "slice": "slices the tensor",
    "view": "reshapes the tensor", "_local_scalar_dense": "converts a tensor to a Python number",
    "copy_": "writes into the input in place", "copy": "writes into the input in place",
    "bernoulli": "is random", "rand_like": "is random", "randn_like": "is random",
    "native_dropout": "is random", "arange": "depends on element positions",
}


class _OpBudget(TorchDispatchMode):
    """Stops tracing as soon as more ops were dispatched than the graph may hold, so a
    recursion or a helper called in a loop is refused in milliseconds, not at the deadline."""

    def __init__(self, cap: int):
        super().__init__()
        self.cap = cap
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += 1
        if self.count > self.cap:
            raise Rejection(Category.OVER_BUDGET,
                            f"the function runs more than {self.cap} tensor ops (a recursion "
                            f"or a helper called in a loop?); simplify it")
        return func(*args, **(kwargs or {}))


def trace(fn, max_nodes: int) -> dict:
    """Return the IR dict for fn, or raise Rejection with a reason a model can act on."""
    example = torch.randn(8)

    def budgeted(x):
        with _OpBudget(max_nodes):
            return fn(x)

    try:
        # Real 0-dim tensors made at import time (C = torch.tensor(2.0)) become constants.
        gm = make_fx(functionalize(budgeted), tracing_mode="symbolic",
                     decomposition_table=DECOMPOSITIONS, _allow_non_fake_inputs=True)(example)
    except Rejection:
        raise
    except MemoryError:
        raise Rejection(Category.MEMORY, "ran out of memory while tracing") from None
    except Exception as exc:  # noqa: BLE001 - every failure becomes a reason
        raise _classify_trace_error(exc) from None
    # Dead nodes are no part of the function (e.g. the unused buffer of log_sigmoid's
    # decomposition); mutations of the input are impure, so they survive and are rejected.
    gm.graph.eliminate_dead_code()
    return graph_to_ir(gm, max_nodes)


def _classify_trace_error(exc: Exception) -> Rejection:
    name = type(exc).__name__
    text = str(exc).split("\n")[0][:200]
    if "DataDependent" in name or "data-dependent" in text or "GuardOnDataDependent" in text:
        return Rejection(Category.NOT_POINTWISE,
                         "Python control flow or conversion depends on tensor values; "
                         "use torch.where(cond, a, b) instead of if/else on tensors")
    if "numel" in text or "numpy" in text.lower() or "symbolic sizes" in text:
        return Rejection(Category.NOT_POINTWISE,
                         "Python if/and/or/bool()/float() on a tensor (or leaving torch) is not "
                         "traceable; use torch.where(cond, a, b) and torch ops only")
    if "allocate" in text or isinstance(exc, MemoryError):
        return Rejection(Category.MEMORY, f"ran out of memory: {text}")
    return Rejection(Category.CRASHED, f"calling activation(x) failed: {name}: {text}")


def graph_to_ir(gm: torch.fx.GraphModule, max_nodes: int) -> dict:
    values: dict[str, object] = {}
    nodes: list[dict] = []
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        raise Rejection(Category.FORBIDDEN, "activation must take exactly one tensor argument")
    output = None
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            values[node.name] = {"ref": 0}
        elif node.op == "get_attr":
            values[node.name] = _constant(getattr(gm, node.target))
        elif node.op == "call_function":
            op_name = _op_name(node.target)
            args = [_convert(a, values) for a in node.args]
            kwargs = {k: _convert(v, values) for k, v in node.kwargs.items()
                      if k not in DROPPED_KWARGS}
            if op_name in PASS_THROUGH and len(args) == 1:
                values[node.name] = args[0]
                continue
            if op_name in GRADIENT_STOPS and len(args) == 1:
                if not (isinstance(args[0], dict) and "ref" in args[0]):
                    values[node.name] = args[0]  # a constant has no gradient to stop
                    continue
                op_name, kwargs = "aten.detach.default", {}
            if op_name == "aten.sym_size.int" or op_name.startswith("aten.sym_"):
                raise Rejection(Category.NOT_POINTWISE,
                                "the function reads the input's shape or size; it must not")
            if not is_allowed(op_name):
                raise _refused(op_name)
            _check_special_args(op_name, args, kwargs)
            _check_cast(node)
            nodes.append({"op": op_name, "args": args, "kwargs": kwargs})
            if len(nodes) > max_nodes:
                raise Rejection(Category.OVER_BUDGET,
                                f"the traced graph has more than {max_nodes} ops; simplify the function")
            values[node.name] = {"ref": len(nodes)}
        elif node.op == "output":
            out = node.args[0]
            if isinstance(out, (list, tuple)):
                if len(out) != 1:
                    raise Rejection(Category.FORBIDDEN, "activation must return a single tensor")
                out = out[0]
            output = _convert(out, values)
        else:
            raise Rejection(Category.FORBIDDEN, f"unsupported graph node {node.op}")
    if not isinstance(output, dict) or "ref" not in output:
        raise Rejection(Category.FORBIDDEN,
                        "activation must return a tensor computed from x, not a constant")
    return materialise_constants({"version": IR_VERSION, "nodes": nodes, "output": output})


def _refused(op_name: str) -> Rejection:
    why = refusal(op_name)
    if why is not None:
        return Rejection(Category.FORBIDDEN, f"{op_name} {why}; use other elementwise ops")
    packet = packet_name(op_name) if op_name.startswith("aten.") else op_name
    hint = NOT_POINTWISE_HINTS.get(packet, "is not a pointwise op in the FLOP table")
    return Rejection(Category.NOT_POINTWISE, f"{op_name} {hint}; use elementwise ops only")


def _check_cast(node: torch.fx.Node) -> None:
    """Floats cast to integers: out-of-range values are undefined in C++ and differ between
    CPU and GPU, so the function would not be one function. (The parent checks again.)"""
    if _op_name(node.target) != "aten._to_copy.default":
        return
    source = node.args[0].meta.get("val") if isinstance(node.args[0], torch.fx.Node) else None
    target = node.kwargs.get("dtype")
    if source is not None and source.dtype.is_floating_point and isinstance(target, torch.dtype) \
            and not target.is_floating_point and target != torch.bool:
        raise Rejection(Category.FORBIDDEN, CAST_REASON)



def _op_name(target) -> str:
    if isinstance(target, torch._ops.OpOverload):
        return f"aten.{target._schema.name.split('::')[-1]}.{target._overloadname}"
    return getattr(target, "__name__", repr(target))


def _constant(value) -> dict | float | int | bool:
    if type(value) is not torch.Tensor:
        raise Rejection(Category.NOT_POINTWISE,
                        "the graph captured a non-real tensor constant (a value computed outside "
                        "tracing, e.g. a hidden statistic); compute everything from x")
    if value.dim() != 0:
        raise Rejection(Category.NOT_POINTWISE,
                        "tensor constants must be single numbers; a constant with a shape "
                        "makes the output depend on element positions")
    dtype = str(value.dtype).replace("torch.", "")
    return {"const": value.item(), "dtype": dtype}


def _convert(value, values):
    if isinstance(value, torch.fx.Node):
        return values[value.name]  # inline constants become scalar_tensor nodes later
    if isinstance(value, (torch.SymInt, torch.SymFloat, torch.SymBool)):
        raise Rejection(Category.NOT_POINTWISE, "the function depends on the input's shape")
    if isinstance(value, torch.dtype):
        return {"dtype": str(value).replace("torch.", "")}
    if isinstance(value, (list, tuple)):
        return [_convert(v, values) for v in value]
    if isinstance(value, (torch.device, torch.layout, torch.memory_format)):
        return None
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    raise Rejection(Category.FORBIDDEN, f"unsupported value {type(value).__name__} in the graph")


def _check_special_args(op_name: str, args: list, kwargs: dict) -> None:
    if op_name == "aten.full.default" and args[:1] != [[]]:
        raise Rejection(Category.NOT_POINTWISE, "tensors created with a shape are not allowed")
    if op_name == "aten._to_copy.default" and set(kwargs) - {"dtype"}:
        raise Rejection(Category.FORBIDDEN, "only dtype conversions are allowed")


def materialise_constants(ir: dict) -> dict:
    """Replace inline 0-dim tensor constants by scalar_tensor nodes (exact dtype kept)."""
    out_nodes: list[dict] = []
    remap: dict[int, int] = {0: 0}

    def fix(a):
        if isinstance(a, dict) and "const" in a:
            out_nodes.append({"op": "aten.scalar_tensor.default", "args": [a["const"]],
                              "kwargs": {"dtype": {"dtype": a["dtype"]}}})
            return {"ref": len(out_nodes)}
        if isinstance(a, dict) and "ref" in a:
            return {"ref": remap[a["ref"]]}
        if isinstance(a, list):
            return [fix(v) for v in a]
        return a

    for i, node in enumerate(ir["nodes"], start=1):
        args = [fix(a) for a in node["args"]]
        kwargs = {k: fix(v) for k, v in node["kwargs"].items()}
        out_nodes.append({"op": node["op"], "args": args, "kwargs": kwargs})
        remap[i] = len(out_nodes)
    return {"version": ir["version"], "nodes": out_nodes, "output": fix(ir["output"])}
