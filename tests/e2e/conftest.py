"""Browser tests: Playwright driving Debian's Chromium, headless (no bundled browsers)."""

import pytest

from tests.e2e.pages import launch, phone


@pytest.fixture
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()


@pytest.fixture
def phone_page():
    """A page in a phone's browser."""
    with phone() as (_, page):
        yield page
