"""Publishing an order reserves its estimated cost; cancel and expiry release it; verification
re-prices it; without enough funds (plus credit) publishing is a 422 naming the shortfall."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from backend.extensions import db
from backend.models import LedgerTransfer, Order
from backend.models.settlement import OrderReservation
from backend.money import settlement
from tests.integration.flows.books import API, CONSOLE, fund, money_card
from tests.integration.orders.helpers import act, create

# District A's coefficient is 1.2: 10 points x 1.2 = 12 points = 1,200 fen of pay + 10% fee.
ESTIMATE = 1_320


def funds(client, world, org="x1"):
    items = client.get(f"{API}/funds", headers=world[f"{org}_admin"]).get_json()["items"]
    return next(i for i in items if i["org_id"] == world[org])


def test_publishing_reserves_the_estimate_and_cancel_releases_it(app, client, world):
    money_card(app, world["x"])  # the parent's card applies to its sub-accounts
    fund(client, world["admin"], world["x1"], 2_000)
    order = create(client, world["x1_admin"], publish=True)
    assert order["status"] in ("published", "offered")
    now = funds(client, world)
    assert (now["balance_fen"], now["reserved_fen"], now["available_fen"]) == (2_000, ESTIMATE, 2_000 - ESTIMATE)
    with app.app_context():
        reservation = db.session.get(OrderReservation, order["id"])
        assert reservation.estimate["pay_fen"] == 1_200 and reservation.estimate["fee_fen"] == 120
    act(client, world["x1_admin"], f"{API}/orders/{order['id']}/cancel", reason="not needed")
    after = funds(client, world)
    assert (after["reserved_fen"], after["available_fen"]) == (0, 2_000)


def test_publishing_without_funds_names_the_shortfall_and_stores_nothing(app, client, world):
    money_card(app, world["x"])
    fund(client, world["admin"], world["x1"], 1_000)
    order = create(client, world["x1_admin"])
    response = client.post(f"{API}/orders/{order['id']}/publish", headers=world["x1_admin"])
    assert response.status_code == 422
    problem = response.get_json()
    assert (problem["shortfall_fen"], problem["required_fen"], problem["available_fen"]) == (320, ESTIMATE, 1_000)
    assert problem["errors"][0]["field"] == "funds"
    with app.app_context():
        assert db.session.get(Order, order["id"]).status == "created"
        assert db.session.scalar(select(func.count()).select_from(LedgerTransfer).where(LedgerTransfer.pending)) == 0


def test_credit_covers_the_shortfall_and_the_next_top_up_repays_it(app, client, world):
    money_card(app, world["x"])
    client.put(f"{CONSOLE}/organizations/{world['x1']}/credit-limit", headers=world["admin"], json={"limit_fen": 500})
    fund(client, world["admin"], world["x1"], 1_000)
    create(client, world["x1_admin"], publish=True)
    drawn = funds(client, world)
    assert (drawn["credit_used_fen"], drawn["balance_fen"], drawn["available_fen"]) == (320, 1_320, 180)
    lower = client.put(
        f"{CONSOLE}/organizations/{world['x1']}/credit-limit", headers=world["admin"], json={"limit_fen": 100}
    )
    assert lower.status_code == 422 and "320 fen of credit is in use" in lower.get_json()["detail"]
    top_up = fund(client, world["admin"], world["x1"], 1_000, "CMB-R2")
    assert top_up["repaid_credit_fen"] == 320
    repaid = funds(client, world)
    assert (repaid["credit_used_fen"], repaid["balance_fen"], repaid["available_fen"]) == (0, 2_000, 1_180)


def test_a_client_without_money_terms_reserves_nothing(client, world):
    order = create(client, world["x1_admin"], publish=True)
    assert order["status"] in ("published", "offered")
    assert funds(client, world)["reserved_fen"] == 0


def test_verification_reprices_the_reservation(app, client, world):
    card = money_card(app, world["x"])
    fund(client, world["admin"], world["x1"], 5_000)
    order = create(client, world["x1_admin"], publish=True)
    with app.app_context():
        row = db.session.get(Order, order["id"])
        row.points_centi, row.rate_card_id = 2_000, card  # verified at 20 points
        settlement.adjust_order(row)
        db.session.commit()
        reservation = db.session.get(OrderReservation, order["id"])
        assert (reservation.version, reservation.amount_fen, reservation.state) == (2, 2_200, "open")
    assert funds(client, world)["reserved_fen"] == 2_200


def test_expiry_releases_the_reservation(app, client, world):
    money_card(app, world["x"])
    fund(client, world["admin"], world["x1"], 2_000)
    start = datetime.now(UTC) - timedelta(hours=3)
    window = [{"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}]
    order = create(client, world["x1_admin"], publish=True, time_windows=window)
    assert funds(client, world)["reserved_fen"] == ESTIMATE
    with app.app_context():
        from backend.orders import jobs

        assert jobs.expire_orders() == 1
        assert db.session.get(Order, order["id"]).status == "expired"
    assert funds(client, world)["reserved_fen"] == 0
