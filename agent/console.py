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


def leaderboard_table(programs: list[Program], title: str = "Leaderboard") -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("rank", justify="right")
    table.add_column("fitness", justify="right")
    table.add_column("x ReLU", justify="right")
    table.add_column("FLOPs", justify="right")
    table.add_column("stage")
    table.add_column("by")
    table.add_column("id", justify="right")
    table.add_column("source")
    for rank, p in enumerate(programs, start=1):
        table.add_row(str(rank), f"{p.fitness:+.3f}", ratio(p.fitness), str(p.flops),
                      p.stage or "", p.proposer, str(p.id), condensed_source(p.source))
    return table


def leaderboard_rows(programs: list[Program]) -> list[dict]:
    return [{"rank": i, "id": p.id, "fitness": p.fitness, "ratio_vs_relu": math.exp(p.fitness),
             "flops": p.flops, "stage": p.stage, "status": p.status, "proposer": p.proposer,
             "ir_hash": p.ir_hash, "source": p.source}
            for i, p in enumerate(programs, start=1)]


class Reporter:
    """Live progress of a search: counts fresh evaluations against the budget."""

    def __init__(self, interactive: bool | None = None):
        self.interactive = err.is_terminal if interactive is None else interactive
        self.progress: Progress | None = None
        self.task = None
        self.best: float | None = None
        self.started = time.monotonic()

    def start(self, budget: int, done: int) -> None:
        if done:
            self.note(f"resuming: {done} of {budget} evaluations already done")
        if self.interactive:
            self.progress = Progress(
                TextColumn("[bold]searching"), BarColumn(), MofNCompleteColumn(),
                TextColumn("best {task.fields[best]}"), TimeElapsedColumn(),
                TimeRemainingColumn(), console=err, transient=False)
            self.task = self.progress.add_task("search", total=budget, completed=done, best="-")
            self.progress.start()
        self.budget = budget

    def note(self, text: str) -> None:
        (self.progress.console if self.progress else err).print(f"[dim]{text}[/dim]")

    def program(self, program: Program, fresh: int, population) -> None:
        ranked = population.ranked()
        if ranked:
            self.best = ranked[0].fitness
        best = f"{self.best:+.3f}" if self.best is not None else "-"
        if self.progress is not None:
            self.progress.update(self.task, completed=fresh, best=best)
            return
        if program.admitted and program.fitness is not None:
            what = (f"fitness {program.fitness:+.3f} ({program.stage}"
                    f"{', cached' if program.cached else ''})")
        elif program.admitted:
            what = f"not evaluated: {program.reason}"
        else:
            what = f"rejected [{program.category}] {program.reason[:70]}"
        elapsed = time.monotonic() - self.started
        print(f"[{fresh}/{self.budget} evals, {elapsed:5.0f}s, best {best}] #{program.id} "
              f"{program.proposer}: {what}", file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress.stop()
