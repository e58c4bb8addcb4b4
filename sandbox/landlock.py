"""Landlock: kernel-enforced, unprivileged filesystem (and TCP, and signal) restrictions.

Hand-written over three syscalls with ctypes instead of PyPI ``landlock``: the only release
(1.0.0.dev5) is a dev build whose errno handling reports spurious failures after one failed
rule (reference/sandbox-and-flops.md §2.5), and the whole API is the ~80 lines below.

The ABI is probed at runtime (kernel 5.13+ with ``landlock`` in the active LSM list); every
right the running kernel knows is *handled*, so anything not granted by a rule is denied:
read-only access beneath a few directories (the interpreter, site-packages, system
libraries), no writes anywhere, no TCP bind/connect (ABI 4+), no signals to or abstract
Unix sockets of processes outside the sandbox (ABI 6+).
"""

from __future__ import annotations

import ctypes
import os
import sys

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # same on every arch
CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

# Filesystem rights by the ABI that introduced them.
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_ABI1 = (1 << 13) - 1  # execute ... make_sym
_FS_BY_ABI = {1: _FS_ABI1, 2: _FS_ABI1 | 1 << 13, 3: _FS_ABI1 | 3 << 13,
              5: _FS_ABI1 | 7 << 13}  # + refer, truncate, ioctl_dev
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6
# Rights that make sense on a regular file (others on a file rule give EINVAL).
_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | 1 << 14 | 1 << 15

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # __attribute__((packed)) in <linux/landlock.h>
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class LandlockError(OSError):
    pass


def abi_version() -> int:
    """0 when the kernel has no Landlock (or it is not an active LSM)."""
    version = _libc.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0),
                            ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(0, int(version))


def _fs_rights(abi: int) -> int:
    return _FS_BY_ABI[max(k for k in _FS_BY_ABI if k <= abi)]


def read_only_paths() -> list[str]:
    """Directories a traced candidate may read: the interpreter, installed packages, libraries."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, here,
                  "/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib"}
    candidates.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    candidates.add(os.path.dirname(os.__file__))  # the stdlib
    real = {os.path.realpath(p) for p in candidates if p and os.path.isabs(p)}
    return sorted(p for p in real if os.path.isdir(p))


def restrict(read_dirs: list[str], read_files: tuple[str, ...] = ("/dev/null", "/dev/urandom"),
             abi: int | None = None) -> int:
    """Apply the ruleset to this process (irreversible). Returns the ABI used."""
    abi = abi_version() if abi is None else abi
    if abi < 1:
        raise LandlockError("Landlock is not available in this kernel")
    fs = _fs_rights(abi)
    attr = _RulesetAttr(fs, NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
                        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = _libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                            ctypes.c_uint32(0))
    if ruleset < 0:
        raise LandlockError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for path in read_dirs:
            _allow(ruleset, path, FS_READ_FILE | FS_READ_DIR)
        for path in read_files:
            if os.path.exists(path):
                _allow(ruleset, path, FS_READ_FILE & _FILE_RIGHTS)
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise LandlockError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS) failed")
        if _libc.syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise LandlockError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return abi


def _allow(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # vanished or unreadable: simply not granted
    try:
        rule = _PathBeneathAttr(rights, fd)
        if _libc.syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                         ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
            raise LandlockError(ctypes.get_errno(), f"landlock_add_rule({path}) failed")
    finally:
        os.close(fd)
