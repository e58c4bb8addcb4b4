"""Ensemble members and what they may read of the search.

A member turns "propose a child" into a ``Proposal`` (or None when its budget cannot cover
a request right now). The built-in proposers are synchronous and instant; model members
are async and slow; the orchestrator treats them alike.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from actmine.store.database import ProgramDatabase
from actmine.store.programs import Program

from ..proposal import Proposal
from .from_ir import tree_of_ir


@dataclass(frozen=True)
class SearchView:
    """Read-only access to the search state for proposers."""

    database: ProgramDatabase
    recent_rejections: Callable[[int], list[Program]]  # newest first
    families: Callable[[Program], dict[str, float]]  # log ratio vs ReLU per task family
    ir_of: Callable[[str], dict | None] = lambda ir_hash: None  # noqa: E731 - by IR hash


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
        self._trees: dict[str, list | None] = {}  # IR hash -> its tree (None: unreadable)

    async def propose(self, program_id: int, rng: random.Random, parents: list[Program],
                      view: SearchView) -> Proposal:
        return self.proposer.propose([self._with_tree(p, view) for p in parents], rng)

    def _with_tree(self, program: Program, view: SearchView) -> Program:
        """A parent another member wrote (a model's function) gets the expression tree of
        its IR, so the symbolic operators can work on it too."""
        if "tree" in program.meta or not program.ir_hash:
            return program
        if program.ir_hash not in self._trees:
            ir = view.ir_of(program.ir_hash)
            self._trees[program.ir_hash] = tree_of_ir(ir) if ir else None
        tree = self._trees[program.ir_hash]
        if tree is None:
            return program
        return replace(program, meta={**program.meta, "tree": tree, "tree_from_ir": True})
