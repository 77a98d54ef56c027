"""The client portal in a real browser (Playwright driving Debian's Chromium, headless): a client
user signs in, uploads a batch with one bad row and sees that row's error, creates an order and
sees it on the map, accepts a delivery and rates it; a sibling sub-account's user does not see
those orders; the language switch changes the page text (Chinese by default). A delivered order's
detail shows its evidence (thumbnails, a download) and replays the technician's way to it."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from backend.extensions import db
from backend.models import Order
from backend.models.base import utcnow
from tests.e2e.pages import launch, needs_chromium, screenshots
from tests.factories import PASSWORD
from tests.integration.orders.conftest import _fast_passwords, world  # noqa: F401  (fixtures)
from tests.integration.orders.helpers import API, create
from tests.integration.orders.test_evidence_and_track import _fix, _move_event, _store_fixes, delivered_with_files

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = needs_chromium

GOOD_AND_BAD = (
    "client_ref,kind,work_type,site_code,priority\n"
    "B-1,dispatch,fibre_repair,X1-SITE,normal\n"
    "B-2,teleport,fibre_repair,X1-SITE,normal\n"
    "B-3,dispatch,fibre_repair,X1-SITE,urgent\n"
)


@pytest.fixture
def browser():
    with playwright.sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()


def sign_in(page, base, email):
    page.goto(f"{base}/portal")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#signin-button")
    page.wait_for_function("window.gridworkPortal.ready === true", timeout=20_000)


def _delivered(app, order_id, technician_id):
    with app.app_context():
        db.session.execute(
            update(Order).where(Order.id == order_id).values(status="delivered", technician_id=technician_id)
        )
        db.session.commit()


def test_a_client_user_works_through_the_portal(app, client, live_server, factory, world, browser, tmp_path):  # noqa: F811
    factory.user("client_admin", org_id=world["x1"], email="pm@x1.test")
    factory.user("client_user", org_id=world["x2"], email="clerk@x2.test")
    waiting = create(client, world["x1_admin"], client_ref="DELIVERED-1", publish=True)["id"]
    _delivered(app, waiting, world["tech_a"])

    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    sign_in(page, live_server, "pm@x1.test")
    assert page.inner_text('#tabs a[href="#orders"]') == "工单", "Chinese by default"
    page.wait_for_selector(f'#orders-table tr[data-order-id="{waiting}"]')
    screenshots(page, "portal-orders")

    page.click('#tabs a[href="#create"]')
    csv = tmp_path / "batch.csv"
    csv.write_text(GOOD_AND_BAD, encoding="utf-8")
    page.set_input_files("#batch-file", str(csv))
    page.click("#batch-submit")
    page.wait_for_selector('#batch-table tr.bad[data-row="1"]')
    assert "kind" in page.inner_text('#batch-table tr[data-row="1"] .row-error')
    assert page.inner_text('#batch-table tr[data-row="0"] .row-error') == ""
    assert page.inner_text('#batch-table tr[data-row="2"] .row-error') == ""
    stored = client.get(f"{API}/orders", headers=world["x1_admin"]).get_json()["items"]
    assert "B-1" not in [o["client_ref"] for o in stored], "all or nothing: the good rows were not stored either"
    screenshots(page, "portal-batch")

    page.fill("#c-ref", "PORTAL-NEW-1")
    page.fill("#c-work-type", "fibre_repair")
    page.select_option("#c-site", "X1-SITE")
    page.select_option("#c-priority", "urgent")
    page.click("#c-submit")
    page.wait_for_function("window.gridworkPortal.created > 0")
    created = page.evaluate("window.gridworkPortal.created")
    page.click('#tabs a[href="#orders"]')
    page.wait_for_selector(f'.order-marker.p-urgent[data-order-id="{created}"]')
    assert page.locator(f'.order-marker[data-order-id="{created}"]').is_visible()
    page.click(f'#orders-table tr[data-order-id="{created}"]')
    page.wait_for_function("document.querySelector('#d-title').textContent.includes('PORTAL-NEW-1')")
    assert page.locator("#d-events li").count() >= 2, "created and published"

    page.click('#tabs a[href="#deliveries"]')
    row = f'#deliveries-table tr[data-order-id="{waiting}"]'
    page.wait_for_selector(row)
    screenshots(page, "portal-deliveries")
    page.select_option(f"{row} select.rating", "4")
    page.click(f"{row} button.accept")
    page.wait_for_selector(row, state="detached")
    accepted = client.get(f"{API}/orders/{waiting}", headers=world["x1_admin"]).get_json()
    assert (accepted["status"], accepted["quality_rating"]) == ("verified", 4)

    page.click('#tabs a[href="#charts"]')
    page.wait_for_function("window.gridworkPortal.charted === true")
    screenshots(page, "portal-charts")
    page.click('#tabs a[href="#keys"]')
    page.fill("#key-name", "ERP")
    page.click('#key-form button[type="submit"]')
    page.wait_for_selector("#key-once:not([hidden])")
    assert page.inner_text("#key-secret").startswith("gw_")
    screenshots(page, "portal-keys")

    page.select_option("#lang", "en")
    page.wait_for_function("document.querySelector('#tabs a[href=\"#orders\"]').textContent === 'Orders'")
    assert page.inner_text('#tabs a[href="#deliveries"]') == "Deliveries"

    other = browser.new_page(viewport={"width": 1280, "height": 800})
    sign_in(other, live_server, "clerk@x2.test")
    other.wait_for_function("window.gridworkPortal.ordersShown === true")
    seen = other.evaluate("window.gridworkPortal.orders.map(o => o.id)")
    assert created not in seen and waiting not in seen, "a sibling sub-account's orders stay out of the page"
    assert other.locator(f'[data-order-id="{created}"]').count() == 0
    assert other.locator('#tabs a[href="#keys"]').is_hidden(), "client users do not manage keys"


def test_evidence_downloads_and_the_track_replay(app, client, live_server, factory, world, browser, tmp_path):  # noqa: F811
    order_id, (png_sha, _pdf_sha), files, _ = delivered_with_files(client, world)
    now = utcnow()
    for status, minutes in (("accepted", 60), ("en_route", 58), ("on_site", 30), ("delivered", 10)):
        _move_event(app, order_id, status, now - timedelta(minutes=minutes))
    t, tech = time.time(), world["tech_a"]
    way = [(55, 104.020, 30.620), (50, 104.030, 30.640), (40, 104.040, 30.625), (20, 104.050, 30.650)]  # a zigzag
    _store_fixes(app, [_fix(tech, t - m * 60, lon, lat, f"way-{m}") for m, lon, lat in way])
    factory.user("client_user", org_id=world["x1"], email="clerk@x1.test")

    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    sign_in(page, live_server, "clerk@x1.test")
    page.click(f'#orders-table tr[data-order-id="{order_id}"]')
    shown = f"window.gridworkPortal.evidenceShown === {order_id} && window.gridworkPortal.trackShown === {order_id}"
    page.wait_for_function(shown)
    thumb = f'#d-evidence li[data-sha256="{png_sha}"] img'
    page.wait_for_function(f"document.querySelector('{thumb}').naturalWidth > 0")
    assert page.locator("#d-evidence li").count() == 2, "the photo and the PDF"
    with page.expect_download() as download:
        page.click(f'#d-evidence li[data-sha256="{png_sha}"] a.download')
    saved = tmp_path / "evidence.png"
    download.value.save_as(saved)
    assert saved.read_bytes() == files["image"] and download.value.suggested_filename.endswith(".png")

    assert "公里" in page.inner_text("#d-track-summary"), "Chinese by default"
    assert page.locator("path.replay-line").count() == 1, "the way is drawn on the map"
    assert page.evaluate("window.gridworkPortal.track.coords.length") == len(way)
    page.click("#d-track-play")
    page.wait_for_selector("#track-marker")
    page.wait_for_function("window.gridworkPortal.track.t > window.gridworkPortal.track.times[0] + 60")
    screenshots(page, "portal-order-detail")
