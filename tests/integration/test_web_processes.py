"""Two web processes (the Procfile's `web`, each on its own port), WebSocket only, joined by the
Redis message queue and nothing else: a phone on one and a console on the other see each
other's events, which is what lets any number of processes serve behind a plain (non-sticky)
load balancer."""

import time

import pytest
import requests
import socketio as socketio_client

from backend.realtime import CONSOLE, TECHNICIAN
from tests.waiting import wait_until

API = "/api/v1"
MOBILE = "/api/mobile/v1"
SITE = (104.05, 30.65)


@pytest.fixture(scope="module")
def two_web_processes(app):
    from tests import live

    processes, urls = [], []
    try:
        for _ in range(2):
            port = live.free_port()
            processes.append(live.start("web", PORT=port, HOST="127.0.0.1", WEB_PROCESSES=1))
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes, strict=True):
            live.wait_until_healthy(url, process)
        yield urls
    finally:
        for process in processes:
            live.stop(process)


class Listener:
    """A Socket.IO client that records the events it is told to listen to."""

    def __init__(self, url, namespace, token, events):
        self.received = []
        self.sio = socketio_client.Client(reconnection=False)
        for name in events:
            self.sio.on(name, lambda data, name=name: self.received.append((name, data)), namespace=namespace)
        self.sio.connect(url, namespaces=[namespace], auth={"token": token}, transports=["websocket"])

    def got(self, name, predicate=lambda data: True):
        return [data for event, data in self.received if event == name and predicate(data)]


def test_long_polling_is_refused(two_web_processes):
    answer = requests.get(f"{two_web_processes[0]}/socket.io/?EIO=4&transport=polling", timeout=10)
    assert answer.status_code == 400


def test_a_phone_and_a_console_on_different_processes_see_each_others_events(app, client, factory, two_web_processes):
    phone_url, console_url = two_web_processes
    region = factory.region((104.00, 30.60, 104.20, 30.80), code="TWO-PROC")
    org = factory.org("client")
    factory.site(org, SITE, code="TP-SITE")
    key = factory.api_key(org, scopes=("orders:read", "orders:write"))
    tid = factory.technician(region_ids=[region], skills=[("fibre_splicing", 3)])
    headers = factory.technician_headers(tid)
    assert client.put(f"{MOBILE}/me/location-consent", headers=headers, json={}).status_code == 200
    assert client.put(f"{MOBILE}/me/status", headers=headers, json={"status": "on_shift"}).status_code == 200
    console = Listener(
        console_url, CONSOLE, factory.token(factory.user("platform_admin")), ["positions", "technician_status"]
    )
    phone = Listener(phone_url, TECHNICIAN, headers["Authorization"].split()[1], ["offer"])
    try:
        # the phone's events, taken on its process, reach the console on the other one
        fix = {"id": "two-1", "time": time.time(), "lon": SITE[0], "lat": SITE[1], "accuracy": 5}
        assert phone.sio.call("location", [fix], namespace=TECHNICIAN, timeout=10)["accepted"] == ["two-1"]
        wait_until(lambda: console.got("positions", lambda d: any(i["technician_id"] == tid for i in d["items"])), 10)
        assert (
            phone.sio.call("status", {"status": "en_route"}, namespace=TECHNICIAN, timeout=10)["status"] == "en_route"
        )
        wait_until(lambda: console.got("technician_status", lambda d: d["technician_id"] == tid), 10)

        # an order published through the console's process is offered live to the phone on the other
        order = _publish_order(console_url, key)
        wait_until(lambda: phone.got("offer", lambda d: d["order_id"] == order), 10)
    finally:
        phone.sio.disconnect()
        console.sio.disconnect()


def _publish_order(url, key):
    from tests.integration.orders.helpers import order_body

    headers = {"X-API-Key": key}
    body = order_body(site_code="TP-SITE")
    created = requests.post(f"{url}{API}/orders", headers=headers, json=body, timeout=30)
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    published = requests.post(f"{url}{API}/orders/{order_id}/publish", headers=headers, timeout=30)
    assert published.status_code == 200, published.text
    return order_id
