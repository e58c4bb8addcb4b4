"""Prompt templates: defaults, user overrides, placeholder errors at start-up, rendering."""

from __future__ import annotations

import pytest
from actmine.agent.config import AdmissionSettings
from actmine.agent.llm.prompts import TEMPLATES, PromptError, load_templates
from actmine.agent.llm.proposer import Parent, render_context
from actmine.store.programs import Program

pytestmark = pytest.mark.fast  # make test-fast


def context():
    parent = Parent(3, "import torch\ndef activation(x):\n    return torch.tanh(x)\n", -0.25, 8,
                    {"harmonic": -0.4, "polynomial": 0.1})
    other = Parent(5, "import torch.nn.functional as F\ndef activation(x):\n    return F.gelu(x)\n",
                   -0.1, 12, {})
    rejected = Program(id=9, proposer="llm", source="def activation(x):\n    return x.mean()\n",
                       admitted=False, category="not_pointwise", reason="uses mean()")
    best = Program(id=3, proposer="seed", source=parent.source, admitted=True, fitness=-0.25)
    return render_context([parent, other], [other], [rejected], rejected, AdmissionSettings(),
                          [best])


def test_every_default_template_renders_with_its_context():
    templates = load_templates()
    ctx = context()
    for name in TEMPLATES:
        text = templates.render(name, ctx)
        assert "{" not in text.replace("{{", "") or name == "system"
    rewrite = templates.render("rewrite", ctx)
    assert "torch.tanh(x)" in rewrite and "-0.250" in rewrite and "harmonic -0.40" in rewrite
    assert "[not_pointwise] uses mean()" in rewrite
    assert "x.mean()" in templates.render("repair", ctx)
    assert "F.gelu(x)" in templates.render("crossover", ctx)
    assert "64" in templates.render("system", ctx)  # the FLOP budget


def test_override_directory_wins_file_by_file(tmp_path):
    (tmp_path / "rewrite.txt").write_text("Improve {parent_source} (now {parent_fitness}).")
    templates = load_templates(tmp_path)
    assert templates.render("rewrite", context()).startswith("Improve import torch")
    assert templates.origins["rewrite"] == str(tmp_path / "rewrite.txt")
    assert templates.origins["diff"] != str(tmp_path / "diff.txt")  # default kept


def test_unknown_placeholder_is_an_error_naming_file_and_line(tmp_path):
    (tmp_path / "diff.txt").write_text("line one\nbased on {parnet_source}\n")
    with pytest.raises(PromptError) as info:
        load_templates(tmp_path)
    message = str(info.value)
    assert f"{tmp_path / 'diff.txt'}:2" in message and "{parnet_source}" in message
    assert "\n" not in message


def test_attribute_access_and_stray_braces_are_refused(tmp_path):
    (tmp_path / "repair.txt").write_text("{child_source.__class__}")
    with pytest.raises(PromptError, match="unknown placeholder"):
        load_templates(tmp_path)
    (tmp_path / "repair.txt").write_text("a dict {")
    with pytest.raises(PromptError, match="literal braces"):
        load_templates(tmp_path)


def test_misnamed_template_file_and_missing_directory_are_errors(tmp_path):
    (tmp_path / "rewirte.txt").write_text("x")
    with pytest.raises(PromptError, match="not a template name"):
        load_templates(tmp_path)
    with pytest.raises(PromptError, match="does not exist"):
        load_templates(tmp_path / "nope")


def test_prompts_copy_writes_editable_defaults(cli, tmp_path):
    result = cli("prompts", "copy", tmp_path / "mine")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == sorted(
        [f"{t}.txt" for t in TEMPLATES] + ["seeds"])
    # the example programs a model sees first, from the table of known activations
    assert sorted(p.name for p in (tmp_path / "mine" / "seeds").iterdir()) == [
        "gelu.py", "relu.py", "silu.py"]
    templates = load_templates(tmp_path / "mine")  # the copies are valid templates
    assert templates.seeds == load_templates().seeds
    (tmp_path / "mine" / "seeds" / "relu.py").write_text("def activation(x):\n    return x\n")
    assert "return x\n" in load_templates(tmp_path / "mine").seeds[1]  # edits take effect
