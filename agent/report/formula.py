"""An IR as one readable formula, e.g. ``gelu(x) * (1 + 0.5*sinc(x))``.

The report shows the IR (what was actually trained) next to the proposal's Python; a formula
is what a reader compares at a glance. Ops without a special form print as calls
``name(args)``, so every IR renders, if sometimes verbosely.
"""

from __future__ import annotations

from actmine.sandbox.ir import ActivationIR, DType, Ref

# Precedence: higher binds tighter.
_ADD, _MUL, _NEG, _POW, _ATOM = 1, 2, 3, 4, 5
_INFIX = {"add": ("+", _ADD), "sub": ("-", _ADD), "mul": ("*", _MUL), "div": ("/", _MUL),
          "true_divide": ("/", _MUL), "pow": ("**", _POW), "float_power": ("**", _POW)}
_COMPARE = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "==", "ne": "!="}
_PASS_THROUGH = {"clone", "alias", "_to_copy", "positive"}
_CONSTANT = {"scalar_tensor": 0, "full": 1, "full_like": 1}


def number(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def to_formula(ir: ActivationIR, max_chars: int = 400) -> str:
    exprs: list[tuple[str, int]] = [("x", _ATOM)]
    for node in ir.nodes:
        exprs.append(_render(node.op, node.args, dict(node.kwargs), exprs))
    text = exprs[ir.output.index][0]
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def _arg(value, exprs) -> tuple[str, int]:
    if isinstance(value, Ref):
        return exprs[value.index]
    if isinstance(value, DType):
        return value.name, _ATOM
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return number(value), _NEG
    return number(value), _ATOM


def _wrap(expr: tuple[str, int], need: int) -> str:
    text, prec = expr
    return f"({text})" if prec < need else text


def _render(op_name: str, args: tuple, kwargs: dict, exprs) -> tuple[str, int]:
    packet = op_name.split(".")[1]
    a = [_arg(v, exprs) for v in args]
    if packet in _PASS_THROUGH and a:
        return a[0]
    if packet in _CONSTANT and len(a) > _CONSTANT[packet]:
        return a[_CONSTANT[packet]]
    if packet == "rsub" and len(a) >= 2:  # rsub(x, c) = c - x
        return f"{_wrap(a[1], _ADD)} - {_wrap(a[0], _ADD + 1)}", _ADD
    if packet in _INFIX and len(a) == 2:
        symbol, prec = _INFIX[packet]
        left, right = a
        alpha = kwargs.get("alpha", 1)
        if packet in ("add", "sub") and alpha != 1:
            right = (f"{number(alpha)}*{_wrap(right, _MUL + 1)}", _MUL)
        # Right operand of - / ** needs parentheses at equal precedence.
        tight = packet in ("sub", "div", "true_divide")
        right_need = prec + 1 if tight else prec
        left_need = prec + 1 if symbol == "**" else prec
        return f"{_wrap(left, left_need)} {symbol} {_wrap(right, right_need)}", prec
    if packet in _COMPARE and len(a) == 2:
        return f"{_wrap(a[0], _ADD)} {_COMPARE[packet]} {_wrap(a[1], _ADD)}", 0
    if packet == "neg" and a:
        return f"-{_wrap(a[0], _NEG)}", _NEG
    if packet == "square" and a:
        return f"{_wrap(a[0], _POW + 1)}**2", _POW
    if packet == "where" and len(a) == 3:
        return f"where({a[0][0]}, {a[1][0]}, {a[2][0]})", _ATOM
    if packet == "gelu" and kwargs.get("approximate", "none") == "tanh":
        return f"gelu_tanh({a[0][0]})", _ATOM
    if packet == "elu" and len(a) >= 2 and a[1][0] in ("1", "1.0"):
        a = a[:1]
    extra = [f"{k}={_arg(v, exprs)[0]}" for k, v in kwargs.items()
             if not (packet == "gelu" and k == "approximate")]
    return f"{packet}({', '.join([t for t, _ in a] + extra)})", _ATOM
