"""One child through the trusted part of the search: admission, then evaluation.

Both are cached by hash (a repeated source skips the sandbox, a repeated IR skips the lab),
both run behind their own capacity limiter, and two children with the same IR in flight at
once share one evaluation. A fresh evaluation is reserved against the budget while it runs;
a child the budget can no longer evaluate comes back as None and its row stays in flight in
the program log, to be finished first when the run resumes (store/programs.py).

The cache entry of an evaluation names the program that paid for it (its ``origin``), so a
program resumed after a crash counts an evaluation it paid for as fresh, not as a hit.
"""

from __future__ import annotations

from dataclasses import replace

import anyio
from actmine.evaluators.executor import Executor
from actmine.evaluators.lab import Evaluation, LabConfig
from actmine.sandbox.admission import Admission, AdmissionConfig
from actmine.sandbox.fingerprint import source_fingerprint
from actmine.store.features import measure
from actmine.store.programs import Program
from actmine.store.run_dir import RunDir

from .budget import Budget
from .proposal import Proposal

Outcome = tuple[Program, dict | None]  # the finished program and its IR (to store with it)


class Pipeline:
    def __init__(self, run: RunDir, admission_config: AdmissionConfig, lab_config: LabConfig,
                 budget: Budget, executor: Executor, on_evaluate=None):
        self.run = run
        self.admission_config = admission_config
        self.lab_config = lab_config
        self.budget = budget
        self.on_evaluate = on_evaluate  # callback(program_id, ir_hash) as an evaluation starts
        self.executor = executor
        # Enough evaluations in flight to fill every worker's batch; the executor queues them.
        self.evaluations = anyio.CapacityLimiter(executor.capacity)
        self.in_flight: dict[str, anyio.Event] = {}  # IR hash -> its evaluation finished

    async def prepare(self, reporter=None) -> None:
        """ReLU's reference losses for this lab: computed once, then cached."""
        lab_hash = self.lab_config.hash
        cached = self.run.cache.get_reference(lab_hash)
        if cached is None:
            if reporter:
                reporter.note("computing ReLU's reference losses for this lab (once)")
            refs = await self.executor.prepare(self.lab_config)
            self.run.cache.put_reference(lab_hash, refs)
        else:
            await self.executor.prepare(self.lab_config, cached)

    async def process(self, program_id: int, proposal: Proposal, island: int,
                      created: float) -> Outcome | None:
        base = dict(id=program_id, proposer=proposal.proposer, source=proposal.source,
                    parents=proposal.parents, model=proposal.model, template=proposal.template,
                    meta=proposal.meta, created=created, island=island)
        if proposal.failed:  # the model's answer never became a candidate
            return Program(admitted=False, category=proposal.category, reason=proposal.reason,
                           source_hash=source_fingerprint(proposal.source), **base), None
        admission, adm_cached = await self.admit(proposal.source)
        base["source_hash"] = admission.source_hash
        if not admission.admitted:
            return Program(admitted=False, category=admission.category, reason=admission.reason,
                           cached=adm_cached, **base), None
        program = Program(admitted=True, ir_hash=admission.ir_hash, flops=admission.flops,
                          features=_features(admission), **base)
        ir = admission.ir.to_dict()
        try:
            evaluation, cached = await self.evaluate(admission, program_id)
        except Exception as exc:  # noqa: BLE001 - a crashed worker must not stop the search
            return replace(program, status="error",
                           reason=f"evaluation failed: {exc}"[:300]), ir
        if evaluation is None:
            return None  # the budget was spent while this one was being admitted
        return replace(program, fitness=evaluation.fitness, stage=evaluation.stage,
                       status=evaluation.status, reason=evaluation.reason or "evaluated",
                       lab_hash=evaluation.lab_hash, cached=cached), ir

    def fully_cached(self, source: str) -> bool:
        """Would this source finish from the caches alone (no sandbox, no lab)?"""
        hit = self.run.cache.get_admission(self.admission_config.key, source_fingerprint(source))
        return hit is not None and (not hit["admitted"] or self.run.cache.get_evaluation(
            self.lab_config.hash, hit["ir_hash"]) is not None)

    async def admit(self, source: str) -> tuple[Admission, bool]:
        key = self.admission_config.key
        source_hash = source_fingerprint(source)
        if source_hash:
            hit = self.run.cache.get_admission(key, source_hash)
            if hit is not None:
                return Admission.from_dict(hit), True
        admission = await self.executor.admit(source, self.admission_config)
        self.run.cache.put_admission(key, admission.source_hash, admission.to_dict())
        return admission, False

    async def evaluate(self, admission: Admission,
                       program_id: int) -> tuple[Evaluation | None, bool]:
        """(evaluation, from_cache), or (None, False) when the budget cannot cover it."""
        lab_hash, ir_hash = self.lab_config.hash, admission.ir_hash
        origin = {"run": self.run.run_id, "program": program_id}
        while ir_hash in self.in_flight:  # same function being evaluated right now
            await self.in_flight[ir_hash].wait()
        hit = self.run.cache.get_evaluation(lab_hash, ir_hash)
        if hit is not None:
            return Evaluation.from_dict(hit), hit.get("origin") != origin
        if not self.budget.may_evaluate():
            return None, False
        self.budget.evaluations_reserved += 1
        done = self.in_flight[ir_hash] = anyio.Event()
        try:
            async with self.evaluations:
                if self.on_evaluate:
                    self.on_evaluate(program_id, ir_hash)
                evaluation = await self.executor.evaluate(admission.ir, self.lab_config)
            # Committed before anything counts it; a crash after this line loses nothing.
            self.run.cache.put_evaluation(lab_hash, ir_hash, evaluation.to_dict(), origin)
            return evaluation, False
        finally:
            self.budget.evaluations_reserved -= 1
            del self.in_flight[ir_hash]
            done.set()

    # ------------------------------------------------------------- figures
    def utilisation(self) -> float | None:
        """Share of evaluation-worker time spent evaluating (see Executor.utilisation)."""
        return self.executor.utilisation()

    def mean_evaluation_seconds(self) -> float | None:
        return self.executor.mean_evaluation_seconds()

    def in_flight_counts(self) -> dict:
        return {"admissions": self.executor.admissions.borrowed_tokens,
                "evaluations": self.evaluations.borrowed_tokens,
                "evaluation_slots": self.executor.capacity}


def _features(admission: Admission) -> dict:
    try:
        return measure(admission.ir, admission.flops)
    except Exception:  # noqa: BLE001 - features steer diversity only; never lose the program
        return {}
