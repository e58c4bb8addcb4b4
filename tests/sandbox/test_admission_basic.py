"""Admission end to end through the real zygote and sandboxed child processes."""

from __future__ import annotations

import pytest
from actmine.sandbox import Category, admit
from actmine.sandbox.ir import ActivationIR

pytestmark = pytest.mark.fast  # make test-fast

GELU = "import torch.nn.functional as F\n\ndef activation(x):\n    return F.gelu(x)\n"


def test_gelu_is_admitted_with_its_flops():
    a = admit(GELU)
    assert a.admitted, a.reason
    assert a.flops == 12
    assert a.ir is not None and a.ir.ops == ["aten.gelu.default"]


def test_batch_statistics_are_rejected_naming_the_op():
    a = admit("def activation(x):\n    return x - x.mean()\n")
    assert not a.admitted
    assert a.category == Category.NOT_POINTWISE
    assert "mean" in a.reason


def test_data_dependent_control_flow_gets_actionable_reason():
    a = admit("import torch\ndef activation(x):\n    if x > 0:\n        return x\n    return -x\n")
    assert not a.admitted and a.category == Category.NOT_POINTWISE
    assert "torch.where" in a.reason


def test_infinite_loop_is_killed_by_the_wall_clock_deadline():
    # Static admission would refuse `while`; go straight to the OS sandbox to test its deadline.
    import time

    from actmine.sandbox.reasons import Rejection
    from actmine.sandbox.supervisor import SandboxLimits, shared_zygote

    started = time.monotonic()
    with pytest.raises(Rejection) as info:
        shared_zygote().run({"source": "def activation(x):\n    while True:\n        pass\n",
                             "probe_seed": 1}, SandboxLimits(wall_seconds=1.5, cpu_seconds=30))
    assert info.value.category == Category.TIMEOUT
    assert time.monotonic() - started < 10


def test_ir_round_trips_and_rebuilds_without_candidate_code():
    import torch

    a = admit("import torch\nimport torch.nn.functional as F\n"
              "def activation(x):\n    return F.gelu(x) + 0.1 * torch.sin(x)\n")
    assert a.admitted
    ir = ActivationIR.from_json(a.ir.to_json())
    assert ir.hash == a.ir_hash
    x = torch.linspace(-3, 3, 11)
    expected = torch.nn.functional.gelu(x) + 0.1 * torch.sin(x)
    assert torch.allclose(ir.to_callable()(x), expected)


@pytest.mark.parametrize("body, category", [
    ("def activation(x):\n    return open('/etc/passwd').read()\n", Category.FORBIDDEN),
    ("import os\ndef activation(x):\n    return x\n", Category.FORBIDDEN),
    ("def activation(x)\n    return x\n", Category.SYNTAX),
    ("import torch\ndef activation(x):\n    return torch.sin(x) / x\n", Category.NON_FINITE),
])
def test_rejection_categories(body, category):
    a = admit(body)
    assert not a.admitted
    assert a.category == category, a.reason
