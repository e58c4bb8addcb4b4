"""The search loop: one anyio task group, many proposals in flight, bounded admissions and
evaluations, every finished proposal committed to the store before it counts.

Workers each run propose -> admit -> evaluate -> commit. There are more workers than
evaluation slots, so while the evaluators are busy the other workers are already
proposing and admitting the next candidates (a slow model never idles the evaluators; a
full evaluator pool is backpressure on proposing). State (ids, counts, population,
budgets) is rebuilt from the store at start, never carried in memory across runs.

Resume (store/programs.py): a proposal is written to the log before any work on it starts
and finished with its outcome in one transaction. After a crash, proposals left in flight
are finished first (their admission and evaluation normally come back from the cache; an
evaluation this run paid for before dying is recognised by its cache ``origin`` and counts
as fresh, not as a hit), then new proposals continue. Each proposal's RNG is derived from
(seed, program id), and the program database replays finished programs in commit order,
so nothing random lives only in memory.
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
from actmine.store.database import ProgramDatabase
from actmine.store.features import measure
from actmine.store.programs import ALL_ISLANDS, Program
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
        # ---- rebuilt from the store, never from memory (see module docstring)
        finished = run.programs.all()
        self.resume_queue = run.programs.in_flight()
        self.population = ProgramDatabase.replay(finished, settings.database.to_config(),
                                                 settings.search.seed)
        counts = run.programs.counts()
        self.state = SearchState(run.programs.next_id(), counts["fresh_evaluations"],
                                 counts["proposals"] + counts["in_flight"])
        proposed = {p.source for p in finished + self.resume_queue if p.proposer == "seed"}
        self.seeds = [s for s in seed_proposals() if s.source not in proposed]
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
        await self._finish_cached_in_flight()
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
        while not self.state.stop:
            if self.resume_queue:  # recorded before a crash: finish it, never re-propose
                # (even with the budget spent: it may need no fresh evaluation)
                recorded = self.resume_queue.pop(0)
                program_id, proposal, island = recorded.id, _proposal_of(recorded), recorded.island
                created = recorded.created
            elif not self._can_continue():
                return
            else:
                program_id = self.state.next_id
                self.state.next_id += 1
                self.state.proposals += 1
                rng = random.Random(f"{self.settings.search.seed}:{program_id}")
                if self.seeds:
                    proposal, island = self.seeds.pop(0), ALL_ISLANDS
                else:
                    island = self.population.island_for(program_id)
                    sample = self.population.sample(island, rng)
                    proposal = self.proposer.propose(sample.programs, rng)
                created = self.run.programs.begin(_in_flight(program_id, proposal, island)).created
            outcome = await self._process(program_id, proposal, island, created)
            if outcome is not None:  # None: budget spent, the row stays in flight for later
                self._commit(*outcome)

    async def _finish_cached_in_flight(self) -> None:
        """Finish, before any new work, the in-flight rows whose results are all cached, so
        an evaluation paid for before a crash is counted before the budget is checked."""
        if self.resume_queue:
            self.events.emit("resume", in_flight=len(self.resume_queue))
        for recorded in list(self.resume_queue):
            if self._fully_cached(recorded.source):
                self.resume_queue.remove(recorded)
                outcome = await self._process(recorded.id, _proposal_of(recorded),
                                              recorded.island, recorded.created)
                if outcome is not None:
                    self._commit(*outcome)

    def _fully_cached(self, source: str) -> bool:
        hit = self.run.cache.get_admission(self.admission_config.key, source_fingerprint(source))
        return hit is not None and (not hit["admitted"] or self.run.cache.get_evaluation(
            self.lab_config.hash, hit["ir_hash"]) is not None)

    def _commit(self, program: Program, ir: dict | None) -> None:
        program = self.run.programs.finish(program, ir)  # committed before it counts anywhere
        if ir is not None:
            self.run.cache.put_ir(program.ir_hash, ir)
        if program.evaluated and not program.cached:
            self.state.fresh_evaluations += 1
        self.population.add(program)
        self.events.emit("program", **_event_fields(program))
        if self.reporter:
            self.reporter.program(program, self.state.fresh_evaluations, self.population)

    # ------------------------------------------------------------- one child
    async def _process(self, program_id: int, proposal: Proposal, island: int,
                       created: float) -> tuple[Program, dict | None] | None:
        admission, adm_cached = await self._admit(proposal.source)
        base = dict(id=program_id, proposer=proposal.proposer, source=proposal.source,
                    parents=proposal.parents, model=proposal.model, template=proposal.template,
                    source_hash=admission.source_hash, meta=proposal.meta, created=created,
                    island=island)
        if not admission.admitted:
            return Program(admitted=False, category=admission.category, reason=admission.reason,
                           cached=adm_cached, **base), None
        admitted = dict(admitted=True, ir_hash=admission.ir_hash, flops=admission.flops,
                        features=_features(admission), **base)
        ir = admission.ir.to_dict()
        try:
            evaluation, cached = await self._evaluate(admission, program_id)
        except Exception as exc:  # noqa: BLE001 - a crashed worker must not stop the search
            return Program(status="error", reason=f"evaluation failed: {exc}"[:300],
                           **admitted), ir
        if evaluation is None:
            return None  # budget spent while this one was being admitted
        return Program(fitness=evaluation.fitness, stage=evaluation.stage,
                       status=evaluation.status, reason=evaluation.reason or "evaluated",
                       lab_hash=evaluation.lab_hash, cached=cached, **admitted), ir

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

    async def _evaluate(self, admission: Admission,
                        program_id: int) -> tuple[Evaluation | None, bool]:
        """(evaluation, from_cache). The cache entry's ``origin`` names the program that paid
        for it: that program, resumed after a crash, counts it as its own fresh evaluation."""
        lab_hash, ir_hash = self.lab_config.hash, admission.ir_hash
        origin = {"run": self.run.run_id, "program": program_id}
        while ir_hash in self.state.in_flight:  # same function being evaluated right now
            await self.state.in_flight[ir_hash].wait()
        hit = self.run.cache.get_evaluation(lab_hash, ir_hash)
        if hit is not None:
            return Evaluation.from_dict(hit), hit.get("origin") != origin
        if self.state.fresh_evaluations + self.state.reserved >= self.settings.search.budget:
            return None, False
        self.state.reserved += 1
        done = self.state.in_flight[ir_hash] = anyio.Event()
        try:
            self.events.emit("evaluate", id=program_id, ir_hash=ir_hash)
            evaluation = await self.executor.evaluate(admission.ir, self.lab_config)
            # Committed before anything counts it; a crash after this line loses nothing.
            self.run.cache.put_evaluation(lab_hash, ir_hash, evaluation.to_dict(), origin)
            return evaluation, False
        finally:
            self.state.reserved -= 1
            del self.state.in_flight[ir_hash]
            done.set()


def _proposal_of(program: Program) -> Proposal:
    return Proposal(program.source, program.proposer, tuple(program.parents), program.model,
                    program.template, program.meta)


def _in_flight(program_id: int, proposal: Proposal, island: int) -> Program:
    return Program(id=program_id, proposer=proposal.proposer, source=proposal.source,
                   admitted=False, parents=tuple(proposal.parents), model=proposal.model,
                   template=proposal.template, meta=proposal.meta, island=island,
                   created=time.time())


def _features(admission: Admission) -> dict:
    try:
        return measure(admission.ir, admission.flops)
    except Exception:  # noqa: BLE001 - features steer diversity only; never lose the program
        return {}


def _event_fields(p: Program) -> dict:
    return {"id": p.id, "proposer": p.proposer, "admitted": p.admitted, "category": p.category,
            "ir_hash": p.ir_hash, "flops": p.flops, "fitness": p.fitness, "stage": p.stage,
            "cached": p.cached, "parents": list(p.parents), "island": p.island, "seq": p.seq}
