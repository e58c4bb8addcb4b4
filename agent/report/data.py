"""Everything the report shows, read once from a run directory into plain records.

Reads only public store APIs (``open_run``, ``ProgramLog``, ``ResultCache``) and tolerates
what it does not know: extra Program fields, extra run.json sections, proposers' own
``meta`` keys. Spend is read from ``meta`` (flat or under ``"usage"``), with the key names
in ``SPEND_KEYS``; a run without them shows "n/a".
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from actmine.evaluators.lab import LabConfig
from actmine.sandbox.admission import AdmissionConfig
from actmine.sandbox.ir import ActivationIR, IRError
from actmine.store.programs import Program
from actmine.store.run_dir import RunDir

from ..search.champion import Champion, find_champion

SPEND_KEYS = {
    "input_tokens": ("input_tokens", "prompt_tokens", "tokens_in"),
    "output_tokens": ("output_tokens", "completion_tokens", "tokens_out"),
    "cost": ("cost_usd", "cost", "usd"),
}


@dataclass(frozen=True)
class Spend:
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost: float | None = None  # US dollars


def spend_of(meta: dict) -> Spend:
    """Token and money figures a proposer recorded for one proposal, if any."""
    if not isinstance(meta, dict):
        return Spend()
    sources = [meta, meta.get("usage") if isinstance(meta.get("usage"), dict) else {}]
    found: dict = {}
    for name, keys in SPEND_KEYS.items():
        for source in sources:
            for key in keys:
                value = source.get(key)
                if isinstance(value, (int, float)) and not isinstance(value, bool) \
                        and math.isfinite(value):
                    found.setdefault(name, value)
    return Spend(
        int(found["input_tokens"]) if "input_tokens" in found else None,
        int(found["output_tokens"]) if "output_tokens" in found else None,
        float(found["cost"]) if "cost" in found else None,
    )


@dataclass
class RunData:
    """The report's view of a run (internal to the report; ``with_details`` fills it in)."""

    path: Path
    meta: dict
    lab: LabConfig | None  # None when run.json's lab section is unreadable by this version
    admission: AdmissionConfig | None
    programs: tuple[Program, ...]
    leaderboard: tuple[Program, ...]  # best distinct IRs, best first
    evaluations: dict[str, dict]  # ir_hash -> Evaluation dict (for the programs shown)
    irs: dict[int, ActivationIR]  # program id -> IR (for the programs shown)
    warnings: tuple[str, ...] = ()
    generated: float = field(default_factory=time.time)
    champion: Champion | None = None  # the verdict (agent/search/champion.py)

    @property
    def by_id(self) -> dict[int, Program]:
        return {p.id: p for p in self.programs}

    @property
    def best(self) -> Program | None:
        return self.leaderboard[0] if self.leaderboard else None


def lab_and_admission(config: dict) -> tuple[LabConfig | None, AdmissionConfig | None, list]:
    """Rebuild the run's lab and admission configurations from run.json's "config"."""
    from pydantic import ValidationError

    from ..config import AdmissionSettings, LabSettings

    warnings = []
    lab = admission = None
    try:
        lab = LabSettings.model_validate({**config.get("lab", {}), "device": "cpu"}).to_config()
    except (ValidationError, TypeError, AttributeError) as exc:
        warnings.append(f"the run's lab settings are unreadable by this actmine ({exc}); "
                        "per-task results are not shown")
    try:
        admission = AdmissionSettings.model_validate(config.get("admission", {})).to_config()
    except (ValidationError, TypeError, AttributeError) as exc:
        warnings.append(f"the run's admission settings are unreadable by this actmine ({exc}); "
                        "IRs are not shown")
    return lab, admission, warnings


def load(run: RunDir, top: int = 20, extra_ids: tuple[int, ...] = ()) -> RunData:
    """Programs, the leaderboard and, for the programs the page details, IRs and evaluations."""
    lab, admission, warnings = lab_and_admission(run.meta.get("config") or {})
    programs = tuple(run.programs.all())
    leaderboard = tuple(run.programs.best(top))
    champion = find_champion(list(programs))
    data = RunData(run.path, run.meta, lab, admission, programs, leaderboard, {}, {},
                   tuple(warnings), champion=champion)
    shown = [p.id for p in leaderboard] + list(extra_ids)
    if champion.program is not None:
        shown.append(champion.program.id)
    return with_details(run, data, shown)


def with_details(run: RunDir, data: RunData, ids: list[int]) -> RunData:
    """Fetch the IR and evaluation of each listed program (missing ones are skipped)."""
    by_id = data.by_id
    for pid in ids:
        program = by_id.get(pid)
        if program is None or pid in data.irs:
            continue
        if data.admission is not None and program.source_hash:
            record = run.cache.get_admission(data.admission.key, program.source_hash)
            if record and record.get("ir"):
                try:
                    data.irs[pid] = ActivationIR.from_dict(record["ir"])
                except IRError:
                    pass
        if data.lab is not None and program.ir_hash and program.ir_hash not in data.evaluations:
            # A near-duplicate's evaluation is the one of the program it matched.
            source = by_id.get(program.near_duplicate_of) if program.near_duplicate_of else None
            evaluation = run.cache.get_evaluation(
                data.lab.hash, (source or program).ir_hash or program.ir_hash)
            if evaluation:
                data.evaluations[program.ir_hash] = evaluation
    return data
