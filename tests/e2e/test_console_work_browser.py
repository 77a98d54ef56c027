"""The console as a place to work, in a real browser (Playwright driving Debian's Chromium,
headless): a platform admin opens an urgent, late order from the map list, sees its candidates
and the reason each other technician is left out, assigns it from there; plans a region, watches
it finish and publishes the plan; re-plans after a new order and sees the comparison with the plan
in force before publishing; approves a pending skill; downloads a delivered order's evidence;
opens the KPI dashboard (today's pay, the list behind a figure, the charts); switches the page to
English (Chinese by default)."""

import pytest
from sqlalchemy import select, update

from backend.extensions import db
from backend.models import Order, TechnicianSkill
from backend.models.base import utcnow
from tests.e2e.pages import launch, needs_chromium, screenshots
from tests.factories import PASSWORD
from tests.integration.orders.conftest import _fast_passwords, world  # noqa: F401  (fixtures)
from tests.integration.orders.helpers import API, create, online
from tests.integration.orders.test_evidence_and_track import delivered_with_files
from tests.integration.planning.test_planning import put_technician_at, run_jobs

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = needs_chromium


@pytest.fixture
def browser():
    with playwright.sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()


def _late(app, order_id):
    with app.app_context():
        db.session.execute(update(Order).where(Order.id == order_id).values(sla_breached_at=utcnow()))
        db.session.commit()


def _pending_skill(app, technician_id):
    with app.app_context():
        return db.session.scalar(
            select(TechnicianSkill.id).where(
                TechnicianSkill.technician_id == technician_id, TechnicianSkill.state == "pending"
            )
        )


def test_a_dispatcher_assigns_plans_and_approves_from_the_console(app, client, live_server, factory, world, browser):  # noqa: F811
    factory.user("platform_admin", email="admin@console.test")
    delivered, (photo_sha, _), photos, _ = delivered_with_files(client, world)
    online(app, world["tech_a"], world["tech_a_low"], world["tech_b"], world["tech_city"])
    put_technician_at(app, world["tech_a"], (104.051, 30.651))
    urgent = create(client, world["x1_admin"], priority="urgent", client_ref="URGENT-1", publish=True)["id"]
    _late(app, urgent)
    newcomer = factory.technician(region_ids=[world["a"]], skills=[("fibre_splicing", 4, None, "pending")])
    skill_id = _pending_skill(app, newcomer)

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server}/console")
    page.fill("#email", "admin@console.test")
    page.fill("#password", PASSWORD)
    page.click("#signin-button")
    page.wait_for_function("window.gridworkConsole.ready === true", timeout=20_000)
    assert page.inner_text('#tabs a[href="#plan"]') == "区域排程", "Chinese by default"

    item = f'#orders li.order.p-urgent.late[data-order-id="{urgent}"]'
    page.wait_for_selector(item)
    assert page.locator(f'.order-marker.p-urgent.late[data-order-id="{urgent}"]').count() == 1, (
        "urgent and late on the map"
    )
    page.click(item)
    candidate = f'#od-candidates tr[data-technician-id="{world["tech_a"]}"] button.assign'
    page.wait_for_selector(candidate)
    left_out = page.inner_text(f'#od-excluded li[data-technician-id="{world["tech_a_low"]}"]')
    assert ":" in left_out and len(left_out.split(":", 1)[1].strip()) > 0, "the reason is shown"
    screenshots(page, "console-order")
    page.click(candidate)
    page.wait_for_function(
        f"window.gridworkConsole.lastAction && window.gridworkConsole.lastAction.orderId === {urgent}"
    )
    order = client.get(f"{API}/orders/{urgent}", headers=world["x1_admin"]).get_json()
    assert (order["status"], order["technician_id"]) == ("assigned", world["tech_a"])

    planned = create(client, world["x1_admin"], client_ref="PLAN-1", publish=True)["id"]
    page.click('#tabs a[href="#plan"]')
    page.wait_for_function("document.querySelector('#plan-region').options.length > 0")
    page.select_option("#plan-region", str(world["a"]))
    page.fill("#plan-time", "2")
    page.click("#plan-start")
    page.wait_for_function("window.gridworkConsole.plan && window.gridworkConsole.plan.id > 0")
    run_jobs(app)
    page.wait_for_function("window.gridworkConsole.planShown > 0", timeout=20_000)
    assert page.locator("#plan-routes li").count() + page.locator("#plan-unassigned li").count() >= 1
    screenshots(page, "console-plan")
    page.click("#plan-publish")
    page.wait_for_function(
        "window.gridworkConsole.planPublished && window.gridworkConsole.planPublished.status === 'published'"
    )
    after = client.get(f"{API}/orders/{planned}", headers=world["x1_admin"]).get_json()
    plan = page.evaluate("window.gridworkConsole.planPublished")
    assert planned in [s["order_id"] for s in plan["published"]], plan
    assert after["status"] == "assigned", "the plan's stop became an assignment"

    # Re-plan after a new order came in: before publishing, the plan is compared with the one in force.
    first_plan = plan["id"]
    newcomer_order = create(client, world["x1_admin"], client_ref="PLAN-2", publish=True)["id"]
    page.wait_for_function("!document.querySelector('#plan-replan').disabled")
    page.check("#plan-replan")
    page.click("#plan-start")
    page.wait_for_function(f"window.gridworkConsole.plan && window.gridworkConsole.plan.id > {first_plan}")
    run_jobs(app)
    page.wait_for_function(
        "window.gridworkConsole.compared === window.gridworkConsole.plan.id && window.gridworkConsole.plan.id > 0",
        timeout=20_000,
    )
    assert page.get_attribute("#plan-compare", "data-current-plan-id") == str(first_plan)
    assert page.inner_text("#plan-compare-with") == f"#{first_plan}"
    assert page.locator('#plan-compare-totals tr[data-total="travel_m"] td').count() == 4
    placed = page.locator(f'#plan-compare-newly li[data-order-id="{newcomer_order}"]').count()
    left_out = page.locator(f'#plan-unassigned li[data-order-id="{newcomer_order}"]').count()
    assert placed + left_out == 1, "the new order is either newly assigned or left out with its reason"
    assert page.locator("#plan-techs tbody tr").count() >= 1, "travel, lateness and utilisation per technician"
    assert page.locator(f'#plan-compare-moved li[data-order-id="{planned}"]').count() == 0, "assigned work stays"
    screenshots(page, "console-plan-compare", focus="#plan-compare-techs")
    page.click("#plan-publish")
    page.wait_for_function(
        f"window.gridworkConsole.planPublished && window.gridworkConsole.planPublished.id > {first_plan}"
    )

    page.click('#tabs a[href="#approvals"]')
    verify = f'#ap-skills li[data-skill-id="{skill_id}"] button.verify'
    page.wait_for_selector(verify)
    screenshots(page, "console-approvals")
    page.click(verify)
    page.wait_for_selector(verify, state="detached")
    with app.app_context():
        assert db.session.get(TechnicianSkill, skill_id).state == "verified"

    page.evaluate(f"window.gridworkConsole.openOrder({delivered})")  # as from a list
    link = f'#od-evidence li[data-sha256="{photo_sha}"] a.download'
    page.wait_for_selector(link)
    with page.expect_download() as download:
        page.click(link)
    assert download.value.suggested_filename == f"order-{delivered}-{photo_sha[:12]}.png"
    assert download.value.path().read_bytes() == photos["image"], "the dispatcher downloads the evidence"

    page.click('#tabs a[href="#kpis"]')
    page.wait_for_selector('.kpi[data-kpi="orders_late"]')
    assert page.inner_text('.kpi[data-kpi="orders_open"] strong') != "\N{EN DASH}"
    page.click('.kpi[data-kpi="orders_late"]')
    page.wait_for_selector("#kpi-list li")
    assert f"#{urgent}" in page.inner_text("#kpi-list")
    assert "¥" in page.inner_text('.kpi[data-kpi="pay_today"] strong'), "today's pay in yuan"
    page.click('.kpi[data-kpi="pay_today"]')
    page.wait_for_selector("#kpi-list li.total")
    page.wait_for_function("window.gridworkConsole.charted === true")
    assert page.locator("#chart-console-per-day svg").count() == 1
    assert page.locator("#chart-console-sla svg").count() == 1
    screenshots(page, "console-kpis", focus="#chart-console-sla")

    page.click('#tabs a[href="#dead"]')
    page.wait_for_selector("#dead-list li")
    page.select_option("#lang", "en")
    page.wait_for_function("document.querySelector('#tabs a[href=\"#plan\"]').textContent === 'Plan a region'")
    page.click('#tabs a[href="#map"]')
    screenshots(page, "console-map")
