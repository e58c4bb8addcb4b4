"""Human-facing output: live progress while searching, and the leaderboard tables.

Progress goes to stderr: a rich progress bar with rate and ETA on a terminal, plain lines
when stderr is not a terminal (CI logs, pipes). Tables go to stdout.
"""

from __future__ import annotations

import math
import sys
import time

from actmine.store.programs import Program
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from ..progress import RateColumn

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)


def condensed_source(source: str, width: int = 70) -> str:
    """The function body on one line: what a reader needs in a table."""
    lines = []
    for line in source.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "import ", "from ", "def ", '"""', "'''")):
            continue
        lines.append(stripped)
    text = "; ".join(lines)
    if text.startswith("return ") and ";" not in text:
        text = text[len("return "):]
    return text if len(text) <= width else text[: width - 1] + "…"


def ratio(fitness: float | None) -> str:
    if fitness is None:
        return "-"
    return f"{math.exp(fitness):.3f}"


CHAMPION_MARK = "★"


def leaderboard_table(programs: list[Program], title: str = "Leaderboard",
                      champion: dict | None = None) -> Table:
    """Best first; the held-out validation score beside fitness where the lab has one, and
    the champion's row marked (``champion``: ``Champion.to_dict()``)."""
    champion_id = champion.get("id") if champion else None
    validation = any("validation" in p.objectives for p in programs)
    table = Table(title=title, title_justify="left")
    table.add_column("rank", justify="right")
    table.add_column("fitness", justify="right")
    table.add_column("x ReLU", justify="right")
    if validation:
        table.add_column("valid.", justify="right")
    table.add_column("FLOPs", justify="right")
    table.add_column("stage")
    table.add_column("by")
    table.add_column("id", justify="right")
    table.add_column("source")
    for rank, p in enumerate(programs, start=1):
        mark = f" {CHAMPION_MARK}" if p.id == champion_id else ""
        cells = [f"{rank}{mark}", f"{p.fitness:+.3f}", ratio(p.fitness)]
        if validation:
            value = p.objectives.get("validation")
            cells.append(f"{value:+.3f}" if value is not None else "-")
        table.add_row(*cells, str(p.flops), p.stage or "", p.model or p.proposer, str(p.id),
                      condensed_source(p.source))
    notes = []
    if validation:
        notes.append("valid.: the held-out validation tasks' score, same scale as fitness "
                     "(never selected on)")
    if champion_id is not None and any(p.id == champion_id for p in programs):
        notes.append(f"{CHAMPION_MARK} the champion: the best that also beats GELU on "
                     f"{' and '.join(champion['applied'])}")
    if notes:
        table.caption = "\n".join(notes)
        table.caption_justify = "left"
    return table


def leaderboard_rows(programs: list[Program], champion: dict | None = None) -> list[dict]:
    champion_id = champion.get("id") if champion else None
    return [{"rank": i, "id": p.id, "fitness": p.fitness, "ratio_vs_relu": math.exp(p.fitness),
             "validation": p.objectives.get("validation"), "proxy": p.objectives.get("proxy"),
             "champion": p.id == champion_id,
             "flops": p.flops, "stage": p.stage, "status": p.status, "proposer": p.proposer,
             "model": p.model, "objectives": p.objectives,
             "ir_hash": p.ir_hash, "source": p.source}
            for i, p in enumerate(programs, start=1)]


def best_against_references(best: Program | None, programs: list[Program]) -> str | None:
    """'best: #46 ... beats GELU (-0.658) and ReLU (+0.000)', against the seed functions
    this run evaluated (None when there is nothing to compare)."""
    refs = {p.meta.get("seed"): p for p in programs
            if p.proposer == "seed" and p.evaluated and p.status == "ok"}
    refs = {name: refs[key] for name, key in (("GELU", "gelu"), ("ReLU", "relu")) if key in refs}
    if best is None or not best.evaluated or not refs:
        return None
    others = {name: ref for name, ref in refs.items() if ref.id != best.id}
    beaten = [f"{n} ({r.fitness:+.3f})" for n, r in others.items() if best.fitness < r.fitness]
    not_beaten = [f"{n} ({r.fitness:+.3f})" for n, r in others.items()
                  if best.fitness >= r.fitness]
    verdicts = ([f"beats {' and '.join(beaten)}"] if beaten else []) + (
        [f"does not beat {' or '.join(not_beaten)}"] if not_beaten else [])
    head = (f"best: #{best.id} by {best.model or best.proposer}, fitness {best.fitness:+.3f} "
            f"({ratio(best.fitness)}x ReLU's OOD error): {condensed_source(best.source, 60)}")
    return f"{head}; it {', and '.join(verdicts)}" if verdicts else head


def spend_text(usd: float, tokens: int) -> str:
    return f"${usd:.4f}, {tokens / 1000:.1f}k tokens" if tokens else "no model spend"


def live_line(state: dict) -> str:
    """One line of what a running search is doing (progress bar field and daemon log)."""
    b, f = state["budget"], state["in_flight"]
    admitted = ""
    if b["proposals"]:
        admitted = f" ({100 * b['evaluations'] / b['proposals']:.0f}% evaluated)"
    util = state.get("evaluator_utilisation")
    util_text = f", evaluators {100 * util:.0f}% busy" if util is not None else ""
    return (f"{b['proposals']} proposals{admitted}; in flight: {f['requests']} requests, "
            f"{f['admissions']} admitting, {f['evaluations']}/{f['evaluation_slots']} "
            f"evaluating{util_text}; {spend_text(b['usd'], b['tokens'])}")


class _ProgressWithStatus(Progress):
    """The progress bar, and under it one line of what is in flight (rich's documented way
    to add renderables: override get_renderables)."""

    status = ""

    def get_renderables(self):
        yield self.make_tasks_table(self.tasks)
        if self.status:
            yield Text(self.status, style="dim", overflow="ellipsis", no_wrap=True)


class Reporter:
    """Live progress of a search: fresh evaluations against the budget, what is in flight,
    spend. A progress bar on a terminal; plain lines otherwise (one per finished proposal,
    plus a summary line every ``summary_every`` seconds)."""

    def __init__(self, interactive: bool | None = None, per_program: bool = True,
                 summary_every: float = 30.0):
        self.interactive = err.is_terminal if interactive is None else interactive
        self.per_program = per_program
        self.summary_every = summary_every
        self.progress: Progress | None = None
        self.task = None
        self.best: float | None = None
        self.started = time.monotonic()
        self.last_summary = self.started
        self.state = None
        self.budget = 0

    def start(self, budget: int, done: int, state=None) -> None:
        self.state = state
        self.budget = budget
        if done:
            self.note(f"resuming: {done} of {budget} evaluations already done")
        if self.interactive:
            self.progress = _ProgressWithStatus(
                TextColumn("[bold]searching"), BarColumn(), MofNCompleteColumn(),
                RateColumn("evals"), TextColumn("best {task.fields[best]}"), TimeElapsedColumn(),
                TimeRemainingColumn(), console=err, transient=False)
            self.task = self.progress.add_task("search", total=budget, completed=done,
                                               best="-")
            self.progress.start()

    def note(self, text: str) -> None:
        (self.progress.console if self.progress else err).print(f"[dim]{text}[/dim]")

    def refresh(self) -> None:
        """Called about once a second by the search."""
        if self.state is None:
            return
        line = live_line(self.state())
        if self.progress is not None:
            self.progress.status = line
            self.progress.refresh()
        elif time.monotonic() - self.last_summary >= self.summary_every:
            self.last_summary = time.monotonic()
            elapsed = time.monotonic() - self.started
            print(f"[{elapsed:5.0f}s] {line}", file=sys.stderr, flush=True)

    def program(self, program: Program, fresh: int, database) -> None:
        ranked = database.ranked()
        previous = self.best
        if ranked:
            self.best = ranked[0].fitness
        best = f"{self.best:+.3f}" if self.best is not None else "-"
        if self.progress is not None:
            self.progress.update(self.task, completed=fresh, best=best)
            return
        improved = self.best is not None and (previous is None or self.best < previous)
        if not self.per_program and not improved:
            return
        if program.admitted and program.fitness is not None:
            hit = (f", near-duplicate of #{program.near_duplicate_of}"
                   if program.near_duplicate_of is not None else ", cached" if program.cached
                   else "")
            what = f"fitness {program.fitness:+.3f} ({program.stage}{hit})"
        elif program.admitted:
            what = f"not evaluated: {program.reason}"
        else:
            what = f"rejected [{program.category}] {(program.reason or '')[:70]}"
        elapsed = time.monotonic() - self.started
        who = program.model or program.proposer
        print(f"[{fresh}/{self.budget} evals, {elapsed:5.0f}s, best {best}] #{program.id} "
              f"{who}: {what}", file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def json_safe(value):
    """``value`` with every NaN/inf float replaced by None: strict JSON has no NaN, and a
    diverged run's losses are NaN."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
