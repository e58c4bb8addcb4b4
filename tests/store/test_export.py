"""Export: standalone PyTorch modules that reproduce the IR bit for bit, import nothing from
actmine (checked in a subprocess where actmine cannot be imported), and work as layers."""

from __future__ import annotations

import ast
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from actmine.agent.proposers import expression as ex
from actmine.sandbox.admission import AdmissionConfig, admit
from actmine.sandbox.ir import ActivationIR
from actmine.store.cache import ResultCache
from actmine.store.export import ExportInfo, function_lines, render_module
from actmine.store.programs import Program
from actmine.store.run_dir import open_run

pytestmark = pytest.mark.fast  # make test-fast

HANDWRITTEN = [
    "def activation(x):\n    return torch.where(x > 0, x, 0.3 * (torch.exp(x) - 1))\n",
    "def activation(x):\n    return torch.clamp(x, -1.5, 3.0) + 2 ** x * 0.01\n",
    "def activation(x):\n    return F.softplus(x, beta=2.0, threshold=10.0) - 1 / (1 + x * x)\n",
    "def activation(x):\n    return F.leaky_relu(x, 0.05) + F.hardtanh(x, -0.5, 0.5)\n",
    "def activation(x):\n    return F.gelu(x, approximate='tanh') * F.elu(x, alpha=0.7)\n",
    "def activation(x):\n    return 1.5 - x + torch.minimum(x, torch.ones_like(x) * 2)\n",
    "def activation(x):\n    y = torch.sigmoid(x)\n    return x * y + y * y - torch.full_like(x, 0.25)\n",
    "def activation(x):\n    return torch.sinc(x) + x ** 3 / 6 + torch.abs(x) ** 0.5\n",
    "def activation(x):\n    return F.silu(x) + F.mish(x) - torch.atan(x) / 3\n",
    "def activation(x):\n    return torch.maximum(x, -x * 0.1) + torch.erf(x) * torch.cos(2 * x)\n",
]


def _corpus() -> list[str]:
    """Seeds, random trees over every primitive of the symbolic proposer, and hand-written
    functions covering constants, comparisons, where, clamp, pow and functional ops."""
    sources = [ex.to_source(tree) for tree in ex.SEEDS.values()]
    rng = random.Random(4)
    for _ in range(24):
        sources.append(ex.to_source(ex.repair(ex.random_tree(rng, depth=3))))
    header = "import torch\nimport torch.nn.functional as F\n\n"
    return sources + [header + body for body in HANDWRITTEN]


@pytest.fixture(scope="module")
def admitted() -> list[tuple[str, ActivationIR]]:
    config = AdmissionConfig(max_flops=1000, max_nodes=200)
    out = []
    for source in _corpus():
        verdict = admit(source, config)
        if verdict.admitted:
            out.append((source, verdict.ir))
    assert len(out) >= 30, "the corpus should mostly pass admission"
    return out


RUNNER = r'''
import importlib.abc, json, sys

class NoActmine(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "actmine" or name.startswith("actmine."):
            raise ImportError(f"{name} must not be imported by an exported module")
        return None

sys.meta_path.insert(0, NoActmine())
sys.path.insert(0, sys.argv[1])
import importlib, pathlib, torch

out = pathlib.Path(sys.argv[2])
probe = torch.cat([torch.linspace(-30, 30, 6001),
                   torch.tensor([0.0, -0.0, 1e-30, -1e-30, 1e4, -1e4, 88.0, -88.0])])
names = json.loads(sys.argv[3])
for name in names:
    module = importlib.import_module(name)
    for dtype in (torch.float32, torch.float64):
        y = module.activation(probe.to(dtype))
        (out / f"{name}-{dtype}.bin").write_bytes(y.detach().numpy().tobytes())
torch.manual_seed(0)
layer = importlib.import_module(names[0]).Activation()
net = torch.nn.Sequential(torch.nn.Linear(3, 16), layer, torch.nn.Linear(16, 1))
inputs = torch.linspace(-3, 3, 24).reshape(8, 3)
result = net(inputs)
result.sum().backward()
(out / "sequential.bin").write_bytes(result.detach().numpy().tobytes())
print(json.dumps({"actmine_modules": sorted(m for m in sys.modules if m.startswith("actmine")),
                  "grad_finite": bool(torch.isfinite(net[0].weight.grad).all())}))
'''


class IRLayer(torch.nn.Module):
    def __init__(self, ir: ActivationIR):
        super().__init__()
        self.fn = ir.to_callable()

    def forward(self, x):
        return self.fn(x)


def test_exported_modules_reproduce_the_ir_bit_for_bit_without_actmine(admitted, tmp_path):
    modules = tmp_path / "exported"
    modules.mkdir()
    names = []
    for i, (source, ir) in enumerate(admitted):
        name = f"act_{i}"
        code = render_module(ir, ExportInfo(ir_hash=ir.hash, flops=3, fitness=-0.25,
                                            status="ok", stage="full", source=source))
        (modules / f"{name}.py").write_text(code)
        tree = ast.parse(code)
        imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
        assert [a.name for n in imports for a in n.names] == ["torch"]
        names.append(name)
    outputs = tmp_path / "out"
    outputs.mkdir()
    run = subprocess.run([sys.executable, "-I", "-c", RUNNER, str(modules), str(outputs),
                          json.dumps(names)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report == {"actmine_modules": [], "grad_finite": True}

    probe = torch.cat([torch.linspace(-30, 30, 6001),
                       torch.tensor([0.0, -0.0, 1e-30, -1e-30, 1e4, -1e4, 88.0, -88.0])])
    for name, (_, ir) in zip(names, admitted):
        for dtype in (torch.float32, torch.float64):
            expected = ir.to_callable()(probe.to(dtype)).numpy().tobytes()
            assert (outputs / f"{name}-{dtype}.bin").read_bytes() == expected, name

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 16), IRLayer(admitted[0][1]),
                              torch.nn.Linear(16, 1))
    expected = net(torch.linspace(-3, 3, 24).reshape(8, 3)).detach().numpy().tobytes()
    assert (outputs / "sequential.bin").read_bytes() == expected


def test_the_function_reads_as_plain_torch(admitted):
    by_source = {source: ir for source, ir in admitted}
    gelu_sin = ActivationIR.from_dict({"version": 1, "nodes": [
        {"op": "aten.gelu.default", "args": [{"ref": 0}], "kwargs": {}},
        {"op": "aten.sin.default", "args": [{"ref": 0}], "kwargs": {}},
        {"op": "aten.mul.Tensor", "args": [0.1, {"ref": 2}], "kwargs": {}},
        {"op": "aten.add.Tensor", "args": [{"ref": 1}, {"ref": 3}], "kwargs": {}}],
        "output": {"ref": 4}})
    assert function_lines(gelu_sin) == [
        "return torch.nn.functional.gelu(x) + (torch.sin(x) * 0.1)"]
    sigmoid_twice = next(ir for s, ir in by_source.items() if "y * y" in s)
    lines = function_lines(sigmoid_twice.canonical())
    assert lines[0] == "v1 = torch.sigmoid(x)"  # reused: a variable, computed once
    assert all("torch.ops" not in line for line in lines)


def test_hostile_text_cannot_escape_the_docstring():
    nasty = ('"""\nimport os\nos.system("echo owned")\n"""\\\n\'\'\' \x00 \x1b[31m \r\n'
             "end \\N{BULLET} \\")
    ir = ActivationIR.from_dict({"version": 1, "nodes": [
        {"op": "aten.relu.default", "args": [{"ref": 0}], "kwargs": {}}], "output": {"ref": 1}})
    code = render_module(ir, ExportInfo(ir_hash="h" * 24, source=nasty,
                                        lineage=('#1 llm model="""evil"""',)))
    tree = ast.parse(code)
    assert [type(n).__name__ for n in tree.body] == [
        "Expr", "Import", "Assign", "FunctionDef", "ClassDef"]
    doc = ast.get_docstring(tree, clean=False)
    assert 'os.system("echo owned")' in doc and '"""evil"""' in doc
    assert "import os" not in code.split('"""\n\nimport torch')[1]


def _run_with_program(tmp_path: Path) -> tuple[Path, ActivationIR]:
    source = "import torch\n\ndef activation(x):\n    return x * torch.tanh(x) + 0.5\n"
    ir = admit(source, AdmissionConfig()).ir
    run = open_run(tmp_path / "run", {"any": 1}, create=True)
    try:
        seed = Program(id=1, proposer="seed", source="# seed\n", admitted=True,
                       ir_hash="0" * 24, fitness=0.3, status="ok", stage="full",
                       meta={"seed": "tanh"})
        run.programs.finish(seed)
        run.cache.put_ir("0" * 24, {"version": 1, "nodes": [  # the IR's one copy: the cache
            {"op": "aten.tanh.default", "args": [{"ref": 0}], "kwargs": {}}],
            "output": {"ref": 1}})
        child = Program(id=2, proposer="symbolic", source=source, admitted=True, parents=(1,),
                        ir_hash=ir.hash, flops=10, fitness=-0.42, status="ok", stage="full",
                        lab_hash="lab0123", meta={"operator": "perturb"})
        run.programs.finish(child)
        run.cache.put_ir(ir.hash, ir.to_dict())
    finally:
        run.close()
    return tmp_path / "run", ir


def test_cli_exports_by_rank_id_and_ir(cli, tmp_path):
    run_dir, ir = _run_with_program(tmp_path)
    out = tmp_path / "best_activation.py"
    result = cli("export", "--run-dir", run_dir, "--rank", 1, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "best_activation.Activation()" in result.stderr
    code = out.read_text()
    doc = ast.get_docstring(ast.parse(code))
    assert "fitness    -0.4200" in doc and "FLOPs      10 per element" in doc
    assert f"IR         {ir.hash}" in doc and "lab lab0123" in doc
    assert "#2 symbolic/perturb fitness -0.4200 from #1" in doc and "#1 seed/tanh" in doc
    by_id = cli("export", "--run-dir", run_dir, "--id", 2)
    by_ir = cli("export", "--run-dir", run_dir, "--ir", ir.hash[:8])

    def undated(text: str) -> str:
        return "\n".join(line for line in text.splitlines() if "Exported by" not in line)

    assert undated(by_id.stdout) == undated(by_ir.stdout) == undated(code)


def test_cli_export_from_the_shared_cache(cli, tmp_path, tiny_config):
    from support import tiny_settings

    ir = ActivationIR.from_dict({"version": 1, "nodes": [
        {"op": "aten.silu.default", "args": [{"ref": 0}], "kwargs": {}}], "output": {"ref": 1}})
    lab_hash = tiny_settings().lab.to_config().hash
    cache = ResultCache(tmp_path / "user-cache" / "results")  # where the cli fixture points
    cache.put_ir(ir.hash, ir.to_dict())
    cache.put_evaluation(lab_hash, ir.hash, {"fitness": -0.125, "status": "ok",
                                             "stage": "full"})
    cache.close()
    result = cli("export", "--ir", ir.hash[:10], "--config", tiny_config)
    assert result.returncode == 0, result.stderr
    assert "fitness    -0.1250" in result.stdout and f"lab {lab_hash}" in result.stdout
    assert "return torch.nn.functional.silu(x)" in result.stdout


def test_cli_export_errors_are_one_line(cli, tmp_path):
    run_dir, _ = _run_with_program(tmp_path)
    cases = [
        (("export", "--run-dir", run_dir, "--rank", 5), "no rank 5"),
        (("export", "--run-dir", run_dir, "--ir", "zzzz"), "no IR starting with 'zzzz'"),
        (("export", "--run-dir", run_dir, "--id", 9), "#9"),
        (("export", "--run-dir", run_dir, "--rank", 1, "--id", 2), "choose one of"),
        (("export",), "pass --run-dir"),
        (("export", "--run-dir", tmp_path / "nothing-here"), "holds no run"),
        (("export", "--run-dir", run_dir, "--out", tmp_path / "no" / "dir" / "x.py"),
         "cannot write"),
    ]
    for args, message in cases:
        result = cli(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
