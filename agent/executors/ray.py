"""Admissions and evaluations as tasks on a Ray cluster (``pip install 'actmine[ray]'``).

    [executor]
    kind = "ray"
    ray_address = "auto"        # join the cluster this machine belongs to ("" starts a local one)
    gpus_per_worker = 1         # evaluation tasks on GPU nodes (fractions share a GPU)

The orchestrator and the store stay on this machine; Ray only runs tasks. An admission task
runs the untrusted source inside the sandbox of the node that takes it (each Ray worker
process starts its own zygote on first use and keeps it). An evaluation task gets a batch
of trusted IRs as JSON and returns plain dicts; it picks CUDA when its node gives it a GPU.
Only JSON text and our own functions cross the wire. Ray's own task retries are off
(``max_retries=0``) so that a lost worker surfaces here and the base class retries it,
counted, on whichever node Ray picks next. Every node needs actmine installed (the same
version) in the Python that Ray runs.
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import replace

import anyio
from actmine.evaluators.lab import worker
from actmine.evaluators.transfer.runner import run_job_batch
from actmine.sandbox.admission import admit_json

from .base import Executor, ExecutorConfig, ExecutorError, OnRetry

OBJECT_STORE_BYTES = 256 * 1024**2  # a private local Ray moves only small JSON around


class RayExecutor(Executor):
    kind = "ray"

    def __init__(self, config: ExecutorConfig, on_retry: OnRetry | None = None):
        try:
            import ray
        except ImportError:
            raise ExecutorError("executor kind 'ray' needs Ray: pip install 'actmine[ray]' "
                                "(or set [executor] kind = \"local\")") from None
        self._ray = ray
        self._owns_cluster = False
        if not ray.is_initialized():
            self._connect(config)
        if config.workers <= 0:  # one worker per task's worth of the cluster's resources
            resources = ray.cluster_resources()
            per = [resources.get("CPU", 1) / config.cpus_per_worker]
            if config.gpus_per_worker > 0:
                per.append(resources.get("GPU", 0) / config.gpus_per_worker)
            config = replace(config, workers=max(1, int(min(per))))
        super().__init__(config, on_retry)
        self._nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
        remote = ray.remote(max_retries=0)
        self._evaluate = remote(worker.evaluate_many_json).options(
            num_cpus=config.cpus_per_worker, num_gpus=config.gpus_per_worker)
        self._references = remote(worker.references_json).options(
            num_cpus=config.cpus_per_worker, num_gpus=config.gpus_per_worker)
        self._transfer = remote(run_job_batch).options(
            num_cpus=config.cpus_per_worker, num_gpus=config.gpus_per_worker)
        # Admission is mostly waiting on a sandboxed child process: a fraction of a CPU.
        self._admit = remote(admit_json).options(num_cpus=0.25)

    def _connect(self, config: ExecutorConfig) -> None:
        ray = self._ray
        # Our workers run one torch thread each; Ray's own log lines stay in its log files.
        env = {"env_vars": {"OMP_NUM_THREADS": "1", "RAY_DEDUP_LOGS": "0"}}
        if config.ray_address and config.ray_address != "auto":
            _check_reachable(config.ray_address)
        try:
            if config.ray_address:
                ray.init(address=config.ray_address, log_to_driver=False, runtime_env=env,
                         configure_logging=False)
            else:
                cpus = config.workers * config.cpus_per_worker if config.workers > 0 else None
                ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False,
                         object_store_memory=OBJECT_STORE_BYTES, runtime_env=env,
                         configure_logging=False)
                self._owns_cluster = True
        except (ConnectionError, RuntimeError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            where = config.ray_address or "a local Ray"
            raise ExecutorError(f"cannot start Ray executor at {where!r}: {first}; check "
                                f"[executor] ray_address (e.g. 'auto' on a cluster node, "
                                f"'ray://HOST:10001')") from None

    @staticmethod
    def _worker_lost(exc: BaseException) -> bool:
        from ray import exceptions as rex

        lost = (rex.WorkerCrashedError, rex.NodeDiedError, rex.OutOfMemoryError,
                rex.ObjectLostError, rex.LocalRayletDiedError)
        return isinstance(exc, lost)

    async def _call(self, fn, *args):
        ref = fn.remote(*args)
        try:
            return await ref
        except anyio.get_cancelled_exc_class():
            with contextlib.suppress(Exception):  # cancelled here: stop it there too
                self._ray.cancel(ref, force=True)
            raise

    async def _remote_references(self, config_json: str) -> dict:
        return await self._call(self._references, config_json)

    async def _remote_admit(self, source: str, config: dict) -> dict:
        return await self._call(self._admit, source, config)

    async def _remote_evaluate(self, ir_jsons: list[str], config_json: str,
                               references: dict) -> list[dict]:
        return await self._call(self._evaluate, ir_jsons, config_json, references)

    async def _remote_transfer(self, jobs: list[dict]) -> list[dict]:
        return await self._call(self._transfer, jobs)

    def snapshot(self) -> dict:
        return {**super().snapshot(), "ray_address": self.config.ray_address or "local",
                "nodes": self._nodes}

    async def aclose(self) -> None:
        if self._owns_cluster and self._ray.is_initialized():
            self._ray.shutdown()
            self._owns_cluster = False


def _check_reachable(address: str) -> None:
    """Fail in one line, at once, when nothing listens at a cluster address: Ray itself
    retries for minutes and logs from C++ meanwhile."""
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ExecutorError(f"[executor] ray_address {address!r} is not HOST:PORT, "
                            f"ray://HOST:PORT or 'auto'")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise ExecutorError(f"cannot reach the Ray cluster at {address!r} "
                            f"({exc.strerror or exc}); start it with 'ray start --head' or "
                            f"fix [executor] ray_address") from None
