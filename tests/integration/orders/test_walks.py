"""The full walk of each kind against the real web process (live_server): a client's API key
creates with an Idempotency-Key and publishes; the technician's phone, connected to
/technician, gets the live offer, claims, travels, checks in, delivers; the client accepts and
rates; points follow; the client's local HTTP server receives every webhook, signature checked.
Also: concurrent retries of one idempotent create make exactly one order."""

import threading

import pytest
import requests
import socketio as socketio_client

from tests.integration.orders.conftest import SITE_A
from tests.integration.orders.helpers import API, MOBILE, order_body, run_jobs
from tests.integration.orders.receiver import Receiver
from tests.waiting import wait_until

PNG = b"\x89PNG\r\n\x1a\n" + b"walk" * 16
PDF = b"%PDF-1.4 as-built drawings"
FIX = {"location": [SITE_A[0] + 0.0005, SITE_A[1]], "accuracy_m": 8}


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


class Phone:
    """A technician's app: REST calls to the live server and a real Socket.IO connection."""

    def __init__(self, base, headers, token):
        self.base, self.headers, self.events = base, headers, []
        self.sio = socketio_client.Client()
        self.sio.on("offer", lambda data: self.events.append(("offer", data)), namespace="/technician")
        self.sio.connect(base, namespaces=["/technician"], auth={"token": token}, transports=["websocket"])

    def post(self, path, expect=200, **kw):
        response = requests.post(f"{self.base}{MOBILE}{path}", headers=self.headers, timeout=30, **kw)
        assert response.status_code == expect, (path, response.text)
        return response.json()

    def wait_for(self, name, timeout=5.0):
        found = wait_until(lambda: [d for n, d in self.events if n == name], timeout, message=f"no {name} event")
        return found[0]


def client_call(base, key, method, path, expect=200, **kw):
    response = requests.request(
        method, f"{base}{API}{path}", headers={"X-API-Key": key, **kw.pop("headers", {})}, timeout=30, **kw
    )
    assert response.status_code == expect, (path, response.text)
    return response.json()


def _setup(live_server, factory, world, receiver):
    key = factory.api_key(world["x1"], scopes=("orders:read", "orders:write", "webhooks:manage"))
    endpoint = client_call(
        live_server, key, "post", "/webhook-endpoints", expect=201, json={"url": receiver.url, "events": ["*"]}
    )
    token = factory.token(_user(factory, world["tech_a"]))
    phone = Phone(live_server, {"Authorization": f"Bearer {token}"}, token)
    return key, endpoint["secret"], phone


def _user(factory, technician_id):
    from backend.extensions import db
    from backend.models import Technician

    with factory.app.app_context():
        return db.session.get(Technician, technician_id).user_id


def _create_and_claim(live_server, key, phone, **overrides):
    body = order_body(**overrides)
    order = client_call(
        live_server,
        key,
        "post",
        "/orders",
        expect=201,
        json=body,
        headers={"Idempotency-Key": f"walk-{body['client_ref']}"},
    )
    published = client_call(live_server, key, "post", f"/orders/{order['id']}/publish")
    assert published["status"] == "offered"
    offer = phone.wait_for("offer")
    assert offer["order_id"] == order["id"]
    offers = requests.get(f"{live_server}{MOBILE}/offers", headers=phone.headers, timeout=30).json()["items"]
    assert offer["offer_id"] in [o["id"] for o in offers], "the live offer can be fetched again over REST"
    assert phone.post(f"/orders/{order['id']}/claim")["status"] == "accepted"
    return order["id"]


def _finish(app, live_server, key, order_id, secret, receiver, expected_path):
    verified = client_call(live_server, key, "post", f"/orders/{order_id}/accept", json={"rating": 4})
    assert verified["status"] == "verified" and verified["points"]["points_centi"] > 0
    run_jobs(app, "webhooks")
    types = [e["type"] for e in receiver.events(secret) if e["data"]["id"] == order_id]
    assert types == [f"order.{s}" for s in expected_path], types
    return verified


def test_dispatch_walk(app, live_server, factory, world, receiver):
    key, secret, phone = _setup(live_server, factory, world, receiver)
    try:
        order_id = _create_and_claim(live_server, key, phone)
        phone.post(f"/orders/{order_id}/en-route")
        assert phone.post(f"/orders/{order_id}/check-in", json=FIX)["status"] == "on_site"
        sha = phone.post(f"/orders/{order_id}/evidence", expect=201, files={"file": ("p.png", PNG)})["sha256"]
        phone.post(f"/orders/{order_id}/deliver", json={"evidence": [sha], "notes": "ok", "readings": {"dbm": -71}})
        verified = _finish(
            app,
            live_server,
            key,
            order_id,
            secret,
            receiver,
            ["created", "published", "offered", "accepted", "en_route", "on_site", "delivered", "verified"],
        )
        assert verified["points"]["breakdown"]["region_coefficient"] == "1.200"
    finally:
        phone.sio.disconnect()


def test_checkin_walk(app, live_server, factory, world, receiver):
    key, secret, phone = _setup(live_server, factory, world, receiver)
    try:
        order_id = _create_and_claim(live_server, key, phone, kind="checkin")
        phone.post(f"/orders/{order_id}/en-route")
        phone.post(f"/orders/{order_id}/check-in", json=FIX)
        out = phone.post(f"/orders/{order_id}/check-out", json=FIX)
        assert out["status"] == "delivered" and out["on_site_minutes"] >= 1
        _finish(
            app,
            live_server,
            key,
            order_id,
            secret,
            receiver,
            ["created", "published", "offered", "accepted", "en_route", "on_site", "delivered", "verified"],
        )
    finally:
        phone.sio.disconnect()


def test_project_walk(app, live_server, factory, world, receiver):
    key, secret, phone = _setup(live_server, factory, world, receiver)
    try:
        order_id = _create_and_claim(live_server, key, phone, kind="project", site_code=None, region_id=world["a"])
        sha = phone.post(f"/orders/{order_id}/evidence", expect=201, files={"file": ("d.pdf", PDF)})["sha256"]
        phone.post(f"/orders/{order_id}/deliver", json={"evidence": [sha]})
        verified = _finish(
            app,
            live_server,
            key,
            order_id,
            secret,
            receiver,
            ["created", "published", "offered", "accepted", "delivered", "verified"],
        )
        assert verified["points"]["breakdown"]["efficiency"] == "1.0000", "no on-site time for online work"
    finally:
        phone.sio.disconnect()


def test_concurrent_retries_of_one_create_make_one_order(live_server, factory, world):
    key = factory.api_key(world["x1"], scopes=("orders:read", "orders:write"))
    body, results = order_body(client_ref="RETRY-STORM"), []
    barrier = threading.Barrier(20)

    def post():
        barrier.wait()
        results.append(
            requests.post(
                f"{live_server}{API}/orders",
                json=body,
                timeout=60,
                headers={"X-API-Key": key, "Idempotency-Key": "storm-1"},
            )
        )

    threads = [threading.Thread(target=post) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [201] * 20, [r.text for r in results if r.status_code != 201]
    assert len({r.json()["id"] for r in results}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in results) == 19
    listed = client_call(live_server, key, "get", "/orders")["items"]
    assert len(listed) == 1
    other = requests.post(
        f"{live_server}{API}/orders",
        json={**body, "priority": "low"},
        timeout=30,
        headers={"X-API-Key": key, "Idempotency-Key": "storm-1"},
    )
    assert other.status_code == 422
