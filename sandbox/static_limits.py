"""The static filter's size limits: source bytes before parsing, syntax nodes and depth
after it, and the number of iterations nested constant loops unroll into (each one is
traced into ops). Used by sandbox/static_check.py.
"""

from __future__ import annotations

import ast

from .allowlist import MAX_AST_DEPTH, MAX_AST_NODES, MAX_SOURCE_BYTES, MAX_UNROLLED
from .reasons import Category, Rejection


def reject(reason: str, node: ast.AST | None = None,
           category: Category = Category.FORBIDDEN) -> Rejection:
    where = f" (line {node.lineno})" if node is not None and hasattr(node, "lineno") else ""
    return Rejection(category, reason + where)


def parse(source: str) -> ast.Module:
    if len(source.encode("utf-8", "replace")) > MAX_SOURCE_BYTES:
        raise Rejection(Category.FORBIDDEN,
                        f"source is longer than {MAX_SOURCE_BYTES} bytes; write a shorter function")
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        raise Rejection(Category.SYNTAX, f"syntax error: {exc.msg} (line {exc.lineno})") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise Rejection(Category.SYNTAX, f"could not parse the source: {type(exc).__name__}") from None


def check_size(tree: ast.Module) -> None:
    count = 0

    def depth(node: ast.AST, level: int) -> None:
        nonlocal count
        count += 1
        if count > MAX_AST_NODES:
            raise reject(f"the program has more than {MAX_AST_NODES} syntax nodes; simplify it")
        if level > MAX_AST_DEPTH:
            raise reject(f"expressions are nested more than {MAX_AST_DEPTH} deep; simplify them")
        for child in ast.iter_child_nodes(node):
            depth(child, level + 1)

    depth(tree, 0)


def _loop_length(node: ast.AST) -> int:
    if isinstance(node, ast.For):
        return len(range(*[a.value for a in node.iter.args]))
    if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
        total = 1
        for gen in node.generators:
            total *= len(range(*[a.value for a in gen.iter.args]))
        return total
    return 1


def check_unrolled(node: ast.AST, factor: int) -> None:
    """Nested constant loops multiply: 32 x 32 iterations is a 1,024-term series."""
    for child in ast.iter_child_nodes(node):
        inner = factor * _loop_length(child)
        if inner > MAX_UNROLLED:
            raise reject(f"nested loops unroll into {inner} iterations, over the cap of "
                         f"{MAX_UNROLLED}; use fewer terms", child, Category.OVER_BUDGET)
        check_unrolled(child, inner)
