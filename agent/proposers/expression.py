"""Expression trees over unary and binary primitives, in the spirit of the Swish search
(Ramachandran et al., 2017), emitted as readable Python that passes admission.

A tree is nested tuples, JSON-friendly: ``("x",)``, ``("c", 0.1)``, ``("u", "sin", t)``,
``("b", "add", t1, t2)``.
"""

from __future__ import annotations

import ast
import random

from actmine.evaluators.known import SEED, with_role

Tree = tuple

UNARY: dict[str, str] = {
    "neg": "(-{0})",
    "abs": "torch.abs({0})",
    "square": "torch.square({0})",
    "cube": "torch.pow({0}, 3)",
    "sqrt_abs": "torch.sqrt(torch.abs({0}) + 1e-3)",
    "exp": "torch.exp({0})",
    "log1p_abs": "torch.log1p(torch.abs({0}))",
    "sin": "torch.sin({0})",
    "cos": "torch.cos({0})",
    "tanh": "torch.tanh({0})",
    "sigmoid": "torch.sigmoid({0})",
    "erf": "torch.erf({0})",
    "atan": "torch.atan({0})",
    "gelu": "F.gelu({0})",
    "silu": "F.silu({0})",
    "softplus": "F.softplus({0})",
    "relu": "torch.relu({0})",
    "elu": "F.elu({0})",
    "sinc": "torch.sinc({0})",
}
BINARY: dict[str, str] = {
    "add": "({0} + {1})",
    "sub": "({0} - {1})",
    "mul": "({0} * {1})",
    "div": "({0} / (1 + torch.abs({1})))",  # protected division: never divides by ~0
    "max": "torch.maximum({0}, {1})",
    "min": "torch.minimum({0}, {1})",
    "gate": "({0} * torch.sigmoid({1}))",
}
MAX_SIZE = 15
TENSOR_ONLY_RIGHT = frozenset({"div", "gate", "max", "min"})
TENSOR_BOTH = frozenset({"max", "min"})

X: Tree = ("x",)

def from_expression(text: str) -> Tree:
    """The tree of a Python expression in x written in this vocabulary (the inverse of
    ``to_expr``: each primitive's template is matched on the AST). ValueError otherwise."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"not an expression: {text!r:.60}") from exc
    return _tree(node)


def _tree(node: ast.expr) -> Tree:
    if isinstance(node, ast.Name) and node.id == "x":
        return X
    value = _number(node)
    if value is not None:
        return ("c", value)
    for kind, name, arity, pattern in _PATTERNS:
        binds: dict[int, ast.expr] = {}
        if _match(pattern, node, binds) and len(binds) == arity:
            return (kind, name, *(_tree(binds[i]) for i in range(arity)))
    raise ValueError(f"not in the symbolic vocabulary: {ast.unparse(node)}")


def _number(node: ast.expr) -> float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return -inner if inner is not None else None
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    return None


def _pattern(template: str, arity: int) -> ast.expr:
    return ast.parse(template.format(*(f"_slot{i}_" for i in range(arity))), mode="eval").body


def _match(pattern: ast.AST, node: ast.AST, binds: dict[int, ast.expr]) -> bool:
    if isinstance(pattern, ast.Name) and pattern.id.startswith("_slot"):
        binds[int(pattern.id[5:-1])] = node
        return True
    if type(pattern) is not type(node):
        return False
    for field in pattern._fields:
        want, got = getattr(pattern, field), getattr(node, field, None)
        if isinstance(want, list):
            if not isinstance(got, list) or len(want) != len(got) or not all(
                    _match(w, g, binds) for w, g in zip(want, got)):
                return False
        elif isinstance(want, ast.AST):
            if not isinstance(got, ast.AST) or not _match(want, got, binds):
                return False
        elif want != got:
            return False
    return True


# Longest templates first, so the specific spelling wins ("a * torch.sigmoid(b)" is a gate
# before it is a product).
_PATTERNS = sorted([("u", name, 1, _pattern(t, 1)) for name, t in UNARY.items()]
                   + [("b", name, 2, _pattern(t, 2)) for name, t in BINARY.items()],
                   key=lambda row: -len(ast.unparse(row[3])))

# The starting trees: the known activations marked as seeds (evaluators/known.py).
SEEDS: dict[str, Tree] = {k.key: from_expression(k.expression) for k in with_role(SEED)}


def to_expr(tree: Tree) -> str:
    kind = tree[0]
    if kind == "x":
        return "x"
    if kind == "c":
        return _fmt(tree[1])
    if kind == "u":
        return UNARY[tree[1]].format(to_expr(tree[2]))
    return BINARY[tree[1]].format(to_expr(tree[2]), to_expr(tree[3]))


def to_source(tree: Tree, comment: str = "") -> str:
    expr = to_expr(tree)
    if expr.startswith("(") and expr.endswith(")") and _balanced(expr[1:-1]):
        expr = expr[1:-1]
    head = f"# {comment}\n" if comment else ""
    return (f"{head}import torch\nimport torch.nn.functional as F\n\n\n"
            f"def activation(x):\n    return {expr}\n")


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def _fmt(value: float) -> str:
    text = f"{value:.3g}"
    return f"({text})" if text.startswith("-") else text


def size(tree: Tree) -> int:
    return 1 + sum(size(c) for c in children(tree))


def children(tree: Tree) -> list[Tree]:
    if tree[0] == "u":
        return [tree[2]]
    if tree[0] == "b":
        return [tree[2], tree[3]]
    return []


def paths(tree: Tree, prefix: tuple[int, ...] = ()) -> list[tuple[int, ...]]:
    out = [prefix]
    for i, child in enumerate(children(tree)):
        out += paths(child, prefix + (i,))
    return out


def get(tree: Tree, path: tuple[int, ...]) -> Tree:
    for i in path:
        tree = children(tree)[i]
    return tree


def replace(tree: Tree, path: tuple[int, ...], new: Tree) -> Tree:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if tree[0] == "u":
        return ("u", tree[1], replace(tree[2], rest, new))
    kids = [tree[2], tree[3]]
    kids[head] = replace(kids[head], rest, new)
    return ("b", tree[1], kids[0], kids[1])


def random_constant(rng: random.Random) -> Tree:
    return ("c", rng.choice([0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, -0.5, -1.0]))


def random_tree(rng: random.Random, depth: int = 2) -> Tree:
    if depth <= 0 or rng.random() < 0.25:
        return X if rng.random() < 0.8 else random_constant(rng)
    if rng.random() < 0.5:
        return ("u", rng.choice(sorted(UNARY)), random_tree(rng, depth - 1))
    left = random_tree(rng, depth - 1)
    right = random_tree(rng, depth - 1)
    if left[0] == "c" and right[0] == "c":
        right = X
    return ("b", rng.choice(sorted(BINARY)), left, right)


# ------------------------------------------------------------------ operators
def point_mutation(tree: Tree, rng: random.Random) -> Tree:
    path = rng.choice(paths(tree))
    node = get(tree, path)
    if node[0] == "u":
        new = ("u", rng.choice(sorted(UNARY)), node[2])
    elif node[0] == "b":
        new = ("b", rng.choice(sorted(BINARY)), node[2], node[3])
    elif node[0] == "c":
        new = ("c", round(node[1] * rng.lognormvariate(0, 0.5), 3))
    else:
        new = ("u", rng.choice(sorted(UNARY)), X)
    return replace(tree, path, new)


def subtree_mutation(tree: Tree, rng: random.Random) -> Tree:
    return replace(tree, rng.choice(paths(tree)), random_tree(rng, 2))


def perturb(tree: Tree, rng: random.Random) -> Tree:
    """f -> f + c*g(x) or f * (1 + c*g(x)): the 'known function plus a small term' move."""
    c = ("c", rng.choice([0.05, 0.1, 0.2, 0.3, 0.5]))
    g = ("u", rng.choice(["sin", "cos", "sinc", "tanh", "erf", "atan"]), X)
    if rng.random() < 0.5:
        return ("b", "add", tree, ("b", "mul", c, g))
    return ("b", "mul", tree, ("b", "add", ("c", 1.0), ("b", "mul", c, g)))


def jitter_constants(tree: Tree, rng: random.Random) -> Tree:
    if tree[0] == "c":
        return ("c", round(tree[1] * rng.lognormvariate(0, 0.3) + rng.gauss(0, 0.02), 4))
    if tree[0] == "u":
        return ("u", tree[1], jitter_constants(tree[2], rng))
    if tree[0] == "b":
        return ("b", tree[1], jitter_constants(tree[2], rng), jitter_constants(tree[3], rng))
    return tree


def crossover(a: Tree, b: Tree, rng: random.Random) -> Tree:
    return replace(a, rng.choice(paths(a)), get(b, rng.choice(paths(b))))


def has_constant(tree: Tree) -> bool:
    return tree[0] == "c" or any(has_constant(c) for c in children(tree))


def uses_input(tree: Tree) -> bool:
    return tree[0] == "x" or any(uses_input(c) for c in children(tree))


def repair(tree: Tree) -> Tree:
    """Make every operator see the input: torch ops on bare Python numbers do not trace."""
    if tree[0] == "u":
        child = repair(tree[2])
        return ("u", tree[1], child if uses_input(child) else X)
    if tree[0] == "b":
        left, right = repair(tree[2]), repair(tree[3])
        if not uses_input(left) and not uses_input(right):
            right = X
        # These wrap a side in a torch call (abs, sigmoid, maximum), which needs a tensor.
        if tree[1] in TENSOR_ONLY_RIGHT and not uses_input(right):
            right = X
        if tree[1] in TENSOR_BOTH and not uses_input(left):
            left = X
        return ("b", tree[1], left, right)
    return tree


def from_json(data) -> Tree:
    """Rebuild a tree from its JSON list form, validating every node."""
    if not isinstance(data, (list, tuple)) or not data:
        raise ValueError("not a tree")
    kind = data[0]
    if kind == "x" and len(data) == 1:
        return X
    if kind == "c" and len(data) == 2 and isinstance(data[1], (int, float)):
        return ("c", float(data[1]))
    if kind == "u" and len(data) == 3 and data[1] in UNARY:
        return ("u", data[1], from_json(data[2]))
    if kind == "b" and len(data) == 4 and data[1] in BINARY:
        return ("b", data[1], from_json(data[2]), from_json(data[3]))
    raise ValueError(f"bad tree node {data!r:.60}")
