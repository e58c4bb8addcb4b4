"""The report's tables as plain rows: leaderboard, admission statistics, spend and throughput
per model. No HTML here; the template lays them out."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

from actmine.evaluators.tasks import FAMILIES
from actmine.store.programs import Program

from .data import RunData, Spend, spend_of
from .formula import to_formula

NA = "n/a"


def age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def ratio(log_ratio: float | None) -> str:
    if log_ratio is None or not math.isfinite(log_ratio):
        return NA
    return f"{math.exp(log_ratio):.3g}"


def formula_of(data: RunData, program: Program) -> str:
    ir = data.irs.get(program.id)
    return to_formula(ir) if ir is not None else condensed(program.source)


def step_of(p: Program) -> str:
    """What made this program: a mutation operator, a seed's name, a prompt template."""
    meta = p.meta if isinstance(p.meta, dict) else {}
    if isinstance(meta.get("operator"), str):
        return meta["operator"]
    if isinstance(meta.get("seed"), str):
        return f"seed {meta['seed']}"
    return p.template or p.proposer


def condensed(source: str, width: int = 90) -> str:
    """The function body on one line (used when no IR is at hand)."""
    body = [ln.strip() for ln in source.splitlines()
            if ln.strip() and not ln.strip().startswith(("#", "import ", "from ", "def ", '"""'))]
    text = "; ".join(body).removeprefix("return ")
    return text if len(text) <= width else text[: width - 1] + "…"


def signed(value: float | None) -> str:
    return f"{value:+.3f}" if value is not None and math.isfinite(value) else NA


def leaderboard(data: RunData, generations: dict[int, int]) -> list[dict]:
    rows = []
    champion = data.champion.program if data.champion else None
    for rank, p in enumerate(data.leaderboard, start=1):
        evaluation = data.evaluations.get(p.ir_hash or "", {})
        families = evaluation.get("family_log_ratios") or {}
        rows.append({
            "rank": rank, "id": p.id, "fitness": f"{p.fitness:+.3f}", "ratio": ratio(p.fitness),
            "validation": signed(p.objectives.get("validation")),
            "validation_ratio": ratio(p.objectives.get("validation")),
            "champion": champion is not None and p.id == champion.id,
            "families": {f: ratio(families.get(f)) for f in FAMILIES},
            "flops": p.flops if p.flops is not None else NA,
            "stage": p.stage or "", "status": p.status or "",
            "proposer": p.proposer, "model": p.model or "",
            "generation": generations.get(p.id, 0), "age": age(data.generated - p.created),
            "formula": formula_of(data, p),
        })
    return rows


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def admission_stats(programs: tuple[Program, ...], top: int = 10) -> dict:
    n = len(programs)
    admitted = sum(p.admitted for p in programs)
    rejected = [p for p in programs if not p.admitted]
    categories = Counter(p.category or "unknown" for p in rejected)
    reasons: dict[tuple[str, str], list[int]] = defaultdict(list)
    for p in rejected:
        # Numbers vary (FLOPs, line numbers); the reason's wording is what repeats.
        text = _NUMBER.sub("N", p.reason or "no reason recorded")[:200]
        reasons[(p.category or "unknown", text)].append(p.id)
    top_reasons = sorted(reasons.items(), key=lambda kv: (-len(kv[1]), kv[1][0]))[:top]
    outcomes = Counter(p.status or "not evaluated" for p in programs if p.admitted)
    return {
        "proposals": n, "admitted": admitted,
        "admitted_share": f"{100 * admitted / n:.1f}%" if n else NA,
        "cache_hits": sum(p.cached for p in programs),
        "categories": [(c, k, f"{100 * k / len(rejected):.0f}%")
                       for c, k in categories.most_common()],
        "reasons": [{"category": c, "reason": r, "count": len(ids), "example": ids[0]}
                    for (c, r), ids in top_reasons],
        "outcomes": sorted(outcomes.items(), key=lambda kv: -kv[1]),
    }


def _total(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) if values else None


def per_model(programs: tuple[Program, ...]) -> list[dict]:
    """Proposals, yield, improvements, tokens, money and throughput per (proposer, model)."""
    groups: dict[tuple[str, str], list[Program]] = defaultdict(list)
    for p in programs:
        groups[(p.proposer, p.model or "")].append(p)
    improved: Counter = Counter()
    best = math.inf
    for p in programs:  # who set a new best, in the order proposals were made
        if p.status == "ok" and p.fitness is not None and p.fitness < best:
            best = p.fitness
            improved[(p.proposer, p.model or "")] += 1
    rows = []
    for key, group in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        spends: list[Spend] = [spend_of(p.meta) for p in group]
        cost = _total(s.cost for s in spends)
        fresh = sum(p.fitness is not None and not p.cached for p in group)
        ok = [p.fitness for p in group if p.status == "ok" and p.fitness is not None]
        times = sorted(p.created for p in group if p.created)
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        tokens_in = _total(s.input_tokens for s in spends)
        tokens_out = _total(s.output_tokens for s in spends)
        rows.append({
            "proposer": key[0], "model": key[1] or "—", "proposals": len(group),
            "admitted": f"{100 * sum(p.admitted for p in group) / len(group):.0f}%",
            "fresh": fresh, "improvements": improved[key],
            "best": f"{min(ok):+.3f}" if ok else NA,
            "tokens_in": f"{tokens_in:,}" if tokens_in is not None else NA,
            "tokens_out": f"{tokens_out:,}" if tokens_out is not None else NA,
            "cost": f"${cost:,.4f}" if cost is not None else NA,
            "cost_per_eval": f"${cost / fresh:,.4f}" if cost is not None and fresh else NA,
            "rate": f"{60 * (len(group) - 1) / span:.1f}/min" if span > 0 else NA,
        })
    return rows


def costs(programs: tuple[Program, ...]) -> dict[int, float]:
    return {p.id: c for p in programs if (c := spend_of(p.meta).cost)}
