"""Configuration: TOML, validated at start-up with errors that name the key (pydantic).

    [search]    budgets (evaluations, tokens, money, wall time), seed, concurrency
    [admission] FLOP budget, node cap, sandbox limits
    [lab]       tasks, seeds, MLP and optimiser, cascade
    [database]  islands, migration, resets, parent sampling, MAP-Elites cells
    [cache]     the user-level cache shared across runs
    [ensemble]  weights of the built-in proposers, the bandit
    [prompts]   template override directory, mix of prompt kinds, context sizes
    [executor]  local worker processes or a Ray cluster, candidates per batch, retries
    [[models]]  OpenAI-compatible endpoints (see docs/configuration.md)
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Literal

from actmine.evaluators.lab import LabConfig
from actmine.evaluators.tasks import LEGACY_TASKS
from actmine.evaluators.trainer import TrainSpec
from actmine.sandbox.admission import AdmissionConfig
from actmine.sandbox.errors import UserError
from actmine.sandbox.supervisor import SandboxLimits
from actmine.store.cache import shared_cache_dir
from actmine.store.database import DatabaseConfig
from actmine.store.features import FEATURES
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .executors import ExecutorConfig

# The defaults live once, in the records the settings build (sandbox/, evaluators/, store/,
# executors): the settings below read them from these instances.
_ADMISSION, _LIMITS = AdmissionConfig(), SandboxLimits()
_LAB, _TRAIN = LabConfig(), TrainSpec()
_DATABASE, _EXECUTOR = DatabaseConfig(), ExecutorConfig()


class ConfigError(UserError):
    """A configuration problem (one line, names the key)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SearchSettings(_Strict):
    budget: int = Field(40, ge=1, description="fresh lab evaluations to spend")
    budget_tokens: int = Field(0, ge=0, description="LLM tokens (prompt + completion); 0: none")
    budget_usd: float = Field(0.0, ge=0, description="LLM spend in US dollars; 0: none")
    budget_seconds: float = Field(0.0, ge=0, description="wall time of one invocation; 0: none")
    seed: int = 0
    seed_functions: bool = Field(True, description="start a new run by evaluating the "
                                 "built-in seed functions (ReLU, GELU, SiLU, ...)")
    proposer: Literal["symbolic", "random"] = "symbolic"
    proposals_in_flight: int = Field(0, ge=0, le=4096, description="0: enough to keep "
                                     "the evaluators busy")
    requests_in_flight: int = Field(16, ge=1, le=1024, description="LLM requests at once")
    admissions_in_flight: int = Field(2, ge=1, le=64)
    evaluations_in_flight: int = Field(0, ge=0, le=256, description="0: one per CPU core")
    max_proposals: int = Field(0, ge=0, description="0: 25 x budget")
    proxy: bool = Field(True, description="the transfer-proxy stage: candidates entering the "
                        "top k (and the seed functions) are trained on miniatures of real "
                        "downstream benchmarks; its cost is apart from the evaluation budget")
    proxy_top_k: int = Field(5, ge=1, le=100, description="how far down the leaderboard a "
                             "candidate may enter and still get the proxy stage")
    near_duplicates: float = Field(1e-3, ge=0, le=0.1, description="a candidate whose curve "
                                   "on [-6, 6] is within this (relative) tolerance of an "
                                   "evaluated one takes its evaluation; 0: off")

    def evaluation_slots(self) -> int:
        return self.evaluations_in_flight or max(1, os.cpu_count() or 1)

    def proposal_cap(self) -> int:
        return self.max_proposals or 25 * self.budget

    def pipeline_slots(self, uses_models: bool, evaluation_capacity: int) -> int:
        """Proposals alive at once (being written, admitted or evaluated). Without a model a
        proposal is instant, so a few more than the evaluators hold suffice (every worker's
        batch full: ``evaluation_capacity``); with models every request in flight needs its
        own slot on top."""
        if self.proposals_in_flight:
            return self.proposals_in_flight
        base = evaluation_capacity + self.admissions_in_flight
        return base + (self.requests_in_flight if uses_models else 1)


class AdmissionSettings(_Strict):
    max_flops: int = Field(_ADMISSION.max_flops, ge=1)
    max_nodes: int = Field(_ADMISSION.max_nodes, ge=1, le=512)
    wall_seconds: float = Field(_LIMITS.wall_seconds, gt=0)
    cpu_seconds: int = Field(_LIMITS.cpu_seconds, ge=1)
    memory_gb: float = Field(_LIMITS.address_space_bytes / 1024**3, gt=0.5)

    def to_config(self) -> AdmissionConfig:
        limits = SandboxLimits(wall_seconds=self.wall_seconds, cpu_seconds=self.cpu_seconds,
                               address_space_bytes=int(self.memory_gb * 1024**3),
                               max_nodes=self.max_nodes)
        return AdmissionConfig(max_flops=self.max_flops, max_nodes=self.max_nodes,
                               limits=limits)


# Named presets of [lab] keys. A profile fills the keys the config does not set, so a file
# can still override any of them; the values it fills are part of the lab hash as usual.
LAB_PROFILES: dict[str, dict] = {
    "default": {},
    # one seed, 300 steps: a few seconds per candidate (CI's fresh-machine demo, smoke tests)
    "quick": {"seeds": [0], "steps": 300},
    # lab version 3's design (twelve tasks, ReLU-anchored scores, mean over tasks): what
    # `actmine bench alignment` compares the current design against
    "legacy": {"tasks": list(LEGACY_TASKS), "validation": [], "anchor": "relu",
               "aggregate": "mean"},
}


class LabSettings(_Strict):
    """Mirrors evaluators.lab.LabConfig and evaluators.trainer.TrainSpec (see docs/lab.md)."""

    profile: Literal["default", "quick", "legacy"] = Field(
        "default", description="preset of the keys below that the config leaves unset")
    tasks: list[str] = list(_LAB.tasks)
    seeds: list[int] = Field(list(_LAB.seeds), min_length=1)
    hidden: int = Field(_TRAIN.hidden, ge=1, le=4096)
    depth: int = Field(_TRAIN.depth, ge=1, le=8)
    steps: int = Field(_TRAIN.steps, ge=1)
    lr: float = Field(_TRAIN.lr, gt=0)
    optimizer: Literal["adam", "sgd"] = _TRAIN.optimizer
    n_train: int = Field(_TRAIN.n_train, ge=8)
    n_test: int = Field(_TRAIN.n_test, ge=8)
    noise: float = Field(_TRAIN.noise, ge=0, description="train-target noise, x the target's std")
    short_fraction: float = Field(_LAB.short_fraction, gt=0, le=1)
    short_threshold: float = _LAB.short_threshold
    cascade: bool = _LAB.cascade
    validation: list[str] | None = Field(None, description="task families or tasks scored "
                                         "for every candidate but never part of its fitness; "
                                         "unset: cubic, slow_wave, cone, interact with the "
                                         "default tasks, none with tasks of your own")
    anchor: Literal["relu", "naive"] = Field(_LAB.anchor, description="score a task against "
                                             "ReLU only, or also the naive extrapolators")
    aggregate: Literal["mean", "family_mean", "worst_family"] = Field(
        _LAB.aggregate, description="combine task scores: over tasks, over families, or the "
        "worst family")
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda(:\d+)?|mps)$")

    @model_validator(mode="before")
    @classmethod
    def _apply_profile(cls, data):
        if isinstance(data, dict) and data.get("profile") in LAB_PROFILES:
            data = {**LAB_PROFILES[data["profile"]], **data}
        return data

    @field_validator("validation")
    @classmethod
    def _known_validation(cls, names: list[str] | None) -> list[str] | None:
        from actmine.evaluators.tasks import FAMILIES, TASKS

        if names is None:
            return names
        known = set(FAMILIES) | {t.name for t in TASKS}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"unknown validation task or family {unknown}; families: "
                             f"{', '.join(FAMILIES)}")
        return names

    @field_validator("tasks")
    @classmethod
    def _known_tasks(cls, names: list[str]) -> list[str]:
        from actmine.evaluators.tasks import TASKS

        known = [t.name for t in TASKS]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"unknown lab task(s) {unknown}; known: {known}")
        return names

    def to_config(self) -> LabConfig:
        spec = TrainSpec(hidden=self.hidden, depth=self.depth, steps=self.steps, lr=self.lr,
                         optimizer=self.optimizer, n_train=self.n_train, n_test=self.n_test,
                         noise=self.noise)
        # "auto" stays as it is: each worker picks CUDA if it has one (lab.device_of), which
        # on a cluster need not be what this machine has.
        return LabConfig(tasks=tuple(self.tasks), seeds=tuple(self.seeds), train=spec,
                         short_fraction=self.short_fraction,
                         short_threshold=self.short_threshold, cascade=self.cascade,
                         validation=None if self.validation is None else tuple(self.validation),
                         anchor=self.anchor,
                         aggregate=self.aggregate, device=self.device)


class ExecutorSettings(_Strict):
    """Where admissions and evaluations run (agent/executors/); the number of
    evaluation workers is [search] evaluations_in_flight."""

    kind: Literal["local", "ray"] = Field("local", description="local worker processes, or "
                                          "tasks on a Ray cluster (the ray extra)")
    candidates_per_batch: int = Field(_EXECUTOR.candidates_per_batch, ge=1, le=1024,
                                      description="candidates one worker trains at once (cut "
                                      "to fit the device's memory)")
    batch_wait_seconds: float = Field(_EXECUTOR.batch_wait_seconds, ge=0, le=10,
                                      description="how long a new batch waits for more "
                                      "candidates when a worker is free")
    max_retries: int = Field(_EXECUTOR.max_retries, ge=0, le=20, description="retries of a "
                             "task whose worker was lost")
    ray_address: str = Field(_EXECUTOR.ray_address, description="'' starts a private local "
                             "Ray; 'auto' or 'ray://HOST:10001' joins an existing cluster")
    cpus_per_worker: float = Field(_EXECUTOR.cpus_per_worker, gt=0, description="Ray CPUs per "
                                   "evaluation task")
    gpus_per_worker: float = Field(_EXECUTOR.gpus_per_worker, ge=0, description="Ray GPUs per "
                                   "evaluation task (fractions share a GPU)")


class DatabaseSettings(_Strict):
    islands: int = Field(_DATABASE.islands, ge=1, le=64)
    migration_interval: int = Field(_DATABASE.migration_interval, ge=0, description="evaluated "
                                    "programs between ring migrations; 0: never")
    reset_interval: int = Field(_DATABASE.reset_interval, ge=0, description="evaluated "
                                "programs between resets of the weakest islands; 0: never")
    reset_fraction: float = Field(_DATABASE.reset_fraction, ge=0, lt=1)
    parent_alpha: float = Field(_DATABASE.parent_alpha, ge=0, le=10)
    inspirations: int = Field(_DATABASE.inspirations, ge=0, le=16)
    selection: Literal["scalar", "pareto"] = Field(
        _DATABASE.selection, description="rank parents by fitness, or by Pareto front and "
        "crowding over the lab's per-family scores")
    cells: dict[str, list[float]] = Field(
        default_factory=lambda: {name: list(edges) for name, edges in _DATABASE.cells},
        description="MAP-Elites axes: feature name -> ascending bin edges")

    @field_validator("cells")
    @classmethod
    def _known_features(cls, cells: dict[str, list[float]]) -> dict[str, list[float]]:
        if not cells:
            raise ValueError("needs at least one feature")
        for name, edges in cells.items():
            if name not in FEATURES:
                raise ValueError(f"unknown feature {name!r}; choose from {', '.join(FEATURES)}")
            if not edges or edges != sorted(set(edges)) or len(edges) > 32:
                raise ValueError(f"{name}: give 1 to 32 strictly increasing bin edges")
        return cells

    def to_config(self) -> DatabaseConfig:
        return DatabaseConfig(
            islands=self.islands, migration_interval=self.migration_interval,
            reset_interval=self.reset_interval, reset_fraction=self.reset_fraction,
            parent_alpha=self.parent_alpha, inspirations=self.inspirations,
            selection=self.selection, cells=tuple((k, tuple(map(float, v))) for k, v in self.cells.items()))


class CacheSettings(_Strict):
    shared: bool = Field(True, description="also use the user-level cache shared by all runs")
    dir: str = Field("", description="shared cache directory; empty: $ACTMINE_CACHE_DIR/results "
                     "or ~/.cache/actmine/results")

    def shared_dir(self) -> Path | None:
        return shared_cache_dir(self.dir or None) if self.shared else None


_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
BUILTIN_MEMBERS = ("symbolic", "random", "seed")


class ModelSettings(_Strict):
    """One OpenAI-compatible chat-completions endpoint, a member of the ensemble."""

    name: str = Field(pattern=_NAME, description="how proposals and spend are labelled")
    base_url: str = Field("", description="e.g. https://api.openai.com/v1 (unset with local)")
    model: str = Field("", description="the provider's model id; default: name")
    api_key_env: str | None = Field(None, description="environment variable holding the key")
    local: bool = Field(False, description="start the bundled llama.cpp server for this model")
    temperature: float = Field(0.8, ge=0, le=2)
    max_tokens: int = Field(1024, ge=16, le=200_000)
    reasoning: bool = Field(False, description="OpenAI-style reasoning model: send "
                            "max_completion_tokens and no temperature")
    timeout: float = Field(120.0, gt=0, description="seconds for one request")
    weight: float = Field(1.0, ge=0)
    input_usd_per_mtok: float = Field(0.0, ge=0, description="price per million prompt tokens")
    output_usd_per_mtok: float = Field(0.0, ge=0, description="price per million output tokens")
    max_in_flight: int = Field(8, ge=1, le=1024, description="requests at once to this model")
    retries: int = Field(5, ge=0, le=50)
    backoff_initial: float = Field(1.0, gt=0)
    backoff_max: float = Field(60.0, gt=0)
    extra: dict = Field({}, description="merged into every request body (e.g. top_p)")
    headers: dict[str, str] = Field({}, description="extra HTTP headers (e.g. OpenRouter's "
                                    "HTTP-Referer); never the key: use api_key_env")

    @field_validator("api_key_env")
    @classmethod
    def _names_a_variable(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError("must name the environment variable that holds the key "
                             "(e.g. OPENAI_API_KEY), never the key itself")
        return value

    @model_validator(mode="after")
    def _endpoint(self) -> ModelSettings:
        if self.local and self.base_url:
            raise ValueError("set either local = true or base_url, not both")
        if not self.local and not self.base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http(s) URL such as "
                             "https://api.openai.com/v1 (or set local = true)")
        if self.name in BUILTIN_MEMBERS:
            raise ValueError(f"name '{self.name}' is taken by a built-in proposer")
        return self

    @property
    def model_id(self) -> str:
        return self.model or self.name


class EnsembleSettings(_Strict):
    """Weights of the built-in proposers beside the [[models]] (unset: symbolic 1 without
    models, 0 with; random 0, or 1 with --proposer random)."""

    symbolic: float | None = Field(None, ge=0)
    random: float | None = Field(None, ge=0)
    bandit: bool = Field(False, description="shift weight to members that improve fitness "
                         "per unit cost")
    bandit_exploration: float = Field(0.5, ge=0)
    bandit_cost_floor_usd: float = Field(0.001, gt=0, description="cost charged to a free "
                                         "proposal, so free members are comparable")
    bandit_min_share: float = Field(0.05, ge=0, le=0.5)


PROMPT_KINDS = ("rewrite", "diff", "crossover", "repair")


class PromptSettings(_Strict):
    dir: str | None = Field(None, description="directory whose templates override the defaults")
    mix: dict[str, float] = Field(
        {"rewrite": 0.35, "diff": 0.35, "crossover": 0.15, "repair": 0.15})
    recent_rejections: int = Field(4, ge=0, le=20)

    @field_validator("mix")
    @classmethod
    def _known_kinds(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(PROMPT_KINDS))
        if unknown:
            raise ValueError(f"unknown prompt kind {unknown[0]!r}; kinds are "
                             f"{', '.join(PROMPT_KINDS)}")
        if any(v < 0 for v in value.values()) or not any(v > 0 for v in value.values()):
            raise ValueError("weights must be >= 0 and at least one > 0")
        return value


class Settings(_Strict):
    search: SearchSettings = SearchSettings()
    admission: AdmissionSettings = AdmissionSettings()
    lab: LabSettings = LabSettings()
    database: DatabaseSettings = DatabaseSettings()
    cache: CacheSettings = CacheSettings()
    ensemble: EnsembleSettings = EnsembleSettings()
    prompts: PromptSettings = PromptSettings()
    executor: ExecutorSettings = ExecutorSettings()
    models: list[ModelSettings] = []

    @model_validator(mode="after")
    def _unique_models(self) -> Settings:
        names = [m.name for m in self.models]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"model name '{dup[0]}' is used twice; names must be unique")
        if not self.member_weights():
            raise ValueError("every proposer has weight 0; give [ensemble] symbolic or a "
                             "[[models]] entry a positive weight")
        return self

    def member_weights(self) -> dict[str, float]:
        """Weight of every ensemble member: built-in proposers and models."""
        random_default = 1.0 if self.search.proposer == "random" else 0.0
        symbolic_default = 0.0 if (self.models or random_default) else 1.0
        weights = {
            "symbolic": self.ensemble.symbolic if self.ensemble.symbolic is not None
            else symbolic_default,
            "random": self.ensemble.random if self.ensemble.random is not None
            else random_default,
        }
        weights.update({m.name: m.weight for m in self.models})
        return {name: w for name, w in weights.items() if w > 0}

    def with_local_model(self) -> Settings:
        """These settings plus the bundled SmolLM2 (llama.cpp on loopback) as an ensemble
        member, unless a local model is configured already (``--llm local``)."""
        if any(m.local for m in self.models):
            return self
        name = "smollm2" if "smollm2" not in {m.name for m in self.models} else "smollm2-local"
        # A 135M model on a CPU: short answers, a generous timeout, a few at a time.
        local = ModelSettings(name=name, local=True, max_tokens=320, temperature=0.8,
                              timeout=300, max_in_flight=2)
        return self.model_copy(update={"models": [*self.models, local]})

    def executor_config(self) -> ExecutorConfig:
        """Evaluation workers: [search] evaluations_in_flight, where 0 is one per CPU core
        here, or (Ray) as many as the cluster's resources hold (resolved by the executor)."""
        e = self.executor
        workers = self.search.evaluations_in_flight or (
            0 if e.kind == "ray" else self.search.evaluation_slots())
        return ExecutorConfig(kind=e.kind, workers=workers,
                              admissions=self.search.admissions_in_flight,
                              candidates_per_batch=e.candidates_per_batch,
                              batch_wait_seconds=e.batch_wait_seconds, max_retries=e.max_retries,
                              ray_address=e.ray_address, cpus_per_worker=e.cpus_per_worker,
                              gpus_per_worker=e.gpus_per_worker)

    def identity(self) -> dict:
        """What must match for a run directory to be resumed (budgets may grow)."""
        return {"admission": self.admission.model_dump(),
                # the profile only fills keys, whose values are compared themselves
                "lab": self.lab.model_dump(exclude={"device", "profile"}),
                "seed": self.search.seed}


def load_settings(path: Path | str | None = None, overrides: dict | None = None) -> Settings:
    data: dict = {}
    if path is not None:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        section, key = dotted.split(".", 1)
        data.setdefault(section, {})[key] = value
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = f" in {path}" if path else ""
        message = err["msg"].removeprefix("Value error, ")
        raise ConfigError(f"config key '{_key_name(err['loc'], data)}'{where}: {message}") from None


def _key_name(loc: tuple, data: dict) -> str:
    """models.0.api_key_env -> models[flash].api_key_env: the name a user wrote."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            entry = node[item] if isinstance(node, list) and item < len(node) else None
            label = entry.get("name") if isinstance(entry, dict) else None
            parts[-1] += f"[{label if isinstance(label, str) else item}]"
        else:
            parts.append(str(item))
        node = (node[item] if isinstance(node, list) and isinstance(item, int)
                and item < len(node) else node.get(item) if isinstance(node, dict) else None)
    return ".".join(parts)
