"""From a model's answer to candidate source text.

The answer is untrusted text and stays text here: it is parsed with ``ast`` (which never
runs anything) to find and tidy the function, and the result goes to the sandbox like any
other proposal. Tidying is limited to what weak models routinely get wrong and the checker
would otherwise reject for reasons unrelated to the idea: a function under another name,
and demo code around it (``print(activation(5))``, ``if __name__ == "__main__":``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

ENTRY = "activation"
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)


class ParseFailure(Exception):
    """The answer holds no usable function; ``category`` and the message are stored."""

    def __init__(self, category: str, reason: str):
        super().__init__(reason)
        self.category = category
        self.reason = reason


@dataclass(frozen=True)
class Extracted:
    source: str
    notes: tuple[str, ...] = ()  # what tidying did, kept with the program


def code_blocks(text: str) -> list[str]:
    """Fenced blocks in order; an unclosed last fence (a truncated answer) runs to the end."""
    return [body for lang, body in _FENCE.findall(text)
            if lang.lower() in ("", "python", "py", "python3")]


def extract_code(text: str) -> Extracted:
    """The candidate module in an answer: the fenced block that defines ``activation`` (or
    else the last one defining any function), or the code-looking tail of unfenced prose."""
    blocks = code_blocks(text)
    if blocks:
        chosen = (_last(blocks, lambda b: re.search(rf"^\s*def\s+{ENTRY}\s*\(", b, re.M))
                  or _last(blocks, lambda b: re.search(r"^\s*def\s+\w+\s*\(", b, re.M)))
        if chosen is None:
            raise ParseFailure("no_code", "the answer's code blocks define no function; "
                               f"define {ENTRY}(x) in one ```python block")
        return tidy(chosen)
    start = re.search(r"^(import |from |def )", text, re.M)
    if start is None:
        raise ParseFailure("no_code", f"the answer contains no code; define {ENTRY}(x) in one "
                           "```python block")
    return tidy(text[start.start():])


def _last(blocks: list[str], predicate):
    for block in reversed(blocks):
        if predicate(block):
            return block
    return None


def tidy(source: str) -> Extracted:
    """Keep imports, functions and constant assignments; name the entry point ``activation``
    when that is unambiguous. Source that does not parse is returned as is: the checker's
    syntax message is what the repair prompt needs."""
    source = source.strip("\n") + "\n"
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return Extracted(source)
    notes: list[str] = []
    kept, dropped = [], 0
    for stmt in tree.body:
        if isinstance(stmt, ast.Import | ast.ImportFrom | ast.FunctionDef) or _is_constant(stmt):
            kept.append(stmt)
        elif not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            dropped += 1  # module docstrings vanish silently; demo code is noted
    if dropped:
        notes.append(f"dropped {dropped} top-level statement(s) besides imports and functions")
    functions = [s for s in kept if isinstance(s, ast.FunctionDef)]
    names = [f.name for f in functions]
    if not functions:
        raise ParseFailure("no_code", f"the code defines no function; define {ENTRY}(x)")
    if ENTRY not in names:
        entry = _entry_point(functions)
        if entry is None:
            raise ParseFailure("no_code", f"ambiguous: defines {', '.join(names)} but no "
                               f"{ENTRY}; name the entry point {ENTRY}")
        _rename(kept, entry, ENTRY)
        notes.append(f"renamed {entry}() to {ENTRY}()")
    missing = _missing_imports(kept)
    if missing:
        kept = [*(ast.parse(line).body[0] for line in missing), *kept]
        notes.append(f"added {'; '.join(missing)}")
    if not notes:
        return Extracted(source)
    tree.body = kept
    return Extracted(ast.unparse(tree) + "\n", tuple(notes))


_IMPORTS = {"torch": "import torch", "F": "import torch.nn.functional as F",
            "math": "import math"}


def _missing_imports(statements: list[ast.stmt]) -> list[str]:
    """Imports of torch, F and math that the code uses but forgot (weak models often do)."""
    bound = set()
    for stmt in statements:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            bound |= {(a.asname or a.name).split(".")[0] for a in stmt.names}
    used = {n.id for stmt in statements for n in ast.walk(stmt) if isinstance(n, ast.Name)}
    return [line for name, line in _IMPORTS.items() if name in used and name not in bound]


def _is_constant(stmt: ast.stmt) -> bool:
    """``ALPHA = 0.5`` and ``BETA = -1.0``: module constants a function may use."""
    if not (isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets)):
        return False
    value = stmt.value
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub | ast.UAdd):
        value = value.operand
    return isinstance(value, ast.Constant) and isinstance(value.value, int | float)


def _entry_point(functions: list[ast.FunctionDef]) -> str | None:
    """The one function no other function calls (helpers are called by the entry point)."""
    if len(functions) == 1:
        return functions[0].name
    names = {f.name for f in functions}
    called = {n.id for f in functions for n in ast.walk(f)
              if isinstance(n, ast.Name) and n.id in names and n.id != f.name}
    roots = [f.name for f in functions if f.name not in called]
    return roots[0] if len(roots) == 1 else None


def _rename(statements: list[ast.stmt], old: str, new: str) -> None:
    for stmt in statements:
        for node in ast.walk(stmt):
            if isinstance(node, ast.FunctionDef) and node.name == old:
                node.name = new
            elif isinstance(node, ast.Name) and node.id == old:
                node.id = new
