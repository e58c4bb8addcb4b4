"""Feedback to the models: diagnostics of a parent's curve (from its admitted IR, never its
Python) and of its lab scores, the new placeholders, and the prompts a real search sends to
a (stub) model server."""

from __future__ import annotations

import json

import pytest
from actmine.agent.config import AdmissionSettings
from actmine.agent.llm.diagnostics import lab_notes, notes_text, shape_notes, validation_text
from actmine.agent.llm.prompts import PLACEHOLDERS, load_templates
from actmine.agent.llm.proposer import Parent, render_context
from actmine.agent.llm.stub_server import StubServer
from actmine.sandbox.admission import AdmissionConfig, admit
from llm_config import config_text

HEAD = "import torch\nimport torch.nn.functional as F\n\n\ndef activation(x):\n    return "


def notes(body: str) -> str:
    verdict = admit(HEAD + body + "\n", AdmissionConfig())
    assert verdict.admitted, verdict.reason
    return " | ".join(shape_notes(verdict.ir))


@pytest.mark.fast
def test_the_shape_of_the_curve_beyond_the_box_from_the_ir():
    assert notes("torch.tanh(x)") == ("for |x| > 5: tends to a constant (about +1.00 as "
                                      "x -> +inf, -1.00 as x -> -inf; bounded)")
    assert notes("x * x") == "for |x| > 5: grows like x^2"
    assert notes("torch.sin(2 * x)") == "for |x| > 5: oscillates (period about 3.1, amplitude 1)"
    assert notes("F.gelu(x)") == ("for x > 5: linear (slope +1.00); for x < -5: tends to a "
                                  "constant (about +0.00; bounded)")
    ripple = notes("F.gelu(x) + 0.1 * torch.sin(x)")
    assert ripple.startswith("for x > 5: linear (slope +1.00) with a periodic ripple (period "
                             "about 6.3, amplitude 0.1")
    assert "for x < -5: oscillates (period about 6.3" in ripple
    assert notes("torch.exp(0.5 * x)").startswith("for x > 5: grows exponentially")
    assert notes("F.leaky_relu(x, 0.05)").endswith("for x < -5: linear (slope +0.05)")


@pytest.mark.fast
def test_lab_notes_and_validation_text():
    families = {"polynomial": -0.4, "harmonic": 0.5878, "physics": -0.1}
    worst = lab_notes(families, -0.2, None)
    assert worst == ["worst family: harmonic (1.80x ReLU's error); best: polynomial (0.67x)"]
    overfit = lab_notes({}, -0.8, 0.1)
    assert overfit and "over-fitting the lab" in overfit[0] and "1.11x against 0.45x" in overfit[0]
    assert lab_notes({"harmonic": 0.1}, -0.2, -0.3) == []
    assert validation_text(-0.2).startswith("-0.200 (x0.82 ReLU's")
    assert validation_text(None).startswith("not measured")
    assert notes_text([]) == "(none)" and notes_text(["a", "b"]) == "- a\n- b"


@pytest.mark.fast
def test_the_new_placeholders_are_documented_and_rendered():
    for name in ("parent_validation", "parent_diagnostics", "other_validation",
                 "other_diagnostics"):
        assert name in PLACEHOLDERS
    from support import REPO

    table = (REPO / "docs" / "configuration.md").read_text()
    for name in PLACEHOLDERS:  # every placeholder is in the prompts table
        assert f"`{{{name}}}`" in table, name
    parent = Parent(3, HEAD + "torch.tanh(x)\n", -0.25, 8, {"harmonic": 0.2}, -0.1,
                    ("for |x| > 5: tends to a constant", "worst family: harmonic"))
    seed = Parent(None, HEAD + "F.gelu(x)\n", None, None, {})
    context = render_context([parent, seed], [], [], None, AdmissionSettings(), [])
    assert context["parent_diagnostics"] == ("- for |x| > 5: tends to a constant\n"
                                             "- worst family: harmonic")
    assert context["parent_validation"].startswith("-0.100")
    assert context["other_validation"] == context["other_diagnostics"] == "n/a"
    templates = load_templates()
    for kind in ("rewrite", "diff"):
        assert "- worst family: harmonic" in templates.render(kind, context)
    crossover = templates.render("crossover", context)
    assert "Held-out validation: -0.100" in crossover and "Held-out validation: n/a" in crossover


def _answers(index: int) -> str:
    bodies = ["x * torch.sigmoid(1.2 * x)", "torch.tanh(x) + 0.3 * x", "F.gelu(x) * 1.1"]
    return f"```python\n{HEAD}{bodies[index % len(bodies)]}\n```\n"


def test_a_search_shows_the_model_its_parents_diagnostics(cli, tmp_path):
    with StubServer(answer=_answers) as stub:
        config = tmp_path / "models.toml"
        text = config_text({"budget": 11, "proposals_in_flight": 1},
                           [{"name": "stub", "base_url": stub.base_url, "timeout": 10.0}],
                           ensemble={"symbolic": 0.0})
        # Scored against ReLU alone, the families of this tiny lab differ (with the naive
        # anchor they all tie at 0).
        text = text.replace("[lab]", "[lab]\nvalidation = [\"square\"]\nanchor = \"relu\"", 1)
        config.write_text(text + "\n[prompts]\nmix = {rewrite = 1.0}\n")
        result = cli("search", "--run-dir", tmp_path / "run", "--config", config)
        assert result.returncode == 0, result.stderr
        prompts = [b["messages"][-1]["content"] for b in stub.bodies]
    assert prompts, "the model was asked"
    shown = prompts[0]  # after the seven seeds were evaluated (one proposal at a time)
    assert "What its curve and its scores show:\n- for " in shown
    assert "On held-out validation tasks (never used for selection): " in shown
    line = shown.split("On held-out validation tasks (never used for selection): ")[1]
    assert line[0] in "+-" and "ReLU's" in line.splitlines()[0]
    assert any("- worst family: " in p for p in prompts)  # ReLU's own families all tie
    status = json.loads(cli("status", "--run-dir", tmp_path / "run", "--json").stdout)
    assert status["members"]["stub"]["requests"] == len(prompts)
