"""Debian's headless Chromium through Playwright (never `playwright install`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    """One browser per test module; skipped without Chromium, except in CI."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# axe-core (a devDependency in package.json, installed by scripts/test's npm ci): the serious and
# critical WCAG 2.1 A/AA findings on a page, each with its first three places.
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """() => axe.run(document, {
    runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"],
}).then(result => result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + ": " + v.nodes.slice(0, 3)
        .map(n => n.failureSummary + " @ " + n.target).join(" | ")))"""


def require_axe() -> None:
    """Skip without axe-core, except in CI, where its absence is a failure."""
    if not AXE.exists():
        message = f"{AXE} is missing (npm ci)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it stands; the script is
    evaluated by the test, since the page's CSP allows no injected one."""
    page.evaluate(AXE.read_text())
    return page.evaluate(AXE_RUN)


def wait_until_decoded(image) -> None:
    """Until the <img> that the Playwright locator `image` finds has loaded and decoded its
    picture: a broken image is visible too."""
    image.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
