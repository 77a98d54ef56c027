"""The technician app (/app) in a real browser at a phone viewport (Playwright driving Debian's
Chromium, fake geolocation): sign in, go on shift with the separate location consent, get an
offer live, grab it, go en route, check in (refused 300 m away with the distance, then inside
the fence), deliver with a photo, notes and readings; positions stream while on shift."""

import io

import pytest
import requests
from PIL import Image

from backend.extensions import db
from backend.models import Technician
from tests.e2e.pages import needs_chromium, phone, rendered
from tests.factories import PASSWORD
from tests.integration.orders.conftest import SITE_A, _fast_passwords, world  # noqa: F401  (fixtures)
from tests.integration.orders.helpers import API, order_body

pytest.importorskip("playwright.sync_api")
pytestmark = needs_chromium
INSIDE = {"longitude": SITE_A[0] + 0.0010, "latitude": SITE_A[1], "accuracy": 10}
OUTSIDE = {"longitude": SITE_A[0] + 0.0031, "latitude": SITE_A[1], "accuracy": 10}


@pytest.fixture
def located_phone():
    """A phone's (context, page) with a GPS fix the test moves."""
    with phone(geolocation=OUTSIDE, permissions=["geolocation"]) as context_and_page:
        yield context_and_page


def _phone_of(app, technician_id):
    with app.app_context():
        return db.session.get(Technician, technician_id).user.phone


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def test_a_technician_claims_checks_in_and_delivers_on_a_phone(app, world, live_server, located_phone):  # noqa: F811
    context, page = located_phone
    page.goto(f"{live_server}/app")
    page.fill("#phone", _phone_of(app, world["tech_a"]))
    page.fill("#password", PASSWORD)
    page.click("#signin-button")
    rendered(page, "home")
    assert page.locator("#title").inner_text() == "Gridwork 师傅端", "Chinese first"

    page.click("#shift-toggle")
    assert "位置" in page.locator("#consent").inner_text(), "consent asked separately, saying what for"
    page.click("#consent-yes")
    page.wait_for_function("document.querySelector('#shift-state').textContent === '上班中'")
    page.wait_for_function("document.querySelector('#conn').classList.contains('on')")

    created = requests.post(
        f"{live_server}{API}/orders", headers=world["x1_admin"], json=order_body(publish=True), timeout=30
    )
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    assert created.json()["status"] == "offered"
    page.wait_for_selector(f"#offers [data-order-id='{order_id}'] button.claim", timeout=15_000)  # live, no reload

    page.click(f"#offers [data-order-id='{order_id}'] button.claim")
    rendered(page, f"order:{order_id}:accepted")
    assert "uri.amap.com" in page.get_attribute("#nav-amap", "href")
    page.click("#en-route-button")
    rendered(page, f"order:{order_id}:en_route")

    page.click("#check-in-button")  # the phone is ~300 m away
    page.wait_for_function("/距离现场 \\d+ 米/.test(document.querySelector('#checkin-error').textContent)")
    assert "签到范围 200 米" in page.locator("#checkin-error").inner_text()
    context.set_geolocation(INSIDE)  # walked to the site: the shift's position watch sees it
    page.wait_for_function(f"window.gridworkApp.lastFix.coords.longitude === {INSIDE['longitude']}")
    page.click("#check-in-button")
    rendered(page, f"order:{order_id}:on_site")

    page.set_input_files("#photos", files=[{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])
    page.fill("#notes", "熔接完成")
    page.fill("#readings", "loss_db=0.3")
    page.click("#deliver-button")
    rendered(page, f"order:{order_id}:delivered")

    order = requests.get(f"{live_server}{API}/orders/{order_id}", headers=world["x1_admin"], timeout=30).json()
    assert order["status"] == "delivered"
    assert len(order["delivery"]["evidence"]) == 1
    assert (order["delivery"]["notes"], order["delivery"]["readings"]) == ("熔接完成", {"loss_db": 0.3})

    # Positions streamed while on shift: the queue empties once the socket acknowledges them.
    page.wait_for_function("window.gridworkApp.seq > 0 && window.gridworkApp.fixes.length === 0", timeout=30_000)

    page.click("#lang")
    assert page.locator("#title").inner_text() == "Gridwork Technician"
