"""Which OS layers this machine really provides, measured rather than assumed.

Runs in the zygote (root of the candidate tree) after warm-up: a throwaway child applies
the whole stack exactly as a candidate would, checks each layer bites (a socket is
refused, /etc cannot be read, the uid changed) and then traces a sample function, because
a layer that breaks tracing (say Landlock hiding a library torch loads lazily) is no use.
If the full stack breaks tracing, layers are dropped one at a time, loudly.
"""

from __future__ import annotations

import errno
import json
import os

from . import landlock, protections, uids

# Dropped in this order when the full stack breaks tracing (least essential first).
OPTIONAL = ("landlock", "uid_drop", "seccomp", "network_namespace")


def probe(probe_uid: int | None, sample) -> dict[str, dict]:
    """{layer: {"ok": bool, "detail": str}} for every layer in protections.LAYERS."""
    report: dict[str, dict] = {}
    uid_state = uids.availability()
    skip: set[str] = set()
    if probe_uid is None or not uid_state.ok:
        skip.add("uid_drop")
    for _ in range(len(OPTIONAL) + 1):
        result = _probe_once(probe_uid, skip, sample)
        if result.get("sample") == "ok":
            break
        broken = next((name for name in OPTIONAL if name not in skip
                       and result.get(name, {}).get("ok")), None)
        if broken is None:
            break
        skip.add(broken)
        report[broken] = {"ok": False, "detail": "available but breaks tracing here "
                                                 f"({result.get('sample')}); left off"}
    for name in protections.LAYERS:
        if name == "uid_drop" and name not in result and name not in report:
            report[name] = {"ok": False, "detail": uid_state.detail}
        report.setdefault(name, result.get(name, {"ok": False, "detail": "not probed"}))
    report["subreaper"] = {"ok": protections.set_child_subreaper(),
                           "detail": "prctl(PR_SET_CHILD_SUBREAPER)"}
    if result.get("sample") != "ok":
        report["tracing"] = {"ok": False, "detail": f"tracing fails in the sandbox: "
                                                    f"{result.get('sample')}"}
    return report


def _probe_once(uid: int | None, skip: set[str], sample) -> dict:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the throwaway child
        os.close(read_fd)
        try:
            result = _apply_and_check(uid, skip, sample)
        except BaseException as exc:  # noqa: BLE001 - report, never raise in a fork
            result = {"sample": f"probe failed: {type(exc).__name__}: {exc}"}
        os.write(write_fd, json.dumps(result).encode()[:65536])
        os._exit(0)
    os.close(write_fd)
    data = b""
    while chunk := os.read(read_fd, 65536):
        data += chunk
    os.close(read_fd)
    os.waitpid(pid, 0)
    try:
        return json.loads(data)
    except ValueError:
        return {"sample": "the probe child died"}


def _layer(ok: bool, detail: str) -> dict:
    return {"ok": bool(ok), "detail": detail}


def _apply_and_check(uid: int | None, skip: set[str], sample) -> dict:  # pragma: no cover
    out: dict[str, dict] = {}
    try:
        protections.new_session()
        out["setsid"] = _layer(os.getsid(0) == os.getpid(), "setsid()")
    except OSError as exc:
        out["setsid"] = _layer(False, f"setsid failed: {exc}")
    refused = protections.apply_rlimits(30, 4 * 1024**3,
                                        8 if "uid_drop" not in skip else None)
    out["rlimits"] = _layer(not refused, "refused: " + ", ".join(refused) if refused
                            else "cpu, as, fsize, nofile, core" +
                            (", nproc" if "uid_drop" not in skip else ""))
    netns = "network_namespace" not in skip and protections.unshare_network()
    out["network_namespace"] = _layer(netns, "unshare(CLONE_NEWNET)" if netns else
                                      "unshare(CLONE_NEWNET) refused (needs CAP_SYS_ADMIN); "
                                      "seccomp and Landlock still deny sockets")
    abi = landlock.abi_version()
    if "landlock" in skip:
        out["landlock"] = _layer(False, "left off")
    elif abi < 1:
        out["landlock"] = _layer(False, "kernel has no Landlock (needs 5.13+ with landlock "
                                        "in the LSM list)")
    else:
        try:
            protections.apply_landlock()
            blocked = _denied("/etc")
            out["landlock"] = _layer(blocked, f"ABI {abi}" if blocked
                                     else f"ABI {abi} loaded but /etc is still readable")
        except OSError as exc:
            out["landlock"] = _layer(False, f"ABI {abi} but restrict failed: {exc}")
    if "uid_drop" not in skip and uid is not None:
        try:
            protections.drop_privileges(uid)
            out["uid_drop"] = _layer(True, f"uid {uids.UID_BASE}-"
                                           f"{uids.UID_BASE + uids.SLOTS - 1}, RLIMIT_NPROC 8")
        except OSError as exc:
            out["uid_drop"] = _layer(False, f"setuid({uid}) failed: {exc}")
    if "seccomp" in skip:
        out["seccomp"] = _layer(False, "left off")
    elif not protections.seccomp_available():
        out["seccomp"] = _layer(False, "pyseccomp or libseccomp.so.2 is missing "
                                       "(apt-get install libseccomp2)")
    else:
        try:
            protections.apply_seccomp()
            # mkdir is denied with EPERM before the path is looked up; without the filter
            # this path gives ENOENT. (socket() would now kill the probe outright.)
            try:
                os.mkdir("/nonexistent-actmine-probe/dir")
                out["seccomp"] = _layer(False, "filter loaded but mkdir still works")
            except OSError as exc:
                ok = exc.errno == errno.EPERM
                out["seccomp"] = _layer(ok, "deny-list loaded (clone3 -> ENOSYS)" if ok else
                                        f"filter loaded but mkdir gave {exc.strerror}")
        except Exception as exc:  # noqa: BLE001
            out["seccomp"] = _layer(False, f"loading the filter failed: {exc}")
    try:
        sample()
        out["sample"] = "ok"
    except BaseException as exc:  # noqa: BLE001
        out["sample"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    return out


def _denied(directory: str) -> bool:
    try:
        os.close(os.open(directory, os.O_RDONLY | os.O_DIRECTORY))
    except PermissionError:
        return True
    return False
