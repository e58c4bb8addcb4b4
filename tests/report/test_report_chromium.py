"""The report of a REAL short search, rendered by headless Chromium: no console errors,
every plot decodes, every in-page link lands, and a screenshot is taken."""

from __future__ import annotations

import io
import os

import pytest
from browser import Browser, find_chromium
from PIL import Image
from test_report_page import Page, decode_png


def _need_chromium() -> None:
    if find_chromium() is None:
        message = "chromium is not installed; 'make setup' installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it (.ci/run): missing there is a real failure
        pytest.skip(message)


IMAGES = ("Array.from(document.images).map(i => ({w: i.naturalWidth, h: i.naturalHeight, "
          "complete: i.complete, alt: i.alt}))")
DEAD_LINKS = ("Array.from(document.querySelectorAll('a[href^=\"#\"]'))"
              ".map(a => a.getAttribute('href').slice(1))"
              ".filter(id => !document.getElementById(id))")


def test_report_of_a_real_run_in_headless_chromium(cli, tiny_config, tmp_path):
    _need_chromium()
    run_dir = tmp_path / "run"
    search = cli("search", "--run-dir", run_dir, "--budget", 8, "--config", tiny_config)
    assert search.returncode == 0, search.stderr
    out = tmp_path / "site" / "report.html"
    report = cli("report", "--run-dir", run_dir, "--out", out)
    assert report.returncode == 0, report.stderr
    assert str(out) in report.stdout
    # Not a terminal: plain progress lines with count, rate and ETA.
    assert "[retraining the best function (#" in report.stderr
    assert "[retraining ReLU on the lab] 60/60 steps (100%)" in report.stderr
    assert "[rendering report]" in report.stderr and "figures" in report.stderr

    html = out.read_text()
    embedded = Page(html).images
    assert len(embedded) == 6
    for src in embedded:
        decode_png(src)

    with Browser(width=1280, height=900) as browser:
        browser.open(out)
        images = browser.evaluate(IMAGES)
        dead = browser.evaluate(DEAD_LINKS)
        title = browser.evaluate("document.title")
        rows = browser.evaluate("document.querySelectorAll('#leaderboard tbody tr').length")
        shot = browser.screenshot(full_page=True)
        errors = browser.console_errors()
    assert errors == []
    assert len(images) == 6 and all(i["complete"] and i["w"] > 0 and i["h"] > 0 for i in images)
    assert dead == []
    assert title == f"actmine report: {run_dir.name}" and rows >= 5
    screenshot = Image.open(io.BytesIO(shot))
    screenshot.load()
    assert screenshot.size[0] == 1280 and screenshot.size[1] > 3000
    (tmp_path / "report.png").write_bytes(shot)


def test_the_checks_catch_console_errors_and_broken_images(tmp_path):
    """The same checks on a page that is broken on purpose: they must see it."""
    _need_chromium()
    page = tmp_path / "broken.html"
    page.write_text('<html><body><script>console.error("boom")</script>'
                    '<img src="data:image/png;base64,iVBORw0KGgoAAAA"><a href="#nowhere">x</a>'
                    "</body></html>")
    with Browser() as browser:
        browser.open(page)
        images = browser.evaluate(IMAGES)
        dead = browser.evaluate(DEAD_LINKS)
        errors = browser.console_errors()
    assert any("boom" in e for e in errors)
    assert images[0]["w"] == 0
    assert dead == ["nowhere"]


def test_report_user_errors_are_one_line(cli, tmp_path):
    missing = cli("report", "--run-dir", tmp_path / "nothing-here")
    assert missing.returncode == 2
    assert "holds no run yet" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "stray.txt").write_text("not a run")
    stray = cli("report", "--run-dir", tmp_path / "run")
    assert stray.returncode == 2 and "not an actmine run directory" in stray.stderr
    as_dir = cli("report", "--run-dir", tmp_path / "run", "--out", tmp_path)
    assert as_dir.returncode == 2 and "is a directory" in as_dir.stderr
