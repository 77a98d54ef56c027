"""Shared pieces of the browser tests: Debian's Chromium through Playwright, and screenshots of
each page at phone and desktop widths under tests/e2e/screenshots/ (git-ignored) for reviewers."""

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parent / "screenshots"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}
NEXT_FRAMES = "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
needs_chromium = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed")


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def screenshots(page, name, focus=None):
    """Save the page as it is now at both widths, then restore the desktop width. `focus`: a
    selector scrolled into view first (a part inside a scrolling panel, which a full-page shot
    would not show)."""
    SHOTS.mkdir(exist_ok=True)
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate(NEXT_FRAMES)  # the layout after the resize is drawn
        if focus:
            page.locator(focus).scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
