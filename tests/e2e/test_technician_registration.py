"""Registration in the technician app at a phone viewport (Playwright driving Debian's Chromium):
phone + SMS code, the ID card's two photos (a fictional card drawn by the test) read by OCR on the
server and confirmed as read, a bank card whose bank is named from its BIN while it is typed,
role, the signed agreement, a region and a skill, then submitted for review."""

import pytest
import requests
from sqlalchemy import select
from stdnum import luhn

from backend.extensions import db
from backend.models import Region, User
from backend.sms import send_code
from tests.e2e.pages import PHONE, needs_chromium, rendered, screenshots
from tests.factories import PASSWORD
from tests.fixtures.id_card_image import make_card
from tests.integration.notifications import sms_capture
from tests.integration.orders.conftest import CITY, DISTRICT_A, _fast_passwords  # noqa: F401  (fixture)

pytest.importorskip("playwright.sync_api")
pytestmark = needs_chromium
MOBILE = "/api/mobile/v1"
NEW_PHONE = "13700137000"
CARD_BODY = "622202" + "1" * 12  # ICBC's BIN: 19 digits with the Luhn digit
ICBC_CARD = CARD_BODY + luhn.calc_check_digit(CARD_BODY)


@pytest.fixture
def district(app, factory):
    """A platform district to ask for, and the catalogue to choose from (tests truncate it)."""
    with app.app_context():
        factory.workforce_catalogue()
    city = factory.region(CITY, code="CITY")
    return factory.region(DISTRICT_A, level="district", parent_id=city, code="A")


def code_for(app, monkeypatch, phone) -> str:
    """Replace the code the app asked for with one the test can read (the web process texts
    its own code to its log)."""
    monkeypatch.setitem(app.config, "SMS_PROVIDER", "tests.integration.notifications.sms_capture:RecordingSms")
    sms_capture.SENT.clear()
    with app.app_context():
        send_code(phone, "register")
    return sms_capture.SENT[-1][1].split("code ")[1][:6]


def open_step(page, step):
    page.click(f'li.step[data-step="{step}"] a')
    rendered(page, step)


def test_a_technician_registers_with_an_id_card_read_by_ocr_and_a_recognized_bank(
    app, live_server, phone_page, district, monkeypatch, tmp_path
):
    page, card = phone_page, make_card(seed=5, camera=True)
    page.goto(f"{live_server}/app")
    page.click("#register-link")
    rendered(page, "register")
    page.fill("#reg-phone", NEW_PHONE)
    page.click("#send-code")
    page.wait_for_function("window.gridworkApp.codeSent === true")
    page.fill("#reg-code", code_for(app, monkeypatch, NEW_PHONE))
    page.fill("#reg-name", "小样")
    page.fill("#reg-password", PASSWORD)
    page.click("#register-button")
    rendered(page, "profile:onboarding")
    assert page.inner_text("#approval-state") == "资料待完善"

    # Identity: both photos taken, read on the server, the fields shown for confirmation.
    open_step(page, "identity")
    assert page.get_attribute("#id-front", "capture") == "environment"
    front, back = tmp_path / "front.png", tmp_path / "back.png"
    front.write_bytes(card.front_png)
    back.write_bytes(card.back_png)
    page.set_input_files("#id-front", str(front))
    page.set_input_files("#id-back", str(back))
    page.wait_for_function("window.gridworkApp.ocr != null", timeout=90_000)
    assert page.input_value("#legal-name") == card.name
    assert page.input_value("#id-number") == card.id_number
    assert page.input_value("#valid-from") == card.valid_from
    if card.valid_to == "long_term":
        assert page.is_checked("#long-term")
    else:
        assert page.input_value("#valid-to") == card.valid_to
    assert page.inner_text("#id-number-check") == "号码校验通过"
    screenshots(page, "app-identity-ocr")
    page.set_viewport_size(PHONE)
    page.click("#identity-save")
    rendered(page, "profile:onboarding")

    # Payout: the bank appears from the BIN while the number is typed; nobody types its name.
    open_step(page, "payout")
    page.type("#card-number", ICBC_CARD, delay=20)
    page.wait_for_selector('#bank-name[data-state="known"]')
    assert page.inner_text("#bank-name").startswith("中国工商银行")
    assert page.input_value("#card-number").count(" ") == 4, "shown in groups of four"
    screenshots(page, "app-payout-bank")
    page.set_viewport_size(PHONE)
    page.click("#payout-save")
    rendered(page, "profile:onboarding")

    open_step(page, "role")
    page.check('input[name="role"][value="repair"]')
    page.click("#role-save")
    rendered(page, "profile:onboarding")

    open_step(page, "agreement")
    assert page.is_disabled("#sign-agreement"), "signing waits for the tick"
    page.check("#agree")
    page.click("#sign-agreement")
    rendered(page, "profile:onboarding")

    open_step(page, "regions")
    page.click(f'li.region[data-region-id="{district}"] button.ask-region')
    page.wait_for_selector(f'li.region[data-region-id="{district}"] .tag')
    page.click('nav.tabs a[href="#/profile"]')
    rendered(page, "profile:onboarding")

    open_step(page, "skills")
    page.select_option("#skill", "fibre_splicing")
    page.select_option("#skill-level", "3")
    page.fill("#cert-no", "CERT-0001")
    page.click("#skill-save")
    page.wait_for_function("document.querySelector('#skills ul').textContent.includes('L3')")
    page.click('nav.tabs a[href="#/profile"]')
    rendered(page, "profile:onboarding")
    assert page.locator("li.step.done").count() == 6

    page.click("#submit-profile")
    rendered(page, "profile:submitted")
    screenshots(page, "app-profile-submitted")
    page.set_viewport_size(PHONE)
    assert page.inner_text("#approval-state") == "审核中"
    assert page.inner_text('li.step[data-step="regions"] div.muted') == "region 已申请", "named, not numbered"

    token = requests.post(
        f"{live_server}{MOBILE}/auth/login", json={"phone": NEW_PHONE, "password": PASSWORD}, timeout=30
    ).json()["access_token"]
    me = requests.get(f"{live_server}{MOBILE}/me", headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    assert me["status"] == "submitted" and me["missing"] == []
    assert me["legal_name"] == card.name and me["id_number"].endswith(card.id_number[-4:])
    assert (me["id_valid_from"], me["id_valid_to"]) == (card.valid_from, card.valid_to)
    assert me["has_id_photo"] is True
    assert me["payout_account"]["bank_name"] == "中国工商银行"
    assert me["payout_account"]["account"].endswith(ICBC_CARD[-4:]) and ICBC_CARD not in str(me)
    assert me["role"]["code"] == "repair"
    assert [(r["region_id"], r["state"]) for r in me["regions"]] == [(district, "requested")]
    assert [(s["skill"], s["level"], s["state"]) for s in me["skills"]] == [("fibre_splicing", 3, "pending")]
    with app.app_context():
        assert db.session.scalar(select(User.name).where(User.phone == NEW_PHONE)) == "小样"
        assert db.session.get(Region, district).org_id is None
