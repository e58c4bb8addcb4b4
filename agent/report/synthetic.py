"""A synthetic run directory of any size, written through the real store APIs, for
``actmine bench report`` and the report tests.

Programs, admissions (with real, trainable IRs) and evaluations are made up but shaped like
a real search: seeds first, then children of good parents whose fitness drifts down,
rejections with real categories, pruned and diverged evaluations, duplicate IRs answered
from the cache, and language-model proposers that record tokens and cost.
"""

from __future__ import annotations

import math
import random
import time
from pathlib import Path

from actmine.evaluators.lab import Evaluation, StageResult, TaskScore
from actmine.sandbox.admission import Admission
from actmine.sandbox.fingerprint import source_fingerprint
from actmine.sandbox.flops import flops_per_element
from actmine.sandbox.ir import ActivationIR
from actmine.sandbox.reasons import Category
from actmine.store.programs import Program
from actmine.store.run_dir import open_run

MODELS = (("llm", "gemini-flash", 0.30e-6, 2.5e-6), ("llm", "gpt-mini", 0.25e-6, 2.0e-6))
REJECTIONS = (
    (Category.FORBIDDEN, "name 'numpy' is not allowed at line 3; use torch and math only"),
    (Category.NOT_POINTWISE, "output element 7 depends on input element 12: the function "
                             "mixes elements (e.g. x.mean()); use elementwise ops only"),
    (Category.OVER_BUDGET, "costs 88 FLOPs per element, over the budget of 64"),
    (Category.NON_FINITE, "output is NaN or inf for 3 of 4096 probe inputs (e.g. x = -2.5)"),
    (Category.SYNTAX, "invalid syntax at line 4: unexpected indent"),
    (Category.TIMEOUT, "tracing took longer than 10 s"),
)


def _ir(kind: int, a: float, b: float) -> tuple[ActivationIR, str]:
    """One of four families with constants a, b: the IR and equivalent Python source."""
    x = {"ref": 0}
    if kind == 0:
        nodes = [("aten.mul.Tensor", [x, b]), ("aten.sinc.default", [{"ref": 1}]),
                 ("aten.mul.Tensor", [{"ref": 2}, a]), ("aten.add.Tensor", [{"ref": 3}, 1.0]),
                 ("aten.gelu.default", [x]), ("aten.mul.Tensor", [{"ref": 5}, {"ref": 4}])]
        body = f"F.gelu(x) * (1 + {a} * torch.sinc({b} * x))"
    elif kind == 1:
        nodes = [("aten.mul.Tensor", [x, b]), ("aten.sin.default", [{"ref": 1}]),
                 ("aten.mul.Tensor", [{"ref": 2}, a]), ("aten.gelu.default", [x]),
                 ("aten.add.Tensor", [{"ref": 4}, {"ref": 3}])]
        body = f"F.gelu(x) + {a} * torch.sin({b} * x)"
    elif kind == 2:
        nodes = [("aten.mul.Tensor", [x, b]), ("aten.sigmoid.default", [{"ref": 1}]),
                 ("aten.mul.Tensor", [x, {"ref": 2}]), ("aten.tanh.default", [x]),
                 ("aten.mul.Tensor", [{"ref": 4}, a]), ("aten.add.Tensor", [{"ref": 3}, {"ref": 5}])]
        body = f"x * torch.sigmoid({b} * x) + {a} * torch.tanh(x)"
    else:
        nodes = [("aten.atan.default", [x]), ("aten.mul.Tensor", [{"ref": 1}, a]),
                 ("aten.add.Tensor", [{"ref": 2}, 1.0]), ("aten.elu.default", [x]),
                 ("aten.mul.Tensor", [{"ref": 4}, {"ref": 3}])]
        body = f"F.elu(x) * (1 + {a} * torch.atan(x))"
    ir = ActivationIR.from_dict({"version": 1, "output": {"ref": len(nodes)}, "nodes": [
        {"op": op, "args": args, "kwargs": {}} for op, args in nodes]}).canonical()
    source = f"import torch\nimport torch.nn.functional as F\n\n\ndef activation(x):\n    return {body}\n"
    return ir, source


def _evaluation(ir: ActivationIR, lab_hash: str, tasks, fitness: float, status: str,
                rng: random.Random) -> Evaluation:
    scores = []
    for task in tasks:
        log_ratio = fitness + rng.gauss(0, 0.6)
        test = math.exp(log_ratio) * rng.uniform(0.5, 20)
        scores.append(TaskScore(task.name, task.family, rng.uniform(1e-4, 0.05), test, log_ratio))
    mean = sum(s.log_ratio for s in scores) / len(scores)
    stage = "short" if status == "pruned" else "full"
    finite = status != "non_finite"
    stages = (StageResult(stage, mean if finite else 10.0, rng.uniform(0.5, 3), tuple(scores),
                          finite),)
    return Evaluation(ir.hash, lab_hash, mean if finite else 10.0, stage, status,
                      "" if status == "ok" else status, flops_per_element(ir),
                      stages[0].seconds, stages)


SEED_NAMES = ("relu", "gelu", "silu", "tanh", "softplus", "elu")


def build_synthetic_run(path: Path | str, programs: int = 1000, settings=None,
                        seed: int = 0, validation: bool = False) -> Path:
    """Write a run directory with ``programs`` proposals; returns its path. ``validation``:
    programs also carry a held-out validation score that improves more slowly than fitness
    (a run that over-fits the lab)."""
    from ..config import Settings

    settings = settings or Settings()
    rng = random.Random(seed)
    held_out = random.Random(f"{seed}:validation")  # its own stream: the rest stays the same
    run = open_run(path, settings.identity(), create=True)
    lab, admission = settings.lab.to_config(), settings.admission.to_config()
    tasks = lab.all_tasks()
    start = time.time() - 3 * programs
    evaluated: list[Program] = []
    seen_irs: list[Program] = []
    try:
        for pid in range(1, programs + 1):
            created = start + 3 * pid + rng.random()
            if pid <= 6:
                proposer, model, template, parents = "seed", None, None, ()
            else:
                pick = rng.random()
                proposer, model = ("symbolic", None) if pick < 0.5 else MODELS[int(pick * 4) % 2][:2]
                template = "mutate.txt" if proposer == "llm" else None
                pool = sorted(evaluated, key=lambda p: p.fitness)[:16] or evaluated
                parents = tuple(sorted({rng.choice(pool).id for _ in range(rng.choice((1, 1, 2)))},
                                       reverse=True)) if pool else ()
            meta: dict = {"operator": rng.choice(("point", "subtree", "perturb", "jitter"))} \
                if proposer == "symbolic" else {}
            if proposer == "seed":
                meta["seed"] = SEED_NAMES[(pid - 1) % len(SEED_NAMES)]
            if proposer == "llm":
                price = next(m for m in MODELS if m[1] == model)
                tokens_in, tokens_out = rng.randint(900, 2400), rng.randint(150, 600)
                meta["usage"] = {"input_tokens": tokens_in, "output_tokens": tokens_out,
                                 "cost_usd": tokens_in * price[2] + tokens_out * price[3]}
            base = dict(id=pid, proposer=proposer, model=model, template=template,
                        parents=parents, meta=meta, created=created)
            if pid > 6 and rng.random() < 0.22:
                category, reason = rng.choice(REJECTIONS)
                source = f"def activation(x):\n    return x  # rejected proposal {pid}\n"
                run.programs.add(Program(source=source, admitted=False, category=category.value,
                                         reason=reason, source_hash=source_fingerprint(source),
                                         **base))
                continue
            if seen_irs and rng.random() < 0.05:  # the same function again: a cache hit
                twin = rng.choice(seen_irs)
                run.programs.add(Program(**{**twin.to_dict(), **base, "parents": parents,
                                            "cached": True}))
                evaluated.append(run.programs.get(pid))
                continue
            ir, source = _ir(rng.randrange(4), round(rng.uniform(0.05, 0.8), 3),
                             round(rng.uniform(0.5, 3.0), 3))
            source_hash = source_fingerprint(source)
            run.cache.put_admission(admission.key, source_hash, Admission(
                source_hash, True, None, "admitted", ir, ir.hash, flops_per_element(ir),
                len(ir.nodes), 0.2).to_dict())
            parent_fit = min((p.fitness for p in evaluated if p.id in parents), default=0.0)
            # Children of good parents are a little better on average, with diminishing
            # returns toward about a sixth of ReLU's error.
            fitness = parent_fit + rng.gauss(0.04, 0.14) - 0.05 * max(0.0, 1.8 + parent_fit)
            fitness = max(fitness, -1.9 + abs(rng.gauss(0.0, 0.08)))
            roll = rng.random()
            status = "non_finite" if roll < 0.03 else "pruned" if roll < 0.18 else "ok"
            evaluation = _evaluation(ir, lab.hash, tasks, fitness, status, rng)
            run.cache.put_evaluation(lab.hash, ir.hash, evaluation.to_dict())
            objectives = dict(evaluation.objectives)
            if validation and status == "ok":
                objectives["validation"] = 0.5 * evaluation.fitness + held_out.gauss(0.0, 0.2)
            program = Program(source=source, admitted=True, source_hash=source_hash,
                              ir_hash=ir.hash, flops=evaluation.flops,
                              fitness=evaluation.fitness, stage=evaluation.stage,
                              status=status, reason=evaluation.reason or "evaluated",
                              objectives=objectives, **base)
            run.programs.add(program)
            seen_irs.append(program)
            if status == "ok":
                evaluated.append(program)
    finally:
        run.close()
    return Path(path)
