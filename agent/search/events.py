"""Machine-readable run events: structlog JSON lines appended to DIR/events.jsonl."""

from __future__ import annotations

from pathlib import Path

import structlog


class EventLog:
    def __init__(self, path: Path):
        self._file = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives with the run
        self._log = structlog.wrap_logger(
            structlog.PrintLogger(self._file),
            processors=[
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.JSONRenderer(sort_keys=True),
            ],
        )

    def emit(self, event: str, **fields) -> None:
        self._log.info(event, **fields)

    def close(self) -> None:
        self._file.close()
