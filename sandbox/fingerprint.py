"""The cache key of a source text: a hash of its normalised AST, so comments, docstrings and
formatting never make two spellings of one program look different."""

from __future__ import annotations

import ast
import hashlib

from .allowlist import MAX_SOURCE_BYTES


def fingerprint(tree: ast.Module) -> str:
    """Hash of the AST with docstrings removed: comments and formatting never reach the AST."""
    stripped = _strip_docstrings(tree)
    dump = ast.dump(stripped, annotate_fields=False, include_attributes=False)
    return hashlib.sha256(dump.encode()).hexdigest()[:24]


def source_fingerprint(source: str) -> str | None:
    """None for text the static filter would refuse unparsed (too long, no syntax): parsing
    megabytes of a model's answer would cost seconds before its size is ever checked."""
    if len(source) > MAX_SOURCE_BYTES or len(source.encode("utf-8", "replace")) > MAX_SOURCE_BYTES:
        return None
    try:
        return fingerprint(ast.parse(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _strip_docstrings(tree: ast.Module) -> ast.Module:
    tree = ast.parse(ast.unparse(tree))  # a private copy

    def strip(body: list) -> list:
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:] or [ast.Pass()]
        return body

    tree.body = strip(tree.body)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            node.body = strip(node.body)
    return tree
