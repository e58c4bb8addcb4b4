"""Time-series extrapolation: fit value = f(time) on the early span of a real series and
forecast the later span, the setting where an activation's behaviour far from the
training inputs decides the error (Ziyin et al. 2020 used the same two series to study
periodic activations). Time is scaled so the training span is [-1, 1]; values are
standardised with the training span's mean and std. Metric: MSE on the forecast span.
"""

from __future__ import annotations

import torch

from .common import Benchmark, Context, check_finite, clip_and_step, mlp, seed_everything
from .data import STATSMODELS, load_series

VERSION = 1


def run(series: str):
    def run_series(act, seed: int, p: dict, ctx: Context) -> dict:
        seed_everything(seed)
        years, values = load_series(series)
        years, values = years[:: p["stride"][series]], values[:: p["stride"][series]]
        cut = int(len(years) * p["train_fraction"])
        t0, t1 = years[0], years[cut - 1]
        t = torch.tensor(2 * (years - t0) / (t1 - t0) - 1, dtype=torch.float32, device=ctx.device)[:, None]
        mean, std = values[:cut].mean(), values[:cut].std()
        y = torch.tensor((values - mean) / std, dtype=torch.float32, device=ctx.device)[:, None]
        model = mlp([1, *[p["hidden"]] * p["depth"], 1], act).to(ctx.device)
        opt = torch.optim.Adam(model.parameters(), lr=p["lr"])
        for _ in range(p["steps"]):
            loss = ((model(t[:cut]) - y[:cut]) ** 2).mean()
            clip_and_step(model, opt, loss)
        with torch.no_grad():
            forecast = ((model(t[cut:]) - y[cut:]) ** 2).mean()
        return {"metric": check_finite(forecast), "train_mse": float(loss.detach()),
                "train_years": [float(t0), float(t1)], "test_points": len(years) - cut}

    return run_series


_PROFILES = {
    # stride: CO2 is weekly; the quick profile keeps every 4th week (about monthly)
    "smoke": dict(train_fraction=0.75, hidden=16, depth=2, lr=3e-3, steps=50,
                  stride={"sunspots": 1, "co2": 4}),
    "quick": dict(train_fraction=0.75, hidden=64, depth=2, lr=3e-3, steps=1000,
                  stride={"sunspots": 1, "co2": 4}),
    "full": dict(train_fraction=0.75, hidden=128, depth=3, lr=1e-3, steps=10000,
                 stride={"sunspots": 1, "co2": 1}),
    # The quick profile as it is (a second per job already): a smaller model trained less
    # does not overshoot the way real forecasters do, and CO2's error hit the floor.
    "proxy": dict(train_fraction=0.75, hidden=64, depth=2, lr=3e-3, steps=1000,
                  stride={"sunspots": 1, "co2": 4}),
}

BENCHMARKS = [
    Benchmark("sunspots", "timeseries", "yearly sunspots 1700-2008 (statsmodels)", "MSE", False,
              VERSION, 2.0, _PROFILES, run("sunspots"), lambda: STATSMODELS.directory() and None,
              notes="train 1700-1930, forecast 1931-2008",
              seed_counts={"quick": 8}),  # forecast MSE varies up to 50% seed to seed
    Benchmark("co2", "timeseries", "Mauna Loa CO2 1958-2001 (statsmodels)", "MSE", False,
              VERSION, 2.6, _PROFILES, run("co2"), lambda: STATSMODELS.directory() and None,
              notes="weekly; train 1958-1990, forecast 1991-2001",
              seed_counts={"quick": 6}),
]
