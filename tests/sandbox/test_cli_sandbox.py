"""The sandbox's commands, run as a user runs them: the installed `actmine` in a subprocess."""

from __future__ import annotations

import json

from sandbox_corpus import CORPUS

VALID = CORPUS / "valid"
ADVERSARIAL = CORPUS / "adversarial"


def test_check_json_reports_an_admitted_function(cli):
    proc = cli("check", VALID / "gelu_sine.py", "--json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["verdict"] == "admitted" and data["category"] is None
    assert data["flops"] == 22 and data["nodes"] == 4
    assert len(data["ir_hash"]) == 24 and data["ir"]["version"] == 1
    assert sum(cost for _, cost in data["flops_breakdown"]) == 22


def test_check_json_reports_a_rejection_with_category_and_one_line(cli):
    proc = cli("check", ADVERSARIAL / "batch_mean.py", "--json", timeout=300)
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert data["verdict"] == "rejected" and data["category"] == "not_pointwise"
    assert "mean" in data["reason"] and "\n" not in data["reason"]
    assert data["flops"] is None and data["ir_hash"] is None


def test_check_without_json_prints_the_cost_breakdown(cli):
    proc = cli("check", VALID / "gelu_sine.py", timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "22 FLOPs/element" in proc.stdout and "gelu 12" in proc.stdout


def test_check_of_a_missing_file_is_one_line_exit_2(cli, tmp_path):
    proc = cli("check", tmp_path / "nope.py")
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_flops_markdown_table(cli):
    proc = cli("flops", VALID / "relu.py", VALID / "mish.py", "--markdown", timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("| activation | FLOPs/element")
    assert "| relu | 1 | 1 | relu 1 |" in lines and "| mish | 27 | 1 | mish 27 |" in lines


def test_flops_exits_1_when_a_file_is_rejected(cli):
    proc = cli("flops", VALID / "relu.py", ADVERSARIAL / "sort_values.py", "--markdown",
               timeout=300)
    assert proc.returncode == 1
    assert "| sort_values | rejected (not_pointwise) |" in proc.stdout


def test_doctor_lists_every_layer(cli):
    proc = cli("doctor", "--json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    for layer in ("setsid", "rlimits", "uid_drop", "network_namespace", "landlock", "seccomp",
                  "subreaper"):
        assert set(data["protections"][layer]) == {"ok", "detail"}, layer
    assert data["missing"] == sorted(k for k, v in data["protections"].items() if not v["ok"])
    assert data["flop_weights"]["gelu"] == 12 and data["flop_weights"]["mul"] == 1


def test_doctor_strict_fails_exactly_when_a_layer_is_missing(cli):
    report = json.loads(cli("doctor", "--json", timeout=300).stdout)
    proc = cli("doctor", "--strict", timeout=300)
    assert proc.returncode == (1 if report["missing"] else 0)
    assert "FLOP weights per element" in proc.stdout


def test_bench_admission_runs_both_paths(cli):
    proc = cli("bench", "admission", "--rounds", "2", "--sources", "1", "--json", timeout=600)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["zygote_runs"] == 2 and data["fresh_runs"] == 1
    assert data["zygote_median_ms"] > 0 and data["fresh_median_ms"] > 0


def test_a_missing_layer_is_loud_and_admission_still_works(cli):
    off = {"ACTMINE_SANDBOX_UID_BASE": "off"}
    report = json.loads(cli("doctor", "--json", timeout=300, extra_env=off).stdout)
    assert report["protections"]["uid_drop"]["ok"] is False
    assert "ACTMINE_SANDBOX_UID_BASE" in report["protections"]["uid_drop"]["detail"]
    assert "uid_drop" in report["missing"]
    proc = cli("check", VALID / "gelu_erf.py", timeout=300, extra_env=off)
    assert proc.returncode == 0, proc.stderr
    assert "SANDBOX PROTECTION MISSING" in proc.stderr and "uid_drop" in proc.stderr


def test_check_json_is_strict_json_even_with_a_nan_constant(cli):
    proc = cli("check", VALID / "nan_constant_select.py", "--json", timeout=300)
    assert proc.returncode == 0, proc.stderr

    def bare(constant):
        raise AssertionError(f"bare {constant} in `check --json` output")

    data = json.loads(proc.stdout, parse_constant=bare)
    assert data["verdict"] == "admitted"

