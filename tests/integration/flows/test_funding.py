"""Client funding, allocations, credit limits and the funds views, through the API; every bad
input is a 4xx problem naming the field and stores nothing."""

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import LedgerTransfer
from tests.integration.flows.books import API, CONSOLE, fund


def transfer_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LedgerTransfer))


def funds_of(client, headers):
    response = client.get(f"{API}/funds", headers=headers)
    assert response.status_code == 200, response.get_json()
    return {item["org_id"]: item for item in response.get_json()["items"]}


def test_a_bank_transfer_credits_the_client_once_per_reference(client, world):
    first = fund(client, world["admin"], world["x"], 500_000, "CMB-0001")
    assert first["created"] is True and first["transfer"]["code"] == "funding"
    again = fund(client, world["admin"], world["x"], 500_000, "CMB-0001", expect=200)
    assert again["created"] is False and again["transfer"]["id"] == first["transfer"]["id"]
    funds = funds_of(client, world["x_admin"])
    assert funds[world["x"]]["balance_fen"] == 500_000
    assert funds[world["x"]]["available_fen"] == 500_000
    assert set(funds) == {world["x"], world["x1"], world["x2"]}


def test_a_reused_bank_reference_with_another_amount_is_refused_naming_it(app, client, world):
    fund(client, world["admin"], world["x"], 500_000, "CMB-0002")
    before = transfer_count(app)
    response = client.post(
        f"{CONSOLE}/funding",
        headers=world["admin"],
        json={"org_id": world["x"], "amount_fen": 400_000, "bank_reference": "CMB-0002"},
    )
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["errors"][0]["field"] == "bank_reference" and problem["recorded_amount_fen"] == 500_000
    assert transfer_count(app) == before


@pytest.mark.parametrize(
    "body, field, status",
    [
        ({"amount_fen": -5}, "amount_fen", 422),
        ({"amount_fen": 0}, "amount_fen", 422),
        ({"amount_fen": 10.5}, "amount_fen", 422),
        ({"amount_fen": "100"}, "amount_fen", 422),
        ({"bank_reference": ""}, "bank_reference", 422),
        ({"org_id": 999_999}, "org_id", 404),
    ],
)
def test_bad_funding_is_a_problem_naming_the_field(app, client, world, body, field, status):
    full = {"org_id": world["x"], "amount_fen": 100, "bank_reference": "CMB-BAD", **body}
    response = client.post(f"{CONSOLE}/funding", headers=world["admin"], json=full)
    assert response.status_code == status, response.get_json()
    assert field in {e["field"] for e in response.get_json()["errors"]}
    assert transfer_count(app) == 0


def test_only_platform_admins_record_funding(client, world):
    body = {"org_id": world["x"], "amount_fen": 100, "bank_reference": "CMB-X"}
    assert client.post(f"{CONSOLE}/funding", headers=world["x_admin"], json=body).status_code == 403
    assert client.post(f"{CONSOLE}/funding", headers=world["dispatcher"], json=body).status_code == 403


def test_a_parent_allocates_to_its_sub_account_idempotently(client, world):
    fund(client, world["admin"], world["x"], 100_000)
    body = {"to_org_id": world["x1"], "amount_fen": 30_000, "reference": "ALLOC-1"}
    first = client.post(f"{API}/funds/allocations", headers=world["x_admin"], json=body)
    assert first.status_code == 201, first.get_json()
    assert client.post(f"{API}/funds/allocations", headers=world["x_admin"], json=body).status_code == 200
    funds = funds_of(client, world["x_admin"])
    assert funds[world["x"]]["balance_fen"] == 70_000 and funds[world["x1"]]["balance_fen"] == 30_000
    moves = client.get(f"{API}/funds/transactions?org_id={world['x1']}", headers=world["x_admin"]).get_json()
    assert [(m["code"], m["direction"], m["amount_fen"]) for m in moves["items"]] == [("allocation", "in", 30_000)]


def test_allocations_refuse_foreign_organizations_overdrafts_and_siblings(app, client, world):
    fund(client, world["admin"], world["x"], 10_000)
    fund(client, world["admin"], world["x1"], 10_000)
    before = transfer_count(app)

    def allocate(headers, **body):
        return client.post(f"{API}/funds/allocations", headers=headers, json={"reference": "R", **body})

    foreign = allocate(world["x_admin"], to_org_id=world["y"], amount_fen=100)
    assert foreign.status_code == 404 and foreign.get_json()["errors"][0]["field"] == "to_org_id"
    too_much = allocate(world["x_admin"], to_org_id=world["x1"], amount_fen=10_001)
    assert too_much.status_code == 422 and too_much.get_json()["shortfall_fen"] == 1
    sibling = allocate(world["x1_admin"], from_org_id=world["x1"], to_org_id=world["x2"], amount_fen=100)
    assert sibling.status_code == 404
    fractional = allocate(world["x_admin"], to_org_id=world["x1"], amount_fen=1.5)
    assert fractional.status_code == 422 and fractional.get_json()["errors"][0]["field"] == "amount_fen"
    assert transfer_count(app) == before


def test_a_credit_limit_is_drawn_when_funds_fall_short_and_repaid_by_the_next_top_up(app, client, world):
    response = client.put(
        f"{CONSOLE}/organizations/{world['x1']}/credit-limit", headers=world["admin"], json={"limit_fen": 50_000}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["available_fen"] == 50_000
    with app.app_context():
        from backend.money import settlement

        settlement.set_credit_limit(world["x1"], 50_000, None)  # the same limit again moves nothing
        db.session.commit()
    funds = funds_of(client, world["x1_admin"])[world["x1"]]
    assert (funds["credit_limit_fen"], funds["credit_used_fen"], funds["available_fen"]) == (50_000, 0, 50_000)
    lower = client.put(
        f"{CONSOLE}/organizations/{world['x1']}/credit-limit", headers=world["admin"], json={"limit_fen": -1}
    )
    assert lower.status_code == 422 and lower.get_json()["errors"][0]["field"] == "limit_fen"


def test_statement_lists_the_months_movements_with_running_balances(client, world):
    fund(client, world["admin"], world["x"], 100_000, "CMB-S1")
    client.post(
        f"{API}/funds/allocations",
        headers=world["x_admin"],
        json={"to_org_id": world["x1"], "amount_fen": 25_000, "reference": "S"},
    )
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    month = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    response = client.get(f"{API}/statements/{month}.csv", headers=world["x_admin"])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = [line.split(",") for line in response.get_data(as_text=True).strip().splitlines()]
    x_rows = [r for r in rows[1:] if r[0] == str(world["x"])]
    assert [r[4] for r in x_rows] == ["opening_balance", "funding", "allocation", "closing_balance"]
    assert [r[-1] for r in x_rows] == ["0", "100000", "75000", "75000"]
    x1_rows = [r for r in rows[1:] if r[0] == str(world["x1"])]
    assert x1_rows[-1][-1] == "25000"
    assert client.get(f"{API}/statements/2026-13.csv", headers=world["x_admin"]).status_code == 422
