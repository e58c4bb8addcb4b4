"""The default executor: anyio's worker processes on this machine. Each worker is
long-lived, imports torch once and trains on one thread; admissions run in threads that
wait on sandboxed zygote children (the source runs only inside the sandbox)."""

from __future__ import annotations

import anyio
import anyio.to_process
import anyio.to_thread
from actmine.evaluators.lab import worker
from actmine.evaluators.transfer.runner import run_job_batch
from actmine.sandbox.admission import admit_json

from .base import Executor, ExecutorConfig, OnRetry


class LocalExecutor(Executor):
    kind = "local"

    def __init__(self, config: ExecutorConfig, on_retry: OnRetry | None = None):
        super().__init__(config, on_retry)
        self._processes = anyio.CapacityLimiter(self.slots)  # worker processes alive at once

    @staticmethod
    def _worker_lost(exc: BaseException) -> bool:
        return isinstance(exc, anyio.BrokenWorkerProcess)

    async def _remote_references(self, config_json: str) -> dict:
        return await anyio.to_process.run_sync(worker.references_json, config_json,
                                               cancellable=True, limiter=self._processes)

    async def _remote_admit(self, source: str, config: dict) -> dict:
        return await anyio.to_thread.run_sync(admit_json, source, config)

    async def _remote_evaluate(self, ir_jsons: list[str], config_json: str,
                               references: dict) -> list[dict]:
        return await anyio.to_process.run_sync(worker.evaluate_many_json, ir_jsons, config_json,
                                               references, cancellable=True,
                                               limiter=self._processes)

    async def _remote_transfer(self, jobs: list[dict]) -> list[dict]:
        return await anyio.to_process.run_sync(run_job_batch, jobs, cancellable=True,
                                               limiter=self._processes)
