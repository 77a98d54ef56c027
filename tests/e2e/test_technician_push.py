"""Push registration from the technician app inside the native shell, simulated by a fake bridge
the test puts on the page before it loads (window.GridworkNative, as push.js documents it): after
sign-in the app registers the shell's JPush registration id as a device; an offer and a daily
record are pushed to it through the push sandbox (the real adapter code); a new token replaces
the old device; a notification opened in the shell is acknowledged and shows the order and the
record as the server has them now."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import DailyWorkRecord, Notification, Technician
from backend.models.base import utcnow
from backend.notifications import jobs
from backend.notifications.outbox import notify_technician
from tests.e2e.pages import needs_chromium, phone, rendered
from tests.factories import PASSWORD
from tests.integration.notifications.conftest import (  # noqa: F401  (fixtures)
    push_sandbox_process,
    sandbox,
    service_account_key,
)
from tests.integration.orders.conftest import _fast_passwords, world  # noqa: F401  (fixtures)
from tests.integration.orders.helpers import MOBILE, create, online, run_jobs

pytest.importorskip("playwright.sync_api")
pytestmark = needs_chromium
FAKE_BRIDGE = """
(() => {
  const listeners = { token: [], opened: [] };
  let current = { platform: "android", provider: "jpush", token: "e2e-jpush-1" };
  window.GridworkNative = {
    appVersion: "2.3.0",
    pushToken: () => Promise.resolve(current),
    onPushTokenChange: (callback) => listeners.token.push(callback),
    onNotificationOpened: (callback) => listeners.opened.push(callback),
    launchNotification: () => Promise.resolve(null),
  };
  window.fakeNative = {
    newToken(token) { current = { ...current, token }; listeners.token.forEach((cb) => cb(current)); },
    open(payload) { listeners.opened.forEach((cb) => cb(payload)); },
  };
})();
"""


@pytest.fixture
def shell_page():
    """A phone whose WebView carries the native bridge."""
    with phone(init_script=FAKE_BRIDGE) as (_, page):
        yield page


def pending_record(app, org_id, technician_id, order_id) -> int:
    """A daily work record waiting for the technician's confirmation (one priced order line)."""
    line = {
        "kind": "order",
        "order_id": order_id,
        "work_type": "fibre_repair",
        "points": "12.00",
        "fen_per_point": "150",
        "pay_fen": 1800,
        "fee_bps": 800,
        "fee_fen": 144,
        "insurance_fen": 0,
        "shares": [],
    }
    with app.app_context():
        record = DailyWorkRecord(
            org_id=org_id,
            technician_id=technician_id,
            work_date=date(2026, 11, 30),
            version=1,
            state="pending_confirmation",
            lines=[line],
            points=12,
            pay_fen=1800,
            fee_fen=144,
            shares_fen=0,
            insurance_fen=0,
            shares=[],
            rate_card_versions=[],
            digest="a" * 64,
            created_at=utcnow(),
            client_deadline=utcnow() + timedelta(hours=72),
        )
        db.session.add(record)
        db.session.commit()
        return record.id


def notification(app, technician_id, kind):
    with app.app_context():
        row = db.session.scalar(
            select(Notification).where(Notification.technician_id == technician_id, Notification.kind == kind)
        )
        db.session.expunge_all()
        return row


def test_the_shell_registers_its_push_token_and_opens_notifications(
    app,
    client,
    world,  # noqa: F811
    live_server,
    sandbox,  # noqa: F811
    shell_page,
):
    page, tech = shell_page, world["tech_a"]
    with app.app_context():
        phone = db.session.get(Technician, tech).user.phone
    page.goto(f"{live_server}/app")
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    page.click("#signin-button")
    page.wait_for_function("window.gridworkApp.push.state === 'registered'", timeout=15_000)

    [device] = client.get(f"{MOBILE}/me/devices", headers=world["tech_a_h"]).get_json()["items"]
    assert (device["platform"], device["provider"], device["app_version"]) == ("android", "jpush", "2.3.0")
    page.click('nav.tabs a[href="#/settings"]')
    rendered(page, "settings")
    assert f"设备 #{device['id']}" in page.inner_text("#push-state")

    # An offer while the phone has the app in the background: pushed to the registered token.
    online(app, tech)
    order = create(client, world["x1_admin"], publish=True)
    run_jobs(app, "high")
    [pushed] = sandbox.calls("e2e-jpush-1")
    extras = pushed["body"]["notification"]["android"]["extras"]
    assert (extras["notification_kind"], extras["order_id"]) == ("offer", str(order["id"]))

    # The provider issues a new token: the app registers it and drops the old device.
    page.evaluate("window.fakeNative.newToken('e2e-jpush-2')")
    page.wait_for_function("window.gridworkApp.push.device.token === 'e2e-jpush-2'")
    [moved] = client.get(f"{MOBILE}/me/devices", headers=world["tech_a_h"]).get_json()["items"]
    assert moved["id"] != device["id"]

    record_id = pending_record(app, world["x1"], tech, order["id"])
    with app.app_context():
        sent = notify_technician(tech, "daily_record", {"record_id": record_id, "work_date": "2026-11-30"})
        db.session.commit()
        assert jobs.send(sent) == "sent"
    [record_push] = sandbox.calls("e2e-jpush-2")
    data = record_push["body"]["notification"]["android"]["extras"]
    assert (data["notification_kind"], data["record_id"]) == ("daily_record", str(record_id))
    assert len(sandbox.calls("e2e-jpush-1")) == 1, "nothing more to the dropped token"

    # Tapping the pushes: the app shows what the server says now, and acknowledges them.
    page.evaluate("payload => window.fakeNative.open(payload)", data)
    rendered(page, f"record:{record_id}:pending_confirmation")
    assert "12.00 点" in page.inner_text("#record ul.lines")
    page.wait_for_function("!localStorage.getItem('gw_pending_ack')")
    assert notification(app, tech, "daily_record").acknowledged_at is not None

    page.evaluate("payload => window.fakeNative.open(payload)", extras)
    rendered(page, f"order:{order['id']}:offered")
    assert page.locator("#claim-button").is_visible()
    page.wait_for_function("!localStorage.getItem('gw_pending_ack')")
    assert notification(app, tech, "offer").acknowledged_at is not None

    # Signing out stops the pushes to this phone.
    page.click('nav.tabs a[href="#/home"]')
    rendered(page, "home")
    page.click('nav.tabs a[href="#/settings"]')
    rendered(page, "settings")
    page.click("#sign-out")
    rendered(page, "login")
    assert client.get(f"{MOBILE}/me/devices", headers=world["tech_a_h"]).get_json()["items"] == []


def test_a_link_from_a_notification_opened_signed_out_shows_the_record_after_sign_in(
    app,
    client,
    world,  # noqa: F811
    live_server,
    shell_page,
):
    page, tech = shell_page, world["tech_a"]
    with app.app_context():
        phone = db.session.get(Technician, tech).user.phone
    order = create(client, world["x1_admin"])
    record_id = pending_record(app, world["x1"], tech, order["id"])
    page.goto(f"{live_server}/app#/records/{record_id}")
    rendered(page, "login")
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    page.click("#signin-button")
    rendered(page, f"record:{record_id}:pending_confirmation")
