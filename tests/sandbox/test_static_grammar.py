"""The static filter against the whole Python grammar: every node type is banned or has a
role for each of its fields, every field Python evaluates has a hostile program that the
filter refuses, and a node no rule looked at is refused rather than run."""

from __future__ import annotations

import _ast
import ast

import pytest
from actmine.sandbox import static_check
from actmine.sandbox.allowlist import BANNED_NODES
from actmine.sandbox.grammar import ANNOTATION, EXPR, FIELDS, TARGET
from actmine.sandbox.reasons import Rejection

EVALUATED = (EXPR, ANNOTATION, TARGET)


def node_types() -> set[type]:
    """Concrete node types of the running Python, found by walking AST's subclasses (the
    deprecated aliases in ast.py, such as ast.Num, are never produced by the parser)."""
    found, stack = set(), [ast.AST]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if getattr(_ast, cls.__name__, None) is cls:
            found.add(cls)
    return {c for c in found if not any(d is not c and issubclass(d, c) for d in found)}


def test_every_node_type_is_banned_or_described_field_by_field():
    for cls in node_types():
        if cls in BANNED_NODES:
            assert cls not in FIELDS, cls.__name__
            continue
        assert cls in FIELDS, f"{cls.__name__} is neither banned nor described in grammar.py"
        assert set(FIELDS[cls]) == set(cls._fields), (
            f"{cls.__name__}: grammar.py describes {sorted(FIELDS[cls])}, Python has "
            f"{sorted(cls._fields)}")


def test_the_tables_name_only_real_node_types():
    assert set(FIELDS) | set(BANNED_NODES) <= node_types()


BAD = "torch.os.system('true')"  # passes the parser, names nothing the filter allows
HEAD = "import torch\n"
# One hostile program per evaluated field of every node type the filter accepts.
HOSTILE = {
    (ast.FunctionDef, "returns"): f"def activation(x) -> {BAD}:\n    return x\n",
    (ast.arg, "annotation"): f"def activation(x: {BAD}):\n    return x\n",
    (ast.Return, "value"): f"def activation(x):\n    return {BAD}\n",
    (ast.Assign, "targets"): f"def activation(x):\n    {BAD}.y = x\n    return x\n",
    (ast.Assign, "value"): f"C = {BAD}\ndef activation(x):\n    return x\n",
    (ast.AugAssign, "target"): "def activation(x):\n    torch.pi += 1\n    return x\n",
    (ast.AugAssign, "value"): f"def activation(x):\n    x += {BAD}\n    return x\n",
    (ast.AnnAssign, "target"): "torch.pi: float = 1.0\ndef activation(x):\n    return x\n",
    (ast.AnnAssign, "annotation"): f"C: {BAD} = 1.0\ndef activation(x):\n    return x\n",
    (ast.AnnAssign, "value"): f"C: float = {BAD}\ndef activation(x):\n    return x\n",
    (ast.For, "target"): "def activation(x):\n    for torch.pi in range(3):\n"
                         "        x = x + 1\n    return x\n",
    (ast.For, "iter"): f"def activation(x):\n    for i in {BAD}:\n        x = x + 1\n    return x\n",
    (ast.If, "test"): f"def activation(x):\n    if {BAD}:\n        return x\n    return x\n",
    (ast.Expr, "value"): f"def activation(x):\n    {BAD}\n    return x\n",
    (ast.BoolOp, "values"): f"def activation(x):\n    return x or {BAD}\n",
    (ast.BinOp, "left"): f"def activation(x):\n    return {BAD} + x\n",
    (ast.BinOp, "right"): f"def activation(x):\n    return x + {BAD}\n",
    (ast.UnaryOp, "operand"): f"def activation(x):\n    return -{BAD}\n",
    (ast.Lambda, "body"): f"def activation(x):\n    f = lambda v: {BAD}\n    return f(x)\n",
    (ast.IfExp, "test"): f"def activation(x):\n    return x if {BAD} else x\n",
    (ast.IfExp, "body"): f"def activation(x):\n    return {BAD} if x else x\n",
    (ast.IfExp, "orelse"): f"def activation(x):\n    return x if x else {BAD}\n",
    (ast.ListComp, "elt"): f"def activation(x):\n    return sum([{BAD} for i in range(2)])\n",
    (ast.ListComp, "generators"): f"def activation(x):\n    return sum([x for i in {BAD}])\n",
    (ast.GeneratorExp, "elt"): f"def activation(x):\n    return sum({BAD} for i in range(2))\n",
    (ast.GeneratorExp, "generators"): f"def activation(x):\n    return sum(x for i in {BAD})\n",
    (ast.comprehension, "target"): "def activation(x):\n"
                                   "    return sum(x for torch.pi in range(2))\n",
    (ast.comprehension, "iter"): f"def activation(x):\n    return sum(x for i in {BAD})\n",
    (ast.Compare, "left"): f"def activation(x):\n    return torch.where({BAD} > x, x, x)\n",
    (ast.Compare, "comparators"): f"def activation(x):\n    return torch.where(x > {BAD}, x, x)\n",
    (ast.Call, "func"): "def activation(x):\n    return torch.os.system(x)\n",
    (ast.Call, "args"): f"def activation(x):\n    return torch.sin({BAD})\n",
    (ast.Call, "keywords"): f"def activation(x):\n    return torch.clamp(x, min={BAD})\n",
    (ast.keyword, "value"): f"def activation(x):\n    return torch.clamp(x, max={BAD})\n",
    (ast.Attribute, "value"): f"def activation(x):\n    return ({BAD}).sin()\n",
    (ast.List, "elts"): f"def activation(x):\n    return sum([x, {BAD}])\n",
    (ast.Tuple, "elts"): f"def activation(x):\n    a, b = x, {BAD}\n    return a\n",
}


def test_every_evaluated_field_has_a_hostile_program():
    evaluated = {(cls, name) for cls, roles in FIELDS.items()
                 for name, role in roles.items() if role in EVALUATED}
    assert set(HOSTILE) == evaluated


@pytest.mark.parametrize("where", HOSTILE, ids=lambda k: f"{k[0].__name__}.{k[1]}")
def test_hostile_code_in_any_evaluated_field_is_refused(where):
    source = HEAD + HOSTILE[where]
    ast.parse(source)  # the program itself is valid Python
    with pytest.raises(Rejection):
        static_check.check_source(source)


def test_a_node_no_rule_looked_at_is_refused(monkeypatch):
    """Fail closed: were the annotation rule forgotten, the walk still refuses the node."""
    monkeypatch.setattr(static_check._Checker, "_check_annotation", lambda self, node: None)
    with pytest.raises(Rejection, match="checker does not allow"):
        static_check.check_source("import torch\nC: print = 1.0\n\ndef activation(x):\n"
                                  "    return x * C\n")


def test_a_field_a_newer_python_adds_must_be_empty():
    tree = ast.parse("def activation(x):\n    return x\n")
    tree.body[0]._fields = (*tree.body[0]._fields, "type_params")  # as 3.12 has
    tree.body[0].type_params = [ast.Name("T", ast.Load())]
    from actmine.sandbox.grammar import check_shape

    with pytest.raises(Rejection, match="type_params"):
        check_shape(tree)


@pytest.mark.parametrize("source", [
    "import torch\nC: float = 2.0\n\ndef activation(x: torch.Tensor) -> torch.Tensor:\n"
    "    y: torch.Tensor = x * C\n    return y\n",
    "import torch\nC: 'anything at all' = 2.0\n\ndef activation(x):\n    return x * C\n",
    "import torch\nC = torch.tensor(-2.0)\n\ndef activation(x):\n    return x * C\n",
])
def test_plain_annotations_and_constants_pass(source):
    static_check.check_source(source)
