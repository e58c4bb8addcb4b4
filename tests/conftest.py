"""Shared fixtures. Everything is real: real subprocesses, real SQLite files, real signals."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from support import ACTMINE, REPO, TINY_TOML, tiny_settings  # noqa: F401


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
