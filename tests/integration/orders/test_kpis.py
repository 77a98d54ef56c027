"""The dispatcher's KPI dashboard: figures over the regions they manage only (everything for
platform admins), computed server-side from the same order search and technician scoping as the
console lists; a wrong time zone is a 422 naming the field."""

from datetime import timedelta

from sqlalchemy import update

from backend.extensions import db
from backend.models import Order, OrderEvent, Organization, RateCard, TechnicianEvent
from backend.models.base import utcnow
from backend.money.records import day_window, work_date_of
from tests.integration.orders.conftest import SITE_B
from tests.integration.orders.helpers import CONSOLE, create, online
from tests.integration.records.conftest import TERMS


def _kpis(client, headers, query=""):
    response = client.get(f"{CONSOLE}/kpis{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _set(app, order_id, **values):
    with app.app_context():
        db.session.execute(update(Order).where(Order.id == order_id).values(**values))
        db.session.commit()


def _status(app, technician_id, value):
    with app.app_context():
        db.session.add(TechnicianEvent(technician_id=technician_id, kind="status", value=value))
        db.session.commit()


def test_a_dispatcher_sees_the_figures_of_their_regions_only(app, client, world, factory):
    now = utcnow()
    late = create(client, world["x1_admin"], publish=True)["id"]
    at_risk = create(client, world["x1_admin"], publish=True)["id"]
    _set(app, late, sla_deadline=now - timedelta(hours=1), sla_breached_at=now - timedelta(minutes=30))
    _set(app, at_risk, sla_deadline=now + timedelta(hours=1))
    factory.site(world["x1"], SITE_B, code="X1-B2")
    in_b = create(client, world["x1_admin"], site_code="X1-B2", publish=True)["id"]
    _set(app, in_b, sla_deadline=now + timedelta(minutes=20))
    _status(app, world["tech_a"], "idle")
    _status(app, world["tech_b"], "on_site")
    online(app, world["tech_a"], world["tech_b"])

    city = _kpis(client, world["dispatcher"])
    assert (city["orders_open"], city["orders_late"], city["orders_at_risk"]) == (3, 1, 2)
    assert city["technicians_on_shift"] == 2 and city["technicians_idle"] == 1
    assert city["utilisation"] == 0.5 and city["technicians_online"] == 2

    district_b = _kpis(client, world["dispatcher_b"])
    assert (district_b["orders_open"], district_b["orders_late"], district_b["orders_at_risk"]) == (1, 0, 1)
    assert district_b["technicians_on_shift"] == 1 and district_b["utilisation"] == 1.0
    assert _kpis(client, world["admin"])["orders_open"] >= 3


def test_response_time_check_in_rate_and_todays_points(app, client, world):
    now = utcnow()
    order_id = create(client, world["x1_admin"], publish=True)["id"]
    other = create(client, world["x1_admin"], publish=True)["id"]
    with app.app_context():
        db.session.execute(
            update(OrderEvent)
            .where(OrderEvent.order_id.in_([order_id, other]), OrderEvent.to_status == "published")
            .values(created_at=now - timedelta(minutes=10))
        )
        for oid, after in ((order_id, 120), (other, 240)):
            db.session.add(
                OrderEvent(
                    order_id=oid,
                    action="claimed",
                    from_status="published",
                    to_status="accepted",
                    actor_kind="technician",
                    created_at=now - timedelta(minutes=10) + timedelta(seconds=after),
                )
            )
        db.session.add(OrderEvent(order_id=order_id, action="verified", to_status="verified", actor_kind="user"))
        db.session.commit()
    _set(
        app,
        order_id,
        status="verified",
        technician_id=world["tech_a"],
        points_centi=1250,
        on_site_at=now,
        sla_deadline=now + timedelta(hours=1),
    )
    _set(app, other, on_site_at=now, sla_deadline=now - timedelta(minutes=5))

    figures = _kpis(client, world["dispatcher"], "?tz=Asia/Shanghai")
    assert figures["avg_response_s"] == 180.0
    assert figures["checkin_on_time_rate"] == 0.5
    assert figures["points_today"] == 12.5
    assert _kpis(client, world["dispatcher_b"])["points_today"] == 0


def test_an_unknown_time_zone_is_a_422_naming_the_field(client, world):
    response = client.get(f"{CONSOLE}/kpis?tz=Mars/Olympus", headers=world["dispatcher"])
    assert response.status_code == 422
    assert "tz" in str(response.get_json())


def test_clients_cannot_read_the_dispatchers_kpis(client, world):
    assert client.get(f"{CONSOLE}/kpis", headers=world["x_admin"]).status_code == 403


def _order(client, headers, site_code):
    return create(client, headers, site_code=site_code, publish=True)["id"]


def _verified(app, world, order_id, points_centi, at, card_id=None):
    """The order verified at `at` by tech_a (written to the rows: the walk is tested elsewhere)."""
    _set(
        app,
        order_id,
        status="verified",
        technician_id=world["tech_a"],
        points_centi=points_centi,
        rate_card_id=card_id,
        updated_at=at,
    )
    with app.app_context():
        db.session.add(
            OrderEvent(order_id=order_id, action="verified", to_status="verified", actor_kind="user", created_at=at)
        )
        db.session.commit()


def test_todays_points_and_pay_follow_each_clients_work_day_and_rate_card(app, client, world, factory):
    factory.site(world["x1"], SITE_B, code="X1-B3")
    in_a, in_b = _order(client, world["x1_admin"], "X1-SITE"), _order(client, world["x1_admin"], "X1-B3")
    y_today, y_yesterday = _order(client, world["y_admin"], "Y-SITE"), _order(client, world["y_admin"], "Y-SITE")
    now = utcnow()
    far_east = "Pacific/Kiritimati"  # UTC+14: its work day is rarely the dispatcher's
    with app.app_context():
        card = RateCard(org_id=world["x1"], version=1, terms=TERMS)  # 150 fen a point
        db.session.add(card)
        db.session.execute(update(Organization).where(Organization.id == world["y"]).values(timezone=far_east))
        db.session.commit()
        card_id = card.id
        y_day_start, _ = day_window(far_east, work_date_of(far_east, now))
    _verified(app, world, in_a, 1250, now - timedelta(seconds=1), card_id)
    _verified(app, world, in_b, 1000, now - timedelta(seconds=1), card_id)
    _verified(app, world, y_today, 800, y_day_start + timedelta(seconds=30))  # Y has no card: pay 0
    _verified(app, world, y_yesterday, 700, y_day_start - timedelta(seconds=30))

    city = _kpis(client, world["dispatcher"])
    assert (city["points_today"], city["pay_today_fen"]) == (30.5, 1875 + 1500)
    listed = client.get(f"{CONSOLE}/kpis/today-work", headers=world["dispatcher"]).get_json()
    assert sorted(i["order_id"] for i in listed["items"]) == sorted([in_a, in_b, y_today])
    assert (listed["points"], listed["pay_fen"]) == ("30.50", 3375)
    assert {i["order_id"]: i["pay_fen"] for i in listed["items"]}[in_a] == 1875

    district_b = _kpis(client, world["dispatcher_b"])
    assert (district_b["points_today"], district_b["pay_today_fen"]) == (10.0, 1500)
    only_b = client.get(f"{CONSOLE}/kpis/today-work", headers=world["dispatcher_b"]).get_json()["items"]
    assert [i["order_id"] for i in only_b] == [in_b]
    assert client.get(f"{CONSOLE}/kpis/today-work", headers=world["x1_admin"]).status_code == 403


def test_the_dashboard_charts_count_the_dispatchers_orders(app, client, world, factory):
    now = utcnow()
    on_time = create(client, world["x1_admin"], publish=True)["id"]
    late = create(client, world["x1_admin"], publish=True)["id"]
    _set(app, on_time, status="verified", sla_deadline=now + timedelta(hours=2))
    _set(app, late, sla_deadline=now - timedelta(hours=1), sla_breached_at=now - timedelta(minutes=5))
    factory.site(world["x1"], SITE_B, code="X1-B4")
    create(client, world["x1_admin"], site_code="X1-B4")

    response = client.get(f"{CONSOLE}/stats?tz=Asia/Shanghai&days=7", headers=world["dispatcher"])
    assert response.status_code == 200, response.get_json()
    stats = response.get_json()
    per_status = {r["status"]: r["orders"] for r in stats["orders_per_day"]}
    assert per_status == {"verified": 1, "published": 1, "created": 1}
    [region] = stats["sla_per_region"]
    assert (region["region_id"], region["due"], region["on_time"], region["on_time_rate"]) == (world["a"], 2, 1, 0.5)
    district_b = client.get(f"{CONSOLE}/stats", headers=world["dispatcher_b"]).get_json()
    assert {r["status"]: r["orders"] for r in district_b["orders_per_day"]} == {"created": 1}
    assert client.get(f"{CONSOLE}/stats?days=0", headers=world["dispatcher"]).status_code == 422
