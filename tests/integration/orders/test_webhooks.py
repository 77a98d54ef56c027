"""Webhooks: endpoints per client with chosen events, Standard Webhooks signatures, an outbox
row committed with the change, back-off for 24 h then dead-lettered, console list and replay,
and the SSRF guard."""

import socket
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from backend.extensions import db
from backend.models import WebhookDelivery
from backend.models.base import utcnow
from backend.webhooks.jobs import backoff, deliver
from backend.webhooks.signing import UnsafeURL, check_url, sign
from tests.integration.orders.helpers import API, CONSOLE, create, order_body, run_jobs
from tests.integration.orders.receiver import Receiver, standard_signature


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def register(client, headers, url, events=("*",), expect=201):
    response = client.post(f"{API}/webhook-endpoints", headers=headers, json={"url": url, "events": list(events)})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_signature_matches_the_standard_webhooks_scheme():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert (
        sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )  # the specification's own example
    assert (
        standard_signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_deliveries_are_signed_and_only_chosen_events_are_sent(app, client, world, receiver):
    endpoint = register(client, world["x_admin"], receiver.url, events=["order.created", "order.cancelled"])
    assert endpoint["secret"].startswith("whsec_")
    listed = client.get(f"{API}/webhook-endpoints", headers=world["x_admin"]).get_json()["items"]
    assert "secret" not in listed[0], "the secret is shown once"
    order = create(client, world["x1_admin"])  # a sub-account's order reaches the parent's endpoint
    client.post(f"{API}/orders/{order['id']}/publish", headers=world["x1_admin"])
    client.post(f"{API}/orders/{order['id']}/cancel", headers=world["x1_admin"], json={"reason": "r"})
    run_jobs(app, "webhooks")
    events = receiver.events(endpoint["secret"])
    assert [e["type"] for e in events] == ["order.created", "order.cancelled"]
    assert events[1]["data"]["id"] == order["id"] and events[1]["data"]["status"] == "cancelled"
    shown = client.get(f"{API}/orders/{order['id']}", headers=world["x1_admin"]).get_json()
    assert events[1]["data"] == shown, "a webhook carries the order exactly as the API shows it"
    assert len({h["webhook-id"] for h, _ in receiver.received}) == 2
    assert client.get(f"{API}/webhook-endpoints", headers=world["y_admin"]).get_json()["items"] == []


def test_no_outbox_row_without_the_business_change(app, client, world, receiver):
    register(client, world["x1_admin"], receiver.url)
    response = client.post(
        f"{API}/orders/batch", headers=world["x1_admin"], json={"orders": [order_body(), order_body(site_code="NOPE")]}
    )
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(WebhookDelivery)) == 0


def test_failures_back_off_then_dead_letter_and_replay(app, client, world, receiver):
    endpoint = register(client, world["x1_admin"], receiver.url, events=["order.created"])
    receiver.status = 500
    create(client, world["x1_admin"])
    run_jobs(app, "webhooks")
    with app.app_context():
        row = db.session.scalar(select(WebhookDelivery))
        assert (row.state, row.attempts, row.last_status) == ("pending", 1, 500)
        assert timedelta(seconds=25) < row.next_attempt_at - utcnow() < timedelta(seconds=35)
        assert deliver(row.id) == "pending", "not due yet: a duplicate job does nothing"
        assert len(receiver.received) == 1
        # A day later, the last retry fails too: dead-lettered.
        db.session.execute(
            update(WebhookDelivery).values(
                created_at=utcnow() - timedelta(hours=23, minutes=59), next_attempt_at=utcnow()
            )
        )
        db.session.commit()
        assert deliver(row.id) == "dead"
        delivery_id = row.id
    assert [backoff(n) for n in (1, 2, 3, 10)] == [30, 60, 120, 10800]
    dead = client.get(f"{CONSOLE}/webhook-deliveries?state=dead", headers=world["dispatcher"]).get_json()["items"]
    assert [d["id"] for d in dead] == [delivery_id] and dead[0]["attempts"] == 2
    receiver.status = 204
    replayed = client.post(f"{CONSOLE}/webhook-deliveries/{delivery_id}/replay", headers=world["dispatcher"])
    assert replayed.status_code == 202 and replayed.get_json()["state"] == "pending"
    run_jobs(app, "webhooks")
    done = client.get(f"{API}/webhook-deliveries", headers=world["x1_admin"]).get_json()["items"]
    assert done[0]["state"] == "delivered" and done[0]["attempts"] == 3
    ids = {h["webhook-id"] for h, _ in receiver.received}
    assert len(ids) == 1, "retries and replays keep the webhook-id, so receivers can dedupe"
    receiver.events(endpoint["secret"])
    assert client.get(f"{API}/webhook-deliveries", headers=world["y_admin"]).get_json()["items"] == []


def test_redirects_are_not_followed(app, client, world, receiver):
    register(client, world["x1_admin"], receiver.url, events=["order.created"])
    receiver.status = 302
    create(client, world["x1_admin"])
    run_jobs(app, "webhooks")
    with app.app_context():
        row = db.session.scalar(select(WebhookDelivery))
        assert (row.state, row.last_status, row.last_error) == ("pending", 302, "HTTP 302")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "http://localhost/x",
        "http://169.254.169.254/latest",
        "http://10.1.2.3/",
        "http://192.168.1.1/",
        "http://[::1]/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_private_addresses_are_refused_unless_allowed(app, client, world, monkeypatch, url):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)
    response = client.post(f"{API}/webhook-endpoints", headers=world["x_admin"], json={"url": url, "events": ["*"]})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "url"
    with pytest.raises(UnsafeURL):
        check_url(url, allow_private=False)


def test_public_addresses_pass_and_the_flag_defaults_off(monkeypatch):
    assert check_url("http://93.184.216.34/hook", allow_private=False) == ["93.184.216.34"]
    from backend.config import _orders_settings

    monkeypatch.delenv("WEBHOOKS_ALLOW_PRIVATE", raising=False)
    assert _orders_settings("testing")["WEBHOOKS_ALLOW_PRIVATE"] is True
    assert _orders_settings("development")["WEBHOOKS_ALLOW_PRIVATE"] is False
    assert _orders_settings("production")["WEBHOOKS_ALLOW_PRIVATE"] is False


def test_delivery_rechecks_the_address(app, client, world, receiver, monkeypatch):
    register(client, world["x1_admin"], receiver.url, events=["order.created"])
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)
    create(client, world["x1_admin"])
    run_jobs(app, "webhooks")
    assert receiver.received == []
    with app.app_context():
        assert "non-public" in db.session.scalar(select(WebhookDelivery.last_error))


def test_endpoints_are_tenant_scoped(client, world, receiver):
    endpoint = register(client, world["x1_admin"], receiver.url)
    for headers in (world["y_admin"], world["x2_admin"]):
        response = client.delete(f"{API}/webhook-endpoints/{endpoint['id']}", headers=headers)
        missing = client.delete(f"{API}/webhook-endpoints/999999", headers=headers)
        assert response.status_code == 404 and response.get_json()["detail"] == missing.get_json()["detail"]
        assert client.get(f"{API}/webhook-endpoints", headers=headers).get_json()["items"] == []
    other_org = client.post(
        f"{API}/webhook-endpoints",
        headers=world["y_admin"],
        json={"url": receiver.url, "events": ["*"], "org_id": world["x1"]},
    )
    assert other_org.status_code == 404
    assert client.delete(f"{API}/webhook-endpoints/{endpoint['id']}", headers=world["x_admin"]).status_code == 204
    assert client.get(f"{API}/webhook-endpoints", headers=world["x1_admin"]).get_json()["items"] == []
    for headers in (world["x1_admin"], world["tech_a_h"]):
        assert client.get(f"{CONSOLE}/webhook-deliveries", headers=headers).status_code == 403


def test_a_client_replays_its_own_dead_delivery_and_not_another_clients(app, client, world, receiver):
    register(client, world["x1_admin"], receiver.url, events=["order.created"])
    create(client, world["x1_admin"])
    with app.app_context():
        db.session.execute(update(WebhookDelivery).values(state="dead", attempts=5))
        db.session.commit()
        delivery_id = db.session.scalar(select(WebhookDelivery.id))
    refused = client.post(f"{API}/webhook-deliveries/{delivery_id}/replay", headers=world["y_admin"])
    assert refused.status_code == 404, "another client's delivery does not exist for them"
    replayed = client.post(f"{API}/webhook-deliveries/{delivery_id}/replay", headers=world["x1_admin"])
    assert replayed.status_code == 202 and replayed.get_json()["state"] == "pending"
    run_jobs(app, "webhooks")
    done = client.get(f"{API}/webhook-deliveries", headers=world["x1_admin"]).get_json()["items"]
    assert (done[0]["state"], done[0]["attempts"]) == ("delivered", 6)
    assert len(receiver.received) == 1


def test_delivery_goes_to_the_address_that_was_checked(app, client, world, receiver, monkeypatch):
    """DNS rebinding: the name is resolved by the checks (at registration, before the attempt) and
    the request goes to the address the attempt's check approved, with the name in the Host
    header; the connection never resolves it again (a third answer would point elsewhere)."""
    port = receiver.server.server_address[1]
    name = "hooks.rebinding.test"
    lookups = []
    real_getaddrinfo = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host != name:
            return real_getaddrinfo(host, *args, **kwargs)
        lookups.append(host)
        return real_getaddrinfo("127.0.0.1" if len(lookups) <= 2 else "192.0.2.1", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    register(client, world["x1_admin"], f"http://{name}:{port}/hooks", events=["order.created"])
    create(client, world["x1_admin"])
    run_jobs(app, "webhooks")

    assert len(lookups) == 2, "resolved by the two checks only"
    assert len(receiver.received) == 1
    headers, _ = receiver.received[0]
    assert headers["host"] == f"{name}:{port}"
