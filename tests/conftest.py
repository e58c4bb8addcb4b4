"""Shared fixtures. Everything is real: real subprocesses, real SQLite files, real signals."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The installed console script, exactly what a user runs.
ACTMINE = str(Path(sys.executable).with_name("actmine"))

# A lab small enough for tests (seconds, not minutes) on the same code paths as the default.
TINY_TOML = """
[lab]
tasks = ["square", "sine", "feynman_I_14_4"]
seeds = [0]
hidden = 16
steps = 60
n_train = 64
n_test = 64
short_fraction = 0.5
short_threshold = 5.0

[search]
proposals_in_flight = 3
evaluations_in_flight = 2
"""


def tiny_settings():
    from actmine.agent.config import Settings

    return Settings.model_validate(tomllib.loads(TINY_TOML))


@pytest.fixture
def tiny_config(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_TOML)
    return path


@pytest.fixture(scope="session")
def tiny_lab():
    return tiny_settings().lab.to_config()


@pytest.fixture
def write_candidate(tmp_path: Path):
    def write(body: str, name: str = "candidate.py") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(body).lstrip())
        return path

    return write


@pytest.fixture
def cli(tmp_path: Path):
    """Run the real `actmine` CLI in a subprocess, with a private user cache."""
    env = dict(os.environ, ACTMINE_CACHE_DIR=str(tmp_path / "user-cache"))

    def run(*args: str, timeout: float = 600, extra_env: dict | None = None,
            **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([ACTMINE, *map(str, args)],
                              capture_output=True, text=True, timeout=timeout,
                              env={**env, **(extra_env or {})}, **kwargs)

    return run
