"""The candidate process: forked from the zygote, hardened, runs the proposal exactly once.

Everything here before ``_run_candidate`` is trusted code running in the fresh fork; the
OS layers are applied by ``protections.harden`` before any candidate code runs. The result
leaves only through ``result_fd`` as one length-prefixed, size-capped JSON object carrying
the supervisor's nonce; stdout and stderr go to /dev/null, so printed "results" mean
nothing, and the parent re-checks whatever arrives (a forged result can only name a
pointwise IR that passes the parent's own checks).
"""

from __future__ import annotations

import json
import math
import os
import sys

import torch
import torch.nn.functional as F

from . import checker, protections
from .probes import report
from .reasons import Category, Rejection, one_line
from .trace_graph import materialise_constants, trace  # noqa: F401 - warmed in the zygote

RESULT_CAP = 256 * 1024
SAFE_BUILTIN_NAMES = ("abs", "min", "max", "float", "int", "bool", "range", "round", "pow", "sum")
_AUDIT_BLOCK_PREFIXES = (
    "socket.", "subprocess.", "os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork",
    "os.forkpty", "os.kill", "os.killpg", "pty.", "ctypes.", "os.remove", "os.rename",
    "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate", "os.link", "os.symlink",
    "shutil.", "sys.settrace", "sys.setprofile",
    "pickle.find_class", "import", "urllib.", "http.", "webbrowser.", "os.putenv",
    "os.unsetenv", "mmap.", "signal.", "sys.addaudithook", "cpython.run_", "os.listdir",
    "os.scandir", "glob.", "sqlite3.", "code.", "pdb", "builtins.input", "gc.get_",
    "sys._current_frames", "function.__new__", "resource.", "os.setpriority", "os.sched_",
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_IMPORT_ALLOWED_PREFIXES = ("torch", "sympy", "mpmath", "functorch", "math", "numpy", "typing",
                            "collections", "functools", "itertools", "operator", "dataclasses",
                            "contextlib", "enum", "abc", "warnings", "weakref", "copy", "re",
                            "traceback", "linecache", "inspect", "dis", "opcode", "tokenize",
                            "token", "textwrap", "string", "keyword", "ast")


class _Sandboxed:
    def __init__(self, result_fd: int, nonce: str):
        self.result_fd = result_fd
        self.nonce = nonce
        self.sent = False

    def send(self, payload: dict) -> None:
        if self.sent:
            return
        self.sent = True
        payload["nonce"] = self.nonce
        data = json.dumps(payload, allow_nan=True).encode()
        if len(data) > RESULT_CAP:
            data = json.dumps({"nonce": self.nonce, "status": "reject", "category": "crashed",
                               "reason": "result too large"}).encode()
        # Length-prefixed, so the supervisor stops reading at the end of the result instead
        # of waiting for an EOF that a forked descendant holding the fd could delay.
        view = memoryview(len(data).to_bytes(8, "big") + data)
        while view:
            written = os.write(self.result_fd, view)
            view = view[written:]

    def trip(self, event: str, detail: str) -> None:
        """Audit-hook trip-wire: report the escape attempt, then die at once."""
        self.send({"status": "reject", "category": Category.ESCAPE.value,
                   "reason": one_line(f"tried to use {event} ({detail}); activation functions "
                                      f"may only compute on x with torch and math")})
        os._exit(3)


def run(request: dict, result_fd: int, parent_pid: int) -> None:
    """Entry point in the forked child (or a fresh interpreter). Never returns."""
    box = _Sandboxed(result_fd, request["nonce"])
    try:
        protections.harden(request, result_fd, parent_pid)
    except BaseException as exc:  # noqa: BLE001 - never run a candidate half-protected
        box.send({"status": "reject", "category": Category.CRASHED.value,
                  "reason": one_line(f"the sandbox could not be set up ({type(exc).__name__}: "
                                     f"{exc}); this is not the candidate's fault")})
        os._exit(0)
    try:
        if "check" in request:  # our own checks on a rebuilt IR: no candidate code here
            payload = checker.run(request["check"])
        else:
            if request.get("audit_hook", True):
                _install_audit_hook(box)
            payload = _run_candidate(request)
    except Rejection as rej:
        payload = {"status": "reject", "category": rej.category.value, "reason": rej.reason}
    except MemoryError:
        payload = _out_of_memory()
    except RecursionError:
        payload = {"status": "reject", "category": Category.CRASHED.value,
                   "reason": "recursion too deep; helpers must not call themselves"}
    except BaseException as exc:  # noqa: BLE001 - SystemExit etc. must not look like success
        if "allocate" in str(exc) or "out of memory" in str(exc).lower():
            payload = _out_of_memory()
        elif "ZeroDivisionError" in str(exc):
            payload = {"status": "reject", "category": Category.NON_FINITE.value,
                       "reason": "an integer division by zero happens for some inputs; "
                                 "divide floats"}
        else:
            payload = {"status": "reject", "category": Category.CRASHED.value,
                       "reason": one_line(f"{type(exc).__name__}: {exc}")}
    box.send(payload)
    os._exit(0)  # no atexit hooks, no finalisers of candidate objects


def _out_of_memory() -> dict:
    return {"status": "reject", "category": Category.MEMORY.value,
            "reason": "ran out of memory; avoid huge intermediate tensors and numbers"}


def _install_audit_hook(box: _Sandboxed) -> None:
    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = (args + (None, None, None))[:3]
            writing = isinstance(mode, str) and any(c in mode for c in "wax+")
            # os.open reports mode None and its intent in flags
            if writing or (isinstance(flags, int) and flags & _WRITE_FLAGS):
                box.trip("open for writing", str(path)[:80])
            if isinstance(path, (str, bytes)) and not _readable(path):
                box.trip("open", str(path)[:80])
            return
        if event == "import":
            name = str(args[0]) if args else ""
            if name in sys.modules or name.startswith(_IMPORT_ALLOWED_PREFIXES):
                return
            box.trip("import", name)
        if event.startswith(_AUDIT_BLOCK_PREFIXES):
            box.trip(event, repr(args)[:80])

    sys.addaudithook(hook)


_READ_PREFIXES = tuple({sys.prefix, sys.base_prefix, os.path.dirname(torch.__file__),
                        os.path.dirname(os.path.dirname(torch.__file__)),
                        os.path.dirname(os.path.dirname(os.__file__)),
                        os.path.dirname(os.path.abspath(__file__))})


def _readable(path) -> bool:
    full = os.path.realpath(os.fsdecode(path))  # resolved first: /proc/self/fd/../.. too
    if full == "/dev/null":
        return True
    return full.endswith((".py", ".pyc", ".so", ".json")) and full.startswith(_READ_PREFIXES)


def _restricted_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
    if level == 0 and name in ("torch", "math", "torch.nn", "torch.nn.functional"):
        if name == "math":
            return math
        if fromlist and name == "torch.nn.functional":
            return F
        return torch if not fromlist or name == "torch" else torch.nn
    raise ImportError(f"import of {name!r} is not allowed")


def _safe_builtins() -> dict:
    import builtins

    table = {name: getattr(builtins, name) for name in SAFE_BUILTIN_NAMES}
    table["__import__"] = _restricted_import
    return table


def _run_candidate(request: dict) -> dict:
    namespace = {"__builtins__": _safe_builtins(), "__name__": "candidate"}
    code = compile(request["source"], "<candidate>", "exec", dont_inherit=True)
    exec(code, namespace)  # noqa: S102 - this is the sandbox; the source passed static admission
    fn = namespace.get("activation")
    if type(fn).__name__ != "function":
        raise Rejection(Category.FORBIDDEN, "'activation' must be a plain function")

    ir = trace(fn, int(request.get("max_nodes", 64)))
    _check_mode_stacks()
    # The source's values and gradients on the probes: the IR must reproduce both.
    probes = report(fn, int(request["probe_seed"]))
    _check_mode_stacks()
    return {"status": "ok", "ir": ir, **probes}


def _check_mode_stacks() -> None:
    from torch.overrides import _get_current_function_mode_stack
    from torch.utils._python_dispatch import _get_current_dispatch_mode_stack

    if _get_current_function_mode_stack() or _get_current_dispatch_mode_stack():
        raise Rejection(Category.ESCAPE, "left a torch function/dispatch mode active")
