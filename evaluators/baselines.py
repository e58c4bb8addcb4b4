"""Known activation functions, as candidate source text, and the paper's lab figures.

They go through the same admission path as any proposal (static check, sandboxed trace,
checks, FLOP count), so the IR that is trained is exactly the one a proposal spelling the
same function would get, and their evaluations share the cache with the search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import anyio
import anyio.to_thread
from actmine.sandbox.admission import Admission, AdmissionConfig, admit
from actmine.sandbox.fingerprint import source_fingerprint

from .executor import LocalExecutor
from .lab import Evaluation, LabConfig

_HEAD = "import math\nimport torch\nimport torch.nn.functional as F\n\n\ndef activation(x):\n"


@dataclass(frozen=True)
class Baseline:
    name: str
    formula: str
    body: str  # the function body (indented, ends with a return)
    note: str = ""

    @property
    def source(self) -> str:
        return f"# baseline: {self.name} = {self.formula}\n{_HEAD}{self.body}"


BASELINES: tuple[Baseline, ...] = (
    Baseline("ReLU", "max(x, 0)", "    return torch.relu(x)\n"),
    Baseline("GELU", "x Phi(x)", "    return F.gelu(x)\n", "exact (erf) GELU"),
    Baseline("SiLU", "x sigmoid(x)", "    return F.silu(x)\n"),
    Baseline("tanh", "tanh(x)", "    return torch.tanh(x)\n"),
    Baseline("ELU", "x if x > 0 else exp(x) - 1", "    return F.elu(x)\n"),
    Baseline("Mish", "x tanh(softplus(x))", "    return F.mish(x)\n"),
    Baseline("Snake", "x + sin(x)^2", "    return x + torch.sin(x) ** 2\n",
             "Ziyin et al. 2020, a = 1"),
    Baseline("sin", "sin(x)", "    return torch.sin(x)\n"),
    Baseline("GELUSine", "GELU(x) + 0.1 sin(x)", "    return F.gelu(x) + 0.1 * torch.sin(x)\n",
             "paper's discovery"),
    Baseline("GELU-Sinc", "GELU(x) (1 + 0.5 sinc(x))",
             "    return F.gelu(x) * (1.0 + 0.5 * torch.sinc(x))\n",
             "paper's GELU-Sinc-Perturbation; normalised sinc(x) = sin(pi x)/(pi x)"),
    Baseline("GMTU", "tanh(1.5x) exp(-0.2x^2) + 0.1x",
             "    return torch.tanh(1.5 * x) * torch.exp(-0.2 * x * x) + 0.1 * x\n",
             "paper's Gaussian-Modulated Tangent Unit"),
)

# The paper's lab table (aggregate OOD test loss and training loss; units and aggregation
# not published; lower is better). Source: /work/shared/reference/paper.md section 3.
PAPER_LAB: dict[str, tuple[float, float]] = {
    "GELUSine": (54.7, 1.4),
    "GELU-Sinc": (68.7, 2.2),
    "GELU": (78.8, 2.0),
    "ReLU": (93.1, 3.5),
}


def get_baselines(names: list[str] | tuple[str, ...] | None = None) -> tuple[Baseline, ...]:
    if not names:
        return BASELINES
    by_name = {b.name.lower(): b for b in BASELINES}
    unknown = [n for n in names if n.lower() not in by_name]
    if unknown:
        raise KeyError(f"unknown baseline(s) {unknown}; known: {[b.name for b in BASELINES]}")
    return tuple(by_name[n.lower()] for n in names)


# ------------------------------------------------------------------ running them
@dataclass(frozen=True)
class BaselineResult:
    baseline: Baseline
    admitted: bool
    reason: str  # the rejection reason when not admitted
    flops: int | None
    evaluation: Evaluation | None
    cached: bool  # the evaluation came from the cache


async def run_baselines(baselines: tuple[Baseline, ...], admission: AdmissionConfig,
                        config: LabConfig, cache, executor: LocalExecutor,
                        on_result: Callable[[BaselineResult], None] | None = None,
                        on_note: Callable[[str], None] | None = None) -> list[BaselineResult]:
    """Admit every baseline (the real admission path), then evaluate the admitted ones in
    the executor's worker processes, longest first. ``cache`` is a store.cache.ResultCache:
    admissions, ReLU's references and evaluations are read from it and committed to it as
    each finishes, so an interrupted run keeps what it finished."""
    note = on_note or (lambda text: None)
    results: dict[str, BaselineResult] = {}
    todo: list[tuple[Baseline, Admission]] = []
    for baseline in baselines:
        adm = await anyio.to_thread.run_sync(_admit_cached, baseline.source, admission, cache)
        if not adm.admitted:
            results[baseline.name] = BaselineResult(baseline, False, adm.reason, None, None, False)
        elif (hit := cache.get_evaluation(config.hash, adm.ir_hash)) is not None:
            results[baseline.name] = BaselineResult(baseline, True, "", adm.flops,
                                                    Evaluation.from_dict(hit), True)
        else:
            todo.append((baseline, adm))
            continue
        if on_result:
            on_result(results[baseline.name])
    if todo:
        refs = cache.get_reference(config.hash)
        if refs is None:
            note("computing ReLU's reference losses for this lab (cached after)")
            refs = await executor.prepare(config)
            cache.put_reference(config.hash, refs)
        else:
            await executor.prepare(config, refs)

    async def evaluate(baseline: Baseline, adm: Admission) -> None:
        evaluation = await executor.evaluate(adm.ir, config)
        cache.put_evaluation(config.hash, adm.ir_hash, evaluation.to_dict())
        results[baseline.name] = BaselineResult(baseline, True, "", adm.flops, evaluation, False)
        if on_result:
            on_result(results[baseline.name])

    # Costliest activations first, so the slowest one does not start last (makespan).
    todo.sort(key=lambda item: -(item[1].flops or 0))
    async with anyio.create_task_group() as tg:
        for baseline, adm in todo:
            tg.start_soon(evaluate, baseline, adm)
    return [results[b.name] for b in baselines]


def _admit_cached(source: str, config: AdmissionConfig, cache) -> Admission:
    key = source_fingerprint(source)
    hit = cache.get_admission(config.key, key) if key else None
    if hit is not None:
        return Admission.from_dict(hit)
    adm = admit(source, config)
    cache.put_admission(config.key, adm.source_hash, adm.to_dict())
    return adm


def ordering(results: list[BaselineResult], names: tuple[str, ...]) -> list[str]:
    """``names`` sorted by our fitness (best first), those evaluated only."""
    fit = {r.baseline.name: r.evaluation.fitness for r in results
           if r.evaluation is not None and r.baseline.name in names}
    return sorted(fit, key=fit.__getitem__)
