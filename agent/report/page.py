"""The HTML page: one Jinja2 template (autoescaped), inline CSS, images as data URIs."""

from __future__ import annotations

import json
import math
import time
from functools import cache

import jinja2
from actmine.store.programs import Program

from .data import RunData
from .tables import NA, formula_of, ratio, step_of


def heat(value: str) -> str:
    """Background tint for an 'x ReLU' ratio: green below 1, red above, stronger further out."""
    try:
        r = float(value)
    except (TypeError, ValueError):
        return ""
    if not r > 0 or not math.isfinite(r):
        return ""
    strength = min(1.0, abs(math.log(r)) / 2.0)
    rgb = "0,158,115" if r < 1 else "192,57,43"
    return f"background: rgba({rgb},{0.08 + 0.32 * strength:.2f})"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("actmine.agent.report", "."),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=False, lstrip_blocks=False)
    env.filters["heat"] = heat
    return env


def render(context: dict) -> str:
    return environment().get_template("page.html.j2").render(**context)


def when(timestamp: float | None) -> str:
    if not timestamp:
        return NA
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def card(data: RunData, p: Program, known: set[int]) -> dict:
    """The details of one program: source, IR, per-task results."""
    ir = data.irs.get(p.id)
    evaluation = data.evaluations.get(p.ir_hash or "")
    tasks = []
    if evaluation and evaluation.get("stages"):
        last = evaluation["stages"][-1]
        for t in last.get("tasks", []):
            tasks.append({"task": t.get("task"), "family": t.get("family"),
                          "train": f"{t.get('train_mse', float('nan')):.3g}",
                          "test": f"{t.get('test_mse', float('nan')):.3g}",
                          "ratio": ratio(t.get("log_ratio"))})
    fitness = f"fitness {p.fitness:+.3f}" if p.fitness is not None else (
        "rejected" if not p.admitted else "not evaluated")
    return {
        "id": p.id, "fitness": fitness,
        "ratio_text": f"({ratio(p.fitness)}× ReLU's OOD error)" if p.fitness is not None else "",
        "proposer": p.proposer, "model": p.model, "step": step_of(p),
        "flops": p.flops if p.flops is not None else NA,
        "status": p.status or (p.category or "rejected" if not p.admitted else "pending"),
        "created": when(p.created), "parents": [(q, q in known) for q in p.parents],
        "ir_hash": p.ir_hash or NA, "formula": formula_of(data, p), "source": p.source.rstrip(),
        "ir_json": json.dumps(ir.to_dict(), indent=1) if ir is not None else "",
        "ir_nodes": len(ir.nodes) if ir is not None else 0,
        "stage": evaluation.get("stage", "") if evaluation else "", "tasks": tasks,
    }
