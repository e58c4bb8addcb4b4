"""The record a proposer hands to the orchestrator: source text plus where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Proposal:
    source: str
    proposer: str  # "symbolic", "random", "llm", "seed", ...
    parents: tuple[int, ...] = ()
    model: str | None = None
    template: str | None = None
    meta: dict = field(default_factory=dict)  # proposer-specific, JSON-able (e.g. the tree)
