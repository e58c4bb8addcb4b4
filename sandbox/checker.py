"""The parent's checks on a rebuilt IR, run in a sandboxed child of their own.

The IR is trusted data (the parent validated it), but replaying it is still work whose
size a candidate chose: an op replayed with an argument of 10**12, or one that allocates
gigabytes, would hang or bloat the parent. So the checks run in a zygote child, like the
candidate itself but without its Python, under the same deadline, CPU and memory limits;
whatever happens there becomes this candidate's verdict. The child reports the IR's
values and gradients on the probes; the parent compares them with the source's
(sandbox/agreement.py).
"""

from __future__ import annotations

from . import checks
from .ir import ActivationIR, IRError
from .probes import report
from .reasons import Category, Rejection, one_line


def run(request: dict) -> dict:
    """Runs in the checker's sandbox (sandbox/child.py dispatches here)."""
    seed = int(request["probe_seed"])
    try:
        ir = ActivationIR.from_dict(request["ir"])
        fn = ir.to_callable()
        checks.run_all(ir, fn, seed)
        return {"status": "ok", **report(fn, seed)}
    except Rejection:
        raise
    except IRError as exc:
        raise Rejection(Category.NOT_POINTWISE, f"the traced graph is not allowed: {exc}") from None
    except MemoryError:
        raise Rejection(Category.MEMORY, "replaying the traced graph ran out of memory") from None
    except RuntimeError as exc:
        if "ZeroDivisionError" in str(exc):
            raise Rejection(Category.NON_FINITE, "an integer division by zero happens for some "
                                                 "inputs; divide floats") from None
        raise Rejection(Category.CRASHED, one_line(
            f"replaying the traced graph failed: {type(exc).__name__}: {exc}")) from None
