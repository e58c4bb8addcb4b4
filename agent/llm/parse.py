"""From a model's answer to candidate source text.

The answer is untrusted text and stays text here: it is parsed with ``ast`` (which never
runs anything) to find and tidy the function, and the result goes to the sandbox like any
other proposal. Tidying is limited to what weak models routinely get wrong and the checker
would otherwise reject for reasons unrelated to the idea: a function under another name,
and demo code around it (``print(activation(5))``, ``if __name__ == "__main__":``).

An answer can be anything a model (or whoever answers in its place) sends, so every step
is linear in its size and sizes are capped before any parsing: no regex here can
backtrack, fences and definitions are found with ``str.find`` and per-line matches.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from actmine.sandbox.allowlist import MAX_SOURCE_BYTES

ENTRY = "activation"
MAX_ANSWER_CHARS = 64 * 1024  # a module is at most 8 KB; the rest is prose
MAX_TIDY_CHARS = 2 * MAX_SOURCE_BYTES  # longer code is left to the checker's size limit
_LANG = re.compile(r"[ \t]*([A-Za-z0-9_+-]*)")
_DEF = re.compile(r"def[ \t]+(\w+)[ \t]*\(")


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


def check_size(text: str) -> None:
    """Refuse an answer too long to be a function plus its explanation, before parsing."""
    if len(text) > MAX_ANSWER_CHARS:
        raise ParseFailure("too_long", f"the answer is {len(text)} characters long, over "
                           f"{MAX_ANSWER_CHARS}; answer with one short ```python block")


def code_blocks(text: str) -> list[str]:
    """Fenced blocks in order; an unclosed last fence (a truncated answer) runs to the end.
    A fence opens at ``` followed by a language and a newline, and closes at the next ```."""
    blocks, pos = [], 0
    while (start := text.find("```", pos)) >= 0:
        newline = text.find("\n", start + 3)
        if newline < 0:
            break  # a fence with no body
        lang = _LANG.match(text, start + 3, newline).group(1)
        end = text.find("```", newline + 1)
        body = text[newline + 1:] if end < 0 else text[newline + 1:end]
        if lang.lower() in ("", "python", "py", "python3"):
            blocks.append(body)
        if end < 0:
            break
        pos = end + 3
    return blocks


def defined_names(code: str) -> list[str]:
    """Names after ``def`` at the start of a line (indentation allowed), in order."""
    names = []
    for line in code.splitlines():
        match = _DEF.match(line.lstrip(" \t"))
        if match:
            names.append(match.group(1))
    return names


def extract_code(text: str) -> Extracted:
    """The candidate module in an answer: the fenced block that defines ``activation`` (or
    else the last one defining any function), or the code-looking tail of unfenced prose."""
    check_size(text)
    blocks = code_blocks(text)
    if blocks:
        named = [defined_names(b) for b in blocks]
        chosen = (_last(blocks, named, lambda names: ENTRY in names)
                  or _last(blocks, named, bool))
        if chosen is None:
            raise ParseFailure("no_code", "the answer's code blocks define no function; "
                               f"define {ENTRY}(x) in one ```python block")
        return tidy(chosen)
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.startswith(("import ", "from ", "def ")):
            return tidy(text[offset:])
        offset += len(line)
    raise ParseFailure("no_code", f"the answer contains no code; define {ENTRY}(x) in one "
                       "```python block")


def _last(blocks: list[str], named: list[list[str]], predicate):
    for block, names in zip(reversed(blocks), reversed(named)):
        if predicate(names):
            return block
    return None


def tidy(source: str) -> Extracted:
    """Keep imports, functions and constant assignments; name the entry point ``activation``
    when that is unambiguous. Source that does not parse is returned as is: the checker's
    syntax message is what the repair prompt needs."""
    source = source.strip("\n") + "\n"
    if len(source) > MAX_TIDY_CHARS:
        return Extracted(source)  # the checker refuses it by size, without parsing it
    try:
        return _tidy(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return Extracted(source)  # deep nesting and the like: the checker says why


def _tidy(source: str) -> Extracted:
    tree = ast.parse(source)
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
