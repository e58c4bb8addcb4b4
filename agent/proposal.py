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
    # A proposal that failed before it reached the checker (the request failed, the answer
    # held no code, a diff did not apply) carries its category and reason; it is stored as a
    # rejected program like any other.
    category: str | None = None
    reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.category is not None


def member_of(program) -> str:
    """The ensemble member behind a stored Program: the model's name, or the proposer's."""
    return program.model or program.proposer
