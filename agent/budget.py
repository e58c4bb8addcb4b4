"""Hard budgets: fresh lab evaluations, LLM tokens, LLM money, wall time.

When any is spent, proposing stops and work in flight finishes. Token and money budgets
are never overrun: a request reserves its worst case (prompt estimate plus max_tokens at
the model's prices) before it is sent, and the reservation is replaced by the real usage
when it returns. Evaluations are reserved while in flight in the same way. Totals start
from what the store says was already spent, so a resumed run keeps counting.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from enum import Enum

from .config import ModelSettings, SearchSettings


class Verdict(Enum):
    GO = "go"  # start another proposal
    WAIT = "wait"  # work in flight decides whether more are needed
    DONE = "done"  # a budget is spent: propose nothing more


@dataclass
class Spent:
    """Durable totals, rebuilt from the store at start."""

    proposals: int = 0
    fresh_evaluations: int = 0
    tokens: int = 0
    usd: float = 0.0


@dataclass(frozen=True)
class Reservation:
    tokens: int
    usd: float


class Budget:
    def __init__(self, settings: SearchSettings, spent: Spent):
        self.settings = settings
        self.spent = spent
        self.started = time.monotonic()
        self.evaluations_reserved = 0
        self.tokens_reserved = 0
        self.usd_reserved = 0.0
        self.pending = 0  # proposals being written or admitted (may still need an evaluation)
        self.exhausted: str | None = None  # which budget ended the run, once one has

    # ------------------------------------------------------------ proposals
    def begin_proposal(self, new: bool = True) -> None:
        """A proposal starts (``new``: counted against the proposal cap; a row resumed from
        the store was counted when it was first proposed)."""
        self.pending += 1
        self.spent.proposals += new

    def end_proposal(self, counted: bool = True) -> None:
        """It finished (``counted=False``: it never became a proposal, e.g. a request the
        token budget could not cover, so it does not count)."""
        self.pending -= 1
        self.spent.proposals -= not counted

    # ---------------------------------------------------------- evaluations
    def reserve_evaluation(self) -> bool:
        """Reserve a fresh evaluation while it runs; False when the budget cannot cover it."""
        if not self.may_evaluate():
            return False
        self.evaluations_reserved += 1
        return True

    def release_evaluation(self) -> None:
        self.evaluations_reserved -= 1

    def record_fresh_evaluation(self) -> None:
        self.spent.fresh_evaluations += 1

    # ------------------------------------------------------------ decisions
    def verdict(self) -> Verdict:
        """Whether to start another proposal now."""
        s = self.settings
        if self.exhausted:
            return Verdict.DONE
        if self.spent.proposals >= s.proposal_cap():
            return self._end(f"proposal cap ({s.proposal_cap()})")
        if s.budget_seconds and time.monotonic() - self.started >= s.budget_seconds:
            return self._end(f"wall time ({s.budget_seconds:g}s)")
        if s.budget_tokens and self.spent.tokens >= s.budget_tokens:
            return self._end(f"tokens ({s.budget_tokens})")
        if s.budget_usd and self.spent.usd >= s.budget_usd:
            return self._end(f"money (${s.budget_usd:g})")
        remaining = s.budget - self.spent.fresh_evaluations - self.evaluations_reserved
        if remaining <= 0:
            if self.pending or self.evaluations_reserved:
                return Verdict.WAIT  # an evaluation in flight may fail and free its slot
            return self._end(f"evaluations ({s.budget})")
        # Near the end, only start as many proposals as are likely to be admitted, so the
        # evaluation budget is met without paying for proposals that cannot be evaluated.
        if self.pending < math.ceil(remaining / self.admit_rate()):
            return Verdict.GO
        return Verdict.WAIT

    def _end(self, which: str) -> Verdict:
        self.exhausted = which
        return Verdict.DONE

    def admit_rate(self) -> float:
        """Share of finished proposals that became fresh evaluations. The prior is optimistic
        (two proposals, both evaluated), so a new run starts no more proposals than its
        budget can evaluate, and opens up as rejections show how many it needs."""
        finished = max(0, self.spent.proposals - self.pending)  # in flight: not yet known
        return max(0.05, (self.spent.fresh_evaluations + 2) / (finished + 2))

    def may_evaluate(self) -> bool:
        return (self.spent.fresh_evaluations + self.evaluations_reserved) < self.settings.budget

    # ---------------------------------------------------------- LLM requests
    def reserve_request(self, model: ModelSettings, prompt_chars: int) -> Reservation | None:
        """Reserve a request's worst case; None when that would overrun a budget."""
        tokens = prompt_chars // 2 + model.max_tokens  # generous: ~4 chars/token in practice
        usd = (tokens * model.input_usd_per_mtok + model.max_tokens * model.output_usd_per_mtok) / 1e6
        s = self.settings
        if s.budget_tokens and self.spent.tokens + self.tokens_reserved + tokens > s.budget_tokens:
            if not self.tokens_reserved:
                self.exhausted = self.exhausted or f"tokens ({s.budget_tokens})"
            return None
        if s.budget_usd and self.spent.usd + self.usd_reserved + usd > s.budget_usd:
            if not self.usd_reserved:
                self.exhausted = self.exhausted or f"money (${s.budget_usd:g})"
            return None
        self.tokens_reserved += tokens
        self.usd_reserved += usd
        return Reservation(tokens, usd)

    def settle_request(self, reservation: Reservation, tokens: int, usd: float) -> None:
        self.tokens_reserved -= reservation.tokens
        self.usd_reserved -= reservation.usd
        self.spent.tokens += tokens
        self.spent.usd += usd

    def snapshot(self) -> dict:
        s = self.settings
        return {
            "evaluations": self.spent.fresh_evaluations, "evaluations_budget": s.budget,
            "evaluations_in_flight": self.evaluations_reserved,
            "proposals": self.spent.proposals, "proposals_pending": self.pending,
            "tokens": self.spent.tokens, "tokens_budget": s.budget_tokens or None,
            "usd": round(self.spent.usd, 6), "usd_budget": s.budget_usd or None,
            "seconds": round(time.monotonic() - self.started, 1),
            "seconds_budget": s.budget_seconds or None, "exhausted": self.exhausted,
        }
