"""``actmine bench lab``: the lab's protocol trained two ways in one run, side by side.

1. the batched trainer (evaluators/trainer.py): every (task, seed) model in one batched
   model, one optimiser step for all;
2. the plain loop (evaluators/reference_loop.py): one ``nn.Linear`` MLP and one
   ``torch.optim.Adam`` per (task, seed), trained one after the other.

Same data, same initial weights, same update rule: the final losses agree (reported), so
the ratio of throughputs is the speed-up of batching alone. Both run on one thread (what
one lab worker gets). GFLOP/s counts the linear layers' FLOPs (trainer.lab_matmul_flops), set
against an fp32 matmul measured on the same machine, thread count and device.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import torch

from .lab import LabConfig, device_of
from .reference_loop import train_loop
from .trainer import Activation, lab_matmul_flops, train_batched, train_many


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak_gflops(device: torch.device, size: int = 1024, repeats: int = 5) -> float:
    """Best of ``repeats`` timings of an fp32 size x size matmul (10 products each)."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(repeats):
        _sync(device)
        started = time.perf_counter()
        for _ in range(10):
            a @ b
        _sync(device)
        best = min(best, (time.perf_counter() - started) / 10)
    return 2 * size**3 / best / 1e9


def _sig(value: float, digits: int = 4) -> float:
    return float(f"{value:.{digits}g}")


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def _protocol(config: LabConfig, steps: int | None):
    """Device (one thread on CPU, as a lab worker), training spec, tasks, models per run."""
    device = device_of(config)
    if device.type == "cpu":
        torch.set_num_threads(1)
    tasks = config.all_tasks()
    return (device, replace(config.train, steps=steps or config.train.steps), tasks,
            len(tasks) * len(config.seeds))


def run(act: Activation, config: LabConfig, steps: int | None = None,
        done: Callable[[str], None] = lambda what: None) -> dict:
    """Train the protocol both ways and return the figures (JSON-able); ``done(what)`` is
    called as each way finishes (progress)."""
    device, spec, tasks, models = _protocol(config, steps)
    peak = matmul_peak_gflops(device)

    def batched():
        out = train_batched(act, tasks, config.seeds, spec, device)
        _sync(device)
        return out

    fast, fast_wall, fast_cpu = _timed(batched)
    done("batched trainer")
    slow, slow_wall, slow_cpu = _timed(lambda: train_loop(act, tasks, config.seeds, spec, device))
    done("per-task loop")
    flops = lab_matmul_flops(tasks, len(config.seeds), spec)
    rel = np.abs(fast.test_mse / slow.test_mse - 1.0)
    model_steps = models * spec.steps
    way = lambda wall, cpu: {  # noqa: E731
        "seconds": _sig(wall), "cpu_seconds": _sig(cpu),
        "model_steps_per_s": _sig(model_steps / wall), "gflops": _sig(flops / wall / 1e9),
        "fraction_of_peak": _sig(flops / wall / 1e9 / peak)}
    return {
        "device": str(device), "threads": torch.get_num_threads() if device.type == "cpu" else None,
        "models": models, "tasks": len(tasks), "seeds": len(config.seeds), "steps": spec.steps,
        "sequence_tasks": sum(task.kind != "mlp" for task in tasks),
        "hidden": spec.hidden, "depth": spec.depth, "n_train": spec.n_train,
        "matmul_gflop": _sig(flops / 1e9), "peak_matmul_gflops": _sig(peak),
        "batched": way(fast_wall, fast_cpu), "loop": way(slow_wall, slow_cpu),
        "speedup": _sig(slow_wall / fast_wall),
        "speedup_cpu_time": _sig(slow_cpu / fast_cpu) if fast_cpu > 0 else None,
        "test_mse_max_rel_diff": float(rel.max()), "test_mse_median_rel_diff": float(np.median(rel)),
    }


def run_candidates(acts: list[Activation], config: LabConfig, steps: int | None = None,
                   done: Callable[[str], None] = lambda what: None) -> dict:
    """Several candidates trained as one batch (what an evaluation worker does with
    ``candidates_per_batch``) against the same candidates one after the other: candidates
    per second each way, their ratio, and whether the results are the same."""
    device, spec, tasks, models = _protocol(config, steps)

    def together():
        out = train_many(acts, tasks, config.seeds, spec, device)
        _sync(device)
        return out

    def one_by_one():
        out = [train_batched(act, tasks, config.seeds, spec, device) for act in acts]
        _sync(device)
        return out

    train_batched(acts[0], tasks, config.seeds, replace(spec, steps=2), device)  # warm-up
    batch, batch_wall, _ = _timed(together)
    done(f"{len(acts)} candidates as one batch")
    alone, alone_wall, _ = _timed(one_by_one)
    done(f"{len(acts)} candidates one at a time")
    flops = lab_matmul_flops(tasks, len(config.seeds), spec) * len(acts)
    same = all(np.array_equal(a.test_mse, b.test_mse, equal_nan=True) for a, b in zip(batch, alone))
    return {
        "device": str(device), "candidates": len(acts), "models_per_candidate": models,
        "steps": spec.steps, "hidden": spec.hidden, "depth": spec.depth,
        "batched": {"seconds": _sig(batch_wall), "candidates_per_s": _sig(len(acts) / batch_wall),
                    "gflops": _sig(flops / batch_wall / 1e9)},
        "one_at_a_time": {"seconds": _sig(alone_wall),
                          "candidates_per_s": _sig(len(acts) / alone_wall),
                          "gflops": _sig(flops / alone_wall / 1e9)},
        "speedup": _sig(alone_wall / batch_wall), "identical": bool(same),
    }
