"""Entry points of evaluation workers: trusted JSON in, plain dicts out.

Executors (agent/executors/) call these in worker processes or on Ray nodes; a worker never
sees candidate Python, only IR and the lab configuration as JSON.
"""

from __future__ import annotations

import json

from actmine.sandbox.ir import ActivationIR

from .cascade import evaluate_many
from .config import LabConfig
from .references import References, compute_references


def references_json(config_json: str) -> dict:
    """ReLU's losses for every stage of this lab configuration (JSON-able)."""
    return compute_references(LabConfig.from_dict(json.loads(config_json))).to_dict()


def evaluate_many_json(ir_jsons: list[str], config_json: str, references: dict) -> list[dict]:
    """A batch of IRs as JSON in, one evaluation dict per IR out."""
    irs = [ActivationIR.from_json(text) for text in ir_jsons]
    config = LabConfig.from_dict(json.loads(config_json))
    return [ev.to_dict() for ev in evaluate_many(irs, config, References.from_dict(references))]
