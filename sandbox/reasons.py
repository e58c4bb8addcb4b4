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
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
