"""The reference activations every transfer table shows, written directly as IRs.

These are our own, trusted definitions (the paper's GELUSine and GELU-Sinc-Perturbation,
reference/paper.md section 4.1), so they skip the sandbox; each is exactly the graph that
admitting the equivalent Python traces to.
"""

from __future__ import annotations

from dataclasses import dataclass

from actmine.sandbox.ir import ActivationIR


@dataclass(frozen=True)
class Activation:
    """One column of a transfer table."""

    label: str  # short column name
    ir: ActivationIR
    description: str  # formula or source, for the legend
    reference: bool = False

    @property
    def ir_hash(self) -> str:
        return self.ir.hash


def _ir(nodes: list[tuple[str, list]]) -> ActivationIR:
    """Nodes as (op, args) with ints for refs ("x" is ref 0) and floats for constants."""
    def arg(a):
        if isinstance(a, str) and a.startswith("@"):
            return {"ref": int(a[1:])}
        return a

    return ActivationIR.from_dict({
        "version": 1,
        "nodes": [{"op": op, "args": [arg(a) for a in args], "kwargs": {}} for op, args in nodes],
        "output": {"ref": len(nodes)},
    }).canonical()


def relu() -> Activation:
    return Activation("ReLU", _ir([("aten.relu.default", ["@0"])]), "max(x, 0)", True)


def gelu() -> Activation:
    return Activation("GELU", _ir([("aten.gelu.default", ["@0"])]), "x Φ(x)", True)


def gelu_sine() -> Activation:
    return Activation("GELUSine", _ir([
        ("aten.gelu.default", ["@0"]),
        ("aten.sin.default", ["@0"]),
        ("aten.mul.Tensor", ["@2", 0.1]),
        ("aten.add.Tensor", ["@1", "@3"]),
    ]), "gelu(x) + 0.1 sin(x)", True)


def gelu_sinc_perturbation() -> Activation:
    return Activation("GSP", _ir([
        ("aten.gelu.default", ["@0"]),
        ("aten.sinc.default", ["@0"]),
        ("aten.mul.Tensor", ["@2", 0.5]),
        ("aten.add.Tensor", ["@3", 1]),
        ("aten.mul.Tensor", ["@1", "@4"]),
    ]), "gelu(x) (1 + 0.5 sinc(x))  [GELU-Sinc-Perturbation]", True)


def references() -> list[Activation]:
    """ReLU first: it is the baseline of every log-ratio."""
    return [relu(), gelu(), gelu_sine(), gelu_sinc_perturbation()]
