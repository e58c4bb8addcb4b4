"""Constants and helpers shared by test modules (import as `from support import ...`;
`conftest` is not importable by name because several folders have one)."""

from __future__ import annotations

import sys
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
proxy = false  # it trains real benchmarks; the tests about it turn it on
"""


def tiny_settings():
    from actmine.agent.config import Settings

    return Settings.model_validate(tomllib.loads(TINY_TOML))


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread, as a lab worker has (import it into a module to apply it there)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
