"""Points on verification: base * efficiency * quality * region coefficient + urgency bonus,
under the client's versioned rate card; the version and breakdown are stored and shown."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import update

from backend.extensions import db
from backend.models import Order
from backend.models.base import utcnow
from backend.orders.points import DEFAULT_TERMS, compute
from tests.integration.orders.conftest import SITE_A
from tests.integration.orders.helpers import API, CONSOLE, MOBILE, act, create

TERMS = {
    "base_points": {"default": "10.00", "fibre_repair": "20.00"},
    "efficiency": {"min": "0.80", "max": "1.50"},
    "quality": {"1": "0.50", "2": "0.80", "3": "1.00", "4": "1.10", "5": "1.20", "unrated": "1.00"},
    "urgency_bonus": {"urgent": "5.00", "high": "2.00", "normal": "0.00", "low": "0.00"},
}


def _order(**kw):
    values = {
        "work_type": "fibre_repair",
        "standard_duration_min": 60,
        "on_site_minutes": 60,
        "quality_rating": None,
        "priority": "normal",
        **kw,
    }
    return SimpleNamespace(**values)


def test_efficiency_is_bounded_and_rounding_is_half_up():
    slow = compute(_order(on_site_minutes=600), TERMS, Decimal("1"))
    fast = compute(_order(on_site_minutes=10), TERMS, Decimal("1"))
    assert slow[1]["efficiency"] == "0.8000" and slow[0] == 1600
    assert fast[1]["efficiency"] == "1.5000" and fast[0] == 3000
    third = compute(_order(on_site_minutes=70, work_type="other"), TERMS, Decimal("1.000"))
    assert third[0] == 857, "10 * (60/70 = 0.8571) = 8.571 -> 8.57 points"
    half = compute(_order(work_type="other"), {**TERMS, "base_points": {"default": "0.125"}}, Decimal("1"))
    assert half[0] == 13, "0.125 rounds half-up to 0.13"
    assert compute(_order(on_site_minutes=None), DEFAULT_TERMS, Decimal("1"))[1]["efficiency"] == "1.0000"


def delivered(app, client, world, minutes_on_site, **overrides):
    order = create(client, world["x1_admin"], publish=True, **overrides)
    oid = order["id"]
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{oid}/claim")
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{oid}/en-route")
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{oid}/check-in", location=list(SITE_A), accuracy_m=5)
    with app.app_context():  # the technician arrived `minutes_on_site` ago
        db.session.execute(
            update(Order).where(Order.id == oid).values(on_site_at=utcnow() - timedelta(minutes=minutes_on_site))
        )
        db.session.commit()
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{oid}/deliver", notes="done")
    return oid


def test_points_under_the_clients_rate_card_versions(app, client, world):
    card = act(client, world["admin"], f"{CONSOLE}/rate-cards", expect=201, org_id=world["x"], terms=TERMS)
    assert card["version"] == 1
    first = delivered(app, client, world, 75, priority="high")
    verified = act(client, world["x1_admin"], f"{API}/orders/{first}/accept", rating=5)
    # 20 base * (60/75 = 0.8) * 1.2 quality * 1.2 region A + 2 urgency = 25.04
    assert verified["status"] == "verified" and verified["points"]["points"] == "25.04"
    assert verified["points"]["points_centi"] == 2504
    assert verified["points"]["rate_card"] == {"id": card["id"], "org_id": world["x"], "version": 1}
    breakdown = verified["points"]["breakdown"]
    factors = (breakdown["efficiency"], breakdown["quality"], breakdown["region_coefficient"])
    assert factors == ("0.8000", "1.20", "1.200")

    cheaper = {**TERMS, "base_points": {"default": "5.00"}}
    assert (
        act(client, world["admin"], f"{CONSOLE}/rate-cards", expect=201, org_id=world["x"], terms=cheaper)["version"]
        == 2
    )
    second = delivered(app, client, world, 60)
    later = act(client, world["x1_admin"], f"{API}/orders/{second}/accept")
    assert later["points"]["rate_card"]["version"] == 2 and later["points"]["points"] == "6.00"
    again = client.get(f"{API}/orders/{first}", headers=world["x1_admin"]).get_json()
    assert again["points"]["rate_card"]["version"] == 1, "an order keeps the version it was paid under"

    shown = client.get(f"{MOBILE}/orders/{first}", headers=world["tech_a_h"]).get_json()
    assert shown["points"] == verified["points"], "the technician sees the same breakdown"
    earned = client.get(f"{MOBILE}/me/points", headers=world["tech_a_h"]).get_json()["items"]
    assert [o["points"]["points"] for o in earned] == ["25.04", "6.00"]
    cards = client.get(f"{API}/rate-cards", headers=world["x1_admin"]).get_json()["items"]
    assert [c["version"] for c in cards] == [1, 2], "a sub-account sees its parent's cards"
    assert client.get(f"{API}/rate-cards", headers=world["y_admin"]).get_json()["items"] == []


def test_rating_after_verification_recomputes_and_default_terms_apply(app, client, world):
    oid = delivered(app, client, world, 60)
    verified = act(client, world["x1_admin"], f"{API}/orders/{oid}/accept")
    assert verified["points"]["rate_card"] == {"id": None, "version": "default"}
    assert verified["points"]["points"] == "12.00", "10 default base * 1 * 1 unrated * 1.2 region"
    rated = act(client, world["x1_admin"], f"{API}/orders/{oid}/rating", rating=1)
    assert rated["quality_rating"] == 1 and rated["points"]["points"] == "6.00"
    assert client.post(f"{API}/orders/{oid}/rating", headers=world["x1_admin"], json={"rating": 6}).status_code == 422


def test_bad_terms_and_who_may_set_cards(client, world):
    broken = {**TERMS, "efficiency": {"min": "2", "max": "1"}}
    response = client.post(
        f"{CONSOLE}/rate-cards", headers=world["admin"], json={"org_id": world["x"], "terms": broken}
    )
    assert response.status_code == 422
    missing = client.post(f"{CONSOLE}/rate-cards", headers=world["admin"], json={"org_id": world["x"], "terms": {}})
    assert {e["field"] for e in missing.get_json()["errors"]} >= {"terms.base_points", "terms.quality"}
    assert (
        client.post(
            f"{CONSOLE}/rate-cards", headers=world["dispatcher"], json={"org_id": world["x"], "terms": TERMS}
        ).status_code
        == 403
    )
