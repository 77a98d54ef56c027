"""Phone registration, sign-in and the onboarding path up to an admin's approval."""

from sqlalchemy import func, select, text

from backend.extensions import db
from backend.models import Technician, User
from backend.workforce.eligibility import Requirements, eligible_technicians
from tests.factories import PASSWORD

MOBILE = "/api/mobile/v1"
CONSOLE = "/api/console/v1"


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_registration_needs_the_texted_code_and_then_login_works(client, app, sms_codes):
    phone = "+86 138-0013-8000"
    assert client.post(f"{MOBILE}/auth/sms-code", json={"phone": phone}).status_code == 202
    code = sms_codes()
    wrong = "000000" if code != "000000" else "111111"
    bad = client.post(
        f"{MOBILE}/auth/register", json={"phone": phone, "code": wrong, "password": PASSWORD, "name": "Li"}
    )
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "code"
    assert _count(app, User) == 0

    good = client.post(
        f"{MOBILE}/auth/register", json={"phone": phone, "code": code, "password": PASSWORD, "name": "Li"}
    )
    assert good.status_code == 201 and good.get_json()["access_token"]
    again = client.post(
        f"{MOBILE}/auth/register", json={"phone": phone, "code": code, "password": PASSWORD, "name": "Li"}
    )
    assert again.status_code == 422, "a code is single-use"

    login = client.post(f"{MOBILE}/auth/login", json={"phone": "13800138000", "password": PASSWORD})
    assert login.status_code == 200
    me = client.get(f"{MOBILE}/me", headers={"Authorization": f"Bearer {login.get_json()['access_token']}"})
    assert me.status_code == 200
    body = me.get_json()
    assert body["status"] == "onboarding" and body["phone"] == "138****8000"
    assert set(body["missing"]) == {"identity", "payout_account", "role", "agreement"}
    assert (
        client.post(f"{MOBILE}/auth/login", json={"phone": "13800138000", "password": "wrong-password"}).status_code
        == 401
    )


def test_a_code_dies_after_five_wrong_guesses(client, sms_codes):
    phone = "13900001111"
    client.post(f"{MOBILE}/auth/sms-code", json={"phone": phone})
    code = sms_codes()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post(f"{MOBILE}/auth/register", json={"phone": phone, "code": wrong, "password": PASSWORD, "name": "Li"})
    late = client.post(
        f"{MOBILE}/auth/register", json={"phone": phone, "code": code, "password": PASSWORD, "name": "Li"}
    )
    assert late.status_code == 422


def test_sms_codes_are_rate_limited_per_phone(client):
    assert client.post(f"{MOBILE}/auth/sms-code", json={"phone": "13700001111"}).status_code == 202
    second = client.post(f"{MOBILE}/auth/sms-code", json={"phone": "13700001111"})
    assert second.status_code == 429 and second.get_json()["retry_after"] > 0


def test_a_bad_phone_number_is_refused_with_the_field_named(client):
    response = client.post(f"{MOBILE}/auth/sms-code", json={"phone": "12345"})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "phone"


def test_an_incomplete_profile_cannot_be_submitted(client, register):
    headers, _ = register()
    response = client.post(f"{MOBILE}/me/submit", headers=headers)
    assert response.status_code == 422
    assert {e["field"] for e in response.get_json()["errors"]} == {"identity", "payout_account", "role", "agreement"}
    assert client.get(f"{MOBILE}/me", headers=headers).get_json()["status"] == "onboarding"


def test_only_an_approved_profile_is_eligible(client, app, factory, onboarded):
    region = factory.region((116.0, 39.0, 117.0, 40.0))
    _, technician_id = onboarded()
    admin = factory.as_role("platform_admin")
    client.put(f"{CONSOLE}/technicians/{technician_id}/regions", headers=admin, json={"region_ids": [region]})

    with app.app_context():
        assert eligible_technicians(Requirements(region_id=region)) == []

    response = client.post(f"{CONSOLE}/technicians/{technician_id}/review", headers=admin, json={"decision": "approve"})
    assert response.status_code == 200 and response.get_json()["status"] == "approved"
    with app.app_context():
        assert [e.technician_id for e in eligible_technicians(Requirements(region_id=region))] == [technician_id]


def test_a_dispatcher_cannot_approve_a_profile(client, app, factory, onboarded):
    _, technician_id = onboarded()
    response = client.post(
        f"{CONSOLE}/technicians/{technician_id}/review",
        headers=factory.as_role("dispatcher"),
        json={"decision": "approve"},
    )
    assert response.status_code == 403
    with app.app_context():
        status = db.session.execute(
            text("SELECT status FROM technician_profiles WHERE technician_id = :t"), {"t": technician_id}
        ).scalar()
    assert status == "submitted"


def test_a_rejected_profile_can_be_fixed_and_resubmitted(client, factory, onboarded):
    headers, technician_id = onboarded()
    admin = factory.as_role("platform_admin")
    rejected = client.post(
        f"{CONSOLE}/technicians/{technician_id}/review",
        headers=admin,
        json={"decision": "reject", "note": "photo unreadable"},
    )
    assert rejected.get_json()["status"] == "rejected" and rejected.get_json()["review_note"] == "photo unreadable"
    assert client.post(f"{MOBILE}/me/submit", headers=headers).get_json()["status"] == "submitted"
    twice = client.post(f"{CONSOLE}/technicians/{technician_id}/review", headers=admin, json={"decision": "approve"})
    assert twice.status_code == 200
    again = client.post(f"{CONSOLE}/technicians/{technician_id}/review", headers=admin, json={"decision": "approve"})
    assert again.status_code == 409


def test_a_technician_cannot_use_the_console(client, register):
    headers, _ = register()
    assert client.get(f"{CONSOLE}/technicians", headers=headers).status_code == 403


def test_registration_creates_exactly_one_technician(client, app, register):
    register()
    assert _count(app, Technician) == 1 and _count(app, User) == 1
