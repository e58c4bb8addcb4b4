"""The checker's checks, run in-process on hand-built IRs (the admission tests run them in
their sandbox): narrowing onto singular points, bounds, position, dtype rules."""

from __future__ import annotations

import pytest
import torch
from actmine.sandbox import checks, singular
from actmine.sandbox.ir import ActivationIR
from actmine.sandbox.reasons import Category, Rejection
from actmine.sandbox.trace_graph import trace


def ir_of(fn) -> ActivationIR:
    return ActivationIR.from_dict(trace(fn, 64)).canonical()


def test_float_keys_are_ordered_and_adjacent():
    x = torch.tensor([-3.0, -1e-30, -0.0, 0.0, 1e-45, 1e-30, 0.7777, 3.0])
    keys = singular._key(x)
    assert torch.equal(keys, keys.sort().values)
    assert torch.equal(singular._unkey(keys)[[0, 1, 4, 5, 6, 7]], x[[0, 1, 4, 5, 6, 7]])
    one = torch.tensor([1.0])
    assert singular._unkey(singular._key(one) + 1).item() == torch.nextafter(one, one + 1).item()


@pytest.mark.parametrize("fn", [
    lambda x: torch.nn.functional.gelu(x), lambda x: x / (1 + x.abs()),
    lambda x: torch.where(x > 0, x, 0.1 * torch.expm1(x)), lambda x: torch.log1p(x.abs()),
])
def test_sound_functions_pass(fn):
    ir = ir_of(fn)
    checks.run_all(ir, ir.to_callable(), seed=3)


@pytest.mark.parametrize("fn, fragment", [
    (lambda x: torch.tanh(x) / torch.sin(x - 0.7777), "not finite"),  # a pole off the grid
    (lambda x: torch.where((x > 2.5) & (x < 2.50001), torch.log(x - 3.0), x), "not finite"),
    (lambda x: 1.0 / ((x - 0.3) * (x - 0.3)), "not finite"),  # touches 0, no sign change
    (lambda x: torch.exp(torch.clamp(x, max=88.0)), "reaches"),
    (lambda x: torch.atan(x * 1e6 * 1e6 * 1e4), "reaches"),
])
def test_singular_places_between_grid_points_are_found(fn, fragment):
    ir = ir_of(fn)
    with pytest.raises(Rejection, match=fragment) as info:
        singular.check_finite(ir, ir.to_callable(), seed=3)
    assert info.value.category == Category.NON_FINITE


def test_output_that_depends_on_position_is_refused():
    ir = ir_of(lambda x: torch.remainder(torch.sigmoid(x) * 300000.0, 0.25))
    with pytest.raises(Rejection, match="position"):
        checks.check_position(ir.to_callable(), seed=3)


@pytest.mark.parametrize("fn, fragment", [
    (lambda x: x + torch.remainder((x > 0) * 3, (x > 1) * 2 + 1), "integer division"),
    (lambda x: x + ((x > 0) * 3) ** ((x < 1) * 2), "integer powers"),
])
def test_integer_division_and_powers_are_refused(fn, fragment):
    with pytest.raises(Rejection, match=fragment):
        checks.check_dtypes(ir_of(fn))


def test_a_float_to_int_cast_in_a_forged_ir_is_refused():
    ir = ActivationIR.from_dict({"version": 1, "output": {"ref": 2}, "nodes": [
        {"op": "aten._to_copy.default", "args": [{"ref": 0}], "kwargs": {"dtype": {"dtype": "int32"}}},
        {"op": "aten._to_copy.default", "args": [{"ref": 1}], "kwargs": {"dtype": {"dtype": "float32"}}}]})
    with pytest.raises(Rejection, match="casting floats to integers"):
        checks.check_dtypes(ir)
