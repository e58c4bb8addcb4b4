"""FLOP cost per element, summed over IR nodes (see sandbox/optable.py for the weights).

Deterministic, independent of input size and data, and free to compute: every IR tensor
either has the input's shape or is a scalar, and scalar-only arithmetic costs nothing.
"""

from __future__ import annotations

from .ir import ActivationIR, Ref
from .optable import FACTORY_OPS, node_flops

SHAPED_FACTORIES = FACTORY_OPS - {"aten.scalar_tensor.default", "aten.full.default"}


def flops_per_element(ir: ActivationIR) -> int:
    return sum(cost for _, cost in breakdown(ir))


def breakdown(ir: ActivationIR) -> list[tuple[str, int]]:
    """(op, cost) for every node that works on input-shaped tensors."""
    shaped = {0: True}
    rows = []
    for i, node in enumerate(ir.nodes, start=1):
        refs = [a for a in list(node.args) + [v for _, v in node.kwargs] if isinstance(a, Ref)]
        is_shaped = node.op in SHAPED_FACTORIES or any(shaped[r.index] for r in refs)
        shaped[i] = is_shaped
        if is_shaped:
            args = [None if isinstance(a, Ref) else a for a in node.args]
            rows.append((node.op, node_flops(node.op, args, dict(node.kwargs))))
    return rows
