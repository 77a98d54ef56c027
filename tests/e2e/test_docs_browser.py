"""/docs works without internet access: Swagger UI is served by the service itself and lists the
operations; neither /docs nor the console page loads anything from outside the service."""

import pytest

from tests.e2e.pages import needs_chromium
from tests.factories import PASSWORD

pytest.importorskip("playwright.sync_api")
pytestmark = needs_chromium


def record_requests(page):
    urls = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def foreign(urls, origin):
    websocket = origin.replace("http", "ws", 1)
    return [u for u in urls if not u.startswith((origin + "/", websocket + "/", "data:", "blob:"))]


def test_docs_list_the_operations_from_local_assets(live_server, browser):
    # Swagger UI renders only what is in the viewport (a virtual list): a tall one shows them all.
    page = browser.new_page(viewport={"width": 1280, "height": 30_000})
    urls = record_requests(page)
    page.goto(f"{live_server}/docs")
    page.wait_for_function("document.querySelectorAll('.opblock').length > 50", timeout=30_000)
    assert "/api/v1/orders" in page.inner_text("#swagger-ui")
    page.wait_for_load_state("networkidle")
    assert any("/vendor/swagger-ui/swagger-ui-bundle.js" in u for u in urls)
    assert foreign(urls, live_server) == []


def test_the_console_loads_nothing_from_outside(factory, live_server, browser):
    factory.user("platform_admin", email="admin@e2e.test")
    page = browser.new_page()
    urls = record_requests(page)
    page.goto(f"{live_server}/console")
    page.fill("#email", "admin@e2e.test")
    page.fill("#password", PASSWORD)
    page.click("#signin-button")
    page.wait_for_function("window.gridworkConsole.ready === true", timeout=20_000)
    page.wait_for_load_state("networkidle")
    assert foreign(urls, live_server) == []
