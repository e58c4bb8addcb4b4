"""`make lint` closes two classes of bugs for good: an import the install does not declare
(the missing-click front door), and an import that breaks DESIGN.md's layers. Each check
is run here on a copy of the tree with one such mistake planted, and must fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO

BIN = Path(sys.executable).parent
FOLDERS = ("agent", "sandbox", "evaluators", "store", "prompts")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The product folders and pyproject.toml, copied; ``actmine`` importable from it."""
    root = tmp_path / "tree"
    for folder in FOLDERS:
        shutil.copytree(REPO / folder, root / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    # The package as its imports name it (pyproject maps actmine.agent to agent/ ...).
    package = tmp_path / "path" / "actmine"
    package.mkdir(parents=True)
    shutil.copy(REPO / "agent" / "toplevel" / "__init__.py", package / "__init__.py")
    for folder in FOLDERS:
        (package / folder).symlink_to(root / folder)
    return root


def _run(tool: str, tree: Path) -> subprocess.CompletedProcess:
    """The tool as `make lint` runs it (import-linter on the linked layout)."""
    env = dict(os.environ, PYTHONPATH=str(tree.parent / "path"), NO_COLOR="1")
    args = [str(BIN / tool)] + (["."] if tool == "deptry" else [])
    return subprocess.run(args, cwd=tree, capture_output=True, text=True, timeout=300, env=env)


def test_the_real_tree_passes(tree):
    assert _run("deptry", tree).returncode == 0
    done = _run("lint-imports", tree)
    assert done.returncode == 0, done.stdout[-2000:]


def test_an_undeclared_import_fails(tree):
    cli = tree / "agent" / "cli" / "app.py"
    cli.write_text("import click  # what typer 0.29 stopped bringing\n" + cli.read_text())
    done = _run("deptry", tree)
    assert done.returncode != 0 and "click" in done.stdout + done.stderr


def test_removing_a_declared_dependency_fails(tree):
    pyproject = tree / "pyproject.toml"
    text = pyproject.read_text()
    assert '"httpx>=' in text
    pyproject.write_text("\n".join(line for line in text.splitlines()
                                   if not line.strip().startswith('"httpx>=')))
    done = _run("deptry", tree)
    assert done.returncode != 0 and "httpx" in done.stdout + done.stderr


@pytest.mark.parametrize("where, line, contract", [
    ("sandbox/ir.py", "from actmine.store import cache", "agent > evaluators | store > sandbox"),
    ("evaluators/tasks.py", "from actmine.agent import config", "agent > evaluators"),
    ("agent/search/pipeline.py", "from actmine.agent.cli import app", "agent's rooms"),
])
def test_an_upward_import_fails(tree, where, line, contract):
    path = tree / where
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")
    done = _run("lint-imports", tree)
    assert done.returncode != 0, done.stdout[-2000:]
    assert f"{contract}" in done.stdout and "BROKEN" in done.stdout
