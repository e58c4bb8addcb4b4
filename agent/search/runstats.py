"""Totals of a run computed from its stored programs: spend per model, faults, rejections,
throughput. The store is the only source: the same figures come out for a live run, a
finished one, and a resumed one (``actmine status``, budgets at start-up, reports)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from actmine.store.programs import Program

from ..budget import Spent
from ..proposal import member_of


@dataclass
class MemberTotals:
    proposals: int = 0
    admitted: int = 0
    evaluated: int = 0
    best: float | None = None
    requests: int = 0
    failed_requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    request_seconds: float = 0.0
    faults: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict:
        return {"proposals": self.proposals, "admitted": self.admitted,
                "evaluated": self.evaluated, "best": self.best, "requests": self.requests,
                "failed_requests": self.failed_requests, "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens, "usd": round(self.usd, 6),
                "mean_request_seconds": (round(self.request_seconds / self.requests, 2)
                                         if self.requests else None),
                "faults": dict(self.faults)}


@dataclass
class RunTotals:
    members: dict[str, MemberTotals] = field(default_factory=dict)
    rejections: Counter = field(default_factory=Counter)
    rejections_by_member: dict[str, Counter] = field(default_factory=dict)
    spent: Spent = field(default_factory=Spent)
    finished: list[tuple[float, bool]] = field(default_factory=list)  # (time, fresh eval)

    _spend_counted: set = field(default_factory=set)  # program ids whose usage is in

    @classmethod
    def from_programs(cls, finished: list[Program],
                      in_flight: list[Program] = ()) -> RunTotals:
        """Totals of the finished programs, plus the model spend of proposals still in
        flight (their request was made and paid for; their outcome is not known yet)."""
        totals = cls()
        for program in finished:
            totals.add(program)
        for program in in_flight:
            totals.add_spend(program)
        return totals

    def add(self, p: Program) -> None:
        m = self.members.setdefault(member_of(p), MemberTotals())
        fresh = p.evaluated and not p.cached
        m.proposals += 1
        m.admitted += p.admitted
        m.evaluated += p.evaluated
        if p.evaluated and p.status == "ok" and (m.best is None or p.fitness < m.best):
            m.best = p.fitness
        self.spent.proposals += 1
        self.spent.fresh_evaluations += fresh
        if not p.admitted:
            category = p.category or "unknown"
            self.rejections[category] += 1
            self.rejections_by_member.setdefault(member_of(p), Counter())[category] += 1
        self.finished.append((p.finished or p.created, fresh))
        self.add_spend(p)

    def add_spend(self, p: Program) -> None:
        """The model request behind ``p`` (once per program, however often it is added)."""
        usage = p.meta.get("usage") if isinstance(p.meta, dict) else None
        if not isinstance(usage, dict) or p.id in self._spend_counted:
            return
        self._spend_counted.add(p.id)
        m = self.members.setdefault(member_of(p), MemberTotals())
        tokens_in = int(usage.get("input_tokens") or 0)
        tokens_out = int(usage.get("output_tokens") or 0)
        usd = float(usage.get("cost_usd") or 0.0)
        m.requests += 1
        m.failed_requests += bool(usage.get("error"))
        m.input_tokens += tokens_in
        m.output_tokens += tokens_out
        m.usd += usd
        m.request_seconds += float(usage.get("seconds") or 0.0)
        m.faults.update(usage.get("faults") or [])
        self.spent.tokens += tokens_in + tokens_out
        self.spent.usd += usd

    def faults(self) -> Counter:
        out: Counter = Counter()
        for m in self.members.values():
            out.update(m.faults)
        return out

    def throughput(self, window: float = 600.0) -> dict:
        """Proposals and fresh evaluations finished per minute, overall and over the last
        window (None until a run has spanned a few seconds)."""
        times = sorted(t for t, _ in self.finished if t)
        if len(times) < 2 or times[-1] - times[0] < 5.0:
            return {"proposals_per_min": None, "evaluations_per_min": None,
                    "recent_evaluations_per_min": None}
        span = times[-1] - times[0]
        fresh = sum(f for _, f in self.finished)
        recent = [f for t, f in self.finished if t >= times[-1] - window]
        return {"proposals_per_min": round(60 * len(times) / span, 2),
                "evaluations_per_min": round(60 * fresh / span, 2),
                "recent_evaluations_per_min": round(60 * sum(recent) / min(window, span), 2)}
