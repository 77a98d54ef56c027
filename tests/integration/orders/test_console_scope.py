"""The console's orders and plans are region-scoped like tracking: a dispatcher lists, reads and
acts on those of the regions they manage (and everything inside them); another region's ids
answer 404 as if they did not exist; platform admins see everything."""

from backend.extensions import db
from backend.models import RoutePlan
from tests.integration.orders.conftest import SITE_B
from tests.integration.orders.helpers import API, CONSOLE, create


def _orders_in_a_and_b(client, world, factory):
    in_a = create(client, world["x1_admin"], publish=True)
    factory.site(world["x1"], SITE_B, code="X-SITE-B")
    in_b = create(client, world["x_admin"], site_code="X-SITE-B", publish=True)
    assert (in_a["region_id"], in_b["region_id"]) == (world["a"], world["b"])
    return in_a["id"], in_b["id"]


def _listed(client, headers, query=""):
    response = client.get(f"{CONSOLE}/orders{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return [o["id"] for o in response.get_json()["items"]]


def test_a_dispatcher_lists_only_the_orders_of_their_regions(client, world, factory):
    in_a, in_b = _orders_in_a_and_b(client, world, factory)
    assert _listed(client, world["dispatcher_b"]) == [in_b]
    assert _listed(client, world["dispatcher_b"], f"?region_id={world['a']}") == []
    assert _listed(client, world["dispatcher"]) == [in_a, in_b], "the city's dispatcher sees the districts inside"
    assert set(_listed(client, world["admin"])) >= {in_a, in_b}
    client_api = client.get(f"{API}/orders", headers=world["dispatcher_b"]).get_json()["items"]
    assert [o["id"] for o in client_api] == [in_b], "the client API's order list is the same search"


def test_another_regions_order_is_404_to_a_dispatcher_for_reads_and_writes(client, world, factory):
    in_a, in_b = _orders_in_a_and_b(client, world, factory)
    staff = world["dispatcher_b"]
    assert client.get(f"{CONSOLE}/orders/{in_a}/candidates", headers=staff).status_code == 404
    assert client.get(f"{API}/orders/{in_a}", headers=staff).status_code == 404
    assign = client.post(f"{CONSOLE}/orders/{in_a}/assign", headers=staff, json={"technician_id": world["tech_a"]})
    assert assign.status_code == 404 and assign.get_json()["detail"] == "order not found"
    assert client.post(f"{CONSOLE}/orders/{in_a}/auto-assign", headers=staff).status_code == 404
    assert client.get(f"{API}/orders/{in_a}", headers=world["x1_admin"]).get_json()["status"] == "published"

    assert client.get(f"{CONSOLE}/orders/{in_b}/candidates", headers=staff).status_code == 200
    mine = client.post(f"{CONSOLE}/orders/{in_b}/assign", headers=staff, json={"technician_id": world["tech_b"]})
    assert mine.status_code == 200 and mine.get_json()["status"] == "assigned"
    admin = client.post(
        f"{CONSOLE}/orders/{in_a}/assign", headers=world["admin"], json={"technician_id": world["tech_a"]}
    )
    assert admin.status_code == 200, "platform admins act on every region"


def _plan(app, region_id, status="solved"):
    with app.app_context():
        plan = RoutePlan(
            region_id=region_id, status=status, policy="urgent-first", time_limit_s=1, horizon_hours=8, stats={}
        )
        db.session.add(plan)
        db.session.commit()
        return plan.id


def test_plans_are_scoped_to_the_dispatchers_regions(app, client, world):
    plan_a, plan_b = _plan(app, world["a"]), _plan(app, world["b"], status="queued")
    staff = world["dispatcher_b"]
    listed = client.get(f"{CONSOLE}/plans", headers=staff).get_json()["items"]
    assert [p["id"] for p in listed] == [plan_b]
    assert client.get(f"{CONSOLE}/plans/{plan_a}", headers=staff).status_code == 404
    assert client.post(f"{CONSOLE}/plans/{plan_a}/publish", headers=staff).status_code == 404
    assert client.post(f"{CONSOLE}/plans/{plan_a}/cancel", headers=staff).status_code == 404
    refused = client.post(f"{CONSOLE}/plans", headers=staff, json={"region_id": world["a"]})
    assert refused.status_code == 404 and refused.get_json()["detail"] == "region not found"

    assert client.get(f"{CONSOLE}/plans/{plan_b}", headers=staff).status_code == 200
    cancelled = client.post(f"{CONSOLE}/plans/{plan_b}/cancel", headers=staff)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    every = [p["id"] for p in client.get(f"{CONSOLE}/plans", headers=world["admin"]).get_json()["items"]]
    assert {plan_a, plan_b} <= set(every)
    assert client.get(f"{CONSOLE}/plans/{plan_a}", headers=world["admin"]).status_code == 200
