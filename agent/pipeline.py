"""One child through the trusted part of the search: admission, then evaluation.

Both are cached by hash in the run's store (a repeated source skips the sandbox, a
repeated IR skips the lab), both run behind their own capacity limiter, and two children
with the same IR in flight at once share one evaluation. A fresh evaluation is reserved
against the budget while it runs; one the budget cannot cover leaves the child "deferred"
(stored, evaluated first when the run resumes with a larger budget).
"""

from __future__ import annotations

import time
from dataclasses import replace

import anyio
import anyio.to_thread
from actmine.evaluators.executor import LocalExecutor
from actmine.evaluators.lab import Evaluation, LabConfig
from actmine.sandbox.admission import Admission, AdmissionConfig, admit
from actmine.sandbox.static_check import source_fingerprint
from actmine.store.programs import Program
from actmine.store.run_dir import RunDir

from .budget import Budget
from .proposal import Proposal

DEFERRED = "deferred"


class Pipeline:
    def __init__(self, run: RunDir, admission_config: AdmissionConfig, lab_config: LabConfig,
                 budget: Budget, evaluation_slots: int, admissions_in_flight: int):
        self.run = run
        self.admission_config = admission_config
        self.lab_config = lab_config
        self.budget = budget
        self.executor = LocalExecutor(evaluation_slots)
        self.evaluations = anyio.CapacityLimiter(evaluation_slots)
        self.admissions = anyio.CapacityLimiter(admissions_in_flight)
        self.in_flight: dict[str, anyio.Event] = {}  # IR hash -> its evaluation finished
        self.busy_seconds = 0.0  # evaluator occupancy, for utilisation
        self.evaluated = 0
        self.first_eval: float | None = None
        self.last_eval: float | None = None

    async def prepare(self, reporter=None) -> None:
        lab_hash = self.lab_config.hash
        cached = self.run.cache.get_reference(lab_hash)
        if cached is None:
            if reporter:
                reporter.note("computing ReLU's reference losses for this lab (once)")
            refs = await self.executor.prepare(self.lab_config)
            self.run.cache.put_reference(lab_hash, refs)
        else:
            await self.executor.prepare(self.lab_config, cached)

    async def process(self, program_id: int, proposal: Proposal) -> Program:
        base = dict(id=program_id, proposer=proposal.proposer, source=proposal.source,
                    parents=proposal.parents, model=proposal.model, template=proposal.template,
                    meta=proposal.meta, created=time.time())
        if proposal.failed:
            return Program(admitted=False, category=proposal.category, reason=proposal.reason,
                           source_hash=source_fingerprint(proposal.source), **base)
        admission, adm_cached = await self.admit(proposal.source)
        base["source_hash"] = admission.source_hash
        if not admission.admitted:
            return Program(admitted=False, category=admission.category, reason=admission.reason,
                           cached=adm_cached, **base)
        child = Program(admitted=True, ir_hash=admission.ir_hash, flops=admission.flops, **base)
        return await self.evaluated_child(child, admission)

    async def evaluated_child(self, program: Program, admission: Admission) -> Program:
        try:
            evaluation, cached = await self.evaluate(admission)
        except Exception as exc:  # noqa: BLE001 - a crashed worker must not stop the search
            return replace(program, status="error", reason=f"evaluation failed: {exc}"[:300])
        if evaluation is None:  # the budget was spent while this one was being admitted
            return replace(program, status=DEFERRED,
                           reason="budget spent before its evaluation; evaluated first when "
                                  "the run resumes with a larger budget")
        return replace(program, fitness=evaluation.fitness, stage=evaluation.stage,
                       status=evaluation.status, reason=evaluation.reason or "evaluated",
                       cached=cached)

    async def admit(self, source: str) -> tuple[Admission, bool]:
        key = self.admission_config.key
        source_hash = source_fingerprint(source)
        if source_hash:
            hit = self.run.cache.get_admission(key, source_hash)
            if hit is not None:
                return Admission.from_dict(hit), True
        admission = await anyio.to_thread.run_sync(
            admit, source, self.admission_config, limiter=self.admissions)
        self.run.cache.put_admission(key, admission.source_hash, admission.to_dict())
        return admission, False

    async def evaluate(self, admission: Admission) -> tuple[Evaluation | None, bool]:
        lab_hash, ir_hash = self.lab_config.hash, admission.ir_hash
        while ir_hash in self.in_flight:  # same function being evaluated right now
            await self.in_flight[ir_hash].wait()
        hit = self.run.cache.get_evaluation(lab_hash, ir_hash)
        if hit is not None:
            return Evaluation.from_dict(hit), True
        if not self.budget.may_evaluate():
            return None, False
        self.budget.evaluations_reserved += 1
        done = self.in_flight[ir_hash] = anyio.Event()
        try:
            async with self.evaluations:
                begun = time.monotonic()
                self.first_eval = self.first_eval or begun
                try:
                    evaluation = await self.executor.evaluate(admission.ir, self.lab_config)
                finally:
                    self.last_eval = time.monotonic()
                    self.busy_seconds += self.last_eval - begun
                    self.evaluated += 1
            self.run.cache.put_evaluation(lab_hash, ir_hash, evaluation.to_dict())
            return evaluation, False
        finally:
            self.budget.evaluations_reserved -= 1
            del self.in_flight[ir_hash]
            done.set()

    def utilisation(self) -> float | None:
        """Share of evaluation-slot time spent evaluating, from the first evaluation's start
        to the last one's end."""
        if self.first_eval is None or self.last_eval is None or self.last_eval <= self.first_eval:
            return None
        span = (self.last_eval - self.first_eval) * self.evaluations.total_tokens
        return round(min(1.0, self.busy_seconds / span), 4)

    def mean_evaluation_seconds(self) -> float | None:
        return round(self.busy_seconds / self.evaluated, 3) if self.evaluated else None

    def in_flight_counts(self) -> dict:
        return {"admissions": self.admissions.borrowed_tokens,
                "evaluations": self.evaluations.borrowed_tokens,
                "evaluation_slots": self.evaluations.total_tokens}
