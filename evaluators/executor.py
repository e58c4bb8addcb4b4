"""Where lab evaluations run. The orchestrator sees only this small async interface.

``LocalExecutor`` uses anyio's worker processes: long-lived, each imports torch once, one
torch thread each. They receive trusted IR as JSON (never candidate Python), so reusing a
worker across candidates is safe; results come back as plain dicts.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import anyio
import anyio.to_process
from actmine.sandbox.ir import ActivationIR

from . import lab
from .lab import Evaluation, LabConfig


class LocalExecutor:
    def __init__(self, slots: int):
        self.slots = slots
        self.limiter = anyio.CapacityLimiter(slots)
        self._refs: dict | None = None

    async def prepare(self, config: LabConfig, cached_refs: dict | None = None) -> dict:
        """Compute (or install) ReLU's reference losses once per lab configuration."""
        if cached_refs is None:
            cached_refs = await anyio.to_process.run_sync(
                lab.references_json, _config_json(config), cancellable=True,
                limiter=self.limiter)
        self._refs = cached_refs
        return cached_refs

    async def evaluate(self, ir: ActivationIR, config: LabConfig) -> Evaluation:
        data = await anyio.to_process.run_sync(
            lab.evaluate_json, ir.to_json(), _config_json(config), self._refs,
            cancellable=True, limiter=self.limiter)
        return Evaluation.from_dict(data)


def _config_json(config: LabConfig) -> str:
    return json.dumps(asdict(config))
