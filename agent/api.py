"""actmine as a library, for notebooks and scripts (exported as the ``actmine`` package).

    import actmine

    admission = actmine.check(source)                # the sandbox's verdict, IR and FLOPs
    evaluation = actmine.evaluate(source)            # lab fitness (raises actmine.Rejected)
    summary = actmine.search("runs/nb", budget=20)   # blocking; search_async in a running loop
    run = actmine.load_run("runs/nb")                # leaderboard, lineage, best as nn.Module

Every call goes through the same trusted path and caches as the CLI (agent/cached_lab.py):
the user-level shared cache for ``check``/``evaluate``, the run directory for ``search``.
A candidate is source text defining ``activation(x)``, or a Python function whose source is
taken with ``inspect`` (it still runs only inside the sandbox).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import anyio
import torch
from actmine.evaluators.known import HEAD
from actmine.evaluators.lab import Evaluation
from actmine.sandbox.admission import Admission
from actmine.sandbox.errors import UserError
from actmine.sandbox.ir import ActivationIR
from actmine.store.cache import ResultCache, shared_cache_dir
from actmine.store.export import from_run
from actmine.store.lineage import Lineage, lineage_of
from actmine.store.programs import Program
from actmine.store.run_dir import RunDir, open_run

from .cached_lab import CachedLab, Scored
from .config import Settings, load_settings
from .executors import Executor, ExecutorConfig, LocalExecutor
from .executors.inline import InlineExecutor
from .search.champion import Champion, find_champion

Candidate = str | Callable


class Rejected(UserError):
    """Admission refused the candidate; ``admission`` holds the category and reason."""

    def __init__(self, admission: Admission):
        super().__init__(f"rejected [{admission.category}]: {admission.reason}")
        self.admission = admission


def settings(config: Settings | str | Path | None = None, **overrides) -> Settings:
    """Settings from a TOML file (or the defaults, or given ones) with dotted overrides,
    e.g. ``settings("my.toml", **{"lab.profile": "quick", "search.budget": 20})``."""
    if isinstance(config, Settings):
        if not overrides:
            return config
        data = config.model_dump(exclude_unset=True)
        for dotted, value in overrides.items():
            section, key = dotted.split(".", 1)
            data.setdefault(section, {})[key] = value
        return Settings.model_validate(data)
    return load_settings(config, overrides)


def source_of(candidate: Candidate) -> str:
    """Source text of a candidate: text as it is, or a function's source renamed to
    ``activation`` with the allowed imports in front."""
    if isinstance(candidate, str):
        return candidate
    if not callable(candidate):
        raise UserError(f"a candidate is source text or a function, not {type(candidate).__name__}")
    try:
        text = textwrap.dedent(inspect.getsource(candidate))
    except (OSError, TypeError):
        raise UserError("cannot read this function's source (define it in a file or a notebook "
                        "cell with 'def'), or pass the source text") from None
    tree = ast.parse(text)
    defs = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    if len(defs) != 1:
        raise UserError("pass a function defined with 'def' (a lambda has no source of its own)")
    defs[0].name = "activation"
    defs[0].decorator_list = []
    return HEAD.split("\n\n\ndef", 1)[0] + "\n\n\n" + ast.unparse(defs[0]) + "\n"


# ----------------------------------------------------------------- sessions
@contextlib.contextmanager
def session(config: Settings, executor: Executor | None = None, cache_dir: Path | None = None,
            *, full: bool = False) -> Iterator[CachedLab]:
    """The trusted path over the user-level shared cache (or ``cache_dir``) and an executor
    (default: in this process). ``full``: skip the cascade, always run the whole lab."""
    lab_config = config.lab.to_config()
    if full:
        lab_config = replace(lab_config, cascade=False)
    directory = cache_dir or config.cache.shared_dir() or shared_cache_dir()
    cache = ResultCache(directory)
    try:
        yield CachedLab(cache, executor or InlineExecutor(ExecutorConfig()),
                        config.admission.to_config(), lab_config)
    finally:
        cache.close()


def local_executor(config: Settings, workers: int | None = None) -> LocalExecutor:
    """Worker processes for many evaluations at once (one per core by default)."""
    return LocalExecutor(replace(config.executor_config(), kind="local",
                                 workers=workers or config.search.evaluation_slots()))


async def check_async(lab: CachedLab, candidate: Candidate) -> Admission:
    return (await lab.admit(source_of(candidate)))[0]


async def score_async(lab: CachedLab, candidate: Candidate, on_note=None) -> tuple[Admission, Scored | None]:
    source = source_of(candidate)
    admission, _ = await lab.admit(source)
    if not admission.admitted:
        return admission, None
    await lab.references(on_note)
    return admission, await lab.evaluate(admission)


def check(candidate: Candidate, config: Settings | str | Path | None = None) -> Admission:
    """Admission only: is the function allowed (pointwise, finite, within the FLOP budget)?"""
    with session(settings(config)) as lab:
        return anyio.run(check_async, lab, candidate)


def evaluate(candidate: Candidate, config: Settings | str | Path | None = None, *,
             full: bool = False) -> Evaluation:
    """Admission plus lab fitness (cached by IR hash). Raises ``Rejected`` when refused."""
    with session(settings(config), full=full) as lab:
        admission, scored = anyio.run(score_async, lab, candidate)
    if scored is None:
        raise Rejected(admission)
    return scored.evaluation


@dataclass(frozen=True)
class Scoring:
    """One source through the trusted path: its admission and, if admitted, its evaluation."""

    name: str
    admission: Admission
    scored: Scored | None

    @property
    def evaluation(self) -> Evaluation | None:
        return self.scored.evaluation if self.scored else None


async def score_many_async(lab: CachedLab, named_sources: list[tuple[str, str]],
                           on_result: Callable[[Scoring], None] | None = None,
                           on_note=None) -> list[Scoring]:
    """Admit every source, then evaluate the admitted ones concurrently on the lab's
    executor, costliest first (so the slowest does not start last); results in input order,
    each reported to ``on_result`` as it finishes."""
    admissions = [(name, (await lab.admit(source))[0]) for name, source in named_sources]
    results: dict[str, Scoring] = {}

    def finish(result: Scoring) -> None:
        results[result.name] = result
        if on_result:
            on_result(result)

    todo = []
    for name, admission in admissions:
        if not admission.admitted:
            finish(Scoring(name, admission, None))
        elif (found := await lab.lookup(admission.ir_hash)) is not None:
            finish(Scoring(name, admission, found))
        else:
            todo.append((name, admission))
    if todo:
        await lab.references(on_note)

    async def run(name: str, admission: Admission) -> None:
        finish(Scoring(name, admission, await lab.evaluate(admission)))

    async with anyio.create_task_group() as tg:
        for name, admission in sorted(todo, key=lambda item: -(item[1].flops or 0)):
            tg.start_soon(run, name, admission)
    return [results[name] for name, _ in named_sources]


def baselines(names: list[str] | None = None, config: Settings | str | Path | None = None, *,
              workers: int | None = None, on_result=None, on_note=None) -> list[Scoring]:
    """Known activations (evaluators/known.py) through admission and the full lab (no
    cascade: a pruned baseline would have no figures), on worker processes."""
    from actmine.evaluators.known import by_names

    chosen = settings(config)
    entries = by_names(names)
    executor = local_executor(chosen, workers)
    with session(chosen, executor, full=True) as lab:
        return anyio.run(score_many_async, lab, [(k.name, k.source) for k in entries],
                         on_result, on_note)


# ------------------------------------------------------------------ searches
async def search_async(run_dir: str | Path, config: Settings | str | Path | None = None, *,
                       budget: int | None = None, force: bool = False, reporter=None) -> dict:
    """Run (or resume) a search in the running event loop; returns its summary."""
    from .search.orchestrator import Search

    chosen = settings(config, **({"search.budget": budget} if budget else {}))
    run = open_run(run_dir, chosen.identity(), create=True, force=force,
                   shared_cache=chosen.cache.shared_dir())
    try:
        return await Search(run, chosen, reporter).run_search()
    finally:
        run.close()


def search(run_dir: str | Path, config: Settings | str | Path | None = None, *,
           budget: int | None = None, force: bool = False, reporter=None) -> dict:
    """Run (or resume) a search until a budget is spent; blocks. Returns its summary."""
    return anyio.run(functools.partial(search_async, run_dir, config, budget=budget,
                                       force=force, reporter=reporter))


@dataclass
class Run:
    """A run directory opened for reading (safe while a search writes it)."""

    path: Path

    @contextlib.contextmanager
    def _open(self) -> Iterator[RunDir]:
        run = open_run(self.path, readonly=True)
        try:
            yield run
        finally:
            run.close()

    def leaderboard(self, top: int = 10) -> list[Program]:
        """The best evaluated programs, one per IR, best first."""
        with self._open() as run:
            return run.programs.best(top)

    def programs(self) -> list[Program]:
        with self._open() as run:
            return run.programs.all()

    def lineage(self, program_id: int) -> Lineage | None:
        with self._open() as run:
            return lineage_of(run.programs, program_id)

    def champion(self) -> Champion:
        """The run's champion verdict: ``.program`` is the best function that beats GELU on
        validation and the proxy (None when none does; ``.why_none`` says why), ``.applied``
        the conditions it was judged on (agent/search/champion.py)."""
        with self._open() as run:
            return find_champion(run.programs.all())

    def ir(self, rank: int = 1) -> ActivationIR:
        with self._open() as run:
            return from_run(run, rank=rank)[0]

    def module(self, rank: int = 1) -> torch.nn.Module:
        """The function at this leaderboard rank as a torch module (rebuilt from its IR)."""
        return ActivationModule(self.ir(rank))


class ActivationModule(torch.nn.Module):
    """An admitted activation as a layer: the trusted IR, never the proposal's Python."""

    def __init__(self, ir: ActivationIR):
        super().__init__()
        self.ir = ir
        self._fn = ir.to_callable()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fn(x)

    def extra_repr(self) -> str:
        return f"ir={self.ir.hash[:12]}"


def load_run(run_dir: str | Path) -> Run:
    path = Path(run_dir)
    with contextlib.closing(open_run(path, readonly=True)):  # fails now, in one line, if it is no run
        pass
    return Run(path)
