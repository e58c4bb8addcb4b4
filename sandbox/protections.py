"""OS-level protections applied inside each candidate process, right after fork.

Order matters (see ../shared/reference/sandbox-and-flops.md §2.11): session and
parent-death signal, fds, rlimits, network namespace, then seccomp last (it forbids the
syscalls the earlier steps need). Each protection reports whether it took effect, so
missing ones are announced loudly (zygote hello, `actmine doctor`) and never silently.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
CLONE_NEWNET = 0x40000000
CLONE_THREAD = 0x00010000

_libc = ctypes.CDLL(None, use_errno=True)

try:  # optional: the seccomp layer needs libseccomp.so.2 and the pyseccomp binding
    import pyseccomp as _seccomp
except Exception:  # noqa: BLE001 - any import failure means "not available"
    _seccomp = None


def prctl(option: int, arg: int) -> bool:
    return _libc.prctl(option, arg, 0, 0, 0) == 0


def set_child_subreaper() -> bool:
    """Orphans of candidates are re-parented to us, so we can reap them."""
    return prctl(PR_SET_CHILD_SUBREAPER, 1)


def die_with_parent(expected_parent: int) -> None:
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != expected_parent:  # parent died before prctl took effect
        os._exit(70)


def close_fds_except(keep: set[int]) -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if fd not in keep:
            os.dup2(devnull, fd)
    os.close(devnull)
    low = 3
    for fd in sorted(k for k in keep if k >= 3):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)


def apply_rlimits(cpu_seconds: int, address_space_bytes: int | None) -> None:
    limits = [
        (resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1)),
        (resource.RLIMIT_FSIZE, (0, 0)),
        (resource.RLIMIT_NOFILE, (64, 64)),
        (resource.RLIMIT_CORE, (0, 0)),
    ]
    if address_space_bytes:
        limits.append((resource.RLIMIT_AS, (address_space_bytes, address_space_bytes)))
    for which, value in limits:
        try:
            resource.setrlimit(which, value)
        except (ValueError, OSError):
            pass
    # A write past FSIZE raises EFBIG instead of killing us silently.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def unshare_network() -> bool:
    """An empty network namespace: no route anywhere. Needs CAP_SYS_ADMIN."""
    return _libc.unshare(CLONE_NEWNET) == 0


def seccomp_available() -> bool:
    return _seccomp is not None


_DENY = [
    # network
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "sendto",
    "sendmsg", "sendmmsg",
    # processes and privileges
    "fork", "vfork", "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev",
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "kexec_load", "bpf",
    "perf_event_open", "keyctl", "add_key", "request_key", "init_module", "finit_module",
    "delete_module", "open_by_handle_at", "userfaultfd", "io_uring_setup", "memfd_create",
    "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "kill", "tkill",
    "tgkill", "seccomp",
    # filesystem mutation
    "mkdir", "mkdirat", "unlink", "unlinkat", "rename", "renameat", "renameat2", "link",
    "linkat", "symlink", "symlinkat", "chmod", "fchmod", "fchmodat", "chown", "fchown",
    "lchown", "fchownat", "truncate", "ftruncate", "mknod", "mknodat", "creat", "utimensat",
]


def apply_seccomp() -> bool:
    """Default-allow filter that denies network, process creation and file writes."""
    if _seccomp is None:
        return False
    s = _seccomp
    f = s.SyscallFilter(defaction=s.ALLOW)
    deny = s.ERRNO(errno.EPERM)
    for name in _DENY:
        try:
            f.add_rule(deny, name)
        except Exception:  # noqa: BLE001 - syscall absent on this architecture
            continue
    # Threads (CLONE_THREAD) stay allowed so torch and Python threads work; new processes do not.
    f.add_rule(deny, "clone", s.Arg(0, s.MASKED_EQ, CLONE_THREAD, 0))
    # glibc falls back to clone only when clone3 says ENOSYS (EPERM breaks thread creation).
    f.add_rule(s.ERRNO(errno.ENOSYS), "clone3")
    write_flags = (os.O_WRONLY, os.O_RDWR, os.O_CREAT, os.O_TRUNC, os.O_APPEND)
    for flag in write_flags:
        f.add_rule(deny, "openat", s.Arg(2, s.MASKED_EQ, flag, flag))
        try:
            f.add_rule(deny, "open", s.Arg(1, s.MASKED_EQ, flag, flag))
        except Exception:  # noqa: BLE001
            pass
    try:
        f.add_rule(deny, "openat2")  # its flags live in a struct seccomp cannot read
    except Exception:  # noqa: BLE001
        pass
    f.load()  # sets no_new_privs first
    return True


def probe() -> dict[str, bool]:
    """What this machine allows, measured in a throwaway child (used by doctor and the zygote)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(read_fd)
        result = {
            "setsid": _try(os.setsid),
            "rlimits": _try(lambda: apply_rlimits(5, None)),
            "network_namespace": unshare_network(),
            "seccomp": False,
        }
        try:
            result["seccomp"] = apply_seccomp()
            if result["seccomp"]:
                import socket
                try:
                    socket.socket()
                    result["seccomp"] = False
                except PermissionError:
                    pass
        except Exception:  # noqa: BLE001
            result["seccomp"] = False
        os.write(write_fd, ",".join(k for k, v in result.items() if v).encode())
        os._exit(0)
    os.close(write_fd)
    data = b""
    while chunk := os.read(read_fd, 4096):
        data += chunk
    os.close(read_fd)
    os.waitpid(pid, 0)
    found = set(data.decode().split(","))
    return {k: k in found for k in ("setsid", "rlimits", "network_namespace", "seccomp")}


def _try(fn) -> bool:
    try:
        fn()
        return True
    except Exception:  # noqa: BLE001
        return False
