"""Each OS layer holds on its own: programs from the adversarial corpus run past the static
filter with the layers in front of the one under test switched off.

A test is skipped (with the reason) when this machine lacks the layer it exercises;
`actmine doctor` lists those. Everything else is real: real forks, sockets, files, signals.
"""

from __future__ import annotations

import time

import pytest
from actmine.sandbox import AdmissionConfig
from actmine.sandbox.admission import admit_unfiltered
from actmine.sandbox.landlock import abi_version
from actmine.sandbox.supervisor import SandboxLimits, shared_zygote
from sandbox_corpus import CORPUS, Arena, assert_no_survivors

CONFIG = AdmissionConfig(limits=SandboxLimits(wall_seconds=4.0, cpu_seconds=4))


@pytest.fixture(scope="module")
def zygote():
    z = shared_zygote()
    z.start()
    return z


@pytest.fixture
def arena(tmp_path):
    arena = Arena(tmp_path)
    yield arena
    arena.close()


def needs(zygote, *layers: str) -> None:
    missing = [name for name in layers if not zygote.protections.get(name)]
    if missing:
        pytest.skip(f"this machine lacks {', '.join(missing)} (see `actmine doctor`)")


def run(arena, name: str, without: tuple[str, ...], config=CONFIG):
    source = arena.fill((CORPUS / "adversarial" / f"{name}.py").read_text())
    return admit_unfiltered(source, config, without=without)


def test_seccomp_alone_stops_fork(zygote, arena):
    needs(zygote, "seccomp")
    verdict = run(arena, "fork_bomb", ("audit_hook",))
    assert verdict.category == "escape" and "system call" in verdict.reason, verdict.reason
    arena.assert_untouched(zygote.pid, verdict.to_dict())


def test_seccomp_alone_stops_a_cpp_socket_as_an_escape(zygote, arena):
    """TCPStore opens its socket in C++, where the audit hook sees nothing: seccomp kills
    the process, and that death is read as the escape it is, not as a crash."""
    needs(zygote, "seccomp")
    verdict = run(arena, "tcpstore_cpp_socket", ("audit_hook",))
    assert verdict.category == "escape" and "system call" in verdict.reason, verdict.reason
    arena.assert_untouched(zygote.pid, verdict.to_dict())


def test_uid_sweep_kills_a_daemon_that_left_the_process_group(zygote, arena):
    needs(zygote, "uid_drop")
    verdict = run(arena, "double_fork_daemon", ("audit_hook", "seccomp"))
    assert verdict.category == "escape" and "left" in verdict.reason, verdict.reason
    assert_no_survivors(zygote.pid)
    time.sleep(1.5)  # the daemon would have written by now
    arena.assert_untouched(zygote.pid, verdict.to_dict())


def test_nproc_bounds_a_fork_bomb_and_the_deadline_ends_it(zygote, arena):
    needs(zygote, "uid_drop")
    source = ("import torch\n\ndef activation(x):\n    while True:\n        try:\n"
              "            torch.os.fork()\n        except OSError:\n            pass\n")
    verdict = admit_unfiltered(source, AdmissionConfig(limits=SandboxLimits(2.0, 2)),
                               without=("audit_hook", "seccomp"))
    assert verdict.category in ("timeout", "escape", "crashed"), verdict.reason
    arena.assert_untouched(zygote.pid, verdict.to_dict())


def test_landlock_alone_stops_tcp_connect(zygote, arena):
    needs(zygote, "landlock")
    if abi_version() < 4:
        pytest.skip("Landlock ABI < 4 has no TCP rules")
    verdict = run(arena, "socket_via_subclasses", ("audit_hook", "seccomp", "network_namespace"))
    assert verdict.category == "crashed" and "Permission denied" in verdict.reason, verdict.reason
    arena.assert_untouched(zygote.pid, verdict.to_dict())


def test_network_namespace_alone_stops_tcp_connect(zygote, arena):
    needs(zygote, "network_namespace")
    verdict = run(arena, "socket_via_subclasses", ("audit_hook", "seccomp", "landlock"))
    assert verdict.category == "crashed", verdict.reason
    arena.assert_untouched(zygote.pid, verdict.to_dict())


def test_landlock_alone_stops_reads_the_audit_hook_cannot_see(zygote, arena):
    needs(zygote, "landlock")
    verdict = run(arena, "from_file_secret", ("uid_drop",))
    assert verdict.category == "crashed" and "Permission denied" in verdict.reason, verdict.reason
    arena.assert_untouched(zygote.pid, verdict.to_dict())


def test_uid_drop_alone_stops_reading_root_files(zygote, arena):
    needs(zygote, "uid_drop")
    for name, without in (("from_file_secret", ("landlock",)),
                          ("proc_environ_leak", ("landlock", "audit_hook"))):
        verdict = run(arena, name, without)
        assert verdict.category == "crashed", verdict.reason
        arena.assert_untouched(zygote.pid, verdict.to_dict())


def test_uid_drop_alone_stops_a_shared_mapping_write(zygote, arena):
    needs(zygote, "uid_drop")
    verdict = run(arena, "from_file_shared_write", ("landlock", "seccomp"))
    assert verdict.category == "crashed", verdict.reason
    arena.assert_untouched(zygote.pid, verdict.to_dict())


def test_seccomp_and_landlock_stop_writes_without_the_audit_hook(zygote, arena):
    needs(zygote, "seccomp")
    verdict = run(arena, "write_file", ("audit_hook",))
    assert verdict.category == "crashed", verdict.reason
    arena.assert_untouched(zygote.pid, verdict.to_dict())


def test_cpu_rlimit_ends_a_spin_before_a_generous_deadline(zygote, arena):
    needs(zygote, "rlimits")
    started = time.monotonic()
    verdict = run(arena, "infinite_loop", (),
                  AdmissionConfig(limits=SandboxLimits(wall_seconds=30.0, cpu_seconds=1)))
    assert verdict.category == "timeout" and "CPU" in verdict.reason, verdict.reason
    assert time.monotonic() - started < 20
    arena.assert_untouched(zygote.pid, verdict.to_dict())


def test_address_space_limit_turns_a_huge_allocation_into_memory(zygote, arena):
    needs(zygote, "rlimits")
    verdict = run(arena, "memory_bomb_empty", ("audit_hook",))
    assert verdict.category == "memory", verdict.reason
    arena.assert_untouched(zygote.pid, verdict.to_dict())


def test_a_forged_result_with_the_right_nonce_is_still_validated(zygote, arena):
    verdict = run(arena, "forged_result", ("audit_hook",))
    assert not verdict.admitted and verdict.category == "not_pointwise", verdict.reason
    assert "aten.mean" in verdict.reason
    arena.assert_untouched(zygote.pid, verdict.to_dict())
