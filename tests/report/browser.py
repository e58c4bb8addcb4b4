"""Headless Chromium for the report tests, driven by Playwright: open a page, collect console
errors, evaluate scripts, take a screenshot.

Playwright (a maintained client) speaks the DevTools protocol and owns the browser's whole
lifecycle, child processes and temporary profile included; we point it at Debian's
``chromium`` (installed by ``make setup``) instead of downloading a browser. Run as a script
to screenshot a report:

    python tests/report/browser.py REPORT.html OUT.png [WIDTH HEIGHT]
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

# What the machine's closed network needs: no background connections, no GPU, no sandbox
# (the tests run as root in CI).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--hide-scrollbars"]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium with a fresh profile and one page."""

    def __init__(self, width: int = 1280, height: int = 900, timeout: float = 60.0):
        binary = find_chromium()
        if binary is None:
            raise RuntimeError("chromium is not installed; run 'make setup' (Debian package chromium)")
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=binary, headless=True, args=FLAGS, timeout=timeout * 1000)
            self.page = self._browser.new_page(viewport={"width": width, "height": height})
        except BaseException:
            self._playwright.stop()
            raise
        self.page.set_default_timeout(timeout * 1000)
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type in ("error", "assert") and self.errors.append(m.text))
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed to load {r.url}"))

    def open(self, path: Path) -> None:
        self.page.goto(Path(path).resolve().as_uri(), wait_until="load")

    def evaluate(self, expression: str):
        return self.page.evaluate(expression)

    def console_errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads, in order."""
        return list(self.errors)

    def screenshot(self, full_page: bool = True) -> bytes:
        return self.page.screenshot(full_page=full_page, type="png")

    def close(self) -> None:
        # Playwright waits for the browser and its children to exit before it removes the
        # temporary profile, so nothing is left writing into a deleted directory.
        try:
            self._browser.close()
        finally:
            self._playwright.stop()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


if __name__ == "__main__":
    page, out = Path(sys.argv[1]), Path(sys.argv[2])
    size = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (1280, 900)
    with Browser(*size) as browser:
        browser.open(page)
        out.write_bytes(browser.screenshot(full_page=len(sys.argv) <= 4))
        print(f"{out}: console errors {browser.console_errors()}")
