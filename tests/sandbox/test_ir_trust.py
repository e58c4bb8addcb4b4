"""The parent trusts only IR it validated itself: whatever a (possibly forged) sandbox
result claims, non-pointwise ops, shaped constants and malformed graphs are refused."""

from __future__ import annotations

import pytest
import torch
from actmine.sandbox.ir import ActivationIR, IRError

pytestmark = pytest.mark.fast  # make test-fast


def ir(*nodes, output=1):
    return {"version": 1, "nodes": [dict(op=op, args=args, kwargs=kwargs)
                                    for op, args, kwargs in nodes], "output": {"ref": output}}


X = {"ref": 0}


@pytest.mark.parametrize("data, fragment", [
    (ir(("aten.mean.default", [X], {})), "aten.mean"),
    (ir(("aten.sort.default", [X], {})), "aten.sort"),
    (ir(("aten.bernoulli.p", [X, 0.5], {})), "aten.bernoulli"),
    (ir(("aten.mul_.Tensor", [X, X], {})), "aten.mul_"),
    (ir(("aten.full.default", [[8], 1.0], {})), "scalar"),
    (ir(("aten._to_copy.default", [X], {"layout": None})), "only change the dtype"),
    (ir(("aten.add.Tensor", [X, {"ref": 2}], {})), "forward"),
    (ir(("aten.add.Tensor", [X, "rm -rf /"], {})), "unsupported"),
    ({"version": 2, "nodes": [], "output": X}, "version"),
    (ir(("aten.relu.default", [X], {}), output=0) | {"output": 3}, "reference"),
])
def test_malformed_or_non_pointwise_ir_is_refused(data, fragment):
    with pytest.raises(IRError, match=fragment):
        ActivationIR.from_dict(data)


def test_the_ir_interpreter_runs_only_what_the_table_allows():
    good = ActivationIR.from_dict(ir(("aten.gelu.default", [X], {"approximate": "tanh"})))
    x = torch.linspace(-3, 3, 7)
    assert torch.allclose(good.to_callable()(x), torch.nn.functional.gelu(x, approximate="tanh"))
