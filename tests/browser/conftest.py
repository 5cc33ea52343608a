"""Playwright driving Debian's Chromium against the live app.

No browser is downloaded: Chromium comes from Debian's package (the Makefile
installs it when it can). Outside CI, with no Chromium, these tests skip and
say how to install it; under CI=true they must run.
"""

import os
import shutil
from pathlib import Path

import pytest

from ..helpers import missing

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Headless, and off the network: Chromium's own background traffic would be
# refused here, many connections at a time.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )


@pytest.fixture(scope="session")
def playwright_driver():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright", "make test installs it from requirements-dev.txt")
    if chromium_path() is None:
        missing("Chromium", "sudo apt-get install chromium chromium-driver")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright_driver):
    browser = playwright_driver.chromium.launch(
        executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def launch_profile(playwright_driver, live_server):
    """Open Chromium on a profile folder; call again to reopen it after closing."""
    opened = []

    def launch(profile_dir: Path, **options):
        context = playwright_driver.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=chromium_path(),
            args=CHROMIUM_ARGS,
            headless=True,
            base_url=live_server.url,
            **options,
        )
        opened.append(context)
        return context

    yield launch
    for context in opened:
        try:
            context.close()
        except Exception:  # already closed by the test
            pass


@pytest.fixture
def context(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, viewport=DESKTOP)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def axe_page(chromium, live_server):
    """A page whose Content-Security-Policy lets the tests inject axe-core."""
    if not AXE_SCRIPT.exists():
        missing("axe-core", "npm ci (make test runs it)")
    context = chromium.new_context(base_url=live_server.url, viewport=DESKTOP, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where screenshots go: SCREENSHOT_DIR if set (``make screenshots`` sets
    docs/screenshots/, the README's pictures), else a temporary folder, so
    that a checkout stays clean after its own tests."""
    if folder := os.environ.get("SCREENSHOT_DIR"):
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")
