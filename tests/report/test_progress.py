"""The shared live-progress helper: plain lines off a terminal, a rich bar on one."""

from __future__ import annotations

import io
import time

import pytest
from actmine.agent.progress import Progress, format_duration, format_rate
from rich.console import Console

pytestmark = pytest.mark.fast  # make test-fast


def test_plain_lines_show_count_rate_eta_and_are_throttled():
    stream = io.StringIO()
    with Progress("training", total=10, unit="steps", stream=stream, every=3600) as bar:
        for _ in range(10):
            time.sleep(0.002)
            bar.advance(status="loss 0.1")
        bar.note("halfway note")
        bar.update(line="an event worth its own line")
    lines = stream.getvalue().splitlines()
    # First update prints (nothing printed yet), the rest is throttled; note, line, final.
    assert lines[0].startswith("[training] 1/10 steps (10%)")
    assert "ETA" in lines[0] and "steps/s" in lines[0]
    assert lines[1] == "[training] halfway note"
    assert lines[2].endswith("| an event worth its own line")
    assert lines[3].startswith("[training] 10/10 steps (100%)") and "ETA" not in lines[3]
    assert "loss 0.1" in lines[3]
    assert len(lines) == 4


def test_unknown_total_and_resumed_count():
    stream = io.StringIO()
    bar = Progress("proposing", unit="proposals", completed=5, stream=stream, every=0)
    bar.start()
    bar.advance(2)
    bar.close()
    bar.close()  # idempotent
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[proposing] 7 proposals,")
    assert "ETA" not in lines[0]
    assert len(lines) == 2
    assert bar.rate is not None  # counted from the resumed start, not from zero


def test_terminal_gets_a_rich_bar_with_rate_and_eta():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    with Progress("searching", total=4, unit="evals", console=console) as bar:
        assert bar.interactive
        for _ in range(4):
            bar.advance(status="best -0.123")
        bar.note("resuming: 2 of 4 evaluations already done")
    text = out.getvalue()
    assert "searching" in text and "4/4" in text and "best -0.123" in text
    assert "evals/" in text  # the rate column
    assert "resuming: 2 of 4" in text


def test_formatting_helpers():
    assert format_duration(7) == "0:07"
    assert format_duration(3723) == "1:02:03"
    assert format_duration(None) == "?"
    assert format_rate(None, "x") == "? x/s"
    assert format_rate(2.5, "steps") == "2.5 steps/s"
    assert format_rate(0.05, "evals") == "3 evals/min"
