"""An executor in this process: evaluations and admissions in threads. For one-off work
(``actmine eval``, the Python API) where starting a worker process that imports torch
would cost more than the evaluation saves; the candidate still runs only in the sandbox."""

from __future__ import annotations

import anyio.to_thread
from actmine.evaluators.lab import worker
from actmine.evaluators.transfer.runner import run_job_batch
from actmine.sandbox.admission import admit_json

from .base import Executor


class InlineExecutor(Executor):
    kind = "inline"

    @staticmethod
    def _worker_lost(exc: BaseException) -> bool:
        return False  # nothing to lose: this process is the worker

    async def _remote_references(self, config_json: str) -> dict:
        return await anyio.to_thread.run_sync(worker.references_json, config_json)

    async def _remote_admit(self, source: str, config: dict) -> dict:
        return await anyio.to_thread.run_sync(admit_json, source, config)

    async def _remote_evaluate(self, ir_jsons: list[str], config_json: str,
                               references: dict) -> list[dict]:
        return await anyio.to_thread.run_sync(worker.evaluate_many_json, ir_jsons, config_json,
                                              references)

    async def _remote_transfer(self, jobs: list[dict]) -> list[dict]:
        return await anyio.to_thread.run_sync(run_job_batch, jobs)
