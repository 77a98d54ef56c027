"""The portal's money pages in a real browser (Playwright driving Debian's Chromium, headless):
a client's finance person confirms one technician's daily work record and disputes another's
(reason and the order in question), sees the funds and downloads the month's statement."""

from datetime import date

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import DailyWorkRecord, RecordConfirmation
from backend.money import records
from tests.e2e.pages import launch, needs_chromium, screenshots
from tests.e2e.test_portal_browser import sign_in
from tests.factories import PASSWORD
from tests.integration.records.conftest import utc, world  # noqa: F401  (fixture)

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = needs_chromium
DAY = date(2026, 12, 1)


@pytest.fixture
def browser():
    with playwright.sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()


@pytest.fixture
def two_records(app, world):  # noqa: F811
    """A closed day with one record per technician, for a funded client."""
    world.fund(1_000_000)
    world.verified_order(world.tech, utc(2026, 12, 1, 2, 0), points_centi=2000)
    world.disputed_order = world.verified_order(world.other_tech, utc(2026, 12, 1, 3, 0), points_centi=1000)
    with app.app_context():
        records.close_day(world.org, DAY, utc(2026, 12, 1, 16, 0))
        db.session.commit()
        rows = db.session.execute(select(DailyWorkRecord.id, DailyWorkRecord.technician_id)).all()
    world.record_of = {tech: rid for rid, tech in rows}
    return world


def _client_decision(app, record_id):
    with app.app_context():
        row = db.session.scalar(
            select(RecordConfirmation).where(
                RecordConfirmation.record_id == record_id, RecordConfirmation.party == "client"
            )
        )
        return row and (row.decision, row.reason, row.disputed_order_ids)


def test_a_client_confirms_disputes_and_downloads_a_statement(app, live_server, factory, two_records, browser):
    w = two_records
    factory.user("client_admin", org_id=w.org, email="finance@client.test")
    confirmed, disputed = w.record_of[w.tech], w.record_of[w.other_tech]

    page = browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    sign_in(page, live_server, "finance@client.test")
    page.click('#tabs a[href="#records"]')
    page.wait_for_selector(f'article.record[data-record-id="{disputed}"]')
    screenshots(page, "portal-records")
    page.click(f'article.record[data-record-id="{confirmed}"] button.confirm')
    page.wait_for_selector(f'article.record[data-record-id="{confirmed}"]', state="detached")
    assert _client_decision(app, confirmed)[0] == "confirm"

    card = f'article.record[data-record-id="{disputed}"]'
    page.check(f'{card} input.disputed[value="{w.disputed_order}"]')
    page.fill(f"{card} input.reason", "工单未完成")
    page.click(f"{card} button.dispute")
    page.wait_for_selector(card, state="detached")
    assert _client_decision(app, disputed) == ("dispute", "工单未完成", [w.disputed_order])

    page.click('#tabs a[href="#funds"]')
    page.wait_for_function("window.gridworkPortal.fundsShown === true")
    assert "¥" in page.inner_text(f'#funds-table tr[data-org-id="{w.org}"] .available')
    screenshots(page, "portal-funds")
    page.fill("#statement-month", "2026-12")
    with page.expect_download() as download:
        page.click("#statement-download")
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert text.startswith("organization_id,") and "bank-1" in text, text[:300]

    factory.user("platform_admin", email="ops@platform.test")
    console = browser.new_page(viewport={"width": 1280, "height": 800})
    console.goto(f"{live_server}/console#approvals")
    console.fill("#email", "ops@platform.test")
    console.fill("#password", PASSWORD)
    console.click("#signin-button")
    adjust = f'#ap-disputes li[data-record-id="{disputed}"] button.adjust'
    console.wait_for_selector(adjust, timeout=20_000)
    assert "工单未完成" in console.inner_text(f'#ap-disputes li[data-record-id="{disputed}"]')
    screenshots(console, "console-disputes")
    console.click(adjust)
    console.wait_for_selector(adjust, state="detached")
    with app.app_context():
        old = db.session.get(DailyWorkRecord, disputed)
        new = db.session.scalar(select(DailyWorkRecord).where(DailyWorkRecord.supersedes_id == disputed))
        assert old.state == "superseded" and new.state == "pending_confirmation"
        assert w.disputed_order not in [line.get("order_id") for line in new.lines]
