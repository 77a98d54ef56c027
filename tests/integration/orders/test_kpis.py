"""The dispatcher's KPI dashboard: figures over the regions they manage only (everything for
platform admins), computed server-side from the same order search and technician scoping as the
console lists; a wrong time zone is a 422 naming the field."""

from datetime import timedelta

from sqlalchemy import update

from backend.extensions import db
from backend.models import Order, OrderEvent, TechnicianEvent
from backend.models.base import utcnow
from tests.integration.orders.conftest import SITE_B
from tests.integration.orders.helpers import CONSOLE, create, online


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
    _set(app, order_id, status="verified", points_centi=1250, on_site_at=now, sla_deadline=now + timedelta(hours=1))
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
