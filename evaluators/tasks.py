"""The lab's synthetic extrapolation tasks: one declarative table a user can read and extend.

Three families, as in the paper: polynomials (extrapolation of growth), harmonics
(periodicity) and physics formulas from the Feynman symbolic-regression set (AI Feynman,
Udrescu & Tegmark 2020; equation ids kept). Every task trains on an in-distribution box
and is tested on a disjoint out-of-distribution band just outside it, so the test loss
measures extrapolation. Data are deterministic in (task, seed).

Rules a row follows (docs/lab.md gives the reasons): OOD bands are adjacent to the
train box and about as wide as the box reaches on that side (its half-range for boxes
around 0, its width for positive physics inputs); a harmonic task holds at least one period in
the box; and the ReLU reference fits the task in distribution (train MSE < 1e-2 on the
standardised targets) within the default step budget, so OOD loss measures extrapolation
rather than underfitting. To add a task, append a row to TASKS; to change a row, bump
TASKS_VERSION (it is part of the lab hash, as are the names of a lab's tasks, so cached
fitness is never reused across a changed table).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from actmine.sandbox.errors import UserError

TASKS_VERSION = 3
MAX_INPUTS = 3

Formula = Callable[[np.ndarray], np.ndarray]  # (n, d) -> (n,)


@dataclass(frozen=True)
class Task:
    name: str
    family: str  # "polynomial" | "harmonic" | "physics"
    formula: str  # human-readable
    fn: Formula
    n_inputs: int
    train_range: tuple[float, float]  # every input drawn from this interval
    test_bands: tuple[tuple[float, float], ...]  # OOD: every input drawn from one band
    noise: float | None = None  # Gaussian noise on train targets (x their std); None: lab's
    kind = "mlp"  # trained by the batched MLP (evaluators/trainer.py)

    def sample(self, n_train: int, n_test: int, seed: int,
               default_noise: float = 0.0) -> TaskData:
        rng = np.random.default_rng([zlib.crc32(self.name.encode()), seed])
        lo, hi = self.train_range
        x_train = rng.uniform(lo, hi, size=(n_train, self.n_inputs))
        band = rng.integers(len(self.test_bands), size=n_test)
        lows = np.array([self.test_bands[b][0] for b in band])[:, None]
        highs = np.array([self.test_bands[b][1] for b in band])[:, None]
        x_test = lows + (highs - lows) * rng.random((n_test, self.n_inputs))
        noise = default_noise if self.noise is None else self.noise
        return _task_data(self.fn, x_train, x_test, noise, rng)


@dataclass(frozen=True)
class SequenceTask:
    """Length generalisation: a recurrent cell h <- act(W [x_t, h] + b) reads a sequence of
    inputs and a linear readout of the last h predicts the target. Trained on sequences of
    ``length`` and tested on sequences of ``test_length``, the out-of-distribution part is
    the number of steps, as in the algorithmic transfer benchmarks (trained at n = 16,
    tested at n = 64, one message-passing step per node): a network whose learnt dynamics
    drift, saturate or explode after the steps it was trained on fails here."""

    name: str
    family: str
    formula: str  # human-readable
    fn: Callable[[np.ndarray], np.ndarray]  # (n, steps) -> (n,)
    length: int  # steps of the training sequences
    test_length: int  # steps of the test sequences
    input_range: tuple[float, float] = (-1.0, 1.0)  # every x_t drawn from this interval
    hidden: int = 32  # the recurrent state's width
    noise: float | None = None
    kind = "recurrent"  # trained by evaluators/recurrent.py
    n_inputs = 1  # one input per step

    def sample(self, n_train: int, n_test: int, seed: int,
               default_noise: float = 0.0) -> TaskData:
        """x: (n, steps) sequences; y standardised with the train statistics, as Task does."""
        rng = np.random.default_rng([zlib.crc32(self.name.encode()), seed])
        lo, hi = self.input_range
        x_train = rng.uniform(lo, hi, size=(n_train, self.length))
        x_test = rng.uniform(lo, hi, size=(n_test, self.test_length))
        noise = default_noise if self.noise is None else self.noise
        return _task_data(self.fn, x_train, x_test, noise, rng)


AnyTask = Task | SequenceTask


def _task_data(fn, x_train: np.ndarray, x_test: np.ndarray, noise: float,
               rng: np.random.Generator) -> TaskData:
    """Targets of both splits, standardised with the train statistics so every task's loss
    has the same scale; noise (x the targets' std) on train targets only: the test measures
    extrapolation of the law itself."""
    y_train, y_test = fn(x_train), fn(x_test)
    scale = float(np.std(y_train)) or 1.0
    offset = float(np.mean(y_train))
    if noise:
        y_train = y_train + rng.normal(0.0, noise * scale, size=y_train.shape)
    return TaskData(
        x_train.astype(np.float32), ((y_train - offset) / scale).astype(np.float32),
        x_test.astype(np.float32), ((y_test - offset) / scale).astype(np.float32),
    )


@dataclass(frozen=True)
class TaskData:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def model_seed(task: AnyTask, seed: int) -> int:
    """Initial-weight seed of one model: a function of (task, seed) only."""
    return int(np.random.SeedSequence([zlib.crc32(task.name.encode()), seed, 1])
               .generate_state(1)[0])


def _x(v: np.ndarray) -> np.ndarray:
    return v[:, 0]


SYM = ((-2.0, -1.0), (1.0, 2.0))  # OOD bands around the train interval [-1, 1]
TWO_PI = 2 * math.pi

def _saw(v: np.ndarray) -> np.ndarray:
    """A sawtooth of period 1 and amplitude 0.5, smoothed over the last 10% of each period
    (a jump is not learnable by a smooth network, and its OOD error would be all jump)."""
    phase = v - np.floor(v)
    return np.where(phase < 0.9, phase / 0.9, (1 - phase) / 0.1) - 0.5


IN_BOX = ((-1.0, 1.0),)  # potency tasks are tested on fresh points of the training box

TASKS: tuple[AnyTask, ...] = (
    # ---- polynomials: does the network keep the right growth outside the data?
    Task("square", "polynomial", "x^2", lambda v: _x(v) ** 2, 1, (-1, 1), SYM),
    Task("cubic", "polynomial", "x^3 - x", lambda v: _x(v) ** 3 - _x(v), 1, (-1, 1), SYM),
    Task("quartic", "polynomial", "x^4 - 2x^2 + 0.5x",
         lambda v: _x(v) ** 4 - 2 * _x(v) ** 2 + 0.5 * _x(v), 1, (-1.5, 1.5),
         ((-2.5, -1.5), (1.5, 2.5))),
    Task("bilinear", "polynomial", "x0*x1 + x0^2", lambda v: v[:, 0] * v[:, 1] + v[:, 0] ** 2,
         2, (-1, 1), SYM),
    # ---- harmonics: does it continue a periodic pattern?
    Task("sine", "harmonic", "sin(2 pi x)", lambda v: np.sin(TWO_PI * _x(v)), 1, (-1, 1), SYM),
    Task("two_tone", "harmonic", "sin(2 pi x) + 0.5 sin(3 pi x)",
         lambda v: np.sin(TWO_PI * _x(v)) + 0.5 * np.sin(3 * math.pi * _x(v)), 1, (-1, 1), SYM),
    Task("damped", "harmonic", "exp(-|x|/2) sin(4x)",
         lambda v: np.exp(-np.abs(_x(v)) / 2) * np.sin(4 * _x(v)), 1, (-2, 2),
         ((-4, -2), (2, 4))),
    Task("phase", "harmonic", "cos(3x + 1)", lambda v: np.cos(3 * _x(v) + 1), 1, (-2, 2),
         ((-4, -2), (2, 4))),
    # ---- physics (Feynman equations): smooth multi-input laws
    Task("feynman_I_6_2a", "physics", "exp(-theta^2/2)/sqrt(2 pi)",
         lambda v: np.exp(-_x(v) ** 2 / 2) / math.sqrt(TWO_PI), 1, (-2, 2), ((-4, -2), (2, 4))),
    Task("feynman_I_14_4", "physics", "U = k x^2 / 2",
         lambda v: 0.5 * v[:, 0] * v[:, 1] ** 2, 2, (0.5, 1.5), ((1.5, 2.5),)),
    Task("feynman_I_12_4", "physics", "E = q / (4 pi r^2)",
         lambda v: v[:, 0] / (4 * math.pi * v[:, 1] ** 2), 2, (1, 2), ((2, 3),)),
    Task("feynman_I_50_26", "physics", "x = x1 (cos(w t) + 0.5 cos^2(w t))",
         lambda v: v[:, 0] * (np.cos(v[:, 1] * v[:, 2]) + 0.5 * np.cos(v[:, 1] * v[:, 2]) ** 2),
         3, (0.5, 1.5), ((1.5, 2.5),)),
    # ---- trend plus period: continue both the growth and the pattern (a line is not enough)
    Task("trend_sine", "trend", "x + 0.5 sin(2 pi x)",
         lambda v: _x(v) + 0.5 * np.sin(TWO_PI * _x(v)), 1, (-1, 1), SYM),
    Task("sawtooth_ramp", "trend", "0.5 x + saw(2x)", lambda v: 0.5 * _x(v) + _saw(2 * _x(v)),
         1, (-1, 1), SYM),
    Task("slow_wave", "trend", "sin(x) + 0.2 x", lambda v: np.sin(_x(v)) + 0.2 * _x(v), 1,
         (-4, 4), ((-8, -4), (4, 8))),
    # ---- growth: the target keeps growing where the data end, so a constant is wrong
    Task("abs", "growth", "|x|", lambda v: np.abs(_x(v)), 1, (-1, 1), SYM),
    Task("ramp", "growth", "log(1 + exp(4x)) / 4", lambda v: np.logaddexp(0, 4 * _x(v)) / 4,
         1, (-1, 1), SYM),
    Task("cone", "growth", "sqrt(x0^2 + x1^2)", lambda v: np.sqrt(v[:, 0] ** 2 + v[:, 1] ** 2),
         2, (-1, 1), SYM),
    # ---- potency: hard to fit in distribution, tested on fresh points of the training box
    Task("ripple", "potency", "sin(4 pi x) + 0.5 sin(6 pi x)",
         lambda v: np.sin(4 * math.pi * _x(v)) + 0.5 * np.sin(6 * math.pi * _x(v)), 1,
         (-1, 1), IN_BOX),
    Task("bumps", "potency", "sum of three narrow Gaussians",
         lambda v: sum(np.exp(-40 * (_x(v) - c) ** 2) for c in (-0.6, 0.0, 0.5)), 1, (-1, 1),
         IN_BOX),
    Task("interact", "potency", "sin(pi x0) cos(pi x1) x2",
         lambda v: np.sin(math.pi * v[:, 0]) * np.cos(math.pi * v[:, 1]) * v[:, 2], 3, (-1, 1),
         IN_BOX),
    # ---- length: run a recurrent cell for 4x the steps it was trained on
    SequenceTask("running_sum", "length", "x_1 + ... + x_T", lambda v: v.sum(axis=1), 8, 32),
    SequenceTask("last_three", "length", "x_(T-2) + x_(T-1) + x_T",
                 lambda v: v[:, -3:].sum(axis=1), 8, 32),
    SequenceTask("running_max", "length", "max(x_1, ..., x_T)", lambda v: v.max(axis=1), 8, 32),
)

FAMILIES = ("polynomial", "harmonic", "physics", "trend", "growth", "potency", "length")
# The tasks of a lab that names none (LabConfig.tasks empty), chosen by `actmine bench
# alignment` (docs/lab.md): every family whose tasks some reference activation can win out
# of distribution, less the Feynman laws (they rank activations against every transfer
# family but images), one task of each family held out for validation, and the length
# family's running sum (its only task that ranks as transfer does; it has no validation
# task: one more recurrent task would take the lab past 1.5x the legacy lab's cost).
DEFAULT_TASKS = ("square", "quartic", "bilinear", "sine", "trend_sine", "abs", "ramp", "ripple",
                 "bumps", "running_sum")
DEFAULT_VALIDATION = ("cubic", "slow_wave", "cone", "interact")
# The twelve tasks of lab version 3 (the legacy design, kept for comparison).
LEGACY_TASKS = ("square", "cubic", "quartic", "bilinear", "sine", "two_tone", "damped", "phase",
                "feynman_I_6_2a", "feynman_I_14_4", "feynman_I_12_4", "feynman_I_50_26")


class UnknownTask(UserError, LookupError):
    """A task name the table does not hold."""


def get_tasks(names: list[str] | tuple[str, ...] | None = None) -> tuple[AnyTask, ...]:
    if not names:
        names = DEFAULT_TASKS
    by_name = {t.name: t for t in TASKS}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise UnknownTask(f"unknown lab task(s) {unknown}; known: {sorted(by_name)}")
    return tuple(by_name[n] for n in names)
