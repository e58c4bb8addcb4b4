"""``actmine bench alignment``: does lab fitness rank activations the way downstream
transfer does?

The lab is only as good as its agreement with transfer. Over a panel of known activations
(evaluators/known.py, role "panel": baselines, literature functions, the kinds a search
finds), this measures, in one run:

- each lab design's fitness for every panel function (the full lab, no cascade; a design is
  a lab profile name or a TOML config, so two designs are compared side by side);
- every function's downstream transfer summary (``actmine transfer``'s benchmarks at a
  profile, mean log(error ReLU / error) overall and per family);
- the Spearman rank correlation between the two (lab fitness is lower-is-better, so the
  correlation is taken with its negative: + means the lab ranks as transfer does), with a
  paired bootstrap interval, overall and per transfer family;
- the transfer side's own reliability: the rank agreement of its even and odd seeds
  (split-half), so a family too noisy to be ranked by anything is seen as such.

Everything is cached (lab evaluations by lab hash and IR hash, transfer jobs by IR hash and
seed), so a second design or a second run costs only what changed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import numpy as np
from actmine.evaluators.known import PANEL, Known, by_names, with_role
from actmine.evaluators.lab import WORST_FITNESS
from actmine.evaluators.transfer import registry, runner, summary
from actmine.evaluators.transfer.common import Context
from actmine.evaluators.transfer.references import Activation
from actmine.sandbox.errors import UserError
from actmine.store.cache import shared_cache_dir
from scipy import stats

from .. import api
from ..config import LAB_PROFILES, Settings, load_settings

ALL = "all"


@dataclass(frozen=True)
class Design:
    """A lab design: a profile of [lab] keys, or a TOML config."""

    name: str
    settings: Settings

    @classmethod
    def parse(cls, spec: str) -> Design:
        if spec in LAB_PROFILES:
            return cls(spec, load_settings(None, {"lab.profile": spec}))
        return cls(Path(spec).stem, load_settings(spec))


@dataclass(frozen=True)
class FileMember:
    """A panel member from a file with ``activation(x)`` (a held-out function, say): it is
    admitted like any proposal and named by its file's stem."""

    name: str
    source: str
    formula: str

    @property
    def short(self) -> str:
        return self.name

    @classmethod
    def read(cls, path: Path) -> FileMember:
        path = Path(path)
        try:
            return cls(path.stem, path.read_text(), path.name)
        except OSError as exc:
            raise UserError(f"cannot read panel file {path}: {exc.strerror}; pass a .py file "
                            "that defines activation(x)") from exc


def choose_panel(names: list[str] | None = None,
                 files: list[Path] | None = None) -> tuple[Known | FileMember, ...]:
    """The known panel (or the named part of it), then any functions from files."""
    panel: tuple[Known | FileMember, ...] = by_names(names, PANEL)
    extra = tuple(FileMember.read(path) for path in files or ())
    taken = {m.short.lower() for m in panel}
    clash = [m.name for m in extra if m.name.lower() in taken]
    if clash:
        raise UserError(f"panel file name(s) {clash} clash with panel functions; rename the "
                        "file(s)")
    return panel + extra


@dataclass(frozen=True)
class Correlation:
    rho: float | None
    low: float | None
    high: float | None
    n: int


@dataclass
class Alignment:
    panel: list[str]
    designs: list[str]
    lab_hashes: dict[str, str]
    fitness: dict[str, dict[str, float]]  # design -> function -> lab fitness
    lab_families: dict[str, dict[str, dict[str, float]]]  # design -> function -> family vector
    transfer: dict[str, dict[str, float | None]]  # function -> transfer family (and "all")
    correlations: dict[str, dict[str, Correlation]]  # design -> transfer family -> rho
    reliability: dict[str, Correlation]  # transfer family -> split-half agreement
    families: list[str] = field(default_factory=list)  # transfer families, then "all"
    png: str | None = None
    cost: dict[str, float] = field(default_factory=dict)  # design -> seconds for GELU
    # The functions added from files (never used to design a lab), and each design's
    # correlations over them alone: whether the agreement carries to new functions.
    held_out: list[str] = field(default_factory=list)
    held_out_correlations: dict[str, dict[str, Correlation]] = field(default_factory=dict)


# ------------------------------------------------------------------ statistics
def spearman(x: np.ndarray, y: np.ndarray, resamples: int = 2000,
             seed: int = 0) -> Correlation:
    """Spearman's rho with a 95% paired bootstrap (percentile) interval over functions."""
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = np.asarray(x)[keep], np.asarray(y)[keep]
    if len(x) < 4 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return Correlation(None, None, None, int(len(x)))
    rho = float(stats.spearmanr(x, y).statistic)

    def statistic(a, b):
        value = stats.spearmanr(a, b).statistic
        return 0.0 if math.isnan(value) else value

    interval = stats.bootstrap((x, y), statistic, paired=True, vectorized=False,
                               n_resamples=resamples, method="percentile",
                               random_state=np.random.default_rng(seed)).confidence_interval
    return Correlation(rho, float(interval.low), float(interval.high), int(len(x)))


# ---------------------------------------------------------------------- parts
def lab_side(design: Design, panel: tuple[Known | FileMember, ...], workers: int | None,
             on_result: Callable[[api.Scoring], None] | None = None) -> tuple[str, dict]:
    """(lab hash, {function: Evaluation}) under this design, the full lab for each."""
    executor = api.local_executor(design.settings, workers)
    with api.session(design.settings, executor, full=True) as lab:
        scorings = anyio.run(api.score_many_async, lab, [(k.name, k.source) for k in panel],
                             on_result)
        lab_hash = lab.lab_config.hash
    return lab_hash, {s.name: s.evaluation for s in scorings}


def panel_activations(panel: tuple[Known | FileMember, ...],
                      note: Callable[[str], None] = lambda line: None) -> list[Activation]:
    """The panel as transfer columns (admitted through the one trusted path); a member
    that is refused is left out, and said so."""
    async def admit_all(lab):
        found = []
        for member in panel:
            admission, _ = await lab.admit(member.source)
            if admission.admitted:
                found.append(Activation(member.short, admission.ir, member.formula))
            else:
                note(f"{member.name} left out of the panel: {admission.reason}")
        return found

    with api.session(load_settings(None)) as lab:
        return anyio.run(admit_all, lab)


def transfer_side(activations: list[Activation], profile: str, workers: int, device: str,
                  progress, note, only: str | None = None) -> tuple[dict, dict, list[str]]:
    """({function: {family: mean log ratio, "all": ...}}, split-half reliability, families)
    over every transfer benchmark, or those ``only`` names (benchmarks or families)."""
    benchmarks = registry.select(only)
    user_dir = shared_cache_dir().parent
    results = runner.measure(benchmarks, activations, profile, Context(device,
                             user_dir / "transfer-data"), user_dir / "transfer", workers,
                             progress, note)
    labels = [a.label for a in activations]
    families = list(dict.fromkeys(b.family for b in benchmarks))

    def means(seeds=None) -> dict[str, dict[str, float | None]]:
        table = summary.cells(benchmarks, labels, profile, results, seeds)
        return summary.family_means(benchmarks, summary.log_ratios(benchmarks, labels, table))

    longest = max(len(b.seeds(profile)) for b in benchmarks)
    even = means(tuple(range(0, longest, 2)))
    odd = means(tuple(range(1, longest, 2)))
    reliability = {fam: spearman(_column(even, labels, fam), _column(odd, labels, fam))
                   for fam in [*families, ALL]}
    return means(), reliability, families


def _column(table: dict[str, dict[str, float | None]], labels: list[str], key: str) -> np.ndarray:
    return np.array([np.nan if table[label].get(key) is None else table[label][key]
                     for label in labels], dtype=float)


def lab_cost(designs: list[Design], repeats: int = 2) -> dict[str, float]:
    """Seconds of one full evaluation of GELU under each design, interleaved in this
    process on one thread (median of ``repeats``): the designs' costs side by side."""
    import time
    from dataclasses import replace

    import torch
    from actmine.evaluators.known import by_names
    from actmine.evaluators.lab import compute_references, evaluate

    gelu = api.check(by_names(["GELU"])[0].source).ir
    configs = {d.name: replace(d.settings.lab.to_config(), cascade=False, device="cpu")
               for d in designs}
    refs = {name: compute_references(config) for name, config in configs.items()}
    threads = torch.get_num_threads()
    times: dict[str, list[float]] = {name: [] for name in configs}
    try:
        for _ in range(repeats):
            for name, config in configs.items():
                started = time.perf_counter()
                evaluate(gelu, config, refs[name])
                times[name].append(time.perf_counter() - started)
    finally:
        torch.set_num_threads(threads)
    return {name: float(np.median(values)) for name, values in times.items()}


# ------------------------------------------------------------------------ run
def run(designs: list[Design], profile: str, workers: int | None, device: str, png: Path,
        resamples: int, transfer_progress, note: Callable[[str], None],
        on_lab_result: Callable[[str, api.Scoring], None] | None = None,
        panel: tuple[Known | FileMember, ...] | None = None,
        benchmarks: str | None = None) -> Alignment:
    panel = panel or with_role(PANEL)
    activations = panel_activations(panel, note)
    names = [a.label for a in activations]
    by_short = {k.short: k for k in panel}
    transfer, reliability, families = transfer_side(
        activations, profile, workers or runner.default_workers(device), device,
        transfer_progress, note, benchmarks)
    held_out = [n for n in names if isinstance(by_short[n], FileMember)]
    fitness, lab_families, hashes, correlations, held_out_correlations = {}, {}, {}, {}, {}
    for design in designs:
        note(f"lab design {design.name}: the panel's {len(names)} functions, full lab")
        hashes[design.name], evaluations = lab_side(
            design, tuple(by_short[n] for n in names), workers,
            (lambda s, d=design.name: on_lab_result(d, s)) if on_lab_result else None)
        by_name = {by_short[n].name: evaluations[by_short[n].name] for n in names}
        fitness[design.name] = {n: by_name[by_short[n].name].fitness for n in names}
        lab_families[design.name] = {n: by_name[by_short[n].name].family_log_ratios
                                     for n in names}
        lab = -np.array([fitness[design.name][n] for n in names], dtype=float)
        correlations[design.name] = {fam: spearman(lab, _column(transfer, names, fam), resamples)
                                     for fam in [*families, ALL]}
        if held_out:
            mine = -np.array([fitness[design.name][n] for n in held_out], dtype=float)
            held_out_correlations[design.name] = {
                fam: spearman(mine, _column(transfer, held_out, fam), resamples)
                for fam in [*families, ALL]}
    result = Alignment(names, [d.name for d in designs], hashes, fitness, lab_families,
                       transfer, correlations, reliability, [*families, ALL],
                       held_out=held_out, held_out_correlations=held_out_correlations)
    result.png = str(plot(result, png))
    note("timing one full evaluation of GELU under each design, interleaved")
    result.cost = lab_cost(designs)
    return result


def plotted_fitness(fitness: list[float | None]) -> list[tuple[float | None, bool]]:
    """(x, failed) per function: a failed one (the worst fitness, 10) is drawn just right of
    the others rather than at 10, where it would squash them into a corner."""
    scored = [x for x in fitness if x is not None and x < WORST_FITNESS] or [0.0]
    edge = max(scored) + 0.1 * (max(scored) - min(scored) or 1.0)
    return [(None, False) if x is None else (edge, True) if x >= WORST_FITNESS else (x, False)
            for x in fitness]


def plot(result: Alignment, path: Path) -> Path:
    """One panel per design: lab fitness (x) against the transfer summary (y), labelled;
    functions added with --add in their own colour, failed ones (worst fitness) at the
    right edge, so one failure does not squash the rest into a corner."""
    from ..report import style

    with style.active():
        fig, axes = style.figure(cols=len(result.designs), height=4.2,
                                 width=5.2 * len(result.designs))
        for ax, design in zip(axes[0], result.designs):
            fitness = [result.fitness[design][n] for n in result.panel]
            for name, (x, failed) in zip(result.panel, plotted_fitness(fitness)):
                y = result.transfer[name][ALL]
                if x is None or y is None:
                    continue
                ax.scatter([x], [y], s=18, marker="x" if failed else "o",
                           color=style.TEST if name in result.held_out else style.TRAIN)
                ax.annotate(f"{name} (failed)" if failed else name, (x, y),
                            fontsize=7, xytext=(3, 2), textcoords="offset points",
                            ha="right" if failed else "left")
            c = result.correlations[design][ALL]
            rho = f"{c.rho:+.2f} [{c.low:+.2f}, {c.high:+.2f}]" if c.rho is not None else "n/a"
            ax.set_title(f"{design} (lab {result.lab_hashes[design][:8]}): Spearman {rho}",
                         fontsize=9)
            ax.set_xlabel("lab fitness (lower is better)"
                          + ("; orange: added with --add" if result.held_out else ""))
            ax.set_ylabel("transfer: mean log(error ReLU / error)")
            ax.axhline(0.0, color=style.MUTED, linewidth=0.8, linestyle=(0, (4, 2)))
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(style.to_png(fig))
    return path


def lines(result: Alignment) -> list[str]:
    """The tables a person reads: correlations per design and family, then the panel."""
    def fmt(c: Correlation) -> str:
        return "n/a" if c.rho is None else f"{c.rho:+.2f} [{c.low:+.2f},{c.high:+.2f}]"

    width = 22
    head = f"{'':<18}" + "".join(f"{fam:>{width}}" for fam in result.families)
    out = ["Spearman rank correlation of -(lab fitness) with transfer (95% bootstrap interval; "
           f"{len(result.panel)} functions)", head]
    for design in result.designs:
        out.append(f"{design:<18}" + "".join(f"{fmt(result.correlations[design][f]):>{width}}"
                                             for f in result.families))
    for design, row in result.held_out_correlations.items():
        label = f"{design}, added {len(result.held_out)}"
        out.append(f"{label:<18}" + "".join(f"{fmt(row[f]):>{width}}" for f in result.families))
    out.append(f"{'transfer split-half':<18}" + "".join(
        f"{fmt(result.reliability[f]):>{width}}" for f in result.families))
    out.append("")
    fam_cols = result.families
    out.append(f"{'function':<12}" + "".join(f"{d[:14]:>15}" for d in result.designs)
               + "".join(f"{f[:11]:>12}" for f in fam_cols))
    order = sorted(result.panel, key=lambda n: -(result.transfer[n][ALL] or -9))
    for name in order:
        cells = "".join(f"{result.fitness[d][name]:>+15.3f}" for d in result.designs)
        cells += "".join(f"{result.transfer[name][f]:>+12.3f}" if result.transfer[name][f]
                         is not None else f"{'n/a':>12}" for f in fam_cols)
        out.append(f"{name:<12}{cells}")
    out.append(f"(lab fitness: lower is better; transfer: + is better than ReLU; figure "
               f"{result.png})")
    if result.cost:
        first = result.designs[0]
        out.append("cost of one full evaluation of GELU, one thread, interleaved: " + ", ".join(
            f"{d} {result.cost[d]:.1f} s ({result.cost[d] / result.cost[first]:.2f}x)"
            for d in result.designs))
    return out


def payload(result: Alignment) -> dict:
    def c(x: Correlation) -> dict:
        return {"rho": x.rho, "low": x.low, "high": x.high, "n": x.n}

    return {"panel": result.panel, "designs": result.designs, "lab_hashes": result.lab_hashes,
            "fitness": result.fitness, "lab_families": result.lab_families,
            "transfer": result.transfer,
            "correlations": {d: {f: c(v) for f, v in fams.items()}
                             for d, fams in result.correlations.items()},
            "reliability": {f: c(v) for f, v in result.reliability.items()},
            "held_out": result.held_out,
            "held_out_correlations": {d: {f: c(v) for f, v in fams.items()}
                                      for d, fams in result.held_out_correlations.items()},
            "png": result.png, "gelu_seconds": result.cost}
