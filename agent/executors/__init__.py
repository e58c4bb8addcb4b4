"""Executors: where admissions and evaluations run (base.py has the interface).

    local   anyio worker processes on this machine (the default)
    ray     tasks on a Ray cluster (the ray extra)
"""

from __future__ import annotations

from .base import Executor, ExecutorConfig, ExecutorError, OnRetry
from .local import LocalExecutor

__all__ = ["Executor", "ExecutorConfig", "ExecutorError", "LocalExecutor", "make_executor"]


def make_executor(config: ExecutorConfig, on_retry: OnRetry | None = None) -> Executor:
    if config.kind == "ray":
        from .ray import RayExecutor  # imports Ray only when asked for

        return RayExecutor(config, on_retry)
    if config.kind != "local":
        raise ExecutorError(f"unknown executor kind {config.kind!r}; use 'local' or 'ray'")
    return LocalExecutor(config, on_retry)
