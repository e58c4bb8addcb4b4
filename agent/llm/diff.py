"""SEARCH/REPLACE edits against a parent's source, applied as text.

    <<<<<<< SEARCH
    exact lines from the parent
    =======
    replacement lines
    >>>>>>> REPLACE

Weaker models copy lines imperfectly (peers' most reported diff failure), so a block that
is matched as whole lines ignoring trailing whitespace, then ignoring indentation (the
replacement is re-indented by the same amount), and a one-line SEARCH may match a fragment
of a line. A block that still matches nothing,
or edits that leave the parent unchanged, is a failure with a reason the model can act on
(never silently skipped: that would evaluate the parent again under a new name).

Blocks are found line by line with a three-state scanner: linear in the answer's size
(the regex it replaces backtracked cubically on unclosed markers).
"""

from __future__ import annotations

import re

from .parse import ParseFailure, check_size

MAX_BLOCKS = 32
_SEARCH = re.compile(r"[ \t]*<{5,9}[ \t]*SEARCH[ \t]*$")
_DIVIDER = re.compile(r"[ \t]*={5,9}[ \t]*$")
_REPLACE = re.compile(r"[ \t]*>{5,9}[ \t]*REPLACE")


def diff_blocks(text: str) -> list[tuple[str, str]]:
    """(search, replace) pairs in order; each part keeps its lines' newlines."""
    check_size(text)
    blocks: list[tuple[str, str]] = []
    state, search, replace = "outside", [], []
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        if state == "outside":
            if _SEARCH.match(bare):
                state, search, replace = "search", [], []
        elif state == "search":
            if _DIVIDER.match(bare):
                state = "replace"
            else:
                search.append(line)
        elif _REPLACE.match(bare):
            blocks.append(("".join(search), "".join(replace)))
            state = "outside"
            if len(blocks) > MAX_BLOCKS:
                raise ParseFailure("bad_diff", f"more than {MAX_BLOCKS} SEARCH/REPLACE blocks; "
                                   "rewrite the function instead")
        else:
            replace.append(line)
    return blocks


def apply_diff(parent: str, blocks: list[tuple[str, str]]) -> str:
    result = parent
    for number, (search, replace) in enumerate(blocks, start=1):
        if not search.strip():
            raise ParseFailure("bad_diff", f"SEARCH block {number} is empty; copy the lines "
                               "to change from the parent")
        updated = _replace_once(result, search, replace)
        if updated is None:
            first = next(line for line in search.splitlines() if line.strip()).strip()
            raise ParseFailure("bad_diff", f"SEARCH block {number} matches no lines of the "
                               f"parent (first line: {first[:60]!r}); copy lines exactly")
        result = updated
    if _normal(result) == _normal(parent):
        raise ParseFailure("no_change", "the edits leave the parent unchanged; change the "
                           "function")
    return result


def _replace_once(text: str, search: str, replace: str) -> str | None:
    """Whole lines first (so indentation is handled), a fragment within a line last."""
    lines = text.splitlines()
    wanted = [line.rstrip() for line in search.rstrip("\n").splitlines()]
    new = replace.rstrip("\n").splitlines()
    for strip_indent in (False, True):
        key = (lambda s: s.strip()) if strip_indent else (lambda s: s.rstrip())
        target = [key(w) for w in wanted]
        keyed = [key(line) for line in lines]  # once, not once per start
        for start in range(len(lines) - len(target) + 1):
            if keyed[start:start + len(target)] == target:
                if strip_indent:
                    new = _reindent(new, _indent(lines[start]) - _indent(wanted[0]))
                return "\n".join(lines[:start] + new + lines[start + len(target):]) + "\n"
    fragment = search.strip("\n")
    if "\n" not in fragment and fragment.strip() and fragment in text:
        return text.replace(fragment, replace.strip("\n"), 1)
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _reindent(lines: list[str], delta: int) -> list[str]:
    if delta >= 0:
        return [" " * delta + line if line.strip() else line for line in lines]
    return [line[min(-delta, _indent(line)):] for line in lines]


def _normal(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())
