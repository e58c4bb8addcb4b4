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


# ------------------------------------------------------------- hostile answers
# Answers shaped to make a backtracking parser take seconds to hours. Nothing here times
# anything: the tests check the size cap stops work before parsing, and count the scans.
class CountingText(str):
    """A str that counts its find() calls: the fence scanner's work."""

    finds = 0

    def find(self, *args):
        CountingText.finds += 1
        return super().find(*args)


def test_a_huge_answer_is_refused_before_anything_parses_it(monkeypatch):
    import actmine.agent.llm.parse as parse
    from actmine.agent.llm.proposer import LLMMember

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed an answer over the size cap")

    monkeypatch.setattr(parse.ast, "parse", no_parsing)
    monkeypatch.setattr(parse, "code_blocks", no_parsing)
    answer = "```python\ndef activation(x):\n    return x\n```\n" + "y = 1\n" * 650_000
    for call in (lambda: extract_code(answer), lambda: diff_blocks(answer),
                 lambda: LLMMember._source("rewrite", answer, []),
                 lambda: LLMMember._source("diff", answer, [])):
        with pytest.raises(ParseFailure) as info:
            call()
        assert info.value.category == "too_long"


def test_fences_are_found_in_one_pass():
    from actmine.agent.llm.parse import MAX_ANSWER_CHARS, code_blocks

    CountingText.finds = 0
    assert code_blocks(CountingText("`" * (MAX_ANSWER_CHARS - 1))) == []
    assert CountingText.finds <= 2  # one fence start, no newline after it: done
    CountingText.finds = 0
    many = CountingText("```python\nx = 1\n```\n" * 2000)
    assert len(code_blocks(many)) == 2000
    assert CountingText.finds <= 3 * 2000 + 1  # start, newline and end of each fence


def test_definitions_are_found_line_by_line_across_long_blank_runs():
    from actmine.agent.llm.parse import MAX_ANSWER_CHARS, defined_names

    blank = " \n" * (MAX_ANSWER_CHARS // 4)
    assert defined_names(blank + "def activation(x):\n    return x\n") == ["activation"]
    assert defined_names(" " * (MAX_ANSWER_CHARS - 10) + "def f") == []
    answer = "```python\n" + blank + "import torch\ndef activation(x):\n    return x\n```"
    assert "def activation" in extract_code(answer).source


def test_unclosed_diff_markers_are_scanned_once_per_line(monkeypatch):
    import actmine.agent.llm.diff as diff

    calls = {"n": 0}

    class Counting:
        def __init__(self, pattern):
            self.pattern = pattern

        def match(self, text):
            calls["n"] += 1
            return self.pattern.match(text)

    for name in ("_SEARCH", "_DIVIDER", "_REPLACE"):
        monkeypatch.setattr(diff, name, Counting(getattr(diff, name)))
    # SEARCH and divider markers with no REPLACE: the old regex backtracked cubically.
    answer = "<<<<<<< SEARCH\nx\n=======\n" * 1500
    lines = answer.count("\n")
    assert diff_blocks(answer) == []
    assert calls["n"] <= lines


def test_diff_blocks_keep_their_meaning():
    answer = ("Here:\n<<<<<<< SEARCH\n    return x\n=======\n    return -x\n>>>>>>> REPLACE\n"
              "and\r\n<<<<<<< SEARCH\r\na = 1\r\n=======\r\na = 2\r\n>>>>>>> REPLACE\r\n")
    assert diff_blocks(answer) == [("    return x\n", "    return -x\n"),
                                   ("a = 1\r\n", "a = 2\r\n")]


@pytest.mark.parametrize("body", [
    "-" * 15_000 + "x",  # the parser recurses per unary operator
    "(" * 5_000 + "x" + ")" * 5_000,
])
def test_tidy_never_raises_on_deep_nesting(body):
    from actmine.agent.llm.parse import tidy

    source = f"def activation(x):\n    return {body}\n"
    assert tidy(source).source.strip() == source.strip()  # left for the checker to refuse
