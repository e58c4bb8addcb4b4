"""A search fed hostile answers by its model (a stub on loopback) finishes: every hostile
program is recorded as rejected with its category, every hostile answer as a parse
failure, and the good candidates between them are evaluated. Real CLI, sandbox and lab."""

from __future__ import annotations

import json
from pathlib import Path

from actmine.agent.llm.stub_server import StubServer, random_activation
from llm_config import config_text

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "adversarial"
# Programs of issue 15's classes that a model could send (no forged sandbox results).
PROGRAMS = ["ann_param_os_system", "ann_module_bare", "comprehension_rebinds_torch",
            "hermite_polynomial_n", "general_pow_sum", "cast_chain", "where_ladder",
            "integer_pow_tensor_exponent", "tensor_of_expression", "position_amplifier_frac",
            "narrow_nan_window", "pole_between_grid", "near_float_max",
            "integer_remainder_window", "float_to_int_cast", "tcpstore_cpp_socket"]
ANSWERS = ["`" * 60_000, "x" * 3_800_000, "<<<<<<< SEARCH\nx\n=======\n" * 2000,
           "```python\ndef activation(x):\n    return " + "-" * 15_000 + "x\n```"]


def test_hostile_answers_fail_alone_and_good_ones_are_evaluated(cli, tmp_path):
    sentinel = tmp_path / "sentinel"
    hostile = [(CORPUS / f"{name}.py").read_text().replace("SENTINEL_PATH", repr(str(sentinel)))
               .replace("LISTEN_PORT", "1") for name in PROGRAMS]
    hostile = [f"```python\n{source}```" for source in hostile] + ANSWERS

    def answer(i: int) -> str:  # five hostile answers, then a good one
        k = i // 6 * 5 + i % 6
        if i % 6 == 5 or k >= len(hostile):
            return f"```python\n{random_activation(i)}```"
        return hostile[k]

    budget = 4  # the fourth good answer comes after the last hostile one
    with StubServer(answer=answer) as stub:
        config = tmp_path / "c.toml"
        config.write_text(config_text(
            {"budget": budget, "seed_functions": False, "requests_in_flight": 2,
             "evaluations_in_flight": 2},
            [{"name": "stub", "base_url": stub.base_url, "timeout": 30.0, "retries": 0}]))
        result = cli("search", "--run-dir", tmp_path / "run", "--config", config, timeout=900)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert not sentinel.exists()
    status = json.loads(cli("status", "--run-dir", tmp_path / "run", "--json").stdout)
    assert status["counts"]["fresh_evaluations"] == budget
    seen = {r["category"] for r in status["rejections"]}
    assert {"forbidden", "over_budget", "non_finite", "not_pointwise",
            "too_long"} <= seen, seen
