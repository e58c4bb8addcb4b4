"""The ``actmine`` command line (typer): one module per group of commands, all registered
on one app (app.py). User errors are one line on stderr and exit code 2 (errors.py); a
rejected candidate in ``check``/``eval`` exits 1.

    admission   check, flops            doctor      doctor
    evaluate    eval                    baselines   baselines
    search      search, daemon          runs        status, report, export
    transfer    transfer                llm         llm serve/check, prompts copy
    bench       bench admission/lab/pipeline/search/report
"""

from __future__ import annotations

from . import (  # noqa: F401 - importing a command module registers its commands
    admission,
    baselines,
    bench,
    doctor,
    evaluate,
    llm,
    runs,
    search,
    transfer,
)
from .app import app


def main() -> None:
    app()
