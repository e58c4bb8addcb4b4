"""Ensemble members and what they may read of the search.

A member turns "propose a child" into a ``Proposal`` (or None when its budget cannot cover
a request right now). The built-in proposers are synchronous and instant; model members
are async and slow; the orchestrator treats them alike.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from actmine.store.database import ProgramDatabase
from actmine.store.programs import Program

from .proposal import Proposal


@dataclass(frozen=True)
class SearchView:
    """Read-only access to the search state for proposers."""

    database: ProgramDatabase
    recent_rejections: Callable[[int], list[Program]]  # newest first
    families: Callable[[Program], dict[str, float]]  # log ratio vs ReLU per task family


class Member(Protocol):
    name: str

    async def propose(self, program_id: int, rng: random.Random, parents: list[Program],
                      view: SearchView) -> Proposal | None:
        """``parents``: the database's sample for this proposal (parent, then inspirations;
        empty before anything was evaluated)."""


class EmbeddedMember:
    """The symbolic mutator or the random baseline (no I/O)."""

    def __init__(self, proposer):
        self.proposer = proposer
        self.name = proposer.name

    async def propose(self, program_id: int, rng: random.Random, parents: list[Program],
                      view: SearchView) -> Proposal:
        return self.proposer.propose(parents, rng)
