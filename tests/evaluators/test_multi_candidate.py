"""Several candidates trained at once (the GPU batch path, run here on the CPU device):
each gets exactly the result it gets alone; out of memory splits a batch; executors batch
concurrent evaluations and retry a lost worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace

import anyio
import numpy as np
import torch
import torch.nn.functional as F
from actmine.agent.executors import ExecutorConfig, LocalExecutor
from actmine.evaluators import batching, lab
from actmine.evaluators.tasks import get_tasks
from actmine.evaluators.trainer import TrainSpec, train_batched, train_many
from actmine.sandbox.ir import ActivationIR
from support import REPO, one_thread  # noqa: F401 - autouse

MIXED = ("square", "feynman_I_14_4", "running_sum", "feynman_I_50_26")  # widths 1-3, a sequence


def _ir(*ops: str) -> ActivationIR:
    """A chain of unary ops applied to x."""
    nodes = [{"op": op, "args": [{"ref": i}], "kwargs": {}} for i, op in enumerate(ops)]
    return ActivationIR.from_dict({"version": 1, "nodes": nodes, "output": {"ref": len(ops)}})


GELU, TANH, SIN = _ir("aten.gelu.default"), _ir("aten.tanh.default"), _ir("aten.sin.default")
LOG = _ir("aten.log.default")  # NaN for x < 0: fails the probe
FIFTH_POWER = ActivationIR.from_dict({"version": 1, "nodes": [  # x^5
    {"op": "aten.mul.Tensor", "args": [{"ref": 0}, {"ref": 0}], "kwargs": {}},
    {"op": "aten.mul.Tensor", "args": [{"ref": 1}, {"ref": 1}], "kwargs": {}},
    {"op": "aten.mul.Tensor", "args": [{"ref": 2}, {"ref": 0}], "kwargs": {}}],
    "output": {"ref": 3}})


def test_batched_multi_candidate_training_equals_one_at_a_time():
    spec = TrainSpec(hidden=16, steps=120, n_train=48, n_test=40)
    tasks = get_tasks(MIXED)
    acts = [F.gelu, torch.tanh, torch.log, torch.sin, lambda x: torch.exp(2 * x)]
    together = train_many(acts, tasks, (0, 3), spec)
    for act, batched in zip(acts, together):
        alone = train_batched(act, tasks, (0, 3), spec)
        assert batched.steps_done == alone.steps_done
        if alone.steps_done == spec.steps:  # trained to the end: the very same numbers
            assert np.array_equal(batched.train_mse, alone.train_mse, equal_nan=True)
            assert np.array_equal(batched.test_mse, alone.test_mse, equal_nan=True)
    # log diverges at once (NaN for x < 0), exp(2x) once the recurrent cell compounds it;
    # the others train on to the end beside them.
    assert [r.steps_done for r in together] == [spec.steps] * 2 + [0, spec.steps, 0]


def test_evaluate_many_gives_every_candidate_its_verdict_alone(tiny_lab):
    # Short-stage fitness here: GELU -0.02, ReLU 0, sin +0.003 pass; tanh +0.011, x^5 +0.037 not.
    config = replace(tiny_lab, short_threshold=0.005)
    irs = [GELU, TANH, LOG, SIN, FIFTH_POWER, lab.relu_ir()]
    together = lab.evaluate_many(irs, config)
    assert [e.batch for e in together] == [len(irs)] * len(irs)
    for ir, batched in zip(irs, together):
        alone = lab.evaluate(ir, config)
        assert (batched.ir_hash, batched.status, batched.stage, batched.fitness) == \
            (alone.ir_hash, alone.status, alone.stage, alone.fitness)
        assert [s.fitness for s in batched.stages] == [s.fitness for s in alone.stages]
    statuses = {e.status for e in together}
    assert {"ok", "pruned", "non_finite"} <= statuses
    assert together[2].stage == "probe"


def test_memory_check_cuts_a_batch_to_what_free_memory_holds():
    cpu = torch.device("cpu")
    free = batching.free_bytes(cpu)
    assert free and free > 0
    assert batching.fitting_batch(64, free // 4, cpu) == int(4 * batching.MEMORY_HEADROOM)
    assert batching.fitting_batch(64, free * 10, cpu) == 1  # never below one
    assert batching.fitting_batch(3, 1, cpu) == 3
    small = TrainSpec(hidden=8, n_train=16, n_test=16)
    assert batching.candidate_bytes(TrainSpec(), 36, 5) > 10 * batching.candidate_bytes(small, 36, 5)
    # A lab's estimate: its MLP tasks as above, plus the recurrent cells' states per step.
    mlp, seq = get_tasks(["square", "sine"]), get_tasks(["square", "sine", "running_sum"])
    assert batching.lab_candidate_bytes(mlp, 3, TrainSpec(), 5) == batching.candidate_bytes(
        TrainSpec(), 6, 5)
    assert batching.lab_candidate_bytes(seq, 3, TrainSpec(), 5) > 1.5 * batching.lab_candidate_bytes(
        mlp, 3, TrainSpec(), 5)


OOM_SCRIPT = textwrap.dedent("""
    import json, logging, resource, sys
    import torch
    from actmine.evaluators import batching, lab
    from actmine.sandbox.ir import ActivationIR
    from actmine.evaluators.lab import LabConfig
    from actmine.evaluators.trainer import TrainSpec

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    gelu = ActivationIR.from_dict({"version": 1, "nodes": [
        {"op": "aten.gelu.default", "args": [{"ref": 0}], "kwargs": {}}], "output": {"ref": 1}})
    config = LabConfig(tasks=("square", "sine"), seeds=(0,), cascade=False,
                       train=TrainSpec(hidden=256, steps=3, n_train=16384, n_test=64))
    refs = lab.compute_references(config)  # ReLU's reference, before memory gets tight
    # About 60 MB of activations per candidate: give the process room for two of them.
    vm = int(open("/proc/self/status").read().split("VmSize:")[1].split()[0]) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (vm + 320 * 1024**2, resource.RLIM_INFINITY))
    results = lab.evaluate_many([gelu] * 8, config, refs)
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    alone = lab.evaluate(gelu, config, refs)
    print(json.dumps({"statuses": [r.status for r in results],
                      "same": all(r.fitness == alone.fitness for r in results),
                      "cap": batching.learned_cap("cpu")}))
""")


def test_out_of_memory_splits_the_batch_instead_of_failing(tmp_path):
    """A real allocation failure (the address space is capped so that eight candidates do
    not fit at once): the batch is halved until it fits, every candidate still gets its
    own result, and the smaller size is kept for later batches."""
    script = tmp_path / "oom.py"
    script.write_text(OOM_SCRIPT)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["statuses"] == ["ok"] * 8 and result["same"]
    assert result["cap"] is not None and 1 <= result["cap"] < 8
    assert "out of memory training 8 candidates at once" in done.stderr


def test_executor_joins_concurrent_evaluations_into_batches(tiny_lab):
    irs = [GELU, TANH, SIN, LOG, lab.relu_ir(), FIFTH_POWER]
    executor = LocalExecutor(ExecutorConfig(workers=1, candidates_per_batch=3,
                                            batch_wait_seconds=0.5))

    async def go():
        refs = await executor.references(tiny_lab)
        results = [None] * len(irs)

        async def one(i):
            results[i] = await executor.evaluate(irs[i], tiny_lab, refs)

        async with executor, anyio.create_task_group() as tg:
            for i in range(len(irs)):
                tg.start_soon(one, i)
        return results

    results = anyio.run(go)
    assert executor.batches == 2 and executor.evaluated == 6
    assert [e.batch for e in results] == [3] * 6
    for ir, batched in zip(irs, results):
        alone = lab.evaluate(ir, tiny_lab)
        assert (batched.ir_hash, batched.status, batched.fitness) == \
            (alone.ir_hash, alone.status, alone.fitness)
    assert 0 < executor.utilisation() <= 1


def _worker_pids() -> list[int]:
    """anyio's worker processes, children of this test process."""
    me, pids = os.getpid(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if parent == me and b"anyio.to_process" in cmdline:
            pids.append(int(entry))
    return pids


def test_a_local_worker_killed_mid_task_is_retried(tiny_lab):
    config = replace(tiny_lab, cascade=False, train=replace(tiny_lab.train, steps=3000))
    retries = []
    executor = LocalExecutor(ExecutorConfig(workers=1), on_retry=lambda *a: retries.append(a))

    async def go():
        refs = await executor.references(config)
        async with anyio.create_task_group() as tg:
            async def killer():
                while not (pids := _worker_pids()):
                    await anyio.sleep(0.05)
                await anyio.sleep(0.5)  # mid-training
                os.kill(pids[0], signal.SIGKILL)

            tg.start_soon(killer)
            evaluation = await executor.evaluate(GELU, config, refs)
            tg.cancel_scope.cancel()
        return evaluation

    evaluation = anyio.run(go)
    assert evaluation.status == "ok"
    assert evaluation.fitness == lab.evaluate(GELU, config).fitness
    assert executor.retries == 1 and retries[0][0] == "evaluation"
