"""Image classification: Fashion-MNIST and MNIST, each with a small CNN and an MLP whose
every non-linearity is the candidate. Metric: test accuracy on the official 10k test set."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .common import (
    ActivationModule,
    Benchmark,
    Context,
    check_finite,
    clip_and_step,
    mlp,
    seed_everything,
)
from .data import FASHION_MNIST, MNIST, load_images

VERSION = 1


class SmallCNN(nn.Module):
    def __init__(self, act, channels: tuple[int, int], hidden: int):
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(
            # strided convolutions instead of pooling: 4x fewer activations to evaluate,
            # which is what dominates CPU time for composite candidates
            nn.Conv2d(1, c1, 3, stride=2, padding=1), ActivationModule(act),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), ActivationModule(act))
        self.head = mlp([c2 * 7 * 7, hidden, 10], act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))


def _tensors(images: np.ndarray, labels: np.ndarray, device: str, flat: bool):
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    x = (x - 0.5) / 0.5  # roughly zero-mean, unit-range pixels for every activation alike
    x = x.reshape(len(x), -1) if flat else x[:, None]
    return x.to(device), torch.from_numpy(labels.astype(np.int64)).to(device)


def run(source: str, arch: str):
    def run_image(act, seed: int, p: dict, ctx: Context) -> dict:
        rng = seed_everything(seed)
        x_train, y_train, x_test, y_test = load_images(source)
        pick = rng.permutation(len(x_train))[: p["n_train"]]
        flat = arch == "mlp"
        xs, ys = _tensors(x_train[pick], y_train[pick], ctx.device, flat)
        xt, yt = _tensors(x_test[: p["n_test"]], y_test[: p["n_test"]], ctx.device, flat)
        if flat:
            model = mlp([784, *[p["hidden"]] * p["depth"], 10], act)
        else:
            model = SmallCNN(act, tuple(p["channels"]), p["hidden"])
        model.to(ctx.device)
        opt = torch.optim.Adam(model.parameters(), lr=p["lr"])
        loss_fn = nn.CrossEntropyLoss()
        gen = torch.Generator().manual_seed(seed)
        loss = float("nan")
        for _ in range(p["epochs"]):
            order = torch.randperm(len(xs), generator=gen).to(ctx.device)
            for start in range(0, len(xs), p["batch"]):
                idx = order[start: start + p["batch"]]
                loss = clip_and_step(model, opt, loss_fn(model(xs[idx]), ys[idx]))
        model.eval()
        correct = 0
        with torch.no_grad():
            for start in range(0, len(xt), 1000):
                logits = model(xt[start: start + 1000])
                check_finite(logits.sum())
                correct += int((logits.argmax(1) == yt[start: start + 1000]).sum())
        return {"metric": correct / len(xt), "train_loss": loss}

    return run_image


_MLP = {
    "smoke": dict(n_train=256, n_test=256, hidden=32, depth=2, epochs=1, batch=64, lr=1e-3),
    "quick": dict(n_train=10000, n_test=10000, hidden=128, depth=2, epochs=3, batch=128, lr=1e-3),
    "full": dict(n_train=60000, n_test=10000, hidden=256, depth=3, epochs=15, batch=128, lr=1e-3),
    "proxy": dict(n_train=3000, n_test=2000, hidden=64, depth=2, epochs=2, batch=128, lr=2e-3),
}
_CNN = {
    "smoke": dict(n_train=256, n_test=256, channels=(4, 8), hidden=32, epochs=1, batch=64, lr=1e-3),
    "quick": dict(n_train=6000, n_test=10000, channels=(8, 16), hidden=64, epochs=2, batch=64,
                  lr=2e-3),
    "full": dict(n_train=60000, n_test=10000, channels=(32, 64), hidden=128, epochs=12,
                 batch=128, lr=1e-3),
}


def _benchmark(name: str, source, arch: str, cost: float) -> Benchmark:
    profiles = _MLP if arch == "mlp" else _CNN
    return Benchmark(
        name=name, family="images", dataset=source.title, metric="accuracy",
        higher_is_better=True, version=VERSION, cost=cost, profiles=profiles,
        run=run(source.name, arch), check=lambda: source.directory() and None,
        notes=f"{'2 conv + 2 linear' if arch == 'cnn' else 'MLP'}, Adam, test accuracy")


BENCHMARKS = [
    _benchmark("fmnist-cnn", FASHION_MNIST, "cnn", 1.9),
    _benchmark("fmnist-mlp", FASHION_MNIST, "mlp", 0.9),
    _benchmark("mnist-cnn", MNIST, "cnn", 1.5),
    _benchmark("mnist-mlp", MNIST, "mlp", 0.8),
]
