"""Shared pieces of the browser tests: Debian's Chromium through Playwright, and screenshots of
each page at phone and desktop widths under tests/e2e/screenshots/ (git-ignored) for reviewers."""

import shutil
from contextlib import contextmanager
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
PHONE = {"width": 390, "height": 844}
NEXT_FRAMES = "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
needs_chromium = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed")


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


@contextmanager
def phone(init_script=None, **context_options):
    """(context, page) of a phone: its screen size, touch, zh-CN. `init_script` runs in the page
    before the app's own scripts (a native bridge); `context_options` add to the context
    (geolocation, permissions)."""
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = launch(p)
        try:
            context = chromium.new_context(
                viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN", **context_options
            )
            if init_script:
                context.add_init_script(init_script)
            yield context, context.new_page()
        finally:
            chromium.close()


def rendered(page, name, timeout=15_000):
    """Wait until the technician app has drawn the named screen (window.gridworkApp.rendered)."""
    page.wait_for_function(f"window.gridworkApp.rendered === {name!r}", timeout=timeout)


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
