"""Where admissions and lab evaluations run. Callers (agent/cached_lab.py) see only this:

    await executor.admit(source, admission_config)          untrusted source -> Admission
    await executor.references(lab_config)                   ReLU's losses for a lab
    await executor.evaluate(ir, lab_config, references)     trusted IR -> Evaluation
    executor.capacity, executor.snapshot()                  slots, and what is in flight

Two back ends share the batching and the bookkeeping here: ``LocalExecutor`` (local.py:
anyio's worker processes on this machine, the default) and ``RayExecutor`` (ray.py: tasks
on a Ray cluster). Evaluation workers receive trusted IR as JSON,
never candidate Python, so one worker can train several candidates at once: concurrent
``evaluate`` calls join one batch (up to ``candidates_per_batch``) while the workers are
busy, and a worker trains the batch together (evaluators.lab.evaluate_many, cut to fit its device's
memory). Admission runs the candidate only inside the sandbox of whichever machine takes
it. A worker lost mid-task (killed, out of memory, node gone) has its task retried
(tenacity), each retry counted and reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio
from actmine.evaluators.lab import Evaluation, LabConfig, References
from actmine.sandbox.admission import Admission, AdmissionConfig
from actmine.sandbox.errors import UserError
from actmine.sandbox.ir import ActivationIR
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential


class ExecutorError(UserError):
    """An executor that cannot start (one line, for the user to fix)."""


@dataclass(frozen=True)
class ExecutorConfig:
    kind: str = "local"  # "local" | "ray"
    workers: int = 1  # evaluation workers (batches in flight at once)
    admissions: int = 2  # admissions in flight at once
    candidates_per_batch: int = 1  # candidates one worker trains together
    batch_wait_seconds: float = 0.05  # how long a new batch waits for company when workers are free
    max_retries: int = 3  # per task, when a worker is lost
    ray_address: str = ""  # "" starts a private local Ray; "auto" or "ray://host:10001" joins one
    cpus_per_worker: float = 1.0  # Ray resources of one evaluation task
    gpus_per_worker: float = 0.0


OnRetry = Callable[[str, str, int], None]  # (what, error, attempt)


class _Batch:
    def __init__(self, config: LabConfig, references: References):
        self.config = config
        self.references = references
        self.irs: list[ActivationIR] = []
        self.full = anyio.Event()
        self.done = anyio.Event()
        self.launched = False
        self.results: list[Evaluation] | None = None
        self.error: BaseException | None = None


class Executor:
    """Batching, retries and utilisation; back ends implement the ``_remote_*`` calls."""

    kind = "base"

    def __init__(self, config: ExecutorConfig, on_retry: OnRetry | None = None):
        self.config = config
        self.slots = max(1, config.workers)
        self.per_batch = max(1, config.candidates_per_batch)
        self.workers = anyio.CapacityLimiter(self.slots)
        self.admissions = anyio.CapacityLimiter(max(1, config.admissions))
        self.on_retry = on_retry
        self._open: _Batch | None = None
        # figures
        self.retries = 0
        self.batches = 0
        self.evaluated = 0
        self.busy_seconds = 0.0
        self.first_launch: float | None = None
        self.last_finish: float | None = None

    @property
    def capacity(self) -> int:
        """Evaluations that can usefully be in flight at once (every worker's batch full)."""
        return self.slots * self.per_batch

    # --------------------------------------------------------------- interface
    async def references(self, config: LabConfig) -> References:
        """ReLU's reference losses for this lab configuration, trained on a worker."""
        async with self.workers:
            data = await self._retrying("references", self._remote_references, config.to_json())
        return References.from_dict(data)

    async def admit(self, source: str, config: AdmissionConfig) -> Admission:
        async with self.admissions:
            data = await self._retrying("admission", self._remote_admit, source,
                                        config.to_dict())
        return Admission.from_dict(data)

    async def transfer(self, jobs: list[dict]) -> list[dict]:
        """Transfer jobs (evaluators/transfer/runner.py payloads: trusted IR as JSON) run
        one after another on one worker; a result dict per job."""
        async with self.workers:
            return await self._retrying("transfer", self._remote_transfer, jobs)

    async def evaluate(self, ir: ActivationIR, config: LabConfig,
                       references: References) -> Evaluation:
        batch = self._open
        if batch is None or batch.launched or len(batch.irs) >= self.per_batch \
                or batch.config != config or batch.references is not references:
            batch = self._open = _Batch(config, references)
            lead = True
        else:
            lead = False
        index = len(batch.irs)
        batch.irs.append(ir)
        if len(batch.irs) >= self.per_batch:
            batch.full.set()
        if lead:
            await self._launch(batch)
        await batch.done.wait()
        if batch.error is not None:
            raise batch.error
        return batch.results[index]

    async def aclose(self) -> None:
        """Release the back end's resources (nothing for the local pool)."""

    async def __aenter__(self) -> Executor:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    # ---------------------------------------------------------------- batching
    async def _launch(self, batch: _Batch) -> None:
        """The first caller of a batch leads it: it waits a moment for company, then for a
        free worker (the batch keeps filling meanwhile), then runs it for everyone."""
        try:
            if self.per_batch > 1:
                with anyio.move_on_after(self.config.batch_wait_seconds):
                    await batch.full.wait()
            async with self.workers:
                self._close(batch)
                begun = time.monotonic()
                self.first_launch = self.first_launch or begun
                try:
                    data = await self._retrying(
                        "evaluation", self._remote_evaluate,
                        [ir.to_json() for ir in batch.irs], batch.config.to_json(),
                        batch.references.to_dict())
                finally:
                    self.last_finish = time.monotonic()
                    self.busy_seconds += self.last_finish - begun
                batch.results = [Evaluation.from_dict(d) for d in data]
                self.batches += 1
                self.evaluated += len(batch.irs)
        except BaseException as exc:  # the followers must hear of it too, then it goes on
            self._close(batch)
            batch.error = exc if isinstance(exc, Exception) else RuntimeError(
                "the evaluation was cancelled")
            raise
        finally:
            batch.done.set()

    def _close(self, batch: _Batch) -> None:
        """No caller joins this batch any more."""
        batch.launched = True
        if self._open is batch:
            self._open = None

    async def _retrying(self, what: str, call, *args):
        """``call(*args)``, retried when the worker running it was lost (not when the task
        itself failed: that is an error in our code, and would fail again)."""
        def count(state) -> None:
            self.retries += 1
            if self.on_retry:
                error = state.outcome.exception()
                self.on_retry(what, f"{type(error).__name__}: {error}"[:300],
                              state.attempt_number)

        async for attempt in AsyncRetrying(
                retry=retry_if_exception(self._worker_lost),
                stop=stop_after_attempt(self.config.max_retries + 1),
                wait=wait_exponential(multiplier=0.2, max=5), before_sleep=count, reraise=True):
            with attempt:
                return await call(*args)

    # ------------------------------------------------------------- figures
    def utilisation(self) -> float | None:
        """Share of worker time spent on batches, from the first launch to the last finish."""
        if self.first_launch is None or self.last_finish is None \
                or self.last_finish <= self.first_launch:
            return None
        span = (self.last_finish - self.first_launch) * self.slots
        return round(min(1.0, self.busy_seconds / span), 4)

    def mean_evaluation_seconds(self) -> float | None:
        """Worker time per evaluated candidate (a batch's time shared by its members)."""
        return round(self.busy_seconds / self.evaluated, 3) if self.evaluated else None

    def snapshot(self) -> dict:
        """Its shape and what it is doing now (``in_flight``: worker batches running,
        ``admitting``: admissions running)."""
        return {"kind": self.kind, "workers": self.slots, "candidates_per_batch": self.per_batch,
                "capacity": self.capacity, "batches": self.batches, "evaluated": self.evaluated,
                "retries": self.retries, "in_flight": self.workers.borrowed_tokens,
                "admitting": self.admissions.borrowed_tokens}

    # ------------------------------------------------------------ back end
    @staticmethod
    def _worker_lost(exc: BaseException) -> bool:
        raise NotImplementedError

    async def _remote_references(self, config_json: str) -> dict:
        raise NotImplementedError

    async def _remote_admit(self, source: str, config: dict) -> dict:
        raise NotImplementedError

    async def _remote_evaluate(self, ir_jsons: list[str], config_json: str,
                               references: dict) -> list[dict]:
        raise NotImplementedError

    async def _remote_transfer(self, jobs: list[dict]) -> list[dict]:
        raise NotImplementedError
