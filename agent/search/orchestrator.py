"""The search loop: one anyio task group, many proposals in flight, bounded requests,
admissions and evaluations, every finished proposal committed to the store before it counts.

Each worker carries one proposal through propose -> admit -> evaluate -> commit. There are
more workers than evaluation slots (enough to cover every LLM request in flight), so while
the evaluators are busy other workers are already waiting on models and admitting the next
candidates: a slow model never idles the evaluators, and a full evaluator pool is
backpressure on proposing (a worker holding an admitted child does not start another).

Limiters: LLM requests (all models, and per model), admissions and evaluations; the last
two run on the executor (agent/executors/: local worker processes or a Ray cluster,
several candidates per worker batch), behind the one trusted path (agent/cached_lab.py). Budgets (evaluations, tokens, money, wall time) stop new
proposals and let work in flight finish. The members of the proposer ensemble (symbolic,
random, models) are chosen by weight; the program database chooses parents.

Resume (store/programs.py): a proposal is written to the log before any work on it starts
and finished with its outcome in one transaction. Proposals left in flight (by a crash, or
by a budget spent while they were admitted) are finished first on the next start; an
evaluation this run paid for before dying is recognised by its cache ``origin`` and counts
as fresh. Counters, spend, the database and the bandit are rebuilt from the store; each
proposal's RNG is derived from (seed, program id), so nothing random lives only in memory.
"""

from __future__ import annotations

import contextlib
import copy
import random
import signal
import time
from dataclasses import asdict
from enum import Enum

import anyio
import anyio.to_thread
from actmine.sandbox.supervisor import shared_zygote
from actmine.store.database import ProgramDatabase
from actmine.store.programs import ALL_ISLANDS, Program
from actmine.store.run_dir import RunDir

from ..budget import Budget, Verdict
from ..cached_lab import CachedLab
from ..config import Settings
from ..executors import make_executor
from ..llm.client import ChatClient
from ..llm.local_server import LocalServer
from ..llm.prompts import load_templates
from ..llm.proposer import LLMMember
from ..proposal import Proposal, member_of
from ..proposers.members import EmbeddedMember, Member, SearchView
from ..proposers.symbolic import RandomProposer, SymbolicProposer, seed_proposals
from .curves import CurveIndex
from .ensemble import Ensemble
from .events import EventLog
from .live import write_live
from .pipeline import Pipeline
from .proxy import ProxyStage
from .runstats import RunTotals


class Unfinished(Enum):
    """Why a worker's turn ended without a finished program."""

    UNAFFORDABLE = "the token or money budget cannot cover a request yet"
    BUDGET_SPENT = "admitted, but the evaluation budget was spent meanwhile (stays in flight)"


class Search:
    def __init__(self, run: RunDir, settings: Settings, reporter=None,
                 proposers: dict | None = None):
        """``proposers`` replaces the built-in members' proposer objects by name
        ("symbolic", "random"): anything with ``propose(parents, rng) -> Proposal``."""
        self.run = run
        self.settings = settings
        self.reporter = reporter
        self.proposers = {"symbolic": SymbolicProposer(), "random": RandomProposer(),
                          **(proposers or {})}
        # Templates are checked now: a bad placeholder stops the run before any request.
        self.templates = load_templates(settings.prompts.dir) if settings.models else None
        # ---- rebuilt from the store, never from memory (see module docstring)
        finished = run.programs.all()
        self.resume_queue = run.programs.in_flight()
        self.totals = RunTotals.from_programs(finished, self.resume_queue)
        spent = copy.copy(self.totals.spent)
        spent.proposals += len(self.resume_queue)
        self.budget = Budget(settings.search, spent)
        self.database = ProgramDatabase.replay(finished, settings.database.to_config(),
                                               settings.search.seed)
        self.ensemble = Ensemble(settings.member_weights(), settings.ensemble)
        for program in finished:
            self.ensemble.record(program)
        self.next_id = run.programs.next_id()
        proposed = {p.source for p in finished + self.resume_queue if p.proposer == "seed"}
        self.seeds = ([s for s in seed_proposals() if s.source not in proposed]
                      if settings.search.seed_functions else [])
        self.events = EventLog(run.events_path)
        # Local worker processes or a Ray cluster; joining a cluster happens here, so an
        # unreachable one is a start-up error.
        self.executor = make_executor(settings.executor_config(), self._on_retry)
        self.lab = CachedLab(run.cache, self.executor, settings.admission.to_config(),
                             settings.lab.to_config())
        curves = CurveIndex.from_programs(finished, run.cache.get_ir,
                                          settings.search.near_duplicates)
        self.pipeline = Pipeline(self.lab, self.budget, run.run_id, self._on_evaluate, curves)
        self.proxy = (ProxyStage(run.path / "transfer", self.executor)
                      if settings.search.proxy else None)
        self.requests = anyio.CapacityLimiter(settings.search.requests_in_flight)
        self.workers = settings.search.pipeline_slots(bool(settings.models),
                                                      self.executor.capacity)
        self.members: dict[str, Member] = {}
        self.stop = False
        self.aborted = False  # a second signal: work in flight was dropped
        self._families: dict[str, dict] = {}
        self.view = SearchView(self.database, self.run.programs.recent_rejections,
                               self._family_ratios,
                               self.run.cache.get_ir)

    # ------------------------------------------------------------------ run
    async def run_search(self) -> dict:
        self.changed = anyio.Condition()
        self.started = self.searching = time.monotonic()
        with contextlib.closing(self.events):
            try:
                # Signals are watched from the very start, so a ^C while a local model is
                # still loading also ends in order (servers stopped, nothing half-written).
                async with anyio.create_task_group() as tg:
                    tg.start_soon(self._watch_signals, tg.cancel_scope)
                    try:
                        await self._run()
                    finally:
                        tg.cancel_scope.cancel()
            except ExceptionGroup as group:  # a start-up error: the user wants it alone
                raise _single(group) from None
            write_live(self.run.path, self.live_state(final=True))
            summary = self._summary()
            if self.proxy is not None:
                self.proxy.close()
            self.events.emit("search_end", **summary)
        if self.reporter:
            self.reporter.finish()
        return summary

    async def _run(self) -> None:
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(self.executor)
            await self._start_members(stack)
            self.events.emit("search_start", budget=self.settings.search.budget,
                             resumed_from=self.next_id - 1, workers=self.workers,
                             members=self.ensemble.snapshot(),
                             executor=self.executor.snapshot(),
                             fresh_evaluations=self.budget.spent.fresh_evaluations)
            if self.reporter:
                self.reporter.start(self.settings.search.budget,
                                    self.budget.spent.fresh_evaluations, self.live_state)
            async with anyio.create_task_group() as setup:  # both take seconds
                if self.executor.kind == "local":  # elsewhere each node starts its own
                    setup.start_soon(anyio.to_thread.run_sync, shared_zygote().start)
                setup.start_soon(self.lab.references, self.reporter and self.reporter.note)
            self.searching = time.monotonic()  # set-up (servers, ReLU reference) excluded
            await self._finish_cached_in_flight()
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._publish_live)
                async with anyio.create_task_group() as workers:
                    for _ in range(self.workers):
                        workers.start_soon(self._worker)
                tg.cancel_scope.cancel()  # stop the publisher

    def _summary(self) -> dict:
        now = time.monotonic()
        return {**self.run.programs.counts(), "stopped_by": self._stopped_by(),
                "aborted": self.aborted,
                "evaluator_utilisation": self.executor.utilisation(),
                "executor": self.executor.snapshot(),
                "mean_evaluation_seconds": self.executor.mean_evaluation_seconds(),
                "wall_seconds": round(now - self.started, 2),
                "search_seconds": round(now - self.searching, 2),
                "tokens": self.budget.spent.tokens, "usd": round(self.budget.spent.usd, 6),
                "proxy": self._proxy_state()}

    def _proxy_state(self) -> dict | None:
        if self.proxy is None:
            return None
        return {**asdict(self.proxy.counts), "benchmarks": self.proxy.names,
                "left_out": self.proxy.missing}

    def _stopped_by(self) -> str:
        if self.aborted:
            return "second signal (work in flight dropped)"
        return "signal" if self.stop else (self.budget.exhausted or "budget")

    async def _start_members(self, stack: contextlib.AsyncExitStack) -> None:
        """Built-in proposers, then models: start local servers, check every endpoint."""
        weights = self.ensemble.weights
        for name in ("symbolic", "random"):
            if name in weights:
                self.members[name] = EmbeddedMember(self.proposers[name])
        for model in self.settings.models:
            if model.name not in weights:
                continue
            base_url = None
            if model.local:
                server = LocalServer(log_path=self.run.path / f"llama-{model.name}.log")
                if self.reporter:
                    self.reporter.note(f"starting the local model '{model.name}' (llama.cpp)")
                await anyio.to_thread.run_sync(server.start)
                stack.callback(server.stop)
                base_url = server.base_url
                self.events.emit("local_model_started", model=model.name, base_url=base_url,
                                 pid=server.process.pid)
            client = ChatClient(model, base_url, on_fault=self._on_fault)
            stack.push_async_callback(client.aclose)
            await client.check()
            self.members[model.name] = LLMMember(model, client, self.templates,
                                                 self.settings.prompts, self.settings.admission,
                                                 self.requests, self.budget)

    async def _watch_signals(self, scope: anyio.CancelScope) -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                if self.stop:  # second signal: stop now, in-flight work is dropped
                    self.aborted = True
                    self.events.emit("abort_requested", signal=signal.Signals(signum).name)
                    scope.cancel()
                    return
                self.stop = True
                self.events.emit("stop_requested", signal=signal.Signals(signum).name)
                if self.reporter:
                    self.reporter.note("stopping: finishing work in flight (again to abort)")
                await self._notify()

    async def _publish_live(self) -> None:
        while True:
            write_live(self.run.path, self.live_state())
            if self.reporter:
                self.reporter.refresh()
            await anyio.sleep(1.0)

    def _on_fault(self, model: str, kind: str, detail: str, wait: float) -> None:
        self.events.emit("llm_fault", model=model, kind=kind, detail=detail,
                         retry_in=round(wait, 3))

    def _on_retry(self, what: str, error: str, attempt: int) -> None:
        self.events.emit("worker_lost", task=what, error=error, attempt=attempt)
        if self.reporter:
            self.reporter.note(f"a worker was lost during {what} ({error[:80]}); retrying")

    def _on_evaluate(self, program_id: int, ir_hash: str) -> None:
        self.events.emit("evaluate", id=program_id, ir_hash=ir_hash)

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    # --------------------------------------------------------------- workers
    async def _worker(self) -> None:
        while not self.stop:
            if self.resume_queue:  # recorded before a crash: finish it, never re-propose
                await self._resume(self.resume_queue.pop(0))
                continue
            verdict = self.budget.verdict()
            if verdict is Verdict.DONE:
                break
            if verdict is Verdict.WAIT:
                async with self.changed:
                    await self.changed.wait()
                continue
            program_id = self.next_id
            self.next_id += 1
            self.budget.begin_proposal()
            outcome = Unfinished.UNAFFORDABLE
            try:
                outcome = await self._one(program_id)
            finally:
                self.budget.end_proposal(counted=outcome is not Unfinished.UNAFFORDABLE)
            if outcome is Unfinished.UNAFFORDABLE:  # wait for requests in flight to settle
                if self.budget.verdict() is Verdict.GO:
                    async with self.changed:
                        await self.changed.wait()
                continue
            if isinstance(outcome, Program):  # else the row stays in flight for a resume
                self._commit(outcome)
            await self._notify()
        await self._notify()  # let waiting workers see that the run is over

    async def _one(self, program_id: int) -> Program | Unfinished:
        rng = random.Random(f"{self.settings.search.seed}:{program_id}")
        if self.seeds:
            proposal, island = self.seeds.pop(0), ALL_ISLANDS
        else:
            island = self.database.island_for(program_id)
            parents = self.database.sample(island, rng).programs
            proposal = await self._propose(program_id, rng, parents)
            if proposal is None:
                return Unfinished.UNAFFORDABLE
        created = time.time()
        if not proposal.failed:  # recorded before admission and evaluation start
            created = self.run.programs.begin(_in_flight(program_id, proposal, island)).created
        program = await self.pipeline.process(program_id, proposal, island, created)
        if program is None:
            return Unfinished.BUDGET_SPENT
        return await self._with_proxy(program)

    async def _propose(self, program_id: int, rng: random.Random,
                       parents: list[Program]) -> Proposal | None:
        name = self.ensemble.choose(rng)
        try:
            return await self.members[name].propose(program_id, rng, parents, self.view)
        except Exception as exc:  # noqa: BLE001 - one proposer's bug must not end the run
            self.events.emit("proposer_error", member=name, error=repr(exc)[:300])
            model = name if name not in ("symbolic", "random") else None
            return Proposal("", "llm" if model else name, model=model,
                            category="proposer_error", reason=f"{type(exc).__name__}: {exc}"[:300])

    async def _resume(self, recorded: Program) -> None:
        self.budget.begin_proposal(new=False)
        try:
            program = await self.pipeline.process(recorded.id, _proposal_of(recorded),
                                                  recorded.island, recorded.created)
            if program is not None:
                program = await self._with_proxy(program)
        finally:
            self.budget.end_proposal()
        if program is not None:
            self._commit(program)
        await self._notify()

    async def _finish_cached_in_flight(self) -> None:
        """Finish, before any new work, the in-flight rows whose results are all cached, so
        an evaluation paid for before a crash is counted before the budget is checked."""
        if self.resume_queue:
            self.events.emit("resume", in_flight=len(self.resume_queue))
        for recorded in list(self.resume_queue):
            if self.pipeline.fully_cached(recorded.source):
                self.resume_queue.remove(recorded)
                await self._resume(recorded)

    async def _with_proxy(self, program: Program) -> Program:
        if self.proxy is None:
            return program
        return await self.proxy.apply(program, self.database.ranked(),
                                      self.settings.search.proxy_top_k, self.run.cache.get_ir,
                                      self.events.emit)

    def _commit(self, program: Program) -> None:
        program = self.run.programs.finish(program)  # committed before it counts anywhere
        self.totals.add(program)
        self.ensemble.record(program)
        self.database.add(program)
        self.events.emit("program", **_event_fields(program))
        if self.reporter:
            self.reporter.program(program, self.budget.spent.fresh_evaluations, self.database)

    # ------------------------------------------------------------- reading
    def _family_ratios(self, program: Program) -> dict[str, float]:
        if not program.ir_hash:
            return {}
        stored = {k.removeprefix("family:"): v for k, v in program.objectives.items()
                  if k.startswith("family:")}
        if stored:  # also what a near-duplicate has (its own IR has no cache entry)
            return stored
        if program.ir_hash not in self._families:
            hit = self.lab.cached_evaluation(program.ir_hash)
            self._families[program.ir_hash] = hit[0].family_log_ratios if hit else {}
        return self._families[program.ir_hash]

    def live_state(self, final: bool = False) -> dict:
        requests = sum(getattr(m, "in_flight", 0) for m in self.members.values())
        best = self.database.ranked()
        return {
            "running": not final, "stopping": self.stop, "workers": self.workers,
            "in_flight": {"requests": requests, **self.pipeline.in_flight_counts()},
            "budget": self.budget.snapshot(), "ensemble": self.ensemble.snapshot(),
            "executor": self.executor.snapshot(),
            "evaluator_utilisation": self.executor.utilisation(),
            "best": best[0].fitness if best else None,
            "proxy": self._proxy_state(),
        }


def _proposal_of(program: Program) -> Proposal:
    return Proposal(program.source, program.proposer, tuple(program.parents), program.model,
                    program.template, program.meta)


def _in_flight(program_id: int, proposal: Proposal, island: int) -> Program:
    return Program(id=program_id, proposer=proposal.proposer, source=proposal.source,
                   admitted=False, parents=tuple(proposal.parents), model=proposal.model,
                   template=proposal.template, meta=proposal.meta, island=island,
                   created=time.time())


def _single(group: BaseExceptionGroup) -> BaseException:
    """The one real error inside nested task-group wrappers, or the group itself."""
    while isinstance(group, BaseExceptionGroup) and len(group.exceptions) == 1:
        group = group.exceptions[0]
    return group


def _event_fields(p: Program) -> dict:
    fields = {"id": p.id, "proposer": p.proposer, "member": member_of(p), "admitted": p.admitted,
              "category": p.category, "ir_hash": p.ir_hash, "flops": p.flops,
              "fitness": p.fitness, "stage": p.stage, "status": p.status, "cached": p.cached,
              "parents": list(p.parents), "template": p.template, "island": p.island,
              "seq": p.seq}
    usage = p.meta.get("usage") if isinstance(p.meta, dict) else None
    if isinstance(usage, dict):
        fields["usage"] = usage
    if p.near_duplicate_of is not None:
        fields["near_duplicate_of"] = p.near_duplicate_of
    if not p.admitted:
        fields["reason"] = p.reason
    return fields
