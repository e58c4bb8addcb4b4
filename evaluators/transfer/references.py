"""The columns of a transfer table: candidates and the reference activations beside them.

The references are the known activations marked for transfer (evaluators/known.py: ReLU,
GELU, and the paper's GELUSine and GELU-Sinc-Perturbation); like every candidate they are
admitted through the sandbox (agent/cached_lab.py), so each column is exactly the IR a
proposal spelling the same function would train.
"""

from __future__ import annotations

from dataclasses import dataclass

from actmine.sandbox.ir import ActivationIR

from ..known import TRANSFER, Known, with_role


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


def reference_entries() -> tuple[Known, ...]:
    """ReLU first: it is the baseline of every log-ratio."""
    return with_role(TRANSFER)


def reference(known: Known, ir: ActivationIR) -> Activation:
    description = f"{known.formula}  [{known.note}]" if known.note else known.formula
    return Activation(known.short, ir, description, True)
