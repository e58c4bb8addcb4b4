"""The one table of known activations: admitted through the real path, and everything
derived from it (baselines, symbolic seeds, prompt examples, transfer references)."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F
from actmine.evaluators.known import (
    BASELINE,
    KNOWN,
    PAPER_LAB,
    PROMPT,
    SEED,
    TRANSFER,
    UnknownActivation,
    by_names,
    with_role,
)
from actmine.sandbox.admission import admit

pytestmark = pytest.mark.fast  # make test-fast

BASELINES = with_role(BASELINE)

EXPECTED = {"ReLU", "GELU", "SiLU", "tanh", "ELU", "Mish", "Snake", "sin", "GELUSine",
            "GELU-Sinc", "GMTU"}


def test_the_eleven_baselines_are_admitted_and_compute_their_formulas():
    assert {b.name for b in BASELINES} == EXPECTED
    assert set(PAPER_LAB) <= EXPECTED
    x = torch.linspace(-5, 5, 1001)
    reference = {
        "GELUSine": F.gelu(x) + 0.1 * torch.sin(x),
        "GELU-Sinc": F.gelu(x) * (1 + 0.5 * torch.sinc(x)),
        "GMTU": torch.tanh(1.5 * x) * torch.exp(-0.2 * x * x) + 0.1 * x,
        "Snake": x + torch.sin(x) ** 2,
    }
    for baseline in BASELINES:
        admission = admit(baseline.source)
        assert admission.admitted, (baseline.name, admission.reason)
        if baseline.name in reference:
            torch.testing.assert_close(admission.ir.to_callable()(x), reference[baseline.name])


def test_baselines_are_looked_up_by_name_case_insensitively():
    assert by_names(["gelusine", "ReLU"])[0].name == "GELUSine"
    with pytest.raises(UnknownActivation, match="swish"):
        by_names(["swish"])


def test_every_known_activation_is_admitted_and_keys_are_unique():
    assert len({k.key for k in KNOWN}) == len(KNOWN) and len({k.name for k in KNOWN}) == len(KNOWN)
    for known in KNOWN:
        assert admit(known.source).admitted, known.name


def test_seeds_prompts_and_transfer_references_come_from_the_table():
    from actmine.agent.llm.prompts import load_templates
    from actmine.agent.proposers import expression as ex
    from actmine.agent.proposers.symbolic import seed_proposals
    from actmine.evaluators.transfer.references import reference_entries

    assert list(ex.SEEDS) == [k.key for k in with_role(SEED)]
    # the seed programs a run proposes first are the ones runs made before the table existed
    sources = {p.meta["seed"]: p.source for p in seed_proposals()}
    assert sources["swish_beta"].endswith("return x * torch.sigmoid((1.5 * x))\n")
    assert sources["relu"] == ("# seed: relu\nimport torch\nimport torch.nn.functional as F"
                               "\n\n\ndef activation(x):\n    return torch.relu(x)\n")
    for key, tree in ex.SEEDS.items():  # each seed tree computes its table entry
        known = next(k for k in KNOWN if k.key == key)
        assert admit(ex.to_source(tree)).ir_hash == admit(known.source).ir_hash, key
    assert set(load_templates().seeds) == {k.source for k in with_role(PROMPT)}
    assert [k.short for k in reference_entries()] == ["ReLU", "GELU", "GELUSine", "GSP"]
    assert reference_entries() == with_role(TRANSFER)


def test_baselines_command_prints_one_table_and_caches_results(cli, tiny_config):
    first = cli("baselines", "--config", tiny_config, "--json", "--workers", "2")
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    rows = {row["name"]: row for row in data["baselines"]}
    assert set(rows) == EXPECTED
    assert rows["ReLU"]["fitness"] == 0.0
    for row in rows.values():
        assert row["admitted"] and row["status"] == "ok" and not row["cached"]
        assert set(row["family_ratio_vs_relu"]) == {"polynomial", "harmonic", "physics"}
        assert row["flops"] > 0 and row["train_mse"] >= 0
    assert rows["GELUSine"]["paper_ood_loss"] == 54.7
    assert sorted(data["our_order"]) == sorted(PAPER_LAB)

    again = cli("baselines", "--config", tiny_config)  # the human table, from the cache
    assert again.returncode == 0, again.stderr
    assert "GELU-Sinc" in again.stdout and "paper" in again.stdout and "68.7" in again.stdout
    assert "11 baselines, 0 evaluated now" in again.stdout
    assert "[same order]" in again.stdout or "[order differs]" in again.stdout


def test_baselines_command_rejects_unknown_names_in_one_line(cli, tiny_config):
    result = cli("baselines", "--config", tiny_config, "--only", "swish")
    assert result.returncode == 2
    assert "swish" in result.stderr and len(result.stderr.strip().splitlines()) == 1
