"""Rejection categories. Every rejection carries one of these and one line of text that a
language model can act on (it is pasted into the repair prompt verbatim)."""

from __future__ import annotations

from enum import Enum


class Category(str, Enum):
    SYNTAX = "syntax"
    FORBIDDEN = "forbidden"  # a construct, name or attribute outside the allowlist
    NOT_POINTWISE = "not_pointwise"
    OVER_BUDGET = "over_budget"  # FLOPs per element or node count
    NON_FINITE = "non_finite"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    CRASHED = "crashed"
    ESCAPE = "escape"  # tried to reach files, network, processes or the harness


class Rejection(Exception):
    """Raised inside admission stages; becomes a rejected Admission."""

    def __init__(self, category: Category, reason: str):
        super().__init__(reason)
        self.category = category
        self.reason = one_line(reason)


def one_line(text: str, limit: int = 300) -> str:
    """One printable line: control and format characters (ESC, BEL, bidi overrides) are
    replaced before anyone prints the reason, so a candidate cannot drive a terminal."""
    text = str(text)[: 4 * limit]
    text = "".join(c if c.isprintable() or c.isspace() else "?" for c in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
