"""Batched training of tiny MLPs: every (task, seed) pair of a lab run is one slice of one
batched model, so a whole lab evaluation is one training loop of batched matmuls
(``baddbmm``) with one optimiser step for all (``actmine bench lab`` measures the speed-up
over the plain per-task loop in evaluators/reference_loop.py, which computes the same thing).

Why the slices are exactly independent models:

- Tasks with fewer inputs than ``MAX_INPUTS`` are zero-padded; the padded rows of the first
  weight start at zero and get zero gradient, so they stay zero: the slice is exactly the
  narrower model.
- Each slice's loss is its own mean and the slices are summed, so every slice's gradient is
  the one it would get alone; Adam and SGD update elementwise, so the step is too.
- Initial weights and data depend only on (task name, seed), never on which other tasks
  share the batch (``model_seed``).

Training stops early once a slice's loss is non-finite: the lab scores such a candidate
worst whatever the other slices do, so the remaining steps would be wasted. The check is
per model group (the MLPs, the recurrent cells): a candidate that diverges only in one
still trains the other in full, which the cascade's short stage keeps cheap (functions
that blow up in the recurrent cell do so within its first steps).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .recurrent import rnn_forward, rnn_matmul_flops, stack_rnns
from .tasks import MAX_INPUTS, AnyTask, Task, model_seed

Activation = Callable[[torch.Tensor], torch.Tensor]
FINITE_CHECK_EVERY = 25  # steps; a check is a device sync on CUDA, so not every step


@dataclass(frozen=True)
class TrainSpec:
    hidden: int = 64
    depth: int = 2  # hidden layers
    steps: int = 1000
    lr: float = 3e-3
    optimizer: str = "adam"  # "adam" | "sgd" (momentum 0.9)
    n_train: int = 256  # samples per task, drawn from the train box
    n_test: int = 256  # samples per task, drawn from the out-of-distribution bands
    noise: float = 0.0  # default train-target noise (x target std) for tasks without their own

    def layer_dims(self, n_inputs: int = MAX_INPUTS) -> list[int]:
        return [n_inputs] + [self.hidden] * self.depth + [1]


@dataclass(frozen=True)
class BatchResult:
    """Per model slice (task-major, seed-minor): final train and test MSE."""

    train_mse: np.ndarray  # (tasks, seeds)
    test_mse: np.ndarray  # (tasks, seeds)
    steps_done: int  # < spec.steps when training stopped on a non-finite loss


def init_model(n_inputs: int, spec: TrainSpec, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """One model's (weight (in, out), bias (out,)) per layer, nn.Linear's default init
    (uniform in +-1/sqrt(fan_in)), drawn from one generator: the per-task loop uses the same."""
    gen = torch.Generator().manual_seed(seed)
    dims = spec.layer_dims(n_inputs)
    layers = []
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):
        bound = 1.0 / math.sqrt(fan_in)
        weight = torch.empty(fan_in, fan_out).uniform_(-bound, bound, generator=gen)
        bias = torch.empty(fan_out).uniform_(-bound, bound, generator=gen)
        layers.append((weight, bias))
    return layers


def stack_models(tasks: tuple[Task, ...], seeds: tuple[int, ...], spec: TrainSpec,
                 device: torch.device) -> list[torch.Tensor]:
    """Batched parameters [w1 (m, in, out), b1 (m, 1, out), w2, b2, ...], first layer padded."""
    models = [init_model(task.n_inputs, spec, model_seed(task, seed))
              for task in tasks for seed in seeds]
    params = []
    for layer in range(spec.depth + 1):
        weights = [m[layer][0] for m in models]
        if layer == 0:
            weights = [torch.nn.functional.pad(w, (0, 0, 0, MAX_INPUTS - w.shape[0]))
                       for w in weights]
        params.append(torch.stack(weights).to(device).requires_grad_(True))
        params.append(torch.stack([m[layer][1][None, :] for m in models])
                      .to(device).requires_grad_(True))
    return params


def stack_data(tasks: tuple[AnyTask, ...], seeds: tuple[int, ...], spec: TrainSpec,
               device: torch.device, inputs: Callable[[np.ndarray], np.ndarray] | None = None
               ) -> tuple[torch.Tensor, ...]:
    """x (m, n, ...) and y (m, n, 1) for train and test, one slice per (task, seed); each
    slice's x shaped by ``inputs`` (default: padded to ``MAX_INPUTS`` for the MLP)."""
    inputs = inputs or _pad
    xs_tr, ys_tr, xs_te, ys_te = [], [], [], []
    for task in tasks:
        for seed in seeds:
            data = task.sample(spec.n_train, spec.n_test, seed, default_noise=spec.noise)
            xs_tr.append(inputs(data.x_train))
            xs_te.append(inputs(data.x_test))
            ys_tr.append(data.y_train[:, None])
            ys_te.append(data.y_test[:, None])
    as_t = lambda arrays: torch.from_numpy(np.stack(arrays)).to(device)  # noqa: E731
    return as_t(xs_tr), as_t(ys_tr), as_t(xs_te), as_t(ys_te)


def _pad(x: np.ndarray) -> np.ndarray:
    out = np.zeros((x.shape[0], MAX_INPUTS), dtype=np.float32)
    out[:, : x.shape[1]] = x
    return out


def forward(params: list[torch.Tensor], x: torch.Tensor, act: Activation) -> torch.Tensor:
    h = x
    n_layers = len(params) // 2
    for i in range(n_layers):
        h = torch.baddbmm(params[2 * i + 1], h, params[2 * i])
        if i < n_layers - 1:
            h = act(h)
    return h


def per_model_mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((pred - target) ** 2).mean(dim=(1, 2))


@functools.cache
def keep_freed_memory() -> bool:
    """Stop glibc from returning every freed activation tensor (a few MB, above its 128 KiB
    mmap threshold) to the OS and faulting it back in on the next allocation: that churn was
    ~30% of a lab run's CPU time (all of it system time). PyTorch has no caching allocator
    on CPU, so we raise glibc's thresholds (mallopt) once per process; elsewhere a no-op."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        return bool(libc.mallopt(m_mmap_threshold, 32 << 20)
                    and libc.mallopt(m_trim_threshold, 1 << 30))
    except (OSError, AttributeError):
        return False


def train_batched(act: Activation, tasks: tuple[AnyTask, ...], seeds: tuple[int, ...],
                  spec: TrainSpec, device: torch.device | str = "cpu") -> BatchResult:
    """One candidate: every (task, seed) model of the lab as one batched model."""
    return train_many([act], tasks, seeds, spec, device)[0]


def train_many(acts: Sequence[Activation], tasks: tuple[AnyTask, ...], seeds: tuple[int, ...],
               spec: TrainSpec, device: torch.device | str = "cpu") -> list[BatchResult]:
    """Several candidates trained at once: candidate i owns the i-th block of
    ``len(tasks) * len(seeds)`` model slices, so each batched matmul (and the optimiser
    step) serves every candidate in one launch, and only the activations run per candidate.

    Every candidate gets the initial weights and data it would get alone and its slices
    never mix with the others', so its result is the one ``train_batched`` gives it alone
    (``tests/evaluators/test_multi_candidate.py``). A candidate whose loss turns non-finite
    stops counting steps; the others train on, and the loop ends early only when all have.
    Recurrent (sequence) tasks are trained as their own batch (evaluators/recurrent.py)
    and their rows merged back in the tasks' order.
    """
    device = torch.device(device)
    keep_freed_memory()
    groups: dict[object, list[int]] = {}
    for i, task in enumerate(tasks):
        groups.setdefault(_model_kind(task), []).append(i)
    parts = []
    for kind, rows in groups.items():
        group = tuple(tasks[i] for i in rows)
        if kind == "mlp":
            params, inputs, model = stack_models, None, forward
        else:  # x (n, steps) -> (n, steps, 1): one input per step
            params, inputs, model = stack_rnns, (lambda x: x[..., None]), rnn_forward
        own = [params(group, seeds, spec, device) for _ in acts]
        data = stack_data(group, seeds, spec, device, inputs)
        parts.append((rows, fit(acts, own, data, model, spec, len(group) * len(seeds))))
    k = len(acts)
    train = np.zeros((k, len(tasks), len(seeds)))
    test = np.zeros_like(train)
    steps_done = [spec.steps] * k
    for rows, (part_train, part_test, part_steps) in parts:
        shape = (k, len(rows), len(seeds))
        train[:, rows], test[:, rows] = part_train.reshape(shape), part_test.reshape(shape)
        steps_done = [min(a, b) for a, b in zip(steps_done, part_steps)]
    return [BatchResult(train[i], test[i], steps_done[i]) for i in range(k)]


def _model_kind(task: AnyTask) -> object:
    """Tasks that can share one batched model: every MLP task, or sequence tasks of one shape."""
    if task.kind == "mlp":
        return "mlp"
    return (task.kind, task.hidden, task.length, task.test_length)


Forward = Callable[[list[torch.Tensor], torch.Tensor, Activation], torch.Tensor]


def fit(acts: Sequence[Activation], own: list[list[torch.Tensor]],
        data: tuple[torch.Tensor, ...], forward: Forward, spec: TrainSpec,
        per: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """The training loop shared by every model kind: candidate i's parameters are ``own[i]``
    (each of ``per`` slices), the data are one candidate's and are repeated for the others.
    Returns train and test MSE (candidates, slices) and each candidate's steps done."""
    k = len(acts)
    x_tr, y_tr, x_te, y_te = (t.repeat(k, *([1] * (t.dim() - 1))) if k > 1 else t
                              for t in data)
    # Each candidate keeps its own parameter tensors and the forward pass concatenates
    # them: one big tensor would put a candidate's values in other SIMD lanes of the fused
    # optimiser kernel than when it trains alone, and its result would drift by rounding.
    joined = own[0] if k == 1 else None
    act = acts[0] if k == 1 else _per_candidate(acts, per)
    opt = make_optimizer([p for ps in own for p in ps], spec)
    active = [True] * k
    steps_done = [0] * k
    for step in range(spec.steps):
        opt.zero_grad(set_to_none=True)
        params = joined or [torch.cat(layer) for layer in zip(*own)]
        losses = per_model_mse(forward(params, x_tr, act), y_tr)
        if step % FINITE_CHECK_EVERY == 0:
            finite = torch.isfinite(losses).view(k, per).all(dim=1).tolist()  # one sync
            active = [a and f for a, f in zip(active, finite)]
            if not any(active):
                break
        # Until the check above fires, a NaN slice must not poison the others' gradients.
        torch.nan_to_num(losses, nan=0.0, posinf=0.0, neginf=0.0).sum().backward()
        opt.step()
        steps_done = [step + 1 if a else done for a, done in zip(active, steps_done)]
    with torch.no_grad():
        params = joined or [torch.cat(layer) for layer in zip(*own)]
        train = per_model_mse(forward(params, x_tr, act), y_tr).view(k, per)
        test = per_model_mse(forward(params, x_te, act), y_te).view(k, per)
    return (train.cpu().double().numpy(), test.cpu().double().numpy(), steps_done)


def _per_candidate(acts: Sequence[Activation], per: int) -> Activation:
    """One activation over the whole batch: candidate i's function on its own block."""
    def act(h: torch.Tensor) -> torch.Tensor:
        return torch.cat([fn(block) for fn, block in zip(acts, h.split(per))])

    return act


def make_optimizer(params: list[torch.Tensor], spec: TrainSpec) -> torch.optim.Optimizer:
    if spec.optimizer == "adam":
        # fused: one kernel per parameter group instead of ~10 per tensor (CPU and CUDA).
        return torch.optim.Adam(params, lr=spec.lr, fused=True)
    if spec.optimizer == "sgd":
        return torch.optim.SGD(params, lr=spec.lr, momentum=0.9, foreach=True)
    raise ValueError(f"unknown optimizer {spec.optimizer!r}; use 'adam' or 'sgd'")


def matmul_flops(spec: TrainSpec, models: int, steps: int | None = None) -> int:
    """FLOPs of the linear layers for training (forward, weight and input gradients) and
    the final train/test evaluation, as the batched trainer executes them (first layer at
    its padded width ``MAX_INPUTS``). Activations, bias adds and the optimiser are extra."""
    dims = spec.layer_dims()
    steps = spec.steps if steps is None else steps
    per_sample = sum(2 * a * b for a, b in zip(dims[:-1], dims[1:]))  # forward
    backward = 2 * per_sample - 2 * dims[0] * dims[1]  # weight grads + input grads (not x)
    train = steps * spec.n_train * (per_sample + backward)
    final = (spec.n_train + spec.n_test) * per_sample
    return models * (train + final)


def lab_matmul_flops(tasks: tuple[AnyTask, ...], seeds: int, spec: TrainSpec,
                     steps: int | None = None) -> int:
    """matmul_flops of a lab run of these tasks, each with ``seeds`` models: the MLP tasks
    at the batched MLP's cost, the sequence tasks at their recurrent cell's."""
    mlp = sum(task.kind == "mlp" for task in tasks)
    return matmul_flops(spec, mlp * seeds, steps) + sum(
        rnn_matmul_flops(task, spec, seeds, steps) for task in tasks if task.kind != "mlp")

