"""The naive extrapolators of every task: what a network must beat to have learned anything
that continues the data's structure out of distribution.

    mean     predict the training targets' mean everywhere (a network that goes flat)
    linear   least squares on the inputs, with a bias (a network that goes straight); not
             for sequence tasks, whose test sequences are longer than the training ones

Their OOD errors are computed from the lab's own data (same samples, same standardisation),
in closed form: no training, a few milliseconds per lab configuration.
"""

from __future__ import annotations

import functools

import numpy as np

from .config import LabConfig


@functools.lru_cache(maxsize=16)
def naive_losses(config: LabConfig) -> tuple[np.ndarray, np.ndarray]:
    """(mean predictor, linear fit) OOD MSE per task and seed, on standardised targets."""
    tasks = config.all_tasks()
    spec = config.train
    mean = np.zeros((len(tasks), len(config.seeds)))
    linear = np.zeros_like(mean)
    for i, task in enumerate(tasks):
        for j, seed in enumerate(config.seeds):
            data = task.sample(spec.n_train, spec.n_test, seed, default_noise=spec.noise)
            y_train, y_test = data.y_train.astype(float), data.y_test.astype(float)
            mean[i, j] = np.mean((y_test - y_train.mean()) ** 2)
            if task.kind != "mlp":
                linear[i, j] = np.inf
                continue
            design = np.hstack([data.x_train, np.ones((len(data.x_train), 1))]).astype(float)
            coef, *_ = np.linalg.lstsq(design, y_train, rcond=None)
            test = np.hstack([data.x_test, np.ones((len(data.x_test), 1))]).astype(float)
            linear[i, j] = np.mean((test @ coef - y_test) ** 2)
    return mean, linear
