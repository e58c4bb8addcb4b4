"""The search loop: one anyio task group, many proposals in flight, bounded admissions and
evaluations, every finished proposal committed to the store before it counts.

Workers each run propose -> admit -> evaluate -> commit. There are more workers than
evaluation slots, so while the evaluators are busy the other workers are already
proposing and admitting the next candidates (a slow model never idles the evaluators; a
full evaluator pool is backpressure on proposing). State (ids, counts, population,
budgets) is rebuilt from the store at start, never carried in memory across runs.
"""

from __future__ import annotations

import random
import signal
import time
from dataclasses import dataclass, field

import anyio
import anyio.to_thread
from actmine.evaluators.executor import LocalExecutor
from actmine.evaluators.lab import Evaluation
from actmine.sandbox.admission import Admission, admit
from actmine.sandbox.static_check import source_fingerprint
from actmine.store.database import Population
from actmine.store.programs import Program
from actmine.store.run_dir import RunDir

from .config import Settings
from .events import EventLog
from .proposal import Proposal
from .proposers.symbolic import RandomProposer, SymbolicProposer, seed_proposals


@dataclass
class SearchState:
    next_id: int
    fresh_evaluations: int  # committed, not from cache
    proposals: int
    reserved: int = 0  # evaluations in flight
    stop: bool = False
    in_flight: dict[str, anyio.Event] = field(default_factory=dict)


class Search:
    def __init__(self, run: RunDir, settings: Settings, reporter=None):
        self.run = run
        self.settings = settings
        self.admission_config = settings.admission.to_config()
        self.lab_config = settings.lab.to_config()
        self.proposer = (RandomProposer() if settings.search.proposer == "random"
                         else SymbolicProposer())
        self.executor = LocalExecutor(settings.search.evaluation_slots())
        self.admission_limiter = anyio.CapacityLimiter(settings.search.admissions_in_flight)
        self.population = Population.from_log(run.programs, settings.search.parents_from_top)
        counts = run.programs.counts()
        self.state = SearchState(run.programs.next_id(), counts["fresh_evaluations"],
                                 counts["proposals"])
        self.seeds = seed_proposals() if counts["proposals"] == 0 else []
        self.events = EventLog(run.events_path)
        self.reporter = reporter

    # ------------------------------------------------------------------ run
    async def run_search(self) -> dict:
        budget = self.settings.search.budget
        self.events.emit("search_start", budget=budget, resumed_from=self.state.next_id - 1,
                         fresh_evaluations=self.state.fresh_evaluations)
        if self.reporter:
            self.reporter.start(budget, self.state.fresh_evaluations)
        await self._prepare_reference()
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._watch_signals, tg.cancel_scope)
            async with anyio.create_task_group() as workers:
                for _ in range(self.settings.search.proposals_in_flight):
                    workers.start_soon(self._worker)
            tg.cancel_scope.cancel()  # stop the signal watcher
        summary = self.run.programs.counts()
        self.events.emit("search_end", **summary)
        if self.reporter:
            self.reporter.finish()
        return summary

    async def _prepare_reference(self) -> None:
        lab_hash = self.lab_config.hash
        cached = self.run.cache.get_reference(lab_hash)
        if cached is None:
            if self.reporter:
                self.reporter.note("computing ReLU's reference losses for this lab (once)")
            refs = await self.executor.prepare(self.lab_config)
            self.run.cache.put_reference(lab_hash, refs)
        else:
            await self.executor.prepare(self.lab_config, cached)

    async def _watch_signals(self, scope: anyio.CancelScope) -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                if self.state.stop:  # second signal: stop now, in-flight work is dropped
                    scope.cancel()
                    return
                self.state.stop = True
                self.events.emit("stop_requested", signal=signal.Signals(signum).name)
                if self.reporter:
                    self.reporter.note("stopping: finishing work in flight (again to abort)")

    def _can_continue(self) -> bool:
        s = self.state
        return (not s.stop and s.fresh_evaluations + s.reserved < self.settings.search.budget
                and s.proposals < self.settings.search.proposal_cap())

    async def _worker(self) -> None:
        while self._can_continue():
            program_id = self.state.next_id
            self.state.next_id += 1
            self.state.proposals += 1
            rng = random.Random(f"{self.settings.search.seed}:{program_id}")
            if self.seeds:
                proposal = self.seeds.pop(0)
            else:
                parents = self.population.select_parents(rng)
                proposal = self.proposer.propose(parents, rng)
            program = await self._process(program_id, proposal)
            if program is None:
                continue
            self.run.programs.add(program)  # committed before it counts anywhere
            if program.evaluated and not program.cached:
                self.state.fresh_evaluations += 1
            self.population.add(program)
            self.events.emit("program", **_event_fields(program))
            if self.reporter:
                self.reporter.program(program, self.state.fresh_evaluations, self.population)

    # ------------------------------------------------------------- one child
    async def _process(self, program_id: int, proposal: Proposal) -> Program | None:
        admission, adm_cached = await self._admit(proposal.source)
        base = dict(id=program_id, proposer=proposal.proposer, source=proposal.source,
                    parents=proposal.parents, model=proposal.model, template=proposal.template,
                    source_hash=admission.source_hash, meta=proposal.meta, created=time.time())
        if not admission.admitted:
            return Program(admitted=False, category=admission.category, reason=admission.reason,
                           cached=adm_cached, **base)
        admitted = dict(admitted=True, ir_hash=admission.ir_hash, flops=admission.flops, **base)
        try:
            evaluation, cached = await self._evaluate(admission)
        except Exception as exc:  # noqa: BLE001 - a crashed worker must not stop the search
            return Program(status="error", reason=f"evaluation failed: {exc}"[:300], **admitted)
        if evaluation is None:
            return None  # budget spent while this one was being admitted
        return Program(fitness=evaluation.fitness, stage=evaluation.stage,
                       status=evaluation.status, reason=evaluation.reason or "evaluated",
                       cached=cached, **admitted)

    async def _admit(self, source: str) -> tuple[Admission, bool]:
        key = self.admission_config.key
        source_hash = source_fingerprint(source)
        if source_hash:
            hit = self.run.cache.get_admission(key, source_hash)
            if hit is not None:
                return Admission.from_dict(hit), True
        admission = await anyio.to_thread.run_sync(
            admit, source, self.admission_config, limiter=self.admission_limiter)
        self.run.cache.put_admission(key, admission.source_hash, admission.to_dict())
        return admission, False

    async def _evaluate(self, admission: Admission) -> tuple[Evaluation | None, bool]:
        lab_hash, ir_hash = self.lab_config.hash, admission.ir_hash
        while ir_hash in self.state.in_flight:  # same function being evaluated right now
            await self.state.in_flight[ir_hash].wait()
        hit = self.run.cache.get_evaluation(lab_hash, ir_hash)
        if hit is not None:
            return Evaluation.from_dict(hit), True
        if self.state.fresh_evaluations + self.state.reserved >= self.settings.search.budget:
            return None, False
        self.state.reserved += 1
        done = self.state.in_flight[ir_hash] = anyio.Event()
        try:
            evaluation = await self.executor.evaluate(admission.ir, self.lab_config)
            self.run.cache.put_evaluation(lab_hash, ir_hash, evaluation.to_dict())
            return evaluation, False
        finally:
            self.state.reserved -= 1
            del self.state.in_flight[ir_hash]
            done.set()


def _event_fields(p: Program) -> dict:
    return {"id": p.id, "proposer": p.proposer, "admitted": p.admitted, "category": p.category,
            "ir_hash": p.ir_hash, "flops": p.flops, "fitness": p.fitness, "stage": p.stage,
            "cached": p.cached, "parents": list(p.parents)}
