"""How many candidates one worker trains at once, and what happens when memory runs out.

An evaluation worker takes a batch of candidates (trusted IR) and trains them together
(trainer.train_many). Before a launch the batch is cut to what the device's free memory
holds by an estimate of one candidate's footprint; if the device still runs out of memory,
the launch is split in half and retried, down to one candidate, and the smaller size is
remembered for the rest of the process (the batch size adapts to the device). A launch that
fails for any other reason is retried one candidate at a time, so a candidate whose training
raises (or that alone does not fit) fails only itself. The same code runs on CPU, where
tests exercise it, and on CUDA.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import torch

from .trainer import TrainSpec

log = logging.getLogger("actmine.evaluators")
T = TypeVar("T")
R = TypeVar("R")

# Share of the free memory a launch may plan to use: the estimate is rough, and other
# allocations (cuBLAS workspaces, the caching allocator's fragmentation) need room too.
MEMORY_HEADROOM = 0.6
# Bytes kept per element of a hidden activation during one step: the pre-activation, the
# saved tensors of each IR node (forward) and their gradients (backward), all float32.
TENSORS_PER_NODE = 3

_learned_cap: dict[str, int] = {}  # device -> largest batch known to fit (after an OOM)


def candidate_bytes(spec: TrainSpec, models: int, nodes: int) -> int:
    """Rough peak memory of one candidate's training (all its task x seed models)."""
    per_model_params = sum(a * b + b for a, b in zip(spec.layer_dims()[:-1],
                                                     spec.layer_dims()[1:]))
    params = models * per_model_params * 4 * 4  # weights, grads, Adam's two moments
    samples = max(spec.n_train, spec.n_test)
    activations = models * samples * spec.hidden * spec.depth * (2 + TENSORS_PER_NODE * nodes) * 4
    return params + activations


def lab_candidate_bytes(tasks, seeds: int, spec: TrainSpec, nodes: int) -> int:
    """candidate_bytes over a lab's tasks: the MLP tasks as above, and each sequence task's
    recurrent cells, which keep one hidden state per step for the backward pass."""
    mlp = sum(task.kind == "mlp" for task in tasks)
    total = candidate_bytes(spec, mlp * seeds, nodes) if mlp else 0
    for task in tasks:
        if task.kind != "mlp":
            params = ((1 + task.hidden) * task.hidden + 2 * task.hidden + 1) * 4 * 4
            states = spec.n_train * task.length * task.hidden * (2 + TENSORS_PER_NODE * nodes) * 4
            total += seeds * (params + states)
    return total


def free_bytes(device: torch.device) -> int | None:
    """Memory a launch may use now, or None when it cannot be told."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return free
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def fitting_batch(requested: int, per_candidate: int, device: torch.device) -> int:
    """``requested`` cut to what free memory holds and what this process has learned fits."""
    size = max(1, min(requested, _learned_cap.get(str(device), requested)))
    free = free_bytes(device)
    if free is not None and per_candidate > 0:
        size = max(1, min(size, int(free * MEMORY_HEADROOM // per_candidate)))
    return size


def is_out_of_memory(exc: BaseException) -> bool:
    # CUDA raises torch.OutOfMemoryError; the CPU allocator a RuntimeError with this text.
    return isinstance(exc, torch.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "can't allocate memory" in str(exc))


@dataclass(frozen=True)
class Failed:
    """One candidate whose training raised even alone: its verdict, not the batch's."""

    reason: str


def run_in_batches(items: Sequence[T], train: Callable[[Sequence[T]], list[R]],
                   size: int, device: torch.device) -> list[R | Failed]:
    """``train`` over consecutive chunks of at most ``size`` items; a chunk that runs out of
    memory is split in half and retried (and the cap remembered) instead of failing; a chunk
    that fails otherwise is retried one item at a time, and an item that fails alone comes
    back as ``Failed``."""
    out: list[R | Failed] = []
    start = 0
    while start < len(items):
        chunk = items[start:start + size]
        try:
            out.extend(train(chunk))
        except Exception as exc:  # noqa: BLE001 - any failure is some candidate's verdict
            if is_out_of_memory(exc) and len(chunk) > 1:
                size = max(1, len(chunk) // 2)
                _learned_cap[str(device)] = size
                log.warning("out of memory training %d candidates at once on %s; splitting "
                            "into batches of %d", len(chunk), device, size)
                _release(device)
                continue
            _release(device)
            if len(chunk) > 1:  # find who failed: each alone trains exactly as in the batch
                out.extend(run_in_batches(chunk, train, 1, device))
            else:
                what = "ran out of memory" if is_out_of_memory(exc) else "raised"
                out.append(Failed(f"training {what}: {type(exc).__name__}: {exc}"
                                  .replace("\n", " ")[:300]))
        start += len(chunk)
    return out


def _release(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()


def learned_cap(device: torch.device | str) -> int | None:
    return _learned_cap.get(str(torch.device(device)))
