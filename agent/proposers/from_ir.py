"""Read an admitted IR back into an expression tree, so the symbolic proposer can mutate
what language models (or anyone) found, not only its own trees.

Only ops the tree language can say are read; anything else (a comparison, a clamp, a
division by an unguarded tensor) makes the IR unreadable and the program is simply not
used as a symbolic parent. The tree computes the same function as the IR
(``tests/agent/test_symbolic.py`` checks values on a grid).
"""

from __future__ import annotations

from actmine.sandbox.ir import ActivationIR, DType, IRError, Ref

from . import expression as ex

MAX_TREE = 40  # nodes; a larger function is left to the models that wrote it

_UNARY = {"neg": "neg", "abs": "abs", "exp": "exp", "sin": "sin", "cos": "cos",
          "tanh": "tanh", "sigmoid": "sigmoid", "erf": "erf", "atan": "atan", "relu": "relu",
          "sinc": "sinc", "silu": "silu"}
_BINARY = {"mul": "mul", "maximum": "max", "minimum": "min", "fmax": "max", "fmin": "min"}
_PASS_THROUGH = {"clone", "alias", "_to_copy", "positive"}
_DEFAULTS = {"gelu": {"approximate": "none"}, "softplus": {"beta": 1, "threshold": 20},
             "elu": {"alpha": 1, "scale": 1, "input_scale": 1}}
_POSITIONAL = {"softplus": ("beta", "threshold"), "elu": ("alpha", "scale", "input_scale")}


class Unreadable(Exception):
    pass


def tree_of_ir(data: dict | ActivationIR) -> ex.Tree | None:
    """The expression tree of an IR, or None when the tree language cannot express it."""
    try:
        ir = data if isinstance(data, ActivationIR) else ActivationIR.from_dict(data)
        values: list = [ex.X]
        for node in ir.nodes:
            values.append(_node(node.op.split(".")[1], node.args, dict(node.kwargs), values))
        tree = _as_tree(values[ir.output.index])
    except (Unreadable, IRError, IndexError, TypeError, ValueError, ZeroDivisionError):
        return None
    return tree if ex.uses_input(tree) and ex.size(tree) <= MAX_TREE else None


def _value(arg, values):
    if isinstance(arg, Ref):
        return values[arg.index]
    if isinstance(arg, bool) or isinstance(arg, DType) or not isinstance(arg, (int, float)):
        raise Unreadable(arg)
    return float(arg)


def _as_tree(value) -> ex.Tree:
    return ("c", value) if isinstance(value, float) else value


def _is(tree, kind: str, name: str | None = None) -> bool:
    return isinstance(tree, tuple) and tree[0] == kind and (name is None or tree[1] == name)


def _plus_constant(tree) -> tuple[ex.Tree, float] | None:
    """(t, c) when ``tree`` is t + c in either order, else None."""
    if _is(tree, "b", "add"):
        if tree[3][0] == "c":
            return tree[2], tree[3][1]
        if tree[2][0] == "c":
            return tree[3], tree[2][1]
    return None


def _node(op: str, args: tuple, kwargs: dict, values: list):
    if op in _PASS_THROUGH:
        return _value(args[0], values)
    vals = [_value(a, values) for a in args if not isinstance(a, DType)]
    if op in _UNARY and len(vals) == 1 and not kwargs:
        return ("u", _UNARY[op], _as_tree(vals[0]))
    if op in _DEFAULTS:
        given = dict(zip(_POSITIONAL.get(op, ()), vals[1:])) | kwargs
        if any(given.get(k, v) != v for k, v in _DEFAULTS[op].items()):
            raise Unreadable(op)
        return ("u", op, _as_tree(vals[0]))
    if op == "log1p" and _is(vals[0], "u", "abs"):
        return ("u", "log1p_abs", vals[0][2])
    if op == "sqrt" and (split := _plus_constant(vals[0])) and _is(split[0], "u", "abs") \
            and abs(split[1] - 1e-3) < 1e-9:
        return ("u", "sqrt_abs", split[0][2])
    if op == "pow" and len(vals) == 2 and vals[1] in (2.0, 3.0):
        return ("u", "square" if vals[1] == 2.0 else "cube", _as_tree(vals[0]))
    if op in ("add", "sub") and len(vals) == 2:
        a, b = vals
        alpha = kwargs.get("alpha", 1)
        if alpha != 1:
            b = b * alpha if isinstance(b, float) else ("b", "mul", ("c", float(alpha)), b)
        return ("b", op, _as_tree(a), _as_tree(b))
    if op == "rsub" and len(vals) == 2 and kwargs.get("alpha", 1) == 1:
        return ("b", "sub", _as_tree(vals[1]), _as_tree(vals[0]))
    if op in _BINARY and len(vals) == 2:
        a, b = vals
        if op == "mul" and isinstance(a, float):  # constants lead: 0.1 * sin(x)
            a, b = b, a
        if op == "mul" and isinstance(b, float):
            return ("b", "mul", ("c", b), _as_tree(a))
        if op == "mul" and _is(b, "u", "sigmoid"):
            return ("b", "gate", _as_tree(a), b[2])
        return ("b", _BINARY[op], _as_tree(a), _as_tree(b))
    if op in ("div", "true_divide") and len(vals) == 2 and not kwargs:
        a, b = vals
        if isinstance(b, float):
            return ("b", "mul", ("c", 1.0 / b), _as_tree(a))
        split = _plus_constant(b)
        if split and split[1] == 1.0 and _is(split[0], "u", "abs"):
            return ("b", "div", _as_tree(a), split[0][2])  # the tree's protected division
    raise Unreadable(op)
