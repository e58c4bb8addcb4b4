"""Retrain one function on the lab to see *how* it fits (the paper's Figure 2).

The lab keeps only losses. To draw each task's truth, training range, test range and the
network's prediction, and the histogram of the function's pre-activations after training,
the report retrains the best IR with the lab's own primitives (data, initialisation,
forward pass, optimiser) on the lab's first seed: each task's model is exactly the lab's
network for that (task, seed). ReLU is retrained the same way as the reference. Fits are
cached as JSON in ``DIR/report/`` by lab hash and IR hash, so ReLU is trained once per run
and a later report (of a live run, say) retrains only when the best function changes.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from actmine.evaluators.kernels import TRAINING_KERNELS
from actmine.evaluators.lab import LabConfig
from actmine.evaluators.tasks import MAX_INPUTS, Task
from actmine.evaluators.trainer import forward, make_optimizer, stack_data, stack_models
from actmine.sandbox.ir import ActivationIR

from ..progress import Progress

FIT_FORMAT = 2  # 2: the lab's per-(task, seed) initial weights and training kernels
GRID_POINTS = 300
HIST_BINS = 80
SAMPLE_POINTS = 128  # training/test points drawn per task (1-input tasks only)


@dataclass(frozen=True)
class TaskFit:
    name: str
    family: str
    formula: str
    n_inputs: int
    train_range: tuple[float, float]
    test_bands: tuple[tuple[float, float], ...]
    grid: tuple[float, ...]  # t, with every input equal to t (the box's diagonal)
    truth: tuple[float, ...]  # standardised target on the grid
    prediction: tuple[float, ...]  # the trained network on the grid
    samples: dict  # {"x_train", "y_train", "x_test", "y_test"} for 1-input tasks, else {}
    train_mse: float
    test_mse: float


@dataclass(frozen=True)
class FitResult:
    ir_hash: str
    lab_hash: str
    seed: int
    steps: int
    seconds: float
    tasks: tuple[TaskFit, ...]
    hist_edges: tuple[float, ...]  # pre-activations of every hidden layer
    hist_train: tuple[int, ...]
    hist_test: tuple[int, ...]

    def to_dict(self) -> dict:
        return {"format": FIT_FORMAT, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> FitResult:
        data = {k: v for k, v in data.items() if k != "format"}
        tasks = []
        for t in data.pop("tasks"):
            t["train_range"] = tuple(t["train_range"])
            t["test_bands"] = tuple(tuple(b) for b in t["test_bands"])
            for key in ("grid", "truth", "prediction"):
                t[key] = tuple(t[key])
            tasks.append(TaskFit(**t))
        return cls(tasks=tuple(tasks), **{k: tuple(v) if isinstance(v, list) else v
                                          for k, v in data.items()})


def cached_fit(run_path: Path, ir: ActivationIR, lab: LabConfig, label: str,
               progress: bool | None = None) -> tuple[FitResult, bool]:
    """The fit from DIR/report/ if present, else retrain and store it there.
    Returns the fit and whether it was retrained just now."""
    path = Path(run_path) / "report" / f"fit-{lab.hash}-{ir.hash}.json"
    try:
        data = json.loads(path.read_text())
        if data.get("format") == FIT_FORMAT:
            return FitResult.from_dict(data), False
    except (OSError, ValueError, KeyError, TypeError):
        pass  # absent or stale: retrain
    result = retrain(ir, lab, label, progress=progress)
    try:
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(result.to_dict(), separators=(",", ":")))
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only run directory still gets its report, just without the cache
    return result, True


def retrain(ir: ActivationIR, lab: LabConfig, label: str = "the function",
            progress: bool | None = None) -> FitResult:
    """Train on every lab task that is a function of x (first seed) as the lab does;
    capture predictions on a grid and the hidden pre-activations. Sequence tasks have no
    curve to draw and are left out (the caption says so)."""
    torch.set_num_threads(1)  # as the lab does: tiny matmuls lose to thread hand-offs
    device = torch.device("cpu")
    tasks = tuple(t for t in lab.all_tasks() if t.kind == "mlp")  # functions of x, to plot
    seed = lab.seeds[0]
    spec = lab.train
    x_tr, y_tr, x_te, y_te = stack_data(tasks, (seed,), spec, device)
    params = stack_models(tasks, (seed,), spec, device)  # the lab's own initial weights
    act = ir.to_callable(TRAINING_KERNELS)  # the same kernels the lab trains with
    opt = make_optimizer(params, spec)
    every = max(1, spec.steps // 100)
    with Progress(f"retraining {label} on the lab", total=spec.steps, unit="steps",
                  interactive=progress) as bar:
        for step in range(spec.steps):
            opt.zero_grad(set_to_none=True)
            loss = ((forward(params, x_tr, act) - y_tr) ** 2).mean(dim=(1, 2))
            loss = torch.where(torch.isfinite(loss), loss, torch.zeros_like(loss)).sum()
            loss.backward()
            opt.step()
            if (step + 1) % every == 0 or step + 1 == spec.steps:
                bar.update(step + 1)
        seconds = bar.elapsed

    with torch.no_grad():
        mse_tr = ((forward(params, x_tr, act) - y_tr) ** 2).mean(dim=(1, 2)).numpy()
        mse_te = ((forward(params, x_te, act) - y_te) ** 2).mean(dim=(1, 2)).numpy()
        grids = [_grid(task) for task in tasks]
        x_grid = torch.zeros(len(tasks), GRID_POINTS, MAX_INPUTS)
        for i, (task, grid) in enumerate(zip(tasks, grids)):
            x_grid[i, :, : task.n_inputs] = torch.from_numpy(grid[:, None])
        pred = forward(params, x_grid, act)[..., 0].numpy()
        pre_train, pre_test = _pre_activations(params, x_tr, x_te, act)

    fits = [_task_fit(task, seed, spec.n_train, spec.n_test, grid, pred[i], mse_tr[i], mse_te[i])
            for i, (task, grid) in enumerate(zip(tasks, grids))]
    edges, h_train, h_test = _histogram(pre_train, pre_test)
    return FitResult(ir.hash, lab.hash, seed, spec.steps, round(seconds, 3), tuple(fits),
                     edges, h_train, h_test)


def _grid(task: Task) -> np.ndarray:
    lows = [task.train_range[0]] + [b[0] for b in task.test_bands]
    highs = [task.train_range[1]] + [b[1] for b in task.test_bands]
    return np.linspace(min(lows), max(highs), GRID_POINTS, dtype=np.float32)


def _pre_activations(params, x_tr, x_te, act) -> tuple[np.ndarray, np.ndarray]:
    """Inputs of every hidden activation, on the training and on the test data."""
    seen: list[torch.Tensor] = []

    def recording(h: torch.Tensor) -> torch.Tensor:
        seen.append(h.reshape(-1))
        return act(h)

    forward(params, x_tr, recording)
    train = torch.cat(seen).numpy()
    seen.clear()
    forward(params, x_te, recording)
    test = torch.cat(seen).numpy()
    return train, test


def _histogram(train: np.ndarray, test: np.ndarray):
    both = np.concatenate([train, test])
    both = both[np.isfinite(both)]
    if both.size == 0:
        return (0.0, 1.0), (0,), (0,)
    lo, hi = np.percentile(both, [0.5, 99.5])
    if not hi > lo:
        lo, hi = lo - 1.0, hi + 1.0
    edges = np.linspace(lo, hi, HIST_BINS + 1)
    h_train, _ = np.histogram(train, edges)  # the outer 1% is left out, not piled at the edges
    h_test, _ = np.histogram(test, edges)
    return (tuple(_round(edges)), tuple(int(v) for v in h_train),
            tuple(int(v) for v in h_test))


def _task_fit(task: Task, seed: int, n_train: int, n_test: int, grid: np.ndarray,
              pred: np.ndarray, train_mse: float, test_mse: float) -> TaskFit:
    data = task.sample(n_train, n_test, seed)
    # Task.sample standardises targets with the (noise-free) train targets' mean and std.
    raw = task.fn(data.x_train.astype(np.float64))
    offset, scale = float(np.mean(raw)), float(np.std(raw)) or 1.0
    x_grid = np.repeat(grid[:, None].astype(np.float64), task.n_inputs, axis=1)
    truth = (task.fn(x_grid) - offset) / scale
    samples = {}
    if task.n_inputs == 1:
        k_tr, k_te = min(SAMPLE_POINTS, n_train), min(SAMPLE_POINTS, n_test)
        samples = {"x_train": _round(data.x_train[:k_tr, 0]), "y_train": _round(data.y_train[:k_tr]),
                   "x_test": _round(data.x_test[:k_te, 0]), "y_test": _round(data.y_test[:k_te])}
    return TaskFit(task.name, task.family, task.formula, task.n_inputs,
                   tuple(map(float, task.train_range)),
                   tuple(tuple(map(float, b)) for b in task.test_bands),
                   tuple(_round(grid)), tuple(_round(truth)), tuple(_round(pred)), samples,
                   float(train_mse), float(test_mse))


def _round(values) -> list[float]:
    """Five significant digits: plenty for a plot, a third of the JSON."""
    return [float(f"{v:.5g}") if np.isfinite(v) else None for v in np.asarray(values, float)]
