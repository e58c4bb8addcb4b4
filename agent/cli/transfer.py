"""``actmine transfer``: the downstream check of candidates beside the paper's references.

Candidates come from Python files (admitted through the sandbox like ``actmine check``) or
from a run directory's leaderboard (IRs from the run's admission cache); from then on only
their IRs are used. Benchmarks live in ``actmine.evaluators.transfer``.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import anyio
import typer
from actmine.evaluators.transfer.references import Activation, reference, reference_entries
from actmine.sandbox.errors import UserError
from actmine.sandbox.ir import ActivationIR
from actmine.store.cache import shared_cache_dir
from actmine.store.run_dir import open_run

from .. import api
from ..cached_lab import CachedLab
from ..config import load_settings
from ..progress import Progress
from ..search.champion import find_champion
from .app import app
from .console import condensed_source, err, out
from .errors import handles_errors, read_candidate


class TransferInputError(UserError):
    """Bad input for ``actmine transfer`` (one line, names the fix)."""


@app.command("transfer")
@handles_errors
def transfer(files: list[Path] | None = typer.Argument(None, help="Python files defining activation(x)"),
             run_dir: Path | None = typer.Option(None, "--run-dir", help="take candidates from this run's leaderboard"),
             top: int = typer.Option(2, "--top", min=1, help="how many of the run's best to check"),
             champion: bool = typer.Option(False, "--champion", help="also the run's champion "
                                           "(the best that beats GELU on validation and proxy)"),
             profile: str = typer.Option("quick", help="quick (CPU, minutes), full (GPU) or smoke (seconds, for tests)"),
             benchmarks: str | None = typer.Option(None, "--benchmarks", help="comma-separated benchmark or family names (default: all)"),
             workers: int | None = typer.Option(None, min=1, help="parallel worker processes (default: one per CPU core)"),
             device: str = typer.Option("auto", help="auto, cpu or cuda"),
             png: Path | None = typer.Option(None, "--png", help="where to write the summary figure"),
             as_json: bool = typer.Option(False, "--json", help="print JSON"),
             config: Path | None = typer.Option(None, help="TOML config ([admission] section)")):
    """Downstream transfer: real benchmarks, each activation beside ReLU, GELU, GELUSine, GSP."""
    from actmine.evaluators.transfer import registry, report, runner, summary
    from actmine.evaluators.transfer.common import PROFILES, Context
    from rich.console import Console

    if profile not in PROFILES:
        raise TransferInputError(f"unknown profile {profile!r}; use one of {', '.join(PROFILES)}")
    device = _device(device)
    chosen = registry.select(benchmarks)
    runner.check_data(chosen)  # before anything is computed or any progress is shown
    settings = load_settings(config)
    with api.session(settings) as lab:
        activations = anyio.run(_references, lab)
        candidates = (anyio.run(_from_files, lab, files or [])
                      + _from_run(lab, run_dir, top, champion))
    for candidate in candidates:
        twin = next((a for a in activations if a.ir_hash == candidate.ir_hash), None)
        if twin is not None:
            err.print(f"[dim]{candidate.label} has the same IR as {twin.label}; shown once[/dim]")
            continue
        label, n = candidate.label, 1
        while any(a.label == label for a in activations):  # results are keyed by label
            n += 1
            label = f"{candidate.label}-{n}"
        activations.append(replace(candidate, label=label))
    user_dir = shared_cache_dir().parent
    ctx = Context(device, user_dir / "transfer-data")
    jobs = sum(len(b.seeds(profile)) for b in chosen) * len(activations)
    progress = _Progress(jobs)
    started = time.monotonic()
    try:
        results = runner.measure(chosen, activations, profile, ctx, user_dir / "transfer",
                                 workers or runner.default_workers(device), progress.update,
                                 note=lambda m: err.print(f"[dim]{m}[/dim]"))
    finally:
        progress.stop()
    labels = [a.label for a in activations]
    seeds = {b.name: len(b.seeds(profile)) for b in chosen}
    table = summary.cells(chosen, labels, profile, results)
    ratios = summary.log_ratios(chosen, labels, table)
    means = summary.family_means(chosen, ratios)
    png = png or (run_dir / f"transfer-{profile}.png" if run_dir else Path(f"transfer-{profile}.png"))
    title = (f"log(error ReLU / error), profile {profile}, mean of {min(seeds.values())}-"
             f"{max(seeds.values())} seeds per benchmark")
    png_path = summary.plot(chosen, labels, ratios, png, title)
    seconds = time.monotonic() - started
    console = out
    if not out.is_terminal:  # pipes and CI logs: room for a column per activation
        console = Console(highlight=False, width=max(out.width, 60 + 16 * len(activations)))
    if as_json:
        print(json.dumps(report.payload(profile, seeds, chosen, activations, table, ratios, means,
                                        str(png_path), seconds, progress.fresh, progress.cached),
                         indent=2))
        return
    console.print(report.metric_table(chosen, activations, table,
                                  f"Transfer, profile {profile}: mean±std over "
                                  f"{min(seeds.values())}-{max(seeds.values())} seeds per "
                                  f"benchmark (best in green)"))
    console.print(report.summary_table(chosen, activations, means,
                                   "Summary: mean log(error ReLU / error); + is better"))
    for line in report.legend(activations):
        console.print(line, soft_wrap=True)
    console.print(f"{progress.fresh} jobs run, {progress.cached} from cache, {seconds:.0f}s; "
              f"figure: {png_path}")


def _device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise TransferInputError("--device cuda, but this torch sees no CUDA GPU; use --device cpu")
    if device not in ("cpu", "cuda"):
        raise TransferInputError(f"unknown device {device!r}; use auto, cpu or cuda")
    return device


async def _references(lab: CachedLab) -> list[Activation]:
    """ReLU, GELU and the paper's functions, admitted like any candidate."""
    found = []
    for known in reference_entries():
        admission, _ = await lab.admit(known.source)
        if not admission.admitted:  # our own table: a rejection here is a bug
            raise RuntimeError(f"the reference {known.name} was rejected: {admission.reason}")
        found.append(reference(known, admission.ir))
    return found


async def _from_files(lab: CachedLab, files: list[Path]) -> list[Activation]:
    found = []
    for path in files:
        source = read_candidate(path)
        admission, _ = await lab.admit(source)
        if not admission.admitted:
            raise TransferInputError(f"{path} was rejected [{admission.category}]: "
                                     f"{admission.reason}")
        found.append(Activation(path.stem[:14], admission.ir, condensed_source(source)))
    return found


def _from_run(lab: CachedLab, run_dir: Path | None, top: int,
              champion: bool = False) -> list[Activation]:
    """The run's best distinct IRs (and its champion), read from the run's cache (the IR's
    one copy)."""
    if run_dir is None:
        if champion:
            raise TransferInputError("--champion needs --run-dir DIR")
        return []
    run = open_run(run_dir, readonly=True)
    try:
        programs = [p for p in run.programs.best(top) if p.admitted and p.status == "ok"]
        if not programs:
            raise TransferInputError(f"{run_dir} has no evaluated programs yet; run "
                                     f"'actmine search --run-dir {run_dir}' first")
        champion_id = None
        if champion:
            verdict = find_champion(run.programs.all())
            if verdict.program is None:
                raise TransferInputError(f"{run_dir} has no champion: {verdict.why_none}")
            champion_id = verdict.program.id
            if champion_id not in {p.id for p in programs}:
                programs.append(verdict.program)
        found = []
        for program in programs:
            ir = run.cache.get_ir(program.ir_hash)
            if ir is None:
                raise TransferInputError(f"the IR of program #{program.id} is missing from "
                                         f"{run_dir}/cache; export it with 'actmine export "
                                         f"--ir {program.ir_hash}' or re-run the search")
            role = ", the champion" if program.id == champion_id else ""
            found.append(Activation(f"#{program.id}", ActivationIR.from_dict(ir),
                                    f"{condensed_source(program.source, 90)}  (lab fitness "
                                    f"{program.fitness:+.3f}{role})"))
        return found
    finally:
        run.close()


class _Progress:
    """Adapter from the runner's per-job callback to the shared progress helper."""

    def __init__(self, total: int):
        self.fresh, self.cached = 0, 0
        self.bar = Progress("transfer", total, unit="jobs").start()

    def update(self, job, result: dict, cached: bool) -> None:
        self.cached += cached
        self.fresh += not cached
        metric = (f"{result['status']} ({result['reason']})" if result["metric"] is None
                  else f"{result['metric']:.4g}")
        what = f"{job.benchmark} {job.label} seed {job.seed}: {metric}"
        line = None if cached else f"{what} ({result['seconds']:.1f}s)"
        self.bar.advance(status=what, line=line)

    def stop(self) -> None:
        self.bar.close()
