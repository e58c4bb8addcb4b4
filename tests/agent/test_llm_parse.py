"""From a model's answer to candidate source: code blocks, renaming, diffs, failures."""

from __future__ import annotations

import ast

import pytest
from actmine.agent.llm.diff import apply_diff, diff_blocks
from actmine.agent.llm.parse import ParseFailure, extract_code

pytestmark = pytest.mark.fast  # make test-fast


def defines(source: str) -> list[str]:
    return [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]


def test_fenced_block_is_taken_out_of_prose():
    answer = ("Idea: damp large inputs.\n```python\nimport torch\n\ndef activation(x):\n"
              "    return x * torch.tanh(x)\n```\nThis should extrapolate well.")
    out = extract_code(answer)
    assert out.source == "import torch\n\ndef activation(x):\n    return x * torch.tanh(x)\n"
    assert out.notes == ()


def test_block_defining_activation_wins_over_later_examples():
    answer = ("```python\nimport torch\ndef activation(x):\n    return torch.sin(x) + x\n```\n"
              "Usage:\n```python\nprint(activation(torch.ones(3)))\n```")
    assert "torch.sin(x) + x" in extract_code(answer).source


def test_unfenced_code_after_prose_is_found():
    answer = "Sure! Here it is:\nimport torch\ndef activation(x):\n    return torch.relu(x) ** 2\n"
    assert defines(extract_code(answer).source) == ["activation"]


def test_single_function_under_another_name_is_renamed():
    answer = "```python\nimport torch\ndef smooth_swish(x):\n    return x * torch.sigmoid(1.5 * x)\n```"
    out = extract_code(answer)
    assert defines(out.source) == ["activation"]
    assert any("renamed smooth_swish" in note for note in out.notes)


def test_entry_point_among_helpers_is_the_one_nobody_calls():
    answer = ("```python\nimport torch\ndef bump(x):\n    return torch.exp(-x * x)\n\n"
              "def my_act(x):\n    return x + 0.1 * bump(x)\n```")
    out = extract_code(answer)
    assert defines(out.source) == ["bump", "activation"]


def test_two_unrelated_functions_are_ambiguous():
    answer = "```python\ndef a(x):\n    return x\n\ndef b(x):\n    return -x\n```"
    with pytest.raises(ParseFailure) as info:
        extract_code(answer)
    assert info.value.category == "no_code" and "ambiguous" in info.value.reason


def test_demo_code_is_dropped_and_missing_imports_added():
    answer = ("```python\nALPHA = -0.5\ndef activation(x):\n    return F.gelu(x) + ALPHA * torch.sin(x)\n\n"
              "output = activation(5)\nprint(output)\nif __name__ == '__main__':\n    pass\n```")
    out = extract_code(answer)
    tree = ast.parse(out.source)
    kinds = [type(n).__name__ for n in tree.body]
    assert kinds == ["Import", "Import", "Assign", "FunctionDef"]
    assert "import torch.nn.functional as F" in out.source and "print" not in out.source


def test_truncated_fence_keeps_the_text_for_the_checker():
    answer = "```python\nimport torch\ndef activation(x):\n    return torch.tanh(x) * (1 +"
    out = extract_code(answer)  # does not parse: passed on as is, the checker says why
    assert out.source.endswith("(1 +\n")


def test_prose_without_code_fails_with_a_reason():
    with pytest.raises(ParseFailure) as info:
        extract_code("I think a smooth function like GELU would be good.")
    assert info.value.category == "no_code"


PARENT = "import torch\n\n\ndef activation(x):\n    y = torch.tanh(x)\n    return x * y\n"


def test_diff_applies_exactly():
    text = "<<<<<<< SEARCH\n    return x * y\n=======\n    return x * y + 0.1 * torch.sin(x)\n>>>>>>> REPLACE\n"
    assert apply_diff(PARENT, diff_blocks(text)).endswith("return x * y + 0.1 * torch.sin(x)\n")


def test_diff_tolerates_wrong_indentation_and_reindents():
    text = "<<<<<<< SEARCH\ny = torch.tanh(x)\n=======\ny = torch.tanh(2 * x)\nz = 1\n>>>>>>> REPLACE"
    out = apply_diff(PARENT, diff_blocks(text))
    assert "    y = torch.tanh(2 * x)\n    z = 1\n" in out


def test_diff_that_matches_nothing_is_a_failure_with_the_line():
    text = "<<<<<<< SEARCH\n    return torch.relu(x)\n=======\n    return x\n>>>>>>> REPLACE"
    with pytest.raises(ParseFailure) as info:
        apply_diff(PARENT, diff_blocks(text))
    assert info.value.category == "bad_diff" and "return torch.relu(x)" in info.value.reason


def test_diff_that_changes_nothing_is_not_evaluated_again():
    text = "<<<<<<< SEARCH\n    return x * y\n=======\n    return x * y   \n>>>>>>> REPLACE"
    with pytest.raises(ParseFailure) as info:
        apply_diff(PARENT, diff_blocks(text))
    assert info.value.category == "no_change"
