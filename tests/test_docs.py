"""The documentation runs verbatim: every TOML example loads with the real configuration
loader (after doing what its comment says to do first), the export example runs against a
real exported module, and every relative link, anchor and file path the pages name exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import ACTMINE, REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def _blocks(lang: str) -> list[tuple[str, str]]:
    """(page:line, text) of every fenced block in that language."""
    found = []
    for page in PAGES:
        text = page.read_text()
        for match in FENCE.finditer(text):
            if match.group(1) == lang:
                line = text[: match.start()].count("\n") + 1
                found.append((f"{page.relative_to(REPO)}:{line}", match.group(2)))
    return found


def _printf_configs() -> list[tuple[str, str]]:
    """Config files that a shell example writes with printf (`printf '...' > x.toml`)."""
    found = []
    for where, block in _blocks("sh") + _blocks(""):
        for match in re.finditer(r"printf '([^']*)' > (\S+\.toml)", block):
            found.append((f"{where} ({match.group(2)})", match.group(1).replace("\\n", "\n")))
    return found


TOML_BLOCKS = _blocks("toml") + _printf_configs()


def test_the_docs_have_examples_to_check():
    assert len(TOML_BLOCKS) >= 8
    assert any("README.md" in where for where, _ in TOML_BLOCKS)


@pytest.mark.parametrize("where, block", TOML_BLOCKS, ids=[w for w, _ in TOML_BLOCKS])
def test_toml_example_loads_as_pasted(where, block, tmp_path, monkeypatch):
    from actmine.agent.config import load_settings
    from actmine.agent.llm.prompts import load_templates

    monkeypatch.chdir(tmp_path)
    # What the example's comments say to create first, done the way they say.
    for directory in re.findall(r"actmine prompts copy (\S+)", block):
        done = subprocess.run([ACTMINE, "prompts", "copy", directory], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    path = tmp_path / "example.toml"
    path.write_text(block)
    settings = load_settings(path)
    # Checked when a run starts (the prompts are loaded only for runs with models, but a
    # directory the example names must exist either way).
    if settings.prompts.dir:
        load_templates(settings.prompts.dir)
    for model in settings.models:
        if model.api_key_env:
            assert f"export {model.api_key_env}=" in block, (
                f"{where}: model '{model.name}' reads ${model.api_key_env}; say in a comment "
                f"to export it first")


def test_a_prompts_dir_that_does_not_exist_is_caught(tmp_path, monkeypatch):
    """The check above is the one a run makes: without the copy, the example fails."""
    from actmine.agent.llm.prompts import PromptError, load_templates

    monkeypatch.chdir(tmp_path)
    with pytest.raises(PromptError, match="my-prompts does not exist"):
        load_templates("my-prompts")


def test_export_example_runs_with_a_real_exported_module(tmp_path):
    from actmine.sandbox.admission import admit
    from actmine.store.export import ExportInfo, render_module

    (where, block), = [b for b in _blocks("python") if "from best_act import" in b[1]]
    assert "actmine export" in block and "--out best_act.py" in block, where
    verdict = admit("import torch\n\n\ndef activation(x):\n    return torch.tanh(x) + 0.1 * x\n")
    assert verdict.admitted, verdict.reason
    (tmp_path / "best_act.py").write_text(
        render_module(verdict.ir, ExportInfo(ir_hash=verdict.ir_hash, flops=verdict.flops)))
    # The block as a user runs it: a fresh interpreter in the directory of best_act.py.
    done = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"{where}: {done.stderr}"
    assert "torch.Size([4, 1])" in done.stdout


def test_api_session_runs_as_pasted(tmp_path):
    """docs/api.md's session, verbatim, in a fresh interpreter with a private cache."""
    import os

    (where, block), = [b for b in _blocks("python") if "actmine.load_run" in b[1]]
    env = dict(os.environ, ACTMINE_CACHE_DIR=str(tmp_path / "cache"))
    # Pasted into a notebook cell: Jupyter keeps the cell's text in linecache (so inspect
    # can read a function's source) and has no __main__ file for worker processes to import.
    cell = (f"import linecache\nsource = {block!r}\n"
            "linecache.cache['<cell>'] = (len(source), None, source.splitlines(True), '<cell>')\n"
            "exec(compile(source, '<cell>', 'exec'), {'__name__': '__main__'})\n")
    done = subprocess.run([sys.executable, "-c", cell], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, env=env)
    assert done.returncode == 0, f"{where}: {done.stderr[-3000:]}"
    lines = done.stdout.splitlines()
    assert lines[0].startswith("True 8 ") and lines[1].startswith("fitness ")
    assert lines[2].startswith("not_pointwise - ")
    assert [line.split()[0] for line in lines[3:6]] == ["ReLU", "GELU", "GELUSine"]
    assert lines[6] == "evaluations (6) 6"
    assert "ActivationModule(ir=" in done.stdout and (tmp_path / "runs/notebook/run.json").exists()


# ------------------------------------------------------------------ links and paths

def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading)
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *$", text, re.M):
        slug = _slug(heading)
        anchors.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


def _links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text())
    return re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", text)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_relative_links_and_anchors_exist(page):
    broken = []
    for target in _links(page):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no file {file}")
        elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {file.name}")
    assert not broken, f"{page.name}: " + "; ".join(broken)


TOP = ("agent/", "sandbox/", "evaluators/", "store/", "prompts/", "tests/", "docs/", ".ci/")


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_file_paths_named_in_the_docs_exist(page):
    """`sandbox/static_check.py` and the like: a moved or renamed file must be renamed here."""
    spans = re.findall(r"`([^`\s]+)`", page.read_text())
    paths = [s for s in spans if s.startswith(TOP)]
    missing = [p for p in paths if not list(REPO.glob(p.rstrip("/")))]
    assert not missing, f"{page.name} names files that do not exist: {missing}"


def test_every_docs_page_is_linked_from_the_readme():
    linked = {(REPO / target.partition("#")[0]).resolve()
              for target in _links(REPO / "README.md") if not re.match(r"[a-z]+:", target)}
    unlinked = [p.name for p in PAGES[1:] if p.resolve() not in linked]
    assert not unlinked, f"README.md does not link {unlinked}"


def test_readme_stays_short():
    assert len((REPO / "README.md").read_text().splitlines()) < 250
