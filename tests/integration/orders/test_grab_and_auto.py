"""Grab mode: live offers (socket event + REST), one winner among 100 concurrent claims, the
per-technician limit under concurrency. Auto mode: best candidate, decline and time-out move
on, none left returns the order to published; `assign_order` for the optimizer."""

import threading
from datetime import timedelta

import requests
from sqlalchemy import update

from backend.extensions import db, socketio
from backend.models import OrderOffer
from backend.models.base import utcnow
from tests.integration.orders.helpers import API, CONSOLE, MOBILE, act, create, online


def test_publishing_offers_the_order_live_and_over_rest(app, client, world, factory):
    phone = socketio.test_client(
        app, namespace="/technician", auth={"token": factory.token(_user_id(app, world["tech_a"]))}
    )
    assert phone.is_connected("/technician")
    online(app, world["tech_a"], world["tech_b"])
    order = create(client, world["x1_admin"], publish=True)
    assert order["status"] == "offered"
    events = [e for e in phone.get_received("/technician") if e["name"] == "offer"]
    assert len(events) == 1 and events[0]["args"][0]["order_id"] == order["id"]
    offer_id = events[0]["args"][0]["offer_id"]
    offers = client.get(f"{MOBILE}/offers", headers=world["tech_a_h"]).get_json()["items"]
    assert [(o["id"], o["order_id"], o["mode"]) for o in offers] == [(offer_id, order["id"], "grab")]
    assert client.get(f"{MOBILE}/offers", headers=world["tech_b_h"]).get_json()["items"] == [], "not eligible"
    phone.disconnect(namespace="/technician")


def _user_id(app, technician_id):
    with app.app_context():
        from backend.models import Technician

        return db.session.get(Technician, technician_id).user_id


def test_a_hundred_concurrent_claims_have_one_winner(app, client, world, factory, live_server):
    techs = [factory.technician(region_ids=[world["a"]], skills=[("fibre_splicing", 3)]) for _ in range(100)]
    headers = [factory.technician_headers(t) for t in techs]
    online(app, *techs)
    order = create(client, world["x1_admin"], publish=True)
    assert order["status"] == "offered"
    barrier, results = threading.Barrier(100), []

    def claim(h):
        barrier.wait()
        results.append(requests.post(f"{live_server}{MOBILE}/orders/{order['id']}/claim", headers=h, timeout=60))

    threads = [threading.Thread(target=claim, args=(h,)) for h in headers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [409] * 99, codes
    winner = next(r.json() for r in results if r.status_code == 200)
    final = client.get(f"{API}/orders/{order['id']}", headers=world["x1_admin"]).get_json()
    assert final["status"] == "accepted" and final["technician_id"] == winner["technician_id"]
    events = client.get(f"{API}/orders/{order['id']}/events", headers=world["x1_admin"]).get_json()["items"]
    assert [e["action"] for e in events].count("claimed") == 1
    with app.app_context():
        states = dict(
            db.session.execute(
                db.select(OrderOffer.state, db.func.count())
                .where(OrderOffer.order_id == order["id"])
                .group_by(OrderOffer.state)
            ).all()
        )
    assert states == {"claimed": 1, "withdrawn": 99}


def test_the_per_technician_limit_holds_under_concurrent_claims(app, client, world, live_server):
    limit = app.config["ORDER_MAX_ACTIVE_PER_TECHNICIAN"]
    orders = [create(client, world["x1_admin"], publish=True)["id"] for _ in range(limit + 3)]
    results = []

    def claim(order_id):
        results.append(
            requests.post(f"{live_server}{MOBILE}/orders/{order_id}/claim", headers=world["tech_a_h"], timeout=60)
        )

    threads = [threading.Thread(target=claim, args=(o,)) for o in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200] * limit + [409] * 3, codes
    assert all(r.json()["type"].endswith("capacity") for r in results if r.status_code == 409)
    mine = client.get(f"{MOBILE}/me/orders", headers=world["tech_a_h"]).get_json()["items"]
    assert len(mine) == limit


def _position(client, factory, technician_id, lon_lat):
    client.get(f"{MOBILE}/orders?lon={lon_lat[0]}&lat={lon_lat[1]}", headers=factory.technician_headers(technician_id))


def test_auto_mode_assigns_the_best_then_the_next_on_decline_and_time_out(app, client, world, factory):
    second = factory.technician(region_ids=[world["a"]], skills=[("fibre_splicing", 3)])
    third = factory.technician(region_ids=[world["a"]], skills=[("fibre_splicing", 3)])
    online(app, world["tech_a"], second, third)
    _position(client, factory, world["tech_a"], (104.051, 30.651))
    _position(client, factory, second, (104.06, 30.66))
    _position(client, factory, third, (104.09, 30.75))
    phone = socketio.test_client(
        app, namespace="/technician", auth={"token": factory.token(_user_id(app, world["tech_a"]))}
    )
    order = create(client, world["x1_admin"], dispatch_mode="auto", publish=True)
    assert (order["status"], order["technician_id"]) == ("assigned", world["tech_a"])
    pushed = [e for e in phone.get_received("/technician") if e["name"] == "assignment"]
    assert pushed and pushed[0]["args"][0]["order_id"] == order["id"]
    assert client.get(f"{MOBILE}/offers", headers=world["tech_a_h"]).get_json()["items"][0]["mode"] == "auto"

    declined = act(client, world["tech_a_h"], f"{MOBILE}/orders/{order['id']}/decline", reason="too far")
    assert declined["technician_id"] == second

    with app.app_context():  # the second one does not answer in time
        db.session.execute(
            update(OrderOffer)
            .where(OrderOffer.technician_id == second)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        from backend.orders.jobs import assignment_timeouts

        assert assignment_timeouts() == 1
    now = client.get(f"{API}/orders/{order['id']}", headers=world["x1_admin"]).get_json()
    assert now["technician_id"] == third

    act(client, factory.technician_headers(third), f"{MOBILE}/orders/{order['id']}/decline")
    now = client.get(f"{API}/orders/{order['id']}", headers=world["x1_admin"]).get_json()
    assert (now["status"], now["technician_id"]) == ("published", None), "nobody left: back to published"
    phone.disconnect(namespace="/technician")


def test_accepting_an_assignment(app, client, world):
    online(app, world["tech_a"])
    order = create(client, world["x1_admin"], dispatch_mode="auto", publish=True)
    accepted = act(client, world["tech_a_h"], f"{MOBILE}/orders/{order['id']}/accept")
    assert accepted["status"] == "accepted"
    assert client.get(f"{MOBILE}/offers", headers=world["tech_a_h"]).get_json()["items"] == []


def test_assign_order_checks_eligibility_and_capacity(app, client, world):
    order = create(client, world["x1_admin"])
    act(client, world["x1_admin"], f"{API}/orders/{order['id']}/publish")
    refused = client.post(
        f"{CONSOLE}/orders/{order['id']}/assign", headers=world["dispatcher"], json={"technician_id": world["tech_b"]}
    )
    assert refused.status_code == 422
    with app.app_context():
        from backend.orders.assign import assign_order

        assign_order(order["id"], world["tech_a"])  # the optimizer's call
        db.session.commit()
    assert client.get(f"{MOBILE}/orders/{order['id']}", headers=world["tech_a_h"]).get_json()["status"] == "assigned"


def _region_console(app, client, world, factory, region_id):
    """A console of a dispatcher who manages region_id."""
    user = factory.user("dispatcher")
    body = {"region_ids": [region_id]}
    assert client.put(f"{CONSOLE}/dispatchers/{user}/regions", headers=world["admin"], json=body).status_code == 200
    console = socketio.test_client(app, namespace="/console", auth={"token": factory.token(user)})
    assert console.is_connected("/console")
    return console


def _heard(console, name):
    return [e["args"][0] for e in console.get_received("/console") if e["name"] == name]


def test_the_regions_consoles_hear_every_state_change_and_others_do_not(app, client, world, factory):
    city_console = _region_console(app, client, world, factory, world["city"])  # the order is in A, inside
    b_console = _region_console(app, client, world, factory, world["b"])
    order = create(client, world["x1_admin"], publish=True)
    act(client, world["x1_admin"], f"{API}/orders/{order['id']}/cancel", reason="no longer needed")
    changes = _heard(city_console, "order_status")
    assert [(c["order_id"], c["from"], c["to"]) for c in changes] == [
        (order["id"], "created", "published"),
        (order["id"], "published", "cancelled"),
    ]
    assert b_console.get_received("/console") == []


def test_the_regions_consoles_see_who_was_offered_an_order(app, client, world, factory):
    a_console = _region_console(app, client, world, factory, world["a"])
    b_console = _region_console(app, client, world, factory, world["b"])
    online(app, world["tech_a"], world["tech_b"])
    order = create(client, world["x1_admin"], publish=True)
    [offer] = _heard(a_console, "order_offered")
    assert offer == {
        "order_id": order["id"],
        "region_id": world["a"],
        "mode": "grab",
        "technician_ids": [world["tech_a"]],
    }
    assert _heard(b_console, "order_offered") == []


def test_clients_may_grant_order_scopes_to_api_keys(client, world):
    response = client.post(
        f"{API}/api-keys",
        headers=world["x_admin"],
        json={"name": "erp", "mode": "test", "scopes": ["orders:read", "orders:write", "webhooks:manage"]},
    )
    assert response.status_code == 201, response.get_json()
    key = response.get_json()["key"]
    assert client.get(f"{API}/orders", headers={"X-API-Key": key}).status_code == 200


def test_a_dispatcher_reassigning_withdraws_the_earlier_offer(app, client, world, factory):
    other = factory.technician(region_ids=[world["a"]], skills=[("fibre_splicing", 3)])
    online(app, world["tech_a"])
    order = create(client, world["x1_admin"], dispatch_mode="auto", publish=True)
    assert order["technician_id"] == world["tech_a"]
    act(client, world["dispatcher"], f"{CONSOLE}/orders/{order['id']}/assign", technician_id=other)
    assert client.get(f"{MOBILE}/offers", headers=world["tech_a_h"]).get_json()["items"] == []
    assert client.get(f"{MOBILE}/orders/{order['id']}", headers=world["tech_a_h"]).status_code == 404
    offers = client.get(f"{MOBILE}/offers", headers=factory.technician_headers(other)).get_json()["items"]
    assert [o["order_id"] for o in offers] == [order["id"]]
