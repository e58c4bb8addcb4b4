"""``actmine bench pipeline``: do slow models leave the evaluators idle?

A stand-in OpenAI-compatible server on loopback answers every request after a fixed
latency with a fresh admissible function. The same search (same lab, budget and seed) runs
twice against it: with many requests in flight, and with one at a time. Printed side by
side: wall time, evaluations per minute and the share of evaluation-slot time spent
evaluating (from the first evaluation's start to the last one's end).
"""

from __future__ import annotations

import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

from rich.table import Table

from .. import api
from ..config import Settings
from ..llm.stub_server import StubServer

# Well under a second per evaluation on a free core: a 5 s model is then many evaluations
# long, so one request at a time must idle the evaluators and enough in flight must not.
BENCH_LAB = """
[lab]
tasks = ["square", "sine", "feynman_I_14_4"]
seeds = [0, 1, 2]
hidden = 64
steps = 400
n_train = 128
n_test = 128
cascade = false
"""


def pipeline_settings(base: dict, base_url: str, requests: int, evaluators: int, budget: int,
                      latency: float) -> Settings:
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    data["search"] = {**data.get("search", {}), "budget": budget, "seed_functions": False,
                      "requests_in_flight": requests, "evaluations_in_flight": evaluators,
                      "proposals_in_flight": 0}
    data["models"] = [{"name": "simulated", "base_url": base_url, "max_tokens": 256,
                       "timeout": latency * 4 + 30, "max_in_flight": max(requests, 1)}]
    data.pop("ensemble", None)
    data["cache"] = {"shared": False}  # both runs start cold: no hits from the other one
    return Settings.model_validate(data)


def run_once(settings: Settings, run_dir: Path) -> dict:
    return api.search(run_dir, settings)


def run(latency: float, budget: int, requests: int, evaluators: int, config: Path | None,
        keep: Path | None, note: Callable[[str], None]) -> tuple[Table, list[str]]:
    """Both searches against a simulated model: the table, and lines to print under it."""
    base = tomllib.loads(Path(config).read_text()) if config else tomllib.loads(BENCH_LAB)
    base.pop("models", None)
    rows = []
    with tempfile.TemporaryDirectory(prefix="actmine-bench-") as tmp, \
            StubServer(latency=latency) as stub:
        root = Path(keep) if keep else Path(tmp)
        for label, in_flight in ((f"{requests} at once", requests), ("one at a time", 1)):
            settings = pipeline_settings(base, stub.base_url, in_flight, evaluators, budget,
                                         latency)
            note(f"{label}: {in_flight} request(s) in flight, {evaluators} evaluators, "
                 f"{budget} evaluations, model latency {latency:g}s ...")
            summary = run_once(settings, root / label.replace(" ", "-"))
            rows.append((label, in_flight, summary))
    table = Table(title=f"Pipeline: simulated model at {latency:g}s per answer, {evaluators} "
                        f"evaluators, {budget} evaluations", title_justify="left")
    for col in ("requests", "search s", "evals", "proposals", "evals/min", "s/eval",
                "evaluators busy"):
        table.add_column(col, justify="left" if col == "requests" else "right")
    for label, _, s in rows:
        util = s["evaluator_utilisation"]
        table.add_row(label, f"{s['search_seconds']:.1f}", str(s["fresh_evaluations"]),
                      str(s["proposals"]), f"{60 * s['fresh_evaluations'] / s['search_seconds']:.1f}",
                      f"{s['mean_evaluation_seconds'] or 0:.2f}",
                      f"{100 * util:.0f}%" if util is not None else "-")
    lines = []
    (_, _, fast), (_, _, slow) = rows
    per_eval = min(fast["mean_evaluation_seconds"] or 0.0, slow["mean_evaluation_seconds"] or 0.0)
    if per_eval * 2 > latency:
        note(f"note: an evaluation took {per_eval:.1f}s here, close to the model's {latency:g}s, "
             f"so even one request at a time keeps up; raise --latency (or free the CPUs) to "
             f"see what concurrency buys")
    if fast["evaluator_utilisation"] and slow["evaluator_utilisation"]:
        lines.append(f"evaluators busy {100 * fast['evaluator_utilisation']:.0f}% with {requests} "
                     f"requests in flight vs {100 * slow['evaluator_utilisation']:.0f}% with one; "
                     f"{slow['search_seconds'] / fast['search_seconds']:.1f}x the evaluations per "
                     f"second of search")
    return table, lines
