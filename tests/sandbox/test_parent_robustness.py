"""A candidate can only ever fail itself: whatever comes back from a sandbox (forged,
malformed, costly to replay), admit() returns a verdict with a category, and the checks
that replay an IR run under a deadline in a sandbox of their own."""

from __future__ import annotations

import json

import pytest
from actmine.sandbox import AdmissionConfig
from actmine.sandbox.admission import admit, admit_unfiltered
from actmine.sandbox.ir import ActivationIR, IRError
from actmine.sandbox.reasons import Category, Rejection
from actmine.sandbox.supervisor import SandboxLimits, _decode, shared_zygote
from sandbox_corpus import CORPUS, Arena

CONFIG = AdmissionConfig(limits=SandboxLimits(wall_seconds=4.0, cpu_seconds=4))
GELU = "import torch.nn.functional as F\n\ndef activation(x):\n    return F.gelu(x)\n"


@pytest.fixture
def arena(tmp_path):
    arena = Arena(tmp_path)
    yield arena
    arena.close()


@pytest.mark.parametrize("name, category, fragment", [
    ("forged_deep_json", "escape", "forged or malformed"),
    ("forged_overload_name", "not_pointwise", "aten.add.overloads"),
    ("forged_huge_integer", "not_pointwise", "unsupported IR argument"),
    ("forged_polynomial_replay", "not_pointwise", "laguerre"),
    ("forged_replay_raises", "crashed", "checking the traced graph"),
])
def test_forged_results_become_verdicts(name, category, fragment, arena):
    """With the audit hook off, these programs do reach the result channel."""
    source = arena.fill((CORPUS / "adversarial" / f"{name}.py").read_text())
    verdict = admit_unfiltered(source, CONFIG, without=("audit_hook",))
    assert not verdict.admitted and verdict.category == category, verdict.reason
    assert fragment in verdict.reason and verdict.reason.isprintable()
    arena.assert_untouched(shared_zygote().pid, verdict.to_dict())


class _Broken:
    """A sandbox backend that fails in every way a backend can."""

    def __init__(self, reply):
        self.reply = reply

    def run(self, request, limits, without=()):
        if isinstance(self.reply, BaseException):
            raise self.reply
        return self.reply


@pytest.mark.parametrize("reply", [
    RuntimeError("boom"), MemoryError(), RecursionError(), KeyError("nonce"), None, [],
    {"status": "ok"}, {"status": "ok", "ir": "[" * 10_000},
    {"status": "ok", "ir": {"version": 1, "nodes": [[[[]]]], "output": {"ref": 1}}},
    {"status": "reject", "category": ["not", "a", "category"], "reason": {"x": 1}},
    {"status": "reject", "category": "escape", "reason": "\x1b[2J\x07 cleared"},
])
def test_admit_never_raises_whatever_the_backend_does(reply):
    verdict = admit(GELU, CONFIG, _Broken(reply))
    assert not verdict.admitted and verdict.category in {c.value for c in Category}
    assert verdict.reason.isprintable()
    json.dumps(verdict.to_dict(), allow_nan=False)


def test_deeply_nested_json_from_a_sandbox_is_refused_not_raised():
    assert _decode(b'{"nonce": "n", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "n") is None


@pytest.mark.parametrize("data", [
    {"version": 1, "output": {"ref": 1},
     "nodes": [{"op": "aten.add.overloads", "args": [{"ref": 0}, 1], "kwargs": {}}]},
    {"version": 1, "output": {"ref": 1},
     "nodes": [{"op": "aten.mul.Tensor", "args": [{"ref": 0}, 10 ** 400], "kwargs": {}}]},
    {"version": 1, "output": {"ref": 1},
     "nodes": [{"op": "aten.mul.Tensor", "args": [{"ref": 0}, {"ref": 10 ** 400}],
                "kwargs": {}}]},
    {"version": 1, "output": {"ref": 1},
     "nodes": [{"op": "aten.mul.Tensor", "args": [{"ref": 0}, 2], "kwargs": {1: 2}}]},
    {"version": 1, "output": {"ref": 1},
     "nodes": [{"op": ["aten.mul.Tensor"], "args": [{"ref": 0}], "kwargs": {}}]},
])
def test_malformed_ir_is_an_ir_error_and_nothing_else(data):
    with pytest.raises(IRError):
        ActivationIR.from_dict(data)


def test_non_finite_constants_are_json():
    ir = ActivationIR.from_dict({"version": 1, "output": {"ref": 2}, "nodes": [
        {"op": "aten.clamp.default", "args": [{"ref": 0}, float("-inf"), {"float": "inf"}],
         "kwargs": {}},
        {"op": "aten.where.self", "args": [True, {"ref": 1}, float("nan")], "kwargs": {}}]})
    text = ir.to_json()
    assert "NaN" not in text and "Infinity" not in text
    assert ActivationIR.from_json(text).hash == ir.hash
    json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c} in IR JSON"))


def test_the_checker_runs_under_the_deadline():
    """An IR that takes long to replay (here 400 digammas on every probe) is stopped by
    the checker's sandbox deadline, like a candidate: the parent never runs it."""
    nodes = [{"op": "aten.digamma.default", "args": [{"ref": i}], "kwargs": {}}
             for i in range(400)]
    check = {"ir": {"version": 1, "nodes": nodes, "output": {"ref": 400}}, "probe_seed": 1}
    with pytest.raises(Rejection) as info:
        shared_zygote().run({"check": check}, SandboxLimits(wall_seconds=1.0, cpu_seconds=30))
    assert info.value.category == Category.TIMEOUT
