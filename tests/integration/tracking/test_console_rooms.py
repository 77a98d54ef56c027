"""Consoles get region-scoped events only for the regions their dispatcher manages."""

import time
import uuid

import pytest
import socketio as socketio_client

from backend.extensions import socketio
from backend.realtime import CONSOLE, position_feed
from mobile_api.sockets import TECHNICIAN
from tests.integration.tracking.conftest import CONSOLE_API, fix
from tests.waiting import wait_until


def _region(factory, bounds, level="city", parent_id=None):
    return factory.region(bounds, level=level, parent_id=parent_id, code=f"R-{uuid.uuid4().hex[:8]}")


def _city(factory):
    """A city with two districts; the first district has a grid."""
    city = _region(factory, (104.0, 30.6, 104.2, 30.8))
    west = _region(factory, (104.0, 30.6, 104.1, 30.8), "district", city)
    east = _region(factory, (104.1, 30.6, 104.2, 30.8), "district", city)
    grid = _region(factory, (104.0, 30.6, 104.05, 30.65), "grid", west)
    return city, west, east, grid


def _dispatcher(factory, client, admin_headers, region_ids):
    user = factory.user("dispatcher")
    answer = client.put(
        f"{CONSOLE_API}/dispatchers/{user}/regions", headers=admin_headers, json={"region_ids": region_ids}
    )
    assert answer.status_code == 200, answer.get_json()
    return factory.token(user)


def _received(console):
    """{event name: [payloads]} of everything the test console got so far (get_received empties it);
    the coalesced "positions" events are flattened into "position" items."""
    position_feed.flush()
    events = {}
    for event in console.get_received(CONSOLE):
        if event["name"] == "positions":
            events.setdefault("position", []).extend(event["args"][0]["items"])
        else:
            events.setdefault(event["name"], []).append(event["args"][0])
    return events


def test_dispatcher_receives_only_the_regions_they_manage(app, factory, client, technician):
    _city_id, west, east, grid = _city(factory)
    admin = factory.user("platform_admin")
    admin_headers = factory.headers(admin)
    west_console = socketio.test_client(
        app, namespace=CONSOLE, auth={"token": _dispatcher(factory, client, admin_headers, [west])}
    )
    east_console = socketio.test_client(
        app, namespace=CONSOLE, auth={"token": _dispatcher(factory, client, admin_headers, [east])}
    )
    admin_console = socketio.test_client(app, namespace=CONSOLE, auth={"token": factory.token(admin)})
    assert f"region:{grid}" in west_console.emit("rooms", namespace=CONSOLE, callback=True)  # inside west
    assert f"region:{grid}" not in east_console.emit("rooms", namespace=CONSOLE, callback=True)

    in_grid, token, _ = technician(region_ids=[grid])
    phone = socketio.test_client(app, namespace=TECHNICIAN, auth={"token": token})
    phone.emit("location", fix("w1", lon=104.02, lat=30.62), namespace=TECHNICIAN, callback=True)
    phone.emit("status", {"status": "en_route"}, namespace=TECHNICIAN, callback=True)

    west_got, east_got, admin_got = _received(west_console), _received(east_console), _received(admin_console)
    assert [p["technician_id"] for p in west_got["position"]] == [in_grid]
    assert west_got["position"][0]["lon"] == 104.02 and west_got["position"][0]["status"] == "on_shift"
    assert west_got["technician_status"][-1]["status"] == "en_route"
    assert [p["technician_id"] for p in admin_got["position"]] == [in_grid]
    assert "position" not in east_got and "technician_status" not in east_got


def test_positions_are_throttled_per_technician(app, factory, technician, monkeypatch):
    admin_console = socketio.test_client(
        app, namespace=CONSOLE, auth={"token": factory.token(factory.user("platform_admin"))}
    )
    _, token, _ = technician()
    phone = socketio.test_client(app, namespace=TECHNICIAN, auth={"token": token})
    flush = position_feed.flush
    # The feed's timer flushes nothing during this test; the test flushes when it means to, so a
    # slow machine (emits taking longer than a timer tick) cannot split the five fixes.
    monkeypatch.setattr(position_feed, "flush", lambda now=None: 0)

    def received_after(flush_at=None):
        flushed = flush(now=flush_at)
        events = admin_console.get_received(CONSOLE)
        return flushed, [item for e in events if e["name"] == "positions" for item in e["args"][0]["items"]]

    now = time.time()
    for i in range(5):  # five fixes within the throttle interval: one console update, the newest
        phone.emit("location", fix(f"t{i}", t=now - 5 + i, lon=104.07 + i * 1e-5), namespace=TECHNICIAN, callback=True)
    flushed_at = time.monotonic()
    _, [update] = received_after(flushed_at)
    assert update["n"] == 5 and update["lon"] == 104.07004
    phone.emit("location", fix("t5", t=now, lon=104.07005), namespace=TECHNICIAN, callback=True)
    assert received_after(flushed_at + 0.5) == (0, [])  # too soon: held back, not lost
    flushed, [later] = received_after(flushed_at + 1.05)  # one throttle interval later
    assert flushed == 1 and later["lon"] == 104.07005


def test_live_positions_and_replay_respect_regions(app, factory, client, technician):
    from tests.integration.tracking.conftest import drain

    _city_id, west, east, grid = _city(factory)
    admin_headers = factory.headers(factory.user("platform_admin"))
    east_user = factory.user("dispatcher")
    client.put(f"{CONSOLE_API}/dispatchers/{east_user}/regions", headers=admin_headers, json={"region_ids": [east]})
    west_user = factory.user("dispatcher")
    client.put(f"{CONSOLE_API}/dispatchers/{west_user}/regions", headers=admin_headers, json={"region_ids": [west]})
    tid, _, headers = technician(region_ids=[grid])
    now = time.time()
    track = [fix(f"r{i}", t=now - 600 + i * 10, lon=104.01 + i * 0.0005, lat=30.62) for i in range(40)]
    assert client.post("/api/mobile/v1/locations", headers=headers, json={"fixes": track}).status_code == 200
    drain(app)

    west_live = client.get(f"{CONSOLE_API}/tracking/live", headers=factory.headers(west_user)).get_json()["items"]
    assert [item["technician_id"] for item in west_live] == [tid]
    assert client.get(f"{CONSOLE_API}/tracking/live", headers=factory.headers(east_user)).get_json()["items"] == []

    query = {"start": _iso(now - 3600), "end": _iso(now + 60), "tolerance_m": 1}
    replay = client.get(
        f"{CONSOLE_API}/technicians/{tid}/track", headers=factory.headers(west_user), query_string=query
    )
    body = replay.get_json()
    assert replay.status_code == 200 and body["geometry"]["type"] == "LineString"
    assert body["geometry"]["coordinates"][0] == [104.01, 30.62] and len(body["geometry"]["coordinates"]) == 2
    assert body["properties"]["times"] == pytest.approx([track[0]["time"], track[-1]["time"]], abs=1e-5)
    assert body["properties"]["duration_s"] == 390 and 1800 < body["properties"]["distance_m"] < 1900
    hidden = client.get(
        f"{CONSOLE_API}/technicians/{tid}/track", headers=factory.headers(east_user), query_string=query
    )
    assert hidden.status_code == 404


def _iso(epoch):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).isoformat()


def test_console_gets_positions_through_the_redis_queue(app, factory, technician, live_server):
    admin_token = factory.token(factory.user("platform_admin"))
    _, token, _ = technician()
    received = []
    console = socketio_client.Client()
    console.on("positions", lambda batch: received.extend(batch["items"]), namespace=CONSOLE)
    console.connect(live_server, namespaces=[CONSOLE], auth={"token": admin_token}, transports=["websocket"])
    phone = socketio_client.Client()
    phone.connect(live_server, namespaces=[TECHNICIAN], auth={"token": token}, transports=["websocket"])
    try:
        assert phone.call("location", fix("q1"), namespace=TECHNICIAN, timeout=5)["accepted"] == ["q1"]
        wait_until(lambda: received, message="no positions event")
        assert received[0]["n"] == 1
    finally:
        phone.disconnect()
        console.disconnect()


def test_nearest_technicians_are_those_the_console_may_watch(app, factory, client, technician):
    _city_id, west, east, grid = _city(factory)
    admin_headers = factory.headers(factory.user("platform_admin"))
    west_user = factory.user("dispatcher")
    client.put(f"{CONSOLE_API}/dispatchers/{west_user}/regions", headers=admin_headers, json={"region_ids": [west]})
    near, _, near_headers = technician(region_ids=[grid])
    far, _, far_headers = technician(region_ids=[west])
    beyond, _, beyond_headers = technician(region_ids=[east])
    for headers, lon in ((near_headers, 104.0210), (far_headers, 104.0500), (beyond_headers, 104.0220)):
        body = {"fixes": [fix(f"at-{lon}", lon=lon, lat=30.62)]}
        assert client.post("/api/mobile/v1/locations", headers=headers, json=body).status_code == 200
    point = {"lon": 104.0200, "lat": 30.62, "radius_m": 5000}

    def nearest(headers, **query):
        answer = client.get(f"{CONSOLE_API}/tracking/nearest", headers=headers, query_string={**point, **query})
        assert answer.status_code == 200, answer.get_json()
        return [(item["technician_id"], item["distance_m"]) for item in answer.get_json()["items"]]

    west_sees = nearest(factory.headers(west_user))
    assert [tid for tid, _ in west_sees] == [near, far], "east's technician is nearer but not theirs"
    assert west_sees[0][1] < 150 < 2500 < west_sees[1][1] < 3000
    assert [tid for tid, _ in nearest(admin_headers)] == [near, beyond, far]
    assert [tid for tid, _ in nearest(admin_headers, limit=1)] == [near]
    assert nearest(admin_headers, radius_m=50) == []
    bad = client.get(f"{CONSOLE_API}/tracking/nearest", headers=admin_headers, query_string={"lon": 104.02})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "lat"
