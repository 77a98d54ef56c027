"""The simulator: realistic movement, and real Socket.IO technicians through the web process."""

import random

from sqlalchemy import text

from backend import simulator
from backend.extensions import db
from geo.distance import haversine_m
from tests.integration.orders.conftest import world  # noqa: F401  (fixture)
from tests.integration.tracking.conftest import drain

SITES = [(104.05, 30.65), (104.07, 30.66), (104.06, 30.68)]


def test_walker_moves_at_city_speed_and_stops_on_site():
    walker = simulator.Walker(1, SITES, random.Random(4))
    now, seen = 0.0, []
    for _ in range(2000):
        before = walker.position
        walker.step(now, 5.0)
        assert haversine_m(*before, *walker.position) <= simulator.SPEED_MPS[1] * 5 + 1e-6
        seen.extend(walker.events)
        walker.events.clear()
        now += 5.0
    assert seen[0] == "en_route" and "on_site" in seen
    assert seen.count("on_site") >= 3  # ~2 km legs at 6-12 m/s with a few minutes on site


def test_simulated_technicians_stream_through_the_real_server(app, factory, technician, live_server):
    region = factory.region((104.0, 30.6, 104.13, 30.72), code="SIMR")
    org = factory.org()
    for i, lon_lat in enumerate(SITES):
        factory.site(org, lon_lat, code=f"SIM{i}")
    ids = [technician(region_ids=[region], on_shift=False)[0] for _ in range(2)]
    with app.app_context():
        totals = simulator.run(2, minutes=0.05, interval=0.5, url=live_server)
    assert totals["technicians"] == 2 and totals["sent"] >= 8 and totals["acknowledged"] == totals["sent"]
    assert drain(app) == totals["sent"]
    with app.app_context():
        per_tech = dict(db.session.execute(text("SELECT technician_id, count(*) FROM track_points GROUP BY 1")).all())
        statuses = (
            db.session.execute(text("SELECT DISTINCT value FROM technician_events WHERE kind = 'status'"))
            .scalars()
            .all()
        )
    assert set(per_tech) == set(ids)
    assert {"en_route", "off_shift"} <= set(statuses)


def test_a_simulated_technician_grabs_checks_in_and_delivers(app, client, world, live_server):  # noqa: F811
    from tests.integration.orders.helpers import create

    headers = world["tech_a_h"]
    assert client.put("/api/mobile/v1/me/location-consent", headers=headers, json={}).status_code == 200
    order = create(client, world["x1_admin"], publish=True)
    with app.app_context():
        totals = simulator.run(1, minutes=0.1, interval=0.5, url=live_server, dwell_s=(1.0, 1.0))
    assert totals["claimed"] == 1 and totals["checked_in"] == 1 and totals["delivered"] == 1, totals
    final = client.get(f"/api/v1/orders/{order['id']}", headers=world["x1_admin"]).get_json()
    assert final["status"] == "delivered" and final["technician_id"] == world["tech_a"]


def test_the_demo_client_posts_orders_that_technicians_take(app, client, factory, world, live_server):  # noqa: F811
    from tests.factories import PASSWORD

    factory.user("client_admin", org_id=world["y"], email="sim-client@example.test")  # Y's site is in A
    assert client.put("/api/mobile/v1/me/location-consent", headers=world["tech_a_h"], json={}).status_code == 200
    with app.app_context():
        totals = simulator.run(
            1,
            minutes=0.15,
            interval=0.5,
            url=live_server,
            dwell_s=(1.0, 1.0),
            orders_per_minute=20,
            client_login=("sim-client@example.test", PASSWORD),
        )
    assert totals["orders_posted"] >= 2 and "orders_refused" not in totals, totals
    assert totals["claimed"] >= 1 and totals["delivered"] >= 1, totals
    orders = client.get("/api/v1/orders", headers=world["y_admin"]).get_json()["items"]
    assert len(orders) == totals["orders_posted"]
    assert any(o["status"] == "delivered" and o["technician_id"] == world["tech_a"] for o in orders)
