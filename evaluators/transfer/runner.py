"""Running transfer jobs: one job is (benchmark, activation, seed) under a profile.

Jobs run in worker processes (spawned, one torch thread each on CPU), longest first, and
receive only trusted data: the benchmark's name, the IR as JSON, the seed. Each result is
written to a diskcache as soon as it arrives, keyed by benchmark version, profile
parameters, seed and canonical IR hash, so an interrupted run loses only jobs in flight
and an activation already measured (under any name) is never trained twice.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import diskcache

from . import registry
from .common import Benchmark, Context, Diverged
from .references import Activation


@dataclass(frozen=True)
class Job:
    benchmark: str
    label: str
    ir_json: str
    ir_hash: str
    seed: int
    profile: str

    def cache_key(self) -> str:
        bench = registry.get(self.benchmark)
        params = json.dumps(bench.params(self.profile), sort_keys=True)
        digest = hashlib.sha256(params.encode()).hexdigest()[:10]
        return f"{bench.name}/v{bench.version}/{self.profile}-{digest}/{self.seed}/{self.ir_hash}"


def plan(benchmarks: list[Benchmark], activations: list[Activation], profile: str) -> list[Job]:
    """Every (benchmark, activation, seed), the most expensive benchmarks first so the last
    jobs to finish are short ones (both workers stay busy to the end)."""
    jobs = [Job(b.name, a.label, a.ir.to_json(), a.ir_hash, seed, profile)
            for b in sorted(benchmarks, key=lambda b: -b.cost)
            for seed in b.seeds(profile) for a in activations]
    return jobs


def run_job(job: dict) -> dict:
    """Worker entry point: trusted JSON in, a plain dict out."""
    import torch
    from actmine.evaluators.kernels import TRAINING_KERNELS
    from actmine.sandbox.ir import ActivationIR

    ctx = Context(job["device"], Path(job["data_cache"]) if job["data_cache"] else None)
    if ctx.device == "cpu":
        torch.set_num_threads(1)
    bench = registry.get(job["benchmark"])
    # The lab's fast kernels (same function; sinc's stock CPU kernel is a slow scalar loop).
    activation = ActivationIR.from_json(job["ir_json"]).to_callable(TRAINING_KERNELS)
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        details = bench.run(activation, job["seed"], bench.params(job["profile"]), ctx)
        status, reason = "ok", ""
    except Diverged as exc:
        details, status, reason = {"metric": None}, "diverged", str(exc)
    except torch.OutOfMemoryError:
        details, status, reason = {"metric": None}, "diverged", "out of memory"
    except Exception as exc:  # noqa: BLE001 - one broken job must not end a long run
        details, status, reason = {"metric": None}, "error", f"{type(exc).__name__}: {exc}"
    return {"status": status, "reason": reason, "metric": details.pop("metric"),
            "details": details, "seconds": round(time.perf_counter() - started, 2),
            "cpu_seconds": round(time.process_time() - cpu_started, 2)}


def run_job_batch(jobs: list[dict]) -> list[dict]:
    """Several jobs one after another in this worker (an executor's task)."""
    return [run_job(job) for job in jobs]


class ResultStore:
    """Transfer results on diskcache (SQLite), separate from lab caches."""

    def __init__(self, directory: Path):
        self._cache = diskcache.Cache(str(directory), size_limit=2**32, eviction_policy="none")

    def get(self, job: Job) -> dict | None:
        return self._cache.get(job.cache_key())

    def put(self, job: Job, result: dict) -> None:
        self._cache.set(job.cache_key(), result)

    def close(self) -> None:
        self._cache.close()

    def totals(self) -> dict:
        """What the store holds: jobs, their CPU seconds, and the benchmarks they ran."""
        jobs, cpu, names = 0, 0.0, set()
        for key in self._cache.iterkeys():
            result = self._cache.get(key)
            if isinstance(result, dict):
                jobs += 1
                cpu += float(result.get("cpu_seconds") or 0.0)
                names.add(str(key).split("/", 1)[0])
        return {"jobs": jobs, "cpu_seconds": round(cpu, 1), "benchmarks": sorted(names)}


Progress = Callable[[Job, dict, bool], None]  # (job, result, came from cache)


def check_data(benchmarks: list[Benchmark]) -> None:
    """One DataMissing naming the fix for every benchmark whose data is not installed."""
    from .data import DataMissing

    missing = []
    for bench in benchmarks:
        try:
            bench.check()
        except DataMissing as exc:
            if str(exc) not in missing:
                missing.append(str(exc))
    if missing:
        raise DataMissing("; ".join(missing) + "; or leave those out with --benchmarks")


def prepare_data(benchmarks: list[Benchmark], profile: str, ctx: Context,
                 note: Callable[[str], None] = lambda _: None) -> None:
    """Check every dataset first (one DataMissing naming all fixes), then build caches."""
    check_data(benchmarks)
    for bench in benchmarks:
        if bench.prepare is not None:
            started = time.perf_counter()
            bench.prepare(bench.params(profile), ctx)
            if time.perf_counter() - started > 1:
                note(f"prepared {bench.dataset} in {time.perf_counter() - started:.0f}s (cached)")


def run_jobs(jobs: list[Job], store: ResultStore, ctx: Context, workers: int,
             progress: Progress) -> dict[tuple[str, str, int], dict]:
    """Results by (benchmark, label, seed). Cached jobs are reported first."""
    results: dict[tuple[str, str, int], dict] = {}
    todo = []
    for job in jobs:
        hit = store.get(job)
        if hit is None:
            todo.append(job)
        else:
            results[(job.benchmark, job.label, job.seed)] = hit
            progress(job, hit, True)
    if not todo:
        return results
    payload = lambda j: {**j.__dict__, "device": ctx.device,  # noqa: E731
                         "data_cache": str(ctx.data_cache) if ctx.data_cache else ""}
    spawn = multiprocessing.get_context("spawn")  # never fork a process that holds torch threads
    pool = cf.ProcessPoolExecutor(max_workers=max(1, min(workers, len(todo))), mp_context=spawn)
    try:
        futures = {pool.submit(run_job, payload(job)): job for job in todo}
        for future in cf.as_completed(futures):
            job = futures[future]
            result = future.result()
            if result["status"] != "error":  # errors are retried on the next run
                store.put(job, result)  # committed before it is reported
            results[(job.benchmark, job.label, job.seed)] = result
            progress(job, result, False)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results


def measure(benchmarks: list[Benchmark], activations: list[Activation], profile: str,
            ctx: Context, store_dir: Path, workers: int, progress: Progress,
            note: Callable[[str], None] = lambda _: None) -> dict[tuple[str, str, int], dict]:
    """Every (benchmark, activation, seed) of the profile: cached results, and the rest run
    (committed to the store in ``store_dir`` as each finishes). Results by (benchmark,
    label, seed)."""
    prepare_data(benchmarks, profile, ctx, note)
    store = ResultStore(store_dir)
    try:
        return run_jobs(plan(benchmarks, activations, profile), store, ctx, workers, progress)
    finally:
        store.close()


def default_workers(device: str) -> int:
    return max(1, os.cpu_count() or 1) if device == "cpu" else 2
