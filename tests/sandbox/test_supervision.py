"""The supervisor's own machinery: uid leases, the sweep, the loud warning, parent death,
and the fresh-interpreter path (which must reach the same verdicts as the zygote)."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import pytest
from actmine.sandbox import AdmissionConfig, admit, supervisor, uids
from actmine.sandbox.fresh import FreshInterpreter
from actmine.sandbox.reasons import Category, Rejection
from actmine.sandbox.supervisor import SandboxLimits, Zygote
from sandbox_corpus import CORPUS, assert_no_survivors, survivors

root_only = pytest.mark.skipif(not uids.availability().ok, reason=uids.availability().detail)


@root_only
def test_uid_leases_are_exclusive_even_across_pools():
    # flock locks belong to open files, so two pools behave like two processes.
    first, second = uids.UidPool(), uids.UidPool()
    held = [first.acquire() for _ in range(3)]
    other = second.acquire()
    assert other.uid not in {lease.uid for lease in held}
    assert all(uids.is_sandbox_uid(lease.uid) for lease in held + [other])
    for lease in held + [other]:
        lease.release()


def test_sweep_refuses_uids_outside_the_sandbox_range():
    with pytest.raises(ValueError):
        uids.sweep(os.getuid() if not uids.is_sandbox_uid(os.getuid()) else 0)


def test_missing_protections_are_announced_once(caplog, monkeypatch):
    monkeypatch.setattr(supervisor, "_warned", False)
    report = {"seccomp": {"ok": False, "detail": "libseccomp missing"},
              "setsid": {"ok": True, "detail": ""}}
    with caplog.at_level(logging.WARNING, logger="actmine.sandbox"):
        supervisor.warn_missing_once(report)
        supervisor.warn_missing_once(report)
    messages = [r.getMessage() for r in caplog.records if r.name == "actmine.sandbox"]
    assert len(messages) == 1
    assert "seccomp: libseccomp missing" in messages[0] and "actmine doctor" in messages[0]


def test_a_candidate_dies_with_its_zygote_and_the_zygote_comes_back():
    zygote = Zygote()
    zygote.start()
    errors: list[BaseException] = []

    def spin():
        try:
            zygote.run({"source": "def activation(x):\n    while True:\n        pass\n",
                        "probe_seed": 1}, SandboxLimits(wall_seconds=20, cpu_seconds=30))
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    thread = threading.Thread(target=spin)
    thread.start()
    deadline = time.monotonic() + 10
    while not survivors(zygote.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    candidates = survivors(zygote.pid)
    assert candidates, "the candidate never started"
    old_pid = zygote.pid
    os.kill(old_pid, signal.SIGKILL)
    # PR_SET_PDEATHSIG: the orphaned candidate is killed by the kernel at once.
    pids = [int(entry.split()[0]) for entry in candidates]
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in pids)
    thread.join(30)
    assert errors and isinstance(errors[0], Rejection | supervisor.ZygoteError)
    verdict = admit("import torch\n\ndef activation(x):\n    return torch.relu(x)\n",
                    AdmissionConfig(), zygote)
    assert verdict.admitted and zygote.pid != old_pid
    zygote.close()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return not any(line.startswith("State:") and "Z" in line.split()[1:2]
                           for line in fh)
    except OSError:
        return False


def test_fresh_interpreter_reaches_the_same_verdicts():
    zygote = supervisor.shared_zygote()
    zygote.start()
    fresh = FreshInterpreter(zygote.protections)
    config = AdmissionConfig(limits=SandboxLimits(wall_seconds=5, cpu_seconds=5))
    for name, category in (("valid/gelu_sine", None), ("adversarial/batch_mean", "not_pointwise")):
        source = (CORPUS / f"{name}.py").read_text()
        a, b = admit(source, config, zygote), admit(source, config, fresh)
        assert (a.category, a.ir_hash) == (b.category, b.ir_hash) and a.category == category
    assert Category.ESCAPE.value == "escape"


def test_concurrent_admissions_get_their_own_verdicts():
    from concurrent.futures import ThreadPoolExecutor

    sources = {name: (CORPUS / f"{name}.py").read_text()
               for name in ("valid/gelu_sine", "valid/mish", "adversarial/batch_mean",
                            "adversarial/nan_at_zero", "valid/gmtu", "adversarial/roll_neighbour")}
    with ThreadPoolExecutor(4) as pool:
        verdicts = dict(zip(sources, pool.map(admit, sources.values())))
    assert verdicts["valid/gelu_sine"].flops == 22 and verdicts["valid/mish"].flops == 27
    assert verdicts["valid/gmtu"].admitted
    assert verdicts["adversarial/batch_mean"].category == "not_pointwise"
    assert verdicts["adversarial/nan_at_zero"].category == "non_finite"
    assert verdicts["adversarial/roll_neighbour"].category == "not_pointwise"
    assert_no_survivors(supervisor.shared_zygote().pid)
