"""A client with money terms on its rate card, technicians, and verified orders placed in time."""

import itertools
from datetime import UTC, datetime

import pytest

from backend.extensions import db
from backend.models import Order, OrderEvent, Organization, RateCard, Team, TeamMembership

TERMS = {
    "base_points": {"default": "10.00"},
    "efficiency": {"min": "0.80", "max": "1.20"},
    "quality": {"1": "0.50", "2": "0.80", "3": "1.00", "4": "1.10", "5": "1.20", "unrated": "1.00"},
    "urgency_bonus": {"urgent": "5.00", "high": "2.00", "normal": "0.00", "low": "0.00"},
    "fen_per_point": "150",
    "fee_bps": 800,
    "insurance_premium_fen": 120,
    "sharing": {"work_types": ["sales"], "level1_bps": 500, "level2_bps": 250},
    "work_item_points": {
        "reading": {"unit": "piece", "points_per_unit": "0.25"},
        "project": {"unit": "hour", "points_per_unit": "8"},
    },
    "confirm_window_hours": 72,
}
_refs = itertools.count(1)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


class World:
    """Builds rows directly (no order lifecycle): what the day close reads."""

    def __init__(self, app, factory):
        self.app, self.factory = app, factory
        self.org = self.client_org("Asia/Shanghai")
        self.card_id = self.card(self.org)
        self.tech = factory.technician()
        self.other_tech = factory.technician()
        self.key = factory.api_key(self.org, scopes=("orders:read", "orders:write", "webhooks:manage"))
        self.client = {"X-API-Key": self.key}

    def client_org(self, timezone, parent_id=None):
        with self.app.app_context():
            org = Organization(name=f"client-{timezone}", kind="client", timezone=timezone, parent_id=parent_id)
            db.session.add(org)
            db.session.commit()
            return org.id

    def card(self, org_id, terms=TERMS):
        with self.app.app_context():
            card = RateCard(org_id=org_id, version=1, terms=terms)
            db.session.add(card)
            db.session.commit()
            return card.id

    def verified_order(
        self, technician_id, verified_at, *, org_id=None, points_centi=2000, work_type="repair", card=True
    ):
        """An order of the client verified at `verified_at` (UTC) by the technician."""
        with self.app.app_context():
            order = Order(
                org_id=org_id or self.org,
                client_ref=f"o-{next(_refs)}",
                kind="project",
                status="verified",
                work_type=work_type,
                technician_id=technician_id,
                points_centi=points_centi,
                rate_card_id=self.card_id if card else None,
                on_site_at=verified_at,
            )
            db.session.add(order)
            db.session.flush()
            db.session.add(
                OrderEvent(
                    order_id=order.id,
                    action="verified",
                    from_status="delivered",
                    to_status="verified",
                    actor_kind="user",
                    created_at=verified_at,
                )
            )
            db.session.commit()
            return order.id

    def fund(self, amount_fen, reference="bank-1"):
        """A bank transfer received for the client (what finalization pays from)."""
        from backend.money import settlement

        with self.app.app_context():
            settlement.record_funding(self.org, amount_fen, reference)
            db.session.commit()

    def team(self, leader_id, member_ids):
        with self.app.app_context():
            team = Team(leader_id=leader_id)
            db.session.add(team)
            db.session.flush()
            for member in member_ids:
                db.session.add(TeamMembership(technician_id=member, team_id=team.id))
            db.session.commit()


@pytest.fixture
def world(app, factory):
    return World(app, factory)
