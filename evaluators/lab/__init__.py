"""The lab: tiny MLPs trained on synthetic tasks with a candidate activation, scored by how
well they extrapolate relative to ReLU.

    config      LabConfig and its hash (what fitness means)
    records     Evaluation, StageResult, TaskScore (cross into store/ and agent/)
    training    an IR as the trainer's callable; one batched training run
    references  ReLU's losses per lab configuration, passed explicitly to evaluations
    cascade     probe -> short -> full, several candidates at once, each failing alone
    worker      JSON entry points for executors' worker processes
"""

from .cascade import PROBE_RANGE, evaluate, evaluate_many, probe
from .config import LAB_VERSION, LabConfig, LabError, device_of
from .records import LOG_RATIO_CAP, WORST_FITNESS, Evaluation, StageResult, TaskScore
from .references import References, compute_references, reference_losses, relu_ir
from .training import training_callable

__all__ = [
    "LAB_VERSION", "LOG_RATIO_CAP", "PROBE_RANGE", "WORST_FITNESS", "Evaluation", "LabConfig",
    "LabError", "References", "StageResult", "TaskScore", "compute_references", "device_of",
    "evaluate", "evaluate_many", "probe", "reference_losses", "relu_ir", "training_callable",
]
