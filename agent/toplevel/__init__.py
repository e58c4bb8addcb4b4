"""actmine: mine activation functions that generalise out of distribution.

The Python API (implemented in actmine.agent.api; docs/api.md shows a session)::

    import actmine

    admission = actmine.check(source)              # the sandbox's verdict, IR, FLOPs
    evaluation = actmine.evaluate(source)          # lab fitness; raises actmine.Rejected
    results = actmine.baselines(["GELU", "ReLU"])  # known activations through the lab
    summary = actmine.search("runs/nb", budget=20) # blocking; search_async in a running loop
    run = actmine.load_run("runs/nb")              # leaderboard, lineage, best as nn.Module

This file is the ``actmine`` package itself (pyproject maps it here: the repository root
holds only the product's folders). Names load on first use, so importing a subpackage,
as the sandbox's processes do, never pulls in the orchestrator.
"""

from __future__ import annotations

__all__ = ["ActivationModule", "Rejected", "Run", "baselines", "check", "evaluate", "load_run",
           "search", "search_async", "settings"]


def __getattr__(name: str):
    if name in __all__:
        from actmine.agent import api

        return getattr(api, name)
    raise AttributeError(f"module 'actmine' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
