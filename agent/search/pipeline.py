"""One child through the trusted part of the search: admission, then evaluation, both on
the one trusted path (agent/cached_lab.py). The pipeline adds only what a search needs on
top: the evaluation budget and how many evaluations are in flight.

A fresh evaluation is reserved against the budget while it runs and counted as spent as
soon as it finishes (the proxy stage runs before the program is committed, and a released
slot must not look free meanwhile); a child the budget can no longer evaluate comes back as
None and its row stays in flight in the program log, to be finished first when the run
resumes (store/programs.py). Before one is reserved, a child whose curve matches an
evaluated function's takes that evaluation instead, for free (agent/search/curves.py): it
is recorded as a near-duplicate of that program.
"""

from __future__ import annotations

from dataclasses import replace

import anyio
from actmine.sandbox.admission import Admission
from actmine.sandbox.fingerprint import source_fingerprint
from actmine.store.features import measure
from actmine.store.programs import Program

from ..budget import Budget
from ..cached_lab import CachedLab, Scored
from ..proposal import Proposal
from .curves import NEAR_DUPLICATE_OF, CurveIndex, curve_of


class Pipeline:
    def __init__(self, lab: CachedLab, budget: Budget, run_id: str, on_evaluate=None,
                 curves: CurveIndex | None = None):
        self.lab = lab
        self.budget = budget
        self.run_id = run_id
        self.on_evaluate = on_evaluate  # callback(program_id, ir_hash) as an evaluation starts
        # Curves of the evaluated functions (rebuilt from the store by the caller); an empty
        # index with tolerance 0 turns near-duplicate detection off.
        self.curves = curves if curves is not None else CurveIndex()
        # Enough evaluations in flight to fill every worker's batch; the executor queues them.
        self.evaluations = anyio.CapacityLimiter(lab.executor.capacity)

    async def process(self, program_id: int, proposal: Proposal, island: int,
                      created: float) -> Program | None:
        """The finished program, or None when the budget was spent while it was admitted."""
        base = dict(id=program_id, proposer=proposal.proposer, source=proposal.source,
                    parents=proposal.parents, model=proposal.model, template=proposal.template,
                    meta=proposal.meta, created=created, island=island)
        if proposal.failed:  # the model's answer never became a candidate
            return Program(admitted=False, category=proposal.category, reason=proposal.reason,
                           source_hash=source_fingerprint(proposal.source), **base)
        admission, adm_cached = await self.lab.admit(proposal.source)
        base["source_hash"] = admission.source_hash
        if not admission.admitted:
            return Program(admitted=False, category=admission.category, reason=admission.reason,
                           cached=adm_cached, **base)
        program = Program(admitted=True, ir_hash=admission.ir_hash, flops=admission.flops,
                          features=_features(admission), **base)
        try:
            scored = await self.evaluate(admission, program_id)
        except Exception as exc:  # noqa: BLE001 - a crashed worker must not stop the search
            return replace(program, status="error", reason=f"evaluation failed: {exc}"[:300])
        if scored is None:
            return None
        ev = scored.evaluation
        reason = ev.reason or "evaluated"
        if scored.near_duplicate_of is not None:
            program = replace(program, meta={**program.meta,
                                             NEAR_DUPLICATE_OF: scored.near_duplicate_of})
            reason = (f"near-duplicate of #{scored.near_duplicate_of} (the same curve on "
                      f"[-6, 6] within the tolerance): its evaluation, not trained again")
        return replace(program, fitness=ev.fitness, stage=ev.stage, status=ev.status,
                       reason=reason, lab_hash=ev.lab_hash,
                       cached=scored.cached, objectives=ev.objectives)

    async def evaluate(self, admission: Admission, program_id: int) -> Scored | None:
        """The cached evaluation, or a fresh one the budget pays for; None when it cannot."""
        origin = {"run": self.run_id, "program": program_id}
        found = await self.lab.lookup(admission.ir_hash, origin)
        curve = None if admission.ir_hash in self.curves else curve_of(admission.ir)
        if found is not None:
            self.curves.add(program_id, admission.ir_hash, curve)
            self._spend(found)  # not cached: this very program paid for it before a crash
            return found
        near = self.near_duplicate(curve)
        if near is not None:
            return near
        if not self.budget.reserve_evaluation():
            return None
        scored = None
        try:
            async with self.evaluations:
                # While this child waited for a slot, another with the same IR may have
                # started: then it waits for that one instead of announcing its own.
                scored = await self.lab.lookup(admission.ir_hash, origin)
                if scored is None:
                    if self.on_evaluate:
                        self.on_evaluate(program_id, admission.ir_hash)
                    scored = await self.lab.evaluate(admission, origin)
        finally:
            if scored is not None:
                self._spend(scored)  # before the slot is released: no await in between
            self.budget.release_evaluation()
        self.curves.add(program_id, admission.ir_hash, curve)
        return scored

    def _spend(self, scored: Scored) -> None:
        if not scored.cached and scored.evaluation.fitness is not None:
            self.budget.record_fresh_evaluation()

    def near_duplicate(self, curve) -> Scored | None:
        """The evaluation of the indexed function whose curve matches, under this lab."""
        match = self.curves.match(curve)
        if match is None:
            return None
        hit = self.lab.cached_evaluation(match.ir_hash)
        if hit is None:  # evaluated under another lab (a --force resume): train it
            return None
        return Scored(hit[0], cached=True, near_duplicate_of=match.program_id)

    def fully_cached(self, source: str) -> bool:
        return self.lab.fully_cached(source)

    def in_flight_counts(self) -> dict:
        snapshot = self.lab.executor.snapshot()
        return {"admissions": snapshot["admitting"],
                "evaluations": self.evaluations.borrowed_tokens,
                "evaluation_slots": snapshot["capacity"]}


def _features(admission: Admission) -> dict:
    try:
        return measure(admission.ir, admission.flops)
    except Exception:  # noqa: BLE001 - features steer diversity only; never lose the program
        return {}
