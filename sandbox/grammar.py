"""The Python grammar the static filter accepts, field by field.

Every concrete ``ast`` node type is either banned (``allowlist.BANNED_NODES``) or listed
in ``FIELDS`` with a role for *each* of its fields, saying what Python does with it.
``tests/sandbox/test_static_grammar.py`` walks the running Python's grammar to keep that
true, so a field a new Python version evaluates cannot slip past unnoticed. Two passes use
the table and fail closed:

- ``check_shape`` (before the checker): unknown node types are refused, and a field the
  table does not know, or an ``EMPTY`` one, must hold nothing;
- ``Coverage`` (after it): every node of the tree must have been looked at by one of the
  checker's rules, so a field that no rule reads (a module-level annotation, say) is
  refused instead of being run unchecked.
"""

from __future__ import annotations

import ast

from .allowlist import BANNED_NODES
from .reasons import Category, Rejection

EXPR = "expr"  # evaluated: the expression rules check the whole subtree
TARGET = "target"  # bound by assignment: plain names only
ANNOTATION = "annotation"  # evaluated when the def or module runs: type names only
BODY = "body"  # statements, each checked by the statement rules
ARGS = "arguments"  # a parameter list: checked by the function and lambda rules
NAMES = "names"  # import aliases: checked by the import rules
INERT = "inert"  # identifiers, operators, contexts, literal values: nothing runs
EMPTY = "empty"  # must be empty (decorators, defaults, star parameters, loop else)

_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.MatMult, ast.Div, ast.Mod, ast.Pow, ast.LShift,
              ast.RShift, ast.BitOr, ast.BitXor, ast.BitAnd, ast.FloorDiv, ast.And, ast.Or,
              ast.Invert, ast.Not, ast.UAdd, ast.USub, ast.Eq, ast.NotEq, ast.Lt, ast.LtE,
              ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn, ast.Load, ast.Store)

FIELDS: dict[type, dict[str, str]] = {
    ast.Module: {"body": BODY, "type_ignores": EMPTY},
    ast.FunctionDef: {"name": INERT, "args": ARGS, "body": BODY, "decorator_list": EMPTY,
                      "returns": ANNOTATION, "type_comment": INERT},
    ast.arguments: {"posonlyargs": EMPTY, "args": ARGS, "vararg": EMPTY, "kwonlyargs": EMPTY,
                    "kw_defaults": EMPTY, "kwarg": EMPTY, "defaults": EMPTY},
    ast.arg: {"arg": INERT, "annotation": ANNOTATION, "type_comment": INERT},
    ast.Return: {"value": EXPR},
    ast.Assign: {"targets": TARGET, "value": EXPR, "type_comment": INERT},
    ast.AugAssign: {"target": TARGET, "op": INERT, "value": EXPR},
    ast.AnnAssign: {"target": TARGET, "annotation": ANNOTATION, "value": EXPR, "simple": INERT},
    ast.For: {"target": TARGET, "iter": EXPR, "body": BODY, "orelse": EMPTY,
              "type_comment": INERT},
    ast.If: {"test": EXPR, "body": BODY, "orelse": BODY},
    ast.Import: {"names": NAMES},
    ast.ImportFrom: {"module": INERT, "names": NAMES, "level": INERT},
    ast.alias: {"name": INERT, "asname": INERT},
    ast.Expr: {"value": EXPR},
    ast.Pass: {}, ast.Break: {}, ast.Continue: {},
    ast.BoolOp: {"op": INERT, "values": EXPR},
    ast.BinOp: {"left": EXPR, "op": INERT, "right": EXPR},
    ast.UnaryOp: {"op": INERT, "operand": EXPR},
    ast.Lambda: {"args": ARGS, "body": EXPR},
    ast.IfExp: {"test": EXPR, "body": EXPR, "orelse": EXPR},
    ast.ListComp: {"elt": EXPR, "generators": EXPR},
    ast.GeneratorExp: {"elt": EXPR, "generators": EXPR},
    ast.comprehension: {"target": TARGET, "iter": EXPR, "ifs": EMPTY, "is_async": EMPTY},
    ast.Compare: {"left": EXPR, "ops": INERT, "comparators": EXPR},
    ast.Call: {"func": EXPR, "args": EXPR, "keywords": EXPR},
    ast.keyword: {"arg": INERT, "value": EXPR},
    ast.Constant: {"value": INERT, "kind": INERT},
    ast.Attribute: {"value": EXPR, "attr": INERT, "ctx": INERT},
    ast.Name: {"id": INERT, "ctx": INERT},
    ast.List: {"elts": EXPR, "ctx": INERT},
    ast.Tuple: {"elts": EXPR, "ctx": INERT},
    **{op: {} for op in _OPERATORS},
}

_EMPTY_REASONS = {
    "decorator_list": "decorators are not allowed",
    "defaults": "default argument values are not allowed",
    "kw_defaults": "default argument values are not allowed",
    "orelse": "for/else is not allowed",
    "ifs": "comprehension filters are not allowed",
    "is_async": "async comprehensions are not allowed",
    "type_ignores": "type-ignore comments are not allowed",
}


def _reject(reason: str, node: ast.AST) -> Rejection:
    where = f" (line {node.lineno})" if hasattr(node, "lineno") else ""
    return Rejection(Category.FORBIDDEN, reason + where)


def check_shape(tree: ast.AST) -> None:
    """Refuse node types outside the table, and anything in a field that must be empty or
    that this table does not know (a field added by a newer Python)."""
    for node in ast.walk(tree):
        kind = type(node)
        if kind in BANNED_NODES:
            raise _reject(BANNED_NODES[kind], node)
        roles = FIELDS.get(kind)
        if roles is None:
            raise _reject(f"{kind.__name__} is not allowed", node)
        for name in node._fields:
            role = roles.get(name, EMPTY)
            if role == EMPTY and getattr(node, name, None):
                raise _reject(_EMPTY_REASONS.get(
                    name, "functions may only take plain positional parameters"
                    if kind is ast.arguments else f"{kind.__name__}.{name} is not allowed"), node)


class Coverage:
    """Which nodes the checker's rules looked at; anything left over is refused."""

    def __init__(self) -> None:
        self._seen: set[int] = set()

    def node(self, node: ast.AST) -> None:
        """This node, and its inert children (operators, contexts); not its other fields."""
        self._seen.add(id(node))
        for name, role in FIELDS.get(type(node), {}).items():
            if role == INERT:
                value = getattr(node, name, None)
                for child in value if isinstance(value, list) else [value]:
                    if isinstance(child, ast.AST):
                        self._seen.add(id(child))

    def tree(self, node: ast.AST) -> None:
        self._seen.update(id(sub) for sub in ast.walk(node))

    def assert_complete(self, tree: ast.AST) -> None:
        for node in ast.walk(tree):
            if id(node) not in self._seen:
                raise _reject(f"this {type(node).__name__} is in a place the checker does "
                              f"not allow", node)
