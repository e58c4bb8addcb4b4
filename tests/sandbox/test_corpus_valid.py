"""The valid corpus: known activations are all admitted, with a FLOP cost per element, and
the table of those costs in docs/admission.md is exactly what `actmine flops` prints."""

from __future__ import annotations

import re

import pytest
import torch
from actmine.sandbox.admission import admit
from sandbox_corpus import CORPUS, VALID

pytestmark = pytest.mark.fast  # make test-fast

ADMISSION_PAGE = CORPUS.parents[1] / "docs" / "admission.md"


@pytest.fixture(scope="module")
def verdicts():
    return {path.stem: admit(path.read_text()) for path in VALID}


def test_corpus_is_large_enough():
    assert len(VALID) >= 30


def test_every_known_activation_is_admitted(verdicts):
    refused = {name: f"{v.category}: {v.reason}" for name, v in verdicts.items() if not v.admitted}
    assert not refused


@pytest.mark.parametrize("name, flops", [
    ("relu", 1), ("gelu_erf", 12), ("gelu_tanh", 15), ("silu", 9), ("softplus", 18),
    ("mish", 27), ("gelu_sine", 22), ("sin", 8), ("leaky_relu", 2),
])
def test_reference_costs(verdicts, name, flops):
    assert verdicts[name].flops == flops
    assert sum(cost for _, cost in verdicts[name].flops_breakdown) == flops


def test_rebuilt_ir_computes_the_function(verdicts):
    x = torch.linspace(-5, 5, 101)
    expected = {
        "gelu_sine": torch.nn.functional.gelu(x) + 0.1 * torch.sin(x),
        "gmtu": torch.tanh(1.5 * x) * torch.exp(-0.2 * x * x) + 0.1 * x,
        "gelu_sinc_perturbation": torch.nn.functional.gelu(x) * (1 + 0.5 * torch.sinc(x)),
        "logsigmoid": torch.nn.functional.logsigmoid(x),
        "snake": x + torch.sin(x) ** 2,
    }
    for name, want in expected.items():
        got = verdicts[name].ir.to_callable()(x)
        assert torch.allclose(got, want, atol=1e-6), name


def test_sinc_keeps_a_finite_gradient_at_zero(verdicts):
    x = torch.tensor([0.0, 1e-8], requires_grad=True)
    verdicts["gelu_sinc_perturbation"].ir.to_callable()(x).sum().backward()
    assert torch.isfinite(x.grad).all()


def test_names_and_spelling_do_not_change_the_ir_hash(verdicts):
    renamed = admit("import torch\n\n\ndef activation(inp):\n"
                    "    '''same function, other names'''\n"
                    "    return torch.nn.functional.gelu(inp)  # and a comment\n")
    assert renamed.ir_hash == verdicts["gelu_erf"].ir_hash
    assert verdicts["quick_gelu"].ir_hash != verdicts["gelu_erf"].ir_hash


def test_docs_table_is_the_command_output(verdicts):
    from actmine.agent.cli.flops_table import markdown_table

    text = ADMISSION_PAGE.read_text()
    match = re.search(r"<!-- flops-table:start -->\n(.*?)<!-- flops-table:end -->", text, re.S)
    assert match, "docs/admission.md lacks the flops-table markers"
    rows = [(path.stem, verdicts[path.stem]) for path in VALID]
    assert match.group(1).strip() == markdown_table(rows).strip(), (
        "the FLOP table in docs/admission.md is stale; regenerate it with "
        "`actmine flops tests/corpus/valid/*.py --markdown`")


@pytest.mark.parametrize("name, x, slope", [
    ("logsigmoid", 0.0, 0.5),  # its old decomposition had slope 1 here
    ("hardswish", -3.0, 0.0),  # and this one -0.5
    ("straight_through_round", 0.3, 1.1),  # detach kept: identity slope (+ 0.1 tanh')
])
def test_the_ir_trains_with_the_sources_gradient(verdicts, name, x, slope):
    point = torch.tensor([x], requires_grad=True)
    verdicts[name].ir.to_callable()(point).sum().backward()
    assert point.grad.item() == pytest.approx(slope, abs=0.01)


def test_a_nan_constant_still_makes_valid_json(verdicts):
    import json

    data = verdicts["nan_constant_select"].to_dict()
    json.loads(json.dumps(data, allow_nan=False))
    assert {"float": "nan"} in [a for n in data["ir"]["nodes"] for a in n["args"]]
