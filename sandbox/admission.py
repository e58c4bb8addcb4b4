"""Admission: untrusted source in, trusted pointwise IR (or a reason) out.

    static AST allowlist -> sandboxed trace (zygote child) -> IR validation ->
    canonical form, node cap, FLOP budget -> numeric checks on the rebuilt IR (a second
    sandboxed child) -> the source and the IR agree in value and gradient

A candidate can only ever fail itself: whatever it does, ``admit`` returns a verdict.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace

from . import agreement, static_check
from .fingerprint import source_fingerprint
from .flops import breakdown, flops_per_element
from .ir import ActivationIR, IRError
from .optable import FLOP_TABLE_VERSION
from .reasons import Category, Rejection, one_line
from .supervisor import SandboxLimits, Zygote, ZygoteError, shared_zygote

# Bumped when the rules change what is admitted, so cached verdicts are not reused.
RULES_VERSION = 2
MAX_CHECK_MESSAGE = 96 * 1024  # the rebuilt IR sent to the checker, as JSON
_log = logging.getLogger("actmine.sandbox")


@dataclass(frozen=True)
class AdmissionConfig:
    max_flops: int = 64
    max_nodes: int = 64
    limits: SandboxLimits = field(default_factory=SandboxLimits)

    @property
    def key(self) -> str:
        return f"f{self.max_flops}-n{self.max_nodes}-r{RULES_VERSION}.{FLOP_TABLE_VERSION}"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> AdmissionConfig:
        data = dict(data)
        return cls(limits=SandboxLimits(**data.pop("limits", {})), **data)


@dataclass(frozen=True)
class Admission:
    """The verdict on one source text. Crosses into store/ and agent/."""

    source_hash: str  # normalised-AST fingerprint ("" when the source does not parse)
    admitted: bool
    category: str | None  # a sandbox.reasons.Category value when rejected
    reason: str
    ir: ActivationIR | None = None
    ir_hash: str | None = None
    flops: int | None = None
    nodes: int | None = None
    seconds: float = 0.0
    flops_breakdown: tuple[tuple[str, int], ...] = ()  # (aten op, FLOPs) per costed node

    def to_dict(self) -> dict:
        return {
            "source_hash": self.source_hash, "admitted": self.admitted,
            "category": self.category, "reason": self.reason,
            "ir": self.ir.to_dict() if self.ir is not None else None,
            "ir_hash": self.ir_hash, "flops": self.flops, "nodes": self.nodes,
            "seconds": round(self.seconds, 4),
            "flops_breakdown": [list(row) for row in self.flops_breakdown],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Admission:
        ir = ActivationIR.from_dict(data["ir"]) if data.get("ir") else None
        return cls(data["source_hash"], data["admitted"], data.get("category"), data["reason"],
                   ir, data.get("ir_hash"), data.get("flops"), data.get("nodes"),
                   data.get("seconds", 0.0),
                   tuple((str(op), int(cost)) for op, cost in data.get("flops_breakdown", ())))


def admit(source: str, config: AdmissionConfig | None = None,
          zygote: Zygote | None = None) -> Admission:
    """Blocking; safe to call from several threads at once."""
    return _verdict(source, config or AdmissionConfig(), zygote or shared_zygote(),
                    static=True, without=())


def admit_json(source: str, config: dict) -> dict:
    """Admission as plain data in and out, for executors that run it on another node (the
    source is still run only inside that node's sandbox)."""
    return admit(source, AdmissionConfig.from_dict(config)).to_dict()


def admit_unfiltered(source: str, config: AdmissionConfig | None = None,
                     zygote: Zygote | None = None, without: Iterable[str] = ()) -> Admission:
    """Admission *without* the static AST filter (and optionally without some OS layers).

    Only for tests and the adversarial corpus: they show that the sandbox and the parent's
    checks hold on their own, for code the static filter would have refused. The code still
    runs only inside the sandbox."""
    return _verdict(source, config or AdmissionConfig(), zygote or shared_zygote(),
                    static=False, without=tuple(without))


def _verdict(source: str, config: AdmissionConfig, zygote: Zygote, *, static: bool,
             without: tuple[str, ...]) -> Admission:
    started = time.perf_counter()
    source_hash = ""
    try:
        if not isinstance(source, str):
            raise Rejection(Category.SYNTAX, "the source must be text")
        source_hash = source_fingerprint(source) or ""
        if static:
            probe_seed = int(static_check.check_source(source).fingerprint[:8], 16)
        else:
            probe_seed = int(hashlib.sha256(source.encode("utf-8", "replace")).hexdigest()[:8], 16)
        ir = _sandboxed(source, config, zygote, probe_seed, without)
        rows = tuple(breakdown(ir))
    except Rejection as rej:
        return Admission(source_hash, False, rej.category.value, rej.reason,
                         seconds=time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - one candidate must never end the search
        _log.warning("admission failed unexpectedly", exc_info=True)
        return Admission(source_hash, False, Category.CRASHED.value,
                         one_line(f"admission failed: {type(exc).__name__}: {exc}"),
                         seconds=time.perf_counter() - started)
    return Admission(source_hash, True, None, "admitted", ir, ir.hash,
                     sum(cost for _, cost in rows), len(ir.nodes),
                     time.perf_counter() - started, rows)


def _sandboxed(source: str, config: AdmissionConfig, zygote: Zygote, probe_seed: int,
               without: tuple[str, ...]) -> ActivationIR:
    try:
        result = zygote.run({"source": source, "probe_seed": probe_seed},
                            replace(config.limits, max_nodes=config.max_nodes * 4), without)
    except ZygoteError as exc:
        raise Rejection(Category.CRASHED, f"sandbox failure: {exc}") from None
    ir = _validated(_ok(result), config)
    # Replaying the IR is work a candidate sized: it runs sandboxed too, never here.
    check = {"ir": ir.to_dict(), "probe_seed": probe_seed}
    if len(ir.to_json()) > MAX_CHECK_MESSAGE:
        raise Rejection(Category.OVER_BUDGET, "the traced graph is too large; simplify it")
    try:
        replay = _ok(zygote.run({"check": check}, config.limits))
    except ZygoteError as exc:
        raise Rejection(Category.CRASHED, f"sandbox failure: {exc}") from None
    except Rejection as rej:
        if rej.category in (Category.TIMEOUT, Category.MEMORY, Category.CRASHED):
            raise Rejection(rej.category, f"checking the traced graph: {rej.reason}") from None
        raise
    agreement.compare(result, replay, probe_seed)
    return ir


def _ok(result: dict) -> dict:
    """A sandbox's result, or its rejection raised."""
    if not isinstance(result, dict):
        raise Rejection(Category.CRASHED, "the sandbox returned no result")
    if result.get("status") != "ok":
        try:
            category = Category(result.get("category"))
        except (ValueError, TypeError):
            category = Category.CRASHED
        raise Rejection(category, one_line(result.get("reason", "rejected in the sandbox")))
    return result


def _validated(result: dict, config: AdmissionConfig) -> ActivationIR:
    """The IR from a sandbox's result, validated, canonical and within the budget."""
    try:
        ir = ActivationIR.from_dict(result.get("ir")).canonical()
    except IRError as exc:
        raise Rejection(Category.NOT_POINTWISE, f"the traced graph is not allowed: {exc}") from None
    if len(ir.nodes) > config.max_nodes:
        raise Rejection(Category.OVER_BUDGET,
                        f"{len(ir.nodes)} ops after simplification, over the cap of "
                        f"{config.max_nodes}; simplify the function")
    cost = flops_per_element(ir)
    if cost > config.max_flops:
        raise Rejection(Category.OVER_BUDGET,
                        f"costs {cost} FLOPs per element ({_top_costs(ir)}), over the budget "
                        f"of {config.max_flops}; GELU costs 12, exp/sin/tanh 8, division 4, "
                        f"add/mul 1")
    return ir


def _top_costs(ir: ActivationIR) -> str:
    totals: dict[str, int] = {}
    for op, cost in breakdown(ir):
        totals[op] = totals.get(op, 0) + cost
    top = sorted(totals.items(), key=lambda kv: -kv[1])[:3]
    return ", ".join(f"{op.split('.')[1]} {cost}" for op, cost in top)
