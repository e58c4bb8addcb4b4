"""Static admission: an AST allowlist applied before anything runs.

It is a cheap first filter and shrinks the attack surface; it is not the security
boundary (the OS sandbox is) and not the pointwise proof (the traced IR is). It works
on the parsed AST, never on regexes, so Unicode look-alikes are normalised by the parser.
The tables it applies are in sandbox/allowlist.py; the grammar it accepts, field by
field, in sandbox/grammar.py (it fails closed: a node no rule looked at is refused); the
cache key of a source in sandbox/fingerprint.py.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .allowlist import (
    ALLOWED_STRINGS,
    ANNOTATION_TYPES,
    BANNED_NODES,
    FUNCTIONAL_FUNCS,
    MATH_NAMES,
    MAX_CONSTANT,
    MAX_LOOP_BOUND,
    MAX_POWER,
    NOT_POINTWISE,
    POINTWISE_FUNCS,
    SAFE_BUILTINS,
    SPECIAL_FUNCS,
    TENSOR_METHODS,
    TORCH_CONSTANTS,
)
from .fingerprint import fingerprint
from .grammar import Coverage, check_shape
from .reasons import Category, Rejection
from .static_limits import check_size, check_unrolled, parse, reject


@dataclass(frozen=True)
class StaticReport:
    fingerprint: str  # hash of the normalised AST (comments/docstrings/format removed)
    helpers: tuple[str, ...]


def _not_pointwise(qualified: str, attr: str, node: ast.AST) -> Rejection | None:
    why = NOT_POINTWISE.get(attr)
    if why is None:
        return None
    return reject(f"{qualified} {why}, so it is not pointwise; use elementwise ops only",
                  node, Category.NOT_POINTWISE)


def check_source(source: str) -> StaticReport:
    """Raise Rejection unless the source fits the candidate contract."""
    tree = parse(source)
    check_size(tree)
    check_shape(tree)
    checker = _Checker()
    checker.check_module(tree)
    checker.coverage.assert_complete(tree)
    return StaticReport(fingerprint(tree), tuple(sorted(checker.helpers - {"activation"})))


class _Checker:
    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}  # local name -> 'torch' | 'F' | 'math' | 'math:<name>'
        self.helpers: set[str] = set()
        self.constants: set[str] = set()
        self.locals: set[str] = set()
        self.coverage = Coverage()  # every node a rule looked at

    # -------------------------------------------------------------- module
    def check_module(self, tree: ast.Module) -> None:
        self.coverage.node(tree)
        body = list(tree.body)
        if body and _is_docstring(body[0]):
            self.coverage.tree(body[0])
            body = body[1:]
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self._check_import(stmt)
                self.coverage.tree(stmt)  # module and alias names only, all checked
            elif isinstance(stmt, ast.FunctionDef):
                if stmt.name in self.helpers:
                    raise reject(f"function {stmt.name!r} is defined twice", stmt)
                if stmt.name.startswith("__"):
                    raise reject("dunder names are not allowed", stmt)
                self.helpers.add(stmt.name)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for t in targets:
                    if not isinstance(t, ast.Name):
                        raise reject("module-level assignments must bind plain names", stmt)
                    self._check_binding(t.id, stmt)
                    self.constants.add(t.id)
                    self.coverage.tree(t)
                self.coverage.node(stmt)
                if isinstance(stmt, ast.AnnAssign):  # evaluated at import time
                    self._check_annotation(stmt.annotation)
            elif isinstance(stmt, ast.Pass) or _is_docstring(stmt):
                self.coverage.tree(stmt)
            else:
                raise reject(
                    f"only imports, constants and function definitions may appear at module level, "
                    f"not {type(stmt).__name__}", stmt)
        if "activation" not in self.helpers:
            raise reject("define exactly one function named 'activation(x)'")
        # Module constants are evaluated at import time: they may only use constants.
        for stmt in body:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                self._check_expr(stmt.value, names=self.constants | set(self.aliases))
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef):
                self._check_function(stmt)

    def _check_import(self, stmt: ast.Import | ast.ImportFrom) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                name, asname = alias.name, alias.asname
                if name == "torch" and asname in (None, "torch"):
                    self.aliases["torch"] = "torch"
                elif name == "math" and asname in (None, "math"):
                    self.aliases["math"] = "math"
                elif name == "torch.nn.functional" and asname == "F":
                    self.aliases["F"] = "F"
                elif name in ("torch.nn.functional", "torch.nn") and asname is None:
                    self.aliases["torch"] = "torch"
                else:
                    raise reject(
                        f"import of {name!r} is not allowed; only 'import torch', 'import math' "
                        f"and 'import torch.nn.functional as F'", stmt)
            return
        module = stmt.module or ""
        if stmt.level:
            raise reject("relative imports are not allowed", stmt)
        for alias in stmt.names:
            if module == "torch.nn" and alias.name == "functional" and alias.asname == "F":
                self.aliases["F"] = "F"
            elif module == "math" and alias.name in MATH_NAMES and alias.asname is None:
                self.aliases[alias.name] = f"math:{alias.name}"
            else:
                raise reject(f"'from {module} import {alias.name}' is not allowed", stmt)

    def _check_binding(self, name: str, node: ast.AST) -> None:
        if name.startswith("__") or name in ("torch", "F", "math"):
            raise reject(f"the name {name!r} cannot be assigned", node)

    # ----------------------------------------------------------- functions
    def _check_function(self, fn: ast.FunctionDef) -> None:
        if fn.decorator_list:
            raise reject("decorators are not allowed", fn)
        self.coverage.node(fn)
        self.coverage.node(fn.args)
        args = fn.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            raise reject("functions may only take plain positional parameters", fn)
        if args.defaults or args.kw_defaults:
            raise reject("default argument values are not allowed", fn)
        if fn.name == "activation" and len(args.args) != 1:
            raise reject("activation must take exactly one parameter, the tensor x", fn)
        for a in args.args:
            self._check_binding(a.arg, fn)
            self.coverage.node(a)
            if a.annotation is not None:
                self._check_annotation(a.annotation)
        if fn.returns is not None:
            self._check_annotation(fn.returns)
        local_names = {a.arg for a in args.args}
        for node in ast.walk(fn):
            if isinstance(node, ast.FunctionDef) and node is not fn:
                raise reject("nested functions are not allowed; define helpers at module level", node)
            if isinstance(node, ast.Lambda):
                if node.args.defaults or node.args.kw_defaults or node.args.vararg or node.args.kwarg:
                    raise reject("lambdas with default or star arguments are not allowed", node)
                local_names |= {a.arg for a in node.args.args}
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self._check_binding(node.id, node)
                local_names.add(node.id)
            if isinstance(node, ast.comprehension):
                self._check_range(node.iter)
                if node.ifs or node.is_async:
                    raise reject("comprehension filters are not allowed", node)
        names = local_names | self.helpers | self.constants | set(self.aliases) | SAFE_BUILTINS
        for stmt in fn.body:
            self._check_stmt(stmt, names)
        check_unrolled(fn, 1)

    def _check_annotation(self, node: ast.AST) -> None:
        """Python evaluates annotations of parameters, returns and module-level names when
        the def or the module runs, so they may only name a type (a string is never run)."""
        self.coverage.tree(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return
        if isinstance(node, ast.Name) and node.id in ANNOTATION_TYPES:
            return
        chain = self._attribute_chain(node) if isinstance(node, ast.Attribute) else None
        if chain and len(chain) == 2 and self.aliases.get(chain[0]) == "torch" \
                and chain[1] == "Tensor":
            return
        raise reject("annotations may only be torch.Tensor, float, int or bool", node)

    def _check_stmt(self, stmt: ast.stmt, names: set[str]) -> None:
        if _is_docstring(stmt) or isinstance(stmt, (ast.Pass, ast.Break, ast.Continue)):
            self.coverage.tree(stmt)
            return
        self.coverage.node(stmt)
        if isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                self._check_target(t)
            self._check_expr(stmt.value, names)
        elif isinstance(stmt, ast.AugAssign):
            self._check_target(stmt.target)
            if isinstance(stmt.op, ast.MatMult):
                raise reject("matrix multiplication is not pointwise", stmt)
            self._check_expr(stmt.value, names)
        elif isinstance(stmt, ast.AnnAssign):
            self._check_target(stmt.target)
            self._check_annotation(stmt.annotation)
            if stmt.value is not None:
                self._check_expr(stmt.value, names)
        elif isinstance(stmt, ast.Return):
            if stmt.value is None:
                raise reject("activation must return a tensor", stmt)
            self._check_expr(stmt.value, names)
        elif isinstance(stmt, ast.If):
            self._check_expr(stmt.test, names)
            for s in stmt.body + stmt.orelse:
                self._check_stmt(s, names)
        elif isinstance(stmt, ast.For):
            self._check_target(stmt.target)
            self._check_range(stmt.iter)
            if stmt.orelse:
                raise reject("for/else is not allowed", stmt)
            for s in stmt.body:
                self._check_stmt(s, names)
        elif isinstance(stmt, ast.Expr):
            raise reject("bare expressions have no effect; assign or return the value", stmt)
        else:
            raise reject(f"{type(stmt).__name__} statements are not allowed", stmt)

    def _check_target(self, target: ast.AST) -> None:
        self.coverage.tree(target)
        if isinstance(target, ast.Name):
            return
        if isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
            return
        raise reject("only plain names can be assigned (no attributes or indexing)", target)

    def _check_range(self, node: ast.AST) -> None:
        self.coverage.tree(node)
        ok = (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "range" and not node.keywords and 1 <= len(node.args) <= 3
              and all(isinstance(a, ast.Constant) and type(a.value) is int for a in node.args))
        if not ok:
            raise reject("loops must run over range() with integer literal bounds", node)
        bounds = [a.value for a in node.args]
        if len(range(*bounds)) > MAX_LOOP_BOUND:
            raise reject(f"loops may run at most {MAX_LOOP_BOUND} iterations (each one is "
                         f"traced into ops that cost FLOPs); use fewer terms", node,
                         Category.OVER_BUDGET)

    # --------------------------------------------------------- expressions
    def _check_expr(self, expr: ast.AST, names: set[str]) -> None:
        self.coverage.tree(expr)  # every node below is judged by the loops here
        # range() is fine as the bound of a comprehension (checked by _check_range).
        loop_bounds = {id(gen.iter) for node in ast.walk(expr)
                       if isinstance(node, (ast.ListComp, ast.GeneratorExp))
                       for gen in node.generators}
        # Inner links of a module path are judged by the whole path, on the outer node.
        module_prefixes = {id(node.value) for node in ast.walk(expr)
                           if isinstance(node, ast.Attribute)
                           and isinstance(node.value, ast.Attribute)
                           and (self._attribute_chain(node.value) or [""])[0] in self.aliases}
        # Name a reduction or reordering first: "x.sort is not pointwise" tells a model
        # more than "'.values' is not allowed" about the same line.
        for node in ast.walk(expr):
            if isinstance(node, ast.Attribute) and node.attr not in TENSOR_METHODS:
                chain = self._attribute_chain(node)
                bad = _not_pointwise(".".join(chain) if chain else f"<expr>.{node.attr}",
                                     node.attr, node)
                if bad is not None:
                    raise bad
        for node in ast.walk(expr):
            if type(node) in BANNED_NODES:
                raise reject(BANNED_NODES[type(node)], node)
            if isinstance(node, ast.Name):
                if node.id == "len":
                    raise reject("len() reads the tensor's shape, so it is not pointwise", node,
                                 Category.NOT_POINTWISE)
                if node.id.startswith("__"):
                    raise reject(f"dunder names like {node.id!r} are not allowed", node)
                if isinstance(node.ctx, ast.Load) and node.id not in names:
                    raise reject(f"the name {node.id!r} is not defined or not allowed", node)
            elif isinstance(node, ast.Attribute):
                if id(node) in module_prefixes:  # torch.nn in torch.nn.functional.gelu
                    if node.attr.startswith("_"):
                        raise reject(f"private attributes like {node.attr!r} are not allowed",
                                     node)
                    continue
                self._check_attribute(node)
            elif isinstance(node, ast.Call):
                if id(node) not in loop_bounds:
                    self._check_call(node)
            elif isinstance(node, ast.Constant):
                self._check_constant(node)
            elif isinstance(node, ast.BinOp):
                if isinstance(node.op, ast.MatMult):
                    raise reject("matrix multiplication is not pointwise", node)
                if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant):
                    if isinstance(node.right.value, (int, float)) and abs(node.right.value) > MAX_POWER:
                        raise reject(f"exponents above {MAX_POWER} are not allowed", node)
                    if isinstance(node.left, ast.Constant):
                        raise reject("constant ** constant is not allowed; write the value", node)
            elif isinstance(node, (ast.ListComp, ast.GeneratorExp)):
                for gen in node.generators:
                    self._check_range(gen.iter)
                    self._check_target(gen.target)  # `for torch.pi in` would assign
            elif isinstance(node, ast.Lambda):
                if node.args.defaults or node.args.kw_defaults:
                    raise reject("lambdas with default arguments are not allowed", node)
            elif isinstance(node, ast.keyword) and node.arg is None:
                raise reject("**kwargs calls are not allowed", node)

    def _check_constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, (int, float)):
            if abs(value) > MAX_CONSTANT:
                raise reject(f"numeric constants must be at most {MAX_CONSTANT:g} in magnitude", node)
            return
        if isinstance(value, str) and value in ALLOWED_STRINGS:
            return
        raise reject(f"the constant {value!r:.40} is not allowed", node)

    def _attribute_chain(self, node: ast.Attribute) -> list[str] | None:
        parts = []
        cur: ast.AST = node
        while isinstance(cur, ast.Attribute):
            parts.append(cur.attr)
            cur = cur.value
        if isinstance(cur, ast.Name):
            parts.append(cur.id)
            return parts[::-1]
        return None

    def _check_attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("_"):
            raise reject(f"private or dunder attributes like {node.attr!r} are not allowed", node)
        chain = self._attribute_chain(node)  # not-pointwise names were refused by _check_expr
        if chain is None:
            # e.g. (x * 2).sigmoid(): a method on an expression.
            if node.attr not in TENSOR_METHODS:
                raise reject(f"the tensor method {node.attr!r} is not allowed", node)
            return
        root = self.aliases.get(chain[0])
        if root is None:  # a method on a local tensor
            if len(chain) != 2 or node.attr not in TENSOR_METHODS:
                raise reject(f"'{'.'.join(chain)}' is not allowed; only pointwise tensor methods", node)
            return
        qualified = ".".join(chain)
        if not _allowed_qualified(root, chain[1:]):
            raise reject(f"'{qualified}' is not in the allowlist of pointwise functions", node)

    def _check_call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id == "range":
                raise reject("range() may only appear as a for-loop bound", node)
            return  # names were checked against helpers/builtins
        if isinstance(func, ast.Attribute):
            chain = self._attribute_chain(func)
            if chain and self.aliases.get(chain[0]) == "torch" and len(chain) == 2 \
                    and chain[1] in TORCH_CONSTANTS:
                raise reject(f"'{'.'.join(chain)}(...)' is not allowed; torch.Tensor and "
                             f"dtypes are not functions of x", node)
            if chain and chain[0] in self.aliases and chain[1:] == ["tensor"]:
                # A number, not an expression: torch.tensor(t) of a tensor would cut its
                # gradient (a straight-through estimator the IR could not express).
                ok = (len(node.args) == 1 and _is_number(node.args[0])
                      and all(k.arg == "dtype" for k in node.keywords))
                if not ok:
                    raise reject("torch.tensor() may only wrap a single number", node)
            if func.attr == "to":
                if node.args or any(k.arg != "dtype" for k in node.keywords):
                    raise reject(".to() may only change the dtype (to(dtype=...))", node)
            return
        if isinstance(func, ast.Lambda):
            return
        raise reject("calls must name a function directly", node)


def _allowed_qualified(root: str, rest: list[str]) -> bool:
    if root.startswith("math:"):
        return not rest
    if root == "math":
        return len(rest) == 1 and rest[0] in MATH_NAMES
    if root == "F":
        return len(rest) == 1 and rest[0] in FUNCTIONAL_FUNCS
    # torch
    if len(rest) == 1:
        return rest[0] in POINTWISE_FUNCS or rest[0] in TORCH_CONSTANTS or rest[0] in (
            "tensor", "selu", "celu")
    if len(rest) == 2 and rest[0] == "special":
        return rest[1] in SPECIAL_FUNCS
    if len(rest) == 3 and rest[:2] == ["nn", "functional"]:
        return rest[2] in FUNCTIONAL_FUNCS
    return False


def _is_number(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(
        stmt.value.value, str)
