"""Admission: untrusted source in, trusted pointwise IR (or a reason) out.

    static AST allowlist -> sandboxed trace (zygote child) -> IR validation ->
    canonical form, node cap, FLOP budget -> numeric checks on the rebuilt IR
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from . import checks, static_check
from .flops import flops_per_element
from .ir import ActivationIR, IRError
from .reasons import Category, Rejection, one_line
from .supervisor import SandboxLimits, Zygote, ZygoteError, shared_zygote


@dataclass(frozen=True)
class AdmissionConfig:
    max_flops: int = 64
    max_nodes: int = 64
    limits: SandboxLimits = field(default_factory=SandboxLimits)

    @property
    def key(self) -> str:
        return f"f{self.max_flops}-n{self.max_nodes}"


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

    def to_dict(self) -> dict:
        return {
            "source_hash": self.source_hash, "admitted": self.admitted,
            "category": self.category, "reason": self.reason,
            "ir": self.ir.to_dict() if self.ir is not None else None,
            "ir_hash": self.ir_hash, "flops": self.flops, "nodes": self.nodes,
            "seconds": round(self.seconds, 4),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Admission:
        ir = ActivationIR.from_dict(data["ir"]) if data.get("ir") else None
        return cls(data["source_hash"], data["admitted"], data.get("category"), data["reason"],
                   ir, data.get("ir_hash"), data.get("flops"), data.get("nodes"),
                   data.get("seconds", 0.0))


def admit(source: str, config: AdmissionConfig | None = None,
          zygote: Zygote | None = None) -> Admission:
    """Blocking; safe to call from several threads at once."""
    config = config or AdmissionConfig()
    started = time.perf_counter()
    source_hash = static_check.source_fingerprint(source) or ""
    try:
        ir = _admit(source, config, zygote or shared_zygote())
    except Rejection as rej:
        return Admission(source_hash, False, rej.category.value, rej.reason,
                         seconds=time.perf_counter() - started)
    return Admission(source_hash, True, None, "admitted", ir, ir.hash, flops_per_element(ir),
                     len(ir.nodes), time.perf_counter() - started)


def _admit(source: str, config: AdmissionConfig, zygote: Zygote) -> ActivationIR:
    report = static_check.check_source(source)
    probe_seed = int(report.fingerprint[:8], 16)
    try:
        result = zygote.run({"source": source, "probe_seed": probe_seed},
                            _limits(config))
    except ZygoteError as exc:
        raise Rejection(Category.CRASHED, f"sandbox failure: {exc}") from None
    if result.get("status") != "ok":
        try:
            category = Category(result.get("category"))
        except ValueError:
            category = Category.CRASHED
        raise Rejection(category, one_line(result.get("reason", "rejected in the sandbox")))
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
                        f"costs {cost} FLOPs per element, over the budget of {config.max_flops} "
                        f"(GELU costs 12, exp/sin/tanh 8, division 4, add/mul 1)")
    fn = ir.to_callable()
    try:
        checks.run_all(fn, probe_seed, result.get("probe_outputs") or [])
    except Rejection:
        raise
    except Exception as exc:  # noqa: BLE001 - a failing replay is a rejection, not a crash
        raise Rejection(Category.CRASHED, f"replaying the traced graph failed: {exc}") from None
    return ir


def _limits(config: AdmissionConfig) -> SandboxLimits:
    return SandboxLimits(config.limits.wall_seconds, config.limits.cpu_seconds,
                         config.limits.address_space_bytes, config.max_nodes * 4)
