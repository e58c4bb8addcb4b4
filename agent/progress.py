"""Live progress for every long-running command, in one small helper.

    from actmine.agent.progress import Progress

    with Progress("retraining", total=1000, unit="steps") as bar:
        for step in range(1000):
            ...
            bar.advance(status=f"loss {loss:.3g}")
        bar.note("a line printed above the bar")

On a terminal it is a rich progress bar with the count, the rate, the elapsed time and the
ETA. When the stream is not a terminal (CI logs, pipes, files) it prints plain lines
instead: one for each ``note``, one whenever ``line=`` is passed, and otherwise at most one
every ``every`` seconds, plus a final line on exit, so logs stay short and greppable.
Progress goes to stderr, leaving stdout to the command's actual output.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress
from rich.text import Text


def format_duration(seconds: float | None) -> str:
    """'0:07', '12:03', '1:02:03'; '?' when unknown."""
    if seconds is None or seconds != seconds or seconds < 0 or seconds == float("inf"):
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_rate(per_second: float | None, unit: str) -> str:
    if not per_second:
        return f"? {unit}/s"
    if per_second >= 1:
        return f"{per_second:.3g} {unit}/s"
    return f"{per_second * 60:.3g} {unit}/min"


class RateColumn(ProgressColumn):
    """Items per second (or per minute when slow), from rich's moving speed estimate."""

    def __init__(self, unit: str):
        super().__init__()
        self.unit = unit

    def render(self, task) -> Text:
        return Text(format_rate(task.speed, self.unit), style="progress.data.speed")


class Progress:
    """One task's progress: a bar on a terminal, throttled plain lines elsewhere."""

    def __init__(self, label: str, total: float | None = None, *, unit: str = "items",
                 completed: float = 0, stream: TextIO | None = None,
                 interactive: bool | None = None, every: float = 5.0,
                 console: Console | None = None):
        self.label = label
        self.total = total
        self.unit = unit
        self.completed = completed
        self.status = ""
        self.every = every
        self._initial = completed
        self._stream = stream
        self._console = console or (Console(file=stream, highlight=False) if stream
                                    else Console(stderr=True, highlight=False))
        self.interactive = self._console.is_terminal if interactive is None else interactive
        self._bar: RichProgress | None = None
        self._task = None
        self._started = time.monotonic()
        self._last_line = float("-inf")
        self._closed = False

    # ------------------------------------------------------------- lifecycle
    def __enter__(self) -> Progress:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> Progress:
        self._started = time.monotonic()
        if self.interactive and self._bar is None:
            columns = [SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn()]
            columns += [MofNCompleteColumn()] if self.total is not None else []
            columns += [RateColumn(self.unit), TimeElapsedColumn()]
            columns += [TimeRemainingColumn()] if self.total is not None else []
            columns += [TextColumn("{task.fields[status]}")]
            self._bar = RichProgress(*columns, console=self._console, transient=False)
            self._task = self._bar.add_task(self.label, total=self.total,
                                            completed=self.completed, status=self.status)
            self._bar.start()
        return self

    def close(self) -> None:
        """Stop the bar (it stays on screen) or print the final plain line. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.stop()
        else:
            self._print(self.summary())

    # --------------------------------------------------------------- updates
    def update(self, completed: float | None = None, *, advance: float = 0,
               status: str | None = None, total: float | None = None,
               line: str | None = None) -> None:
        """Set or advance the count. ``line`` is printed as-is in plain mode (always)."""
        if completed is not None:
            self.completed = completed
        self.completed += advance
        if status is not None:
            self.status = status
        if total is not None:
            self.total = total
        if self._bar is not None:
            self._bar.update(self._task, completed=self.completed, total=self.total,
                             status=self.status)
            return
        now = time.monotonic()
        if line is not None:
            self._print(f"{self.summary()} | {line}")
        elif now - self._last_line >= self.every:
            self._print(self.summary())
        else:
            return
        self._last_line = now

    def advance(self, amount: float = 1, *, status: str | None = None,
                line: str | None = None) -> None:
        self.update(advance=amount, status=status, line=line)

    def note(self, text: str) -> None:
        """A message that is not a count: above the bar, or its own plain line."""
        if self._bar is not None:
            self._bar.console.print(f"[dim]{text}[/dim]", highlight=False)
        else:
            self._print(f"[{self.label}] {text}")

    # ---------------------------------------------------------------- rendering
    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started

    @property
    def rate(self) -> float | None:
        done = self.completed - self._initial
        return done / self.elapsed if done > 0 and self.elapsed > 0 else None

    @property
    def eta(self) -> float | None:
        rate = self.rate
        if self.total is None or not rate:
            return None
        return max(0.0, (self.total - self.completed) / rate)

    def summary(self) -> str:
        """'[label] 12/40 steps (30%), 3.1 steps/s, 0:04 elapsed, ETA 0:09, <status>'."""
        count = _number(self.completed)
        if self.total:
            count += f"/{_number(self.total)} {self.unit} ({100 * self.completed / self.total:.0f}%)"
        else:
            count += f" {self.unit}"
        parts = [f"[{self.label}] {count}", format_rate(self.rate, self.unit),
                 f"{format_duration(self.elapsed)} elapsed"]
        if self.total is not None and not self._closed:
            parts.append(f"ETA {format_duration(self.eta)}")
        if self.status:
            parts.append(self.status)
        return ", ".join(parts)

    def _print(self, text: str) -> None:
        stream = self._stream or sys.stderr
        print(text, file=stream, flush=True)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
