"""The demo client's money (part of `flask seed-demo`, idempotent): a rate card with money terms
for 中国铁塔 Sichuan Branch, a received bank transfer of 1,000,000 yuan, allocations to its two
projects, and a credit limit, so that published orders reserve and finalized records pay."""

import click

from backend.extensions import db
from backend.money import settlement
from backend.orders import points
from backend.seed.demo_city import ensure_organizations

YUAN = 100
MONEY_TERMS = {
    "fen_per_point": "500",  # 5 yuan a point
    "fee_bps": 800,  # 8% on top of pay
    "insurance_premium_fen": 150,  # 1.50 yuan per order
    "sharing": {"work_types": ["sales"], "level1_bps": 500, "level2_bps": 200},
    "work_item_points": {"reading": {"unit": "piece", "points_per_unit": "0.50"}},
    "confirm_window_hours": 72,
}
ALLOCATIONS = (("urban", 500_000 * YUAN), ("suburban", 200_000 * YUAN))


def seed():
    orgs = ensure_organizations()
    client = orgs["client"]
    card = points.card_for(client.id)
    if settlement.money_terms(card) is None:
        points.create_card(client.id, {**points.DEFAULT_TERMS, **(card.terms if card else {}), **MONEY_TERMS})
    settlement.record_funding(client.id, 1_000_000 * YUAN, "DEMO-SEED-0001", note="demo top-up")
    for key, amount in ALLOCATIONS:
        settlement.allocate(client.id, orgs[key].id, amount, f"demo-seed-{key}")
    if settlement.credit_limit(client.id) == 0:
        settlement.set_credit_limit(client.id, 50_000 * YUAN, None, note="demo credit line")
    db.session.commit()
    click.echo("demo money ready: 1,000,000 yuan received, 700,000 allocated to the projects, 50,000 credit")
