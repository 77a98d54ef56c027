"""The technician app's money screens in a real browser at a phone viewport (Playwright driving
Debian's Chromium): a technician reads a daily work record line by line (points x price of a
point = pay) and confirms it, disputes another naming an order and a reason, then sees the
month's earnings: gross, tax withheld and net as ¥ with two decimals, with how the tax was worked
out. In a plain browser (no native bridge) the app registers no push device and says so; quiet hours
and the kinds pushed are set on the same screen."""

from datetime import date

import pytest
import requests
from sqlalchemy import select

from backend.extensions import db
from backend.models import DailyWorkRecord, RecordConfirmation, Technician
from backend.money import confirmations, records
from tests.e2e.pages import PHONE, needs_chromium, rendered, screenshots
from tests.factories import PASSWORD
from tests.integration.records.conftest import utc, world  # noqa: F401  (fixture)

pytest.importorskip("playwright.sync_api")
pytestmark = needs_chromium
DAY1, DAY2 = date(2026, 12, 1), date(2026, 12, 2)
MOBILE = "/api/mobile/v1"
TIMES = "\N{MULTIPLICATION SIGN}"
BIG_LINE = f"5000.00 点 {TIMES} 150 分/点 = ¥7,500.00"


@pytest.fixture
def two_days(app, world):  # noqa: F811
    """Two closed days of one technician: 5,000 points on the first (the client confirmed it
    already), two small orders on the second."""
    world.fund(10_000_000)
    world.verified_order(world.tech, utc(2026, 12, 1, 2, 0), points_centi=500_000)
    world.order_a = world.verified_order(world.tech, utc(2026, 12, 2, 2, 0), points_centi=2000)
    world.order_b = world.verified_order(world.tech, utc(2026, 12, 2, 3, 0), points_centi=1000)
    with app.app_context():
        records.close_day(world.org, DAY1, utc(2026, 12, 1, 16, 0))
        records.close_day(world.org, DAY2, utc(2026, 12, 2, 16, 0))
        db.session.commit()
        world.record_of = dict(db.session.execute(select(DailyWorkRecord.work_date, DailyWorkRecord.id)).all())
        first = db.session.get(DailyWorkRecord, world.record_of[DAY1])
        confirmations.confirm(first, confirmations.Decision("client", "api", ("api_key", 1)))
        db.session.commit()
        world.phone = db.session.get(Technician, world.tech).user.phone
    return world


def sign_in(page, base, phone):
    page.goto(f"{base}/app")
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    page.click("#signin-button")
    page.wait_for_function("window.gridworkApp.rendered === 'home'")


def technician_decision(app, record_id):
    with app.app_context():
        row = db.session.scalar(
            select(RecordConfirmation).where(
                RecordConfirmation.record_id == record_id, RecordConfirmation.party == "technician"
            )
        )
        state = db.session.get(DailyWorkRecord, record_id).state
        return state, row and (row.decision, row.reason, row.disputed_order_ids, row.channel)


def test_a_technician_confirms_disputes_and_reads_earnings_with_tax(app, live_server, two_days, phone_page):
    w, page = two_days, phone_page
    first, second = w.record_of[DAY1], w.record_of[DAY2]
    sign_in(page, live_server, w.phone)

    page.click('nav.tabs a[href="#/records"]')
    rendered(page, "records")
    assert page.locator("a.record").count() == 2
    assert "待确认" in page.inner_text(f'a.record[data-record-id="{first}"]')

    page.click(f'a.record[data-record-id="{first}"]')
    rendered(page, f"record:{first}:pending_confirmation")
    line = page.inner_text("#record ul.lines li")
    assert BIG_LINE in line, line
    assert "客户: 已确认" in page.inner_text("#record")
    page.click("#confirm-record")
    rendered(page, f"record:{first}:finalized:decided")
    assert technician_decision(app, first) == ("finalized", ("confirm", None, [], "app"))

    page.goto(f"{live_server}/app#/records/{second}")  # a link such as a notification opens
    rendered(page, f"record:{second}:pending_confirmation")
    assert "¥45.00" in page.inner_text("#record dl.figures"), "30 points x 1.50 yuan"
    page.click("#dispute-record")
    assert page.inner_text("#record-error") == "请写明异议原因", "a reason is asked for before anything is sent"
    page.check(f'input.disputed[value="{w.order_b}"]')
    page.fill("#dispute-reason", "第二单未完工")
    page.click("#dispute-record")
    rendered(page, f"record:{second}:disputed:decided")
    screenshots(page, "app-record-disputed")
    page.set_viewport_size(PHONE)
    assert technician_decision(app, second) == ("disputed", ("dispute", "第二单未完工", [w.order_b], "app"))

    page.click('nav.tabs a[href="#/records"]')
    rendered(page, "records")
    page.click('nav.tabs a[href="#/earnings"]')
    page.wait_for_function("String(window.gridworkApp.rendered).startsWith('earnings:')")
    page.fill("#earnings-month", "2026-12")
    page.dispatch_event("#earnings-month", "change")
    rendered(page, "earnings:2026-12")
    # 7,500 yuan of pay: (7,500 - 20% - 5,000) x 3% = 30 yuan withheld in the first paid month.
    totals = page.locator("#month-totals")
    assert totals.locator("dd.gross").inner_text() == "¥7,500.00"
    assert totals.locator("dd.tax").inner_text() == "¥30.00"
    assert totals.locator("dd.net").inner_text() == "¥7,470.00"
    day = page.locator('details.day[data-date="2026-12-01"]')
    day.locator("summary").first.click()
    day.locator("details.tax summary").click()
    tax = day.locator("details.tax").inner_text()
    assert "¥1,500.00" in tax and "¥1,000.00" in tax and "3%" in tax, tax
    assert BIG_LINE in day.inner_text()
    assert page.locator('details.day[data-date="2026-12-02"]').count() == 0, "the disputed day is not paid"
    screenshots(page, "app-earnings")
    page.set_viewport_size(PHONE)

    page.click("#lang")
    page.wait_for_function("document.querySelectorAll('#month-totals dt')[1].textContent === 'Tax withheld'")

    page.click('nav.tabs a[href="#/settings"]')
    rendered(page, "settings")
    assert page.get_attribute("#push-state", "data-state") == "no_bridge"
    assert "not registered for push" in page.inner_text("#push-state")
    token = requests.post(
        f"{live_server}{MOBILE}/auth/login", json={"phone": w.phone, "password": PASSWORD}, timeout=30
    ).json()["access_token"]
    mine = {"Authorization": f"Bearer {token}"}
    devices = requests.get(f"{live_server}{MOBILE}/me/devices", headers=mine, timeout=30)
    assert devices.json()["items"] == [], "no bridge: nothing registered"

    # Quiet hours and the kinds pushed, in the phone's time zone.
    page.fill("#quiet-start", "22:00")
    page.fill("#quiet-end", "07:00")
    page.uncheck('input.push-kind[value="offer"]')
    page.click("#preferences-save")
    page.wait_for_function("document.querySelector('#toast').textContent === 'Saved'")
    prefs = requests.get(f"{live_server}{MOBILE}/me/notification-preferences", headers=mine, timeout=30).json()
    assert (prefs["quiet_start"], prefs["quiet_end"], prefs["muted_kinds"]) == ("22:00:00", "07:00:00", ["offer"])
