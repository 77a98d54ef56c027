"""The client's chart figures (GET /api/v1/stats): orders per local day by status, SLA per region,
cost per day and region from the daily records, points and ratings; a sub-account sees only its
own; bad ranges are a 422 naming the field; platform staff are sent to the console."""

from datetime import date, timedelta

from sqlalchemy import select, update

from backend.extensions import db
from backend.models import DailyWorkRecord, Order
from backend.models.base import utcnow
from backend.money import records
from tests.integration.records.conftest import utc

DAY = date(2026, 12, 1)


def _stats(client, headers, query="", expect=200):
    response = client.get(f"/api/v1/stats{query}", headers=headers)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_figures_from_orders_and_daily_records(app, client, world, factory):
    region = factory.region((104.0, 30.6, 104.2, 30.8), code="R1")
    first = world.verified_order(world.tech, utc(2026, 12, 1, 2, 0), points_centi=2000)
    second = world.verified_order(world.tech, utc(2026, 12, 1, 3, 0), points_centi=1000)
    now = utcnow()
    with app.app_context():
        db.session.execute(
            update(Order).where(Order.id == first).values(region_id=region, sla_deadline=now, quality_rating=5)
        )
        db.session.execute(update(Order).where(Order.id.in_([first, second])).values(created_at=utc(2026, 12, 1, 1, 0)))
        db.session.execute(
            update(Order)
            .where(Order.id == second)
            .values(
                region_id=region,
                sla_deadline=now,
                sla_breached_at=now,
                quality_rating=3,
                created_at=utc(2026, 12, 1, 1, 0),
            )
        )
        records.close_day(world.org, DAY, utc(2026, 12, 1, 16, 0))
        db.session.commit()
        [record] = db.session.scalars(select(DailyWorkRecord)).all()
        owed = record.pay_fen + record.fee_fen + record.shares_fen + record.insurance_fen
    headers = world.factory.as_role("client_admin", world.org)

    figures = _stats(client, headers, "?first_day=2026-11-25&last_day=2026-12-01")
    assert figures["timezone"] == "Asia/Shanghai"
    assert figures["orders_per_day"] == [{"day": "2026-12-01", "status": "verified", "orders": 2}]
    [sla] = figures["sla_per_region"]
    assert (sla["region_id"], sla["due"], sla["on_time"], sla["breached"], sla["on_time_rate"]) == (
        region,
        2,
        1,
        1,
        0.5,
    )
    assert figures["cost_per_day"] == [{"day": "2026-12-01", "cost_fen": owed}]
    [by_region] = figures["cost_per_region"]
    assert by_region["region_id"] == region and 0 < by_region["cost_fen"] <= owed, "work items carry no region"
    assert figures["quality"]["verified"] == 2
    assert float(figures["quality"]["avg_points"]) == 15.0 and float(figures["quality"]["avg_rating"]) == 4.0
    assert figures["quality"]["ratings"] == [{"rating": 3, "orders": 1}, {"rating": 5, "orders": 1}]
    outside = _stats(client, headers, "?first_day=2026-11-01&last_day=2026-11-30")
    assert outside["orders_per_day"] == [] and outside["cost_per_day"] == []


def test_a_sub_account_sees_its_own_figures_only(app, client, world):
    child = world.client_org("Asia/Shanghai", parent_id=world.org)
    sibling = world.client_org("Asia/Shanghai", parent_id=world.org)
    world.verified_order(world.tech, utc(2026, 12, 1, 2, 0), org_id=sibling)
    span = f"?first_day={(utcnow() - timedelta(days=2)).date()}&last_day={(utcnow() + timedelta(days=1)).date()}"
    mine = _stats(client, world.factory.as_role("client_user", child), span)
    assert mine["orders_per_day"] == []
    parent = _stats(client, world.factory.as_role("client_admin", world.org), span)
    assert sum(row["orders"] for row in parent["orders_per_day"]) == 1
    _stats(client, world.factory.as_role("client_user", child), f"{span}&org_id={sibling}", expect=404)


def test_bad_ranges_and_platform_staff_are_refused(client, world):
    headers = world.factory.as_role("client_admin", world.org)
    body = _stats(client, headers, "?first_day=2026-12-02&last_day=2026-12-01", expect=422)
    assert "first_day" in str(body)
    assert "last_day" in str(_stats(client, headers, "?last_day=2026-13-01", expect=422))
    _stats(client, world.factory.as_role("platform_admin"), expect=403)
