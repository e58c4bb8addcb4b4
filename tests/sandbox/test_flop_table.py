"""The FLOP table: only named ops are allowed, costs follow arguments, and every entry has
a benchmark recipe (`actmine bench flops`). Ratios are printed by the command, never
asserted here: timing on a shared machine is noise."""

from __future__ import annotations

import pytest
import torch
from actmine.sandbox import optable
from actmine.sandbox.flop_bench import charges, measure, recipes
from actmine.sandbox.ir import ActivationIR, IRError


def test_every_table_entry_has_a_recipe_and_the_bench_returns_a_row_for_each():
    table = recipes()
    assert set(table) == set(charges()) >= set(optable.weight_table())
    rows = measure(size=256, rounds=1, target_s=0.0)
    assert {r.op for r in rows} == set(table)
    assert len(rows) == sum(len(v) for v in table.values())
    assert all(r.measured > 0 and r.charge == charges()[r.op] for r in rows)


def test_every_allowed_op_is_tagged_pointwise_or_a_known_helper():
    for packet in (*optable.WEIGHTS, *optable.FREE):
        ops = getattr(torch.ops.aten, packet)
        allowed = [o for o in ops.overloads() if optable.resolve_op(f"aten.{packet}.{o}")]
        assert allowed, packet
        for overload in allowed:
            op = getattr(ops, overload)
            assert torch.Tag.pointwise in op.tags or packet in optable.UNTAGGED, packet


@pytest.mark.parametrize("name", [
    "aten.special_laguerre_polynomial_l.n_scalar", "aten.special_hermite_polynomial_h.default",
    "aten.mvlgamma.default", "aten.polygamma.default", "aten.igamma.default",
    "aten.special_zeta.default", "aten.gcd.default", "aten.special_ndtri.default",
    "aten.gelu_backward.default", "aten.bitwise_left_shift.Tensor",
    "aten.add.overloads", "aten.add.out", "aten.add_.Tensor", "aten.nonexistent.default",
])
def test_ops_outside_the_table_are_refused(name):
    assert optable.resolve_op(name) is None
    with pytest.raises(IRError):
        ActivationIR.from_dict({"version": 1, "output": {"ref": 1}, "nodes": [
            {"op": name, "args": [{"ref": 0}, 3], "kwargs": {}}]})


@pytest.mark.parametrize("op, args, cost", [
    ("aten.pow.Tensor_Scalar", [None, 2], 1), ("aten.pow.Tensor_Scalar", [None, 3.0], 2),
    ("aten.pow.Tensor_Scalar", [None, -1], 4), ("aten.pow.Tensor_Scalar", [None, 0.5], 4),
    ("aten.pow.Tensor_Scalar", [None, 4], optable.POW_GENERAL),
    ("aten.pow.Tensor_Scalar", [None, -3], optable.POW_GENERAL),
    ("aten.pow.Tensor_Scalar", [None, 2.5], optable.POW_GENERAL),
    ("aten.pow.Tensor_Tensor", [None, None], optable.POW_GENERAL),
    ("aten.pow.Scalar", [2.0, None], optable.POW_GENERAL),
    ("aten._to_copy.default", [None], 4), ("aten.detach.default", [None], 0),
    ("aten.where.self", [None, None, None], 24), ("aten.i0.default", [None], 144),
])
def test_costs_follow_the_kernel_that_runs(op, args, cost):
    assert optable.node_flops(op, args, {}) == cost


def test_integers_beyond_float64_precision_are_not_numbers():
    assert optable.is_finite_number(2**53) and not optable.is_finite_number(10**400)
    assert not optable.is_finite_number(float("nan")) and optable.is_finite_number(True)


def _call(fn):
    """A call of fn on x with as many tensor arguments as it takes (1 to 3)."""
    for arity in (1, 2, 3):
        args = [torch.rand(4) + 0.5 for _ in range(arity)]
        try:
            fn(*args)
        except (TypeError, RuntimeError):
            continue
        return lambda x, a=arity: fn(x, *([x * 0.5 + 2] * (a - 1)))
    return None


def test_every_function_the_static_filter_allows_traces_to_table_ops():
    """Refusing ops outside the table must not refuse what the filter lets a model write."""
    import torch.nn.functional as F
    from actmine.sandbox import trace_graph
    from actmine.sandbox.allowlist import FUNCTIONAL_FUNCS, POINTWISE_FUNCS, SPECIAL_FUNCS

    functions = {f"torch.{n}": getattr(torch, n) for n in POINTWISE_FUNCS}
    functions |= {f"F.{n}": getattr(F, n) for n in FUNCTIONAL_FUNCS}
    functions |= {f"special.{n}": getattr(torch.special, n) for n in SPECIAL_FUNCS}
    special = {"torch.where": lambda x: torch.where(x > 0, x, 2 * x),
               "torch.full_like": lambda x: torch.full_like(x, 2.0),
               "F.threshold": lambda x: F.threshold(x, 0.5, 0.0),
               "torch.equal": None}  # returns a Python bool: refused for that reason
    unknown = {}
    for name, fn in sorted(functions.items()):
        call = special[name] if name in special else _call(fn)
        if call is None:
            continue
        ir = trace_graph.trace(call, 64)
        bad = [n["op"] for n in ir["nodes"] if not optable.is_allowed(n["op"])]
        if bad:
            unknown[name] = bad
    assert not unknown
