"""OS-level protections applied inside each candidate process, right after fork.

Order matters (reference/sandbox-and-flops.md §2.11): session, fds, rlimits, network
namespace, Landlock, the uid drop, the parent-death signal (a credential change clears
it, so it is set again after the drop), then seccomp last (it forbids the syscalls the
earlier steps need). ``probe`` measures in a throwaway child which layers this machine
really provides; missing ones are announced loudly once (supervisor) and by
``actmine doctor``, never silently.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import tempfile

from . import landlock

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
CLONE_NEWNET = 0x40000000
CLONE_THREAD = 0x00010000

# The OS layers, outermost first, and what a missing one means (for doctor and warnings).
LAYERS = {
    "setsid": "own session and process group, so a deadline kills every process it made",
    "rlimits": "CPU seconds, address space, file size 0, 64 fds, no core dumps",
    "uid_drop": "runs as a dedicated unprivileged uid (not root), so RLIMIT_NPROC applies "
                "and leftovers are swept by uid",
    "network_namespace": "an empty network namespace: no route anywhere",
    "landlock": "kernel-enforced read-only access to the interpreter and libraries only; "
                "no writes, no TCP, no signals outside",
    "seccomp": "syscall deny-list: sockets, fork/exec and ptrace kill the process; "
               "namespaces, signals to others, rlimits and file writes fail",
    "subreaper": "orphans are re-parented to the zygote and reaped",
}

_libc = ctypes.CDLL(None, use_errno=True)

try:  # optional: the seccomp layer needs libseccomp.so.2 and the pyseccomp binding
    import pyseccomp as _seccomp
except Exception:  # noqa: BLE001 - any import failure means "not available"
    _seccomp = None
_compiled: bytes | None = None


def prctl(option: int, arg: int) -> bool:
    return _libc.prctl(option, arg, 0, 0, 0) == 0


def set_child_subreaper() -> bool:
    """Orphans of candidates are re-parented to us, so we can reap them."""
    return prctl(PR_SET_CHILD_SUBREAPER, 1)


def new_session() -> None:
    """setsid, tolerating a process that already leads its session (fresh-interpreter path)."""
    try:
        os.setsid()
    except PermissionError:
        if os.getsid(0) != os.getpid():
            raise


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


def apply_rlimits(cpu_seconds: int, address_space_bytes: int | None,
                  max_processes: int | None = None) -> list[str]:
    """Set the limits; return the names of those the kernel refused."""
    limits = [
        ("cpu", resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1)),
        ("fsize", resource.RLIMIT_FSIZE, (0, 0)),
        ("nofile", resource.RLIMIT_NOFILE, (64, 64)),
        ("core", resource.RLIMIT_CORE, (0, 0)),
    ]
    if address_space_bytes:
        limits.append(("as", resource.RLIMIT_AS, (address_space_bytes, address_space_bytes)))
    if max_processes:  # only meaningful for a dedicated uid: it counts all of that uid's tasks
        limits.append(("nproc", resource.RLIMIT_NPROC, (max_processes, max_processes)))
    refused = []
    for name, which, value in limits:
        try:
            resource.setrlimit(which, value)
        except (ValueError, OSError):
            refused.append(name)
    # A write past FSIZE raises EFBIG instead of killing us silently.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return refused


def unshare_network() -> bool:
    """An empty network namespace: no route anywhere. Needs CAP_SYS_ADMIN."""
    return _libc.unshare(CLONE_NEWNET) == 0


def drop_privileges(uid: int) -> None:
    """Become uid:uid with no supplementary groups; root's capabilities go with it."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise PermissionError(f"could not drop to uid {uid}")


def apply_landlock() -> int:
    return landlock.restrict(landlock.read_only_paths())


def seccomp_available() -> bool:
    return _seccomp is not None


# Calls nothing in a candidate process makes unless it is trying to get out: the process
# is killed on the spot (SIGSYS), so the verdict is "escape" even when the call came from
# C++ (a TCPStore socket), where the audit hook sees nothing.
_KILL = [
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    "fork", "vfork", "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev",
]
# Calls that fail with EPERM (libraries may probe some of them and cope).
_DENY = [
    "sendto", "sendmsg", "sendmmsg",
    # processes, signals and privileges
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "kexec_load",
    "kexec_file_load", "bpf", "perf_event_open", "keyctl", "add_key", "request_key",
    "init_module", "finit_module", "delete_module", "open_by_handle_at", "name_to_handle_at",
    "userfaultfd", "io_uring_setup", "memfd_create", "setuid", "setgid", "setreuid",
    "setregid", "setresuid", "setresgid", "setgroups", "setsid", "setpgid", "kill", "tkill",
    "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open", "pidfd_send_signal",
    "pidfd_getfd", "process_madvise", "process_mrelease", "kcmp", "seccomp", "setrlimit",
    "setpriority", "sched_setaffinity", "sched_setscheduler", "sched_setparam", "ioprio_set",
    "migrate_pages", "move_pages", "personality", "quotactl", "swapon", "swapoff", "reboot",
    "syslog", "acct", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "sethostname", "setdomainname", "iopl", "ioperm", "fanotify_init", "open_tree",
    "move_mount", "mount_setattr", "fsopen", "fsconfig", "fsmount", "fspick", "vhangup",
    # filesystem mutation
    "mkdir", "mkdirat", "unlink", "unlinkat", "rename", "renameat", "renameat2", "link",
    "linkat", "symlink", "symlinkat", "chmod", "fchmod", "fchmodat", "chown", "fchown",
    "lchown", "fchownat", "truncate", "ftruncate", "mknod", "mknodat", "creat", "utimensat",
]


def compile_seccomp() -> bytes | None:
    """The deny-list as a BPF program. Built once (the zygote does it before forking, since
    libseccomp's compile costs ~10 ms a candidate); None when pyseccomp is missing."""
    global _compiled
    if _seccomp is None:
        return None
    if _compiled is not None:
        return _compiled
    s = _seccomp
    f = s.SyscallFilter(defaction=s.ALLOW)
    deny, kill = s.ERRNO(errno.EPERM), s.KILL_PROCESS
    for action, names in ((kill, _KILL), (deny, _DENY)):
        for name in names:
            try:
                f.add_rule(action, name)
            except Exception:  # noqa: BLE001 - syscall absent on this architecture
                continue
    # Threads (CLONE_THREAD) stay allowed so torch and Python threads work; new processes do not.
    f.add_rule(kill, "clone", s.Arg(0, s.MASKED_EQ, CLONE_THREAD, 0))
    # getrlimit is prlimit64(0, r, NULL, old); setting any limit (here or on another process)
    # passes a new one.
    f.add_rule(deny, "prlimit64", s.Arg(2, s.NE, 0))
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
    with tempfile.TemporaryFile() as fh:
        f.export_bpf(fh)
        fh.seek(0)
        _compiled = fh.read()
    return _compiled


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def apply_seccomp() -> bool:
    """Load the default-allow filter that denies network, process creation and file writes."""
    program = compile_seccomp()
    if program is None:
        return False
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
    return True


def harden(request: dict, result_fd: int, parent_pid: int) -> None:
    """The whole stack, in order, in a fresh candidate process. Raises if a requested layer
    fails: a candidate never runs with less than the supervisor asked for."""
    new_session()
    die_with_parent(parent_pid)
    if request.get("seccomp"):
        compile_seccomp()  # cached in zygote children; needs a temp file, so before Landlock
    close_fds_except({result_fd})
    os.umask(0o077)
    os.chdir("/")
    uid = request.get("uid")
    refused = apply_rlimits(int(request.get("cpu_seconds", 10)),
                            request.get("address_space_bytes"),
                            int(request.get("max_processes", 8)) if uid is not None else None)
    if refused:
        raise PermissionError(f"rlimits refused: {', '.join(refused)}")
    if request.get("network_namespace") and not unshare_network():
        raise PermissionError("unshare(CLONE_NEWNET) failed")
    if request.get("landlock"):
        apply_landlock()
    if uid is not None:
        drop_privileges(int(uid))
        die_with_parent(parent_pid)  # the credential change cleared the death signal
    if request.get("seccomp") and not apply_seccomp():
        raise PermissionError("seccomp filter could not be loaded")
