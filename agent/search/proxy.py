"""The transfer-proxy stage of the cascade: candidates that enter the run's top k (and the
seed functions, which the champion is compared against) are trained on miniatures of real
downstream benchmarks (evaluators/transfer/proxy.py), a few seconds each.

Results are cached in the run directory (``DIR/transfer/``) by benchmark, profile, seed and
IR hash, like every other result, so a resumed run never trains a proxy job twice; ReLU's
own proxy results, the yardstick of the score, are computed once per run. The stage's cost
(jobs and CPU seconds) is counted apart from the lab's evaluation budget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from actmine.evaluators.lab import relu_ir
from actmine.evaluators.transfer import proxy as transfer_proxy
from actmine.evaluators.transfer.proxy import ProxyScore
from actmine.evaluators.transfer.runner import Job, ResultStore
from actmine.sandbox.ir import ActivationIR
from actmine.store.programs import Program

from ..executors import Executor


@dataclass
class ProxyCounts:
    candidates: int = 0  # proxied (fresh or from the cache)
    jobs: int = 0  # trained now
    cpu_seconds: float = 0.0


class ProxyStage:
    def __init__(self, directory: Path, executor: Executor, device: str = "cpu"):
        self.store = ResultStore(directory)
        self.executor = executor
        self.device = device
        self.benchmarks, self.missing = transfer_proxy.benchmarks()
        self.counts = ProxyCounts()
        self._relu: dict | None = None

    def close(self) -> None:
        self.store.close()

    @property
    def names(self) -> list[str]:
        return [b.name for b in self.benchmarks]

    async def apply(self, program: Program, ranked: list[Program], top_k: int,
                    ir_of: Callable[[str], dict | None], emit: Callable[..., None]) -> Program:
        """The stage for a program that enters the top k of ``ranked`` (or is a seed, the
        champion's yardstick): its score joins the objectives. A failure leaves the
        program as it was: the proxy informs, it never ends a search."""
        if program.status != "ok" or program.stage != "full" or "proxy" in program.objectives:
            return program
        entering = len(ranked) < top_k or program.fitness < ranked[top_k - 1].fitness
        ir = ir_of(program.ir_hash)
        if ir is None or not (entering or program.proposer == "seed"):
            return program
        try:
            result = await self.score(ActivationIR.from_dict(ir))
        except Exception as exc:  # noqa: BLE001 - one candidate's proxy failing is its own
            emit("proxy_error", id=program.id, error=repr(exc)[:300])
            return program
        emit("proxy", id=program.id, score=round(result.score, 4),
             per_benchmark=result.per_benchmark)
        return replace(program, objectives={**program.objectives, "proxy": result.objective},
                       meta={**program.meta, "proxy": result.per_benchmark})

    async def score(self, ir: ActivationIR) -> ProxyScore:
        """The candidate's proxy score against ReLU's (both cached)."""
        if self._relu is None:
            self._relu = await self._results(relu_ir())
        mine = await self._results(ir)
        self.counts.candidates += 1
        return transfer_proxy.score(self.benchmarks, mine, self._relu)

    async def _results(self, ir: ActivationIR) -> dict[tuple[str, int], dict]:
        jobs = [Job(b.name, ir.hash[:12], ir.to_json(), ir.hash, seed, transfer_proxy.PROFILE)
                for b in self.benchmarks for seed in b.seeds(transfer_proxy.PROFILE)]
        found, todo = {}, []
        for job in jobs:
            hit = self.store.get(job)
            if hit is None:
                todo.append(job)
            else:
                found[(job.benchmark, job.seed)] = hit
        if todo:
            payloads = [{**job.__dict__, "device": self.device, "data_cache": ""}
                        for job in todo]
            for job, result in zip(todo, await self.executor.transfer(payloads)):
                if result["status"] != "error":  # errors are retried on the next run
                    self.store.put(job, result)
                found[(job.benchmark, job.seed)] = result
                self.counts.jobs += 1
                self.counts.cpu_seconds += result.get("cpu_seconds", 0.0)
        return found
