"""Tracking fixtures: technicians on shift with consent, a region with a dispatcher, fixes."""

import time
import uuid

import pytest
import socketio as socketio_client

from backend.extensions import socketio
from mobile_api.sockets import TECHNICIAN

MOBILE = "/api/mobile/v1"
CONSOLE_API = "/api/console/v1"
CHENGDU = (104.0657, 30.6570)


@pytest.fixture(autouse=True)
def _fresh_position_feed():
    """Technician ids restart in every test: the in-process console throttle must too."""
    from backend.realtime import position_feed

    position_feed.clear()


@pytest.fixture
def region(factory):
    """A district-sized region around Tianfu Square."""
    return factory.region((104.00, 30.60, 104.13, 30.72), code=f"CD-{uuid.uuid4().hex[:6]}")


@pytest.fixture
def technician(factory, client, region):
    """An approved technician in `region`, on shift with consent: returns (id, access token, headers)."""

    def _make(region_ids=None, consent=True, on_shift=True):
        tid = factory.technician(region_ids=[region] if region_ids is None else region_ids)
        token = factory.token(_user_of(factory, tid))
        headers = {"Authorization": f"Bearer {token}"}
        if consent:
            assert client.put(f"{MOBILE}/me/location-consent", headers=headers, json={}).status_code == 200
        if on_shift:
            response = client.put(f"{MOBILE}/me/status", headers=headers, json={"status": "on_shift"})
            assert response.status_code == 200, response.get_json()
        return tid, token, headers

    return _make


def _user_of(factory, technician_id):
    from backend.extensions import db
    from backend.models import Technician

    with factory.app.app_context():
        return db.session.get(Technician, technician_id).user_id


def fix(client_id, t=None, lon=CHENGDU[0], lat=CHENGDU[1], **extra):
    return {"id": client_id, "time": time.time() if t is None else t, "lon": lon, "lat": lat, "accuracy": 8, **extra}


@pytest.fixture
def tracker(app):
    """The `tracker` Procfile process (the batched writer), pointed at the test services."""
    from tests import live

    process = live.start("tracker")
    yield process
    live.stop(process)


@pytest.fixture(params=["in-process", "redis-queue"])
def phone(request, app):
    """A phone on /technician with a token, run twice: Flask-SocketIO's in-process test client
    (which refuses a message queue), then a real Socket.IO client of the live web process, which
    runs with the Redis message queue on, as in production. Both answer `emit(..., callback=True)`
    and `is_connected(namespace)`."""
    if request.param == "in-process":
        return request.getfixturevalue("in_process_phone")
    url = request.getfixturevalue("live_server")
    phones = []
    request.addfinalizer(lambda: [p.disconnect() for p in phones])

    def _connect(token):
        phones.append(LivePhone(url, TECHNICIAN, token))
        return phones[-1]

    return _connect


@pytest.fixture
def in_process_phone(app):
    """A phone of the in-process test client only: for tests that break the server with a
    monkeypatch, which reaches no other process."""
    return lambda token: socketio.test_client(app, namespace=TECHNICIAN, auth={"token": token})


class LivePhone:
    """A python-socketio client with the test client's calls (emit with an ack, is_connected)."""

    def __init__(self, url, namespace, token):
        self.client = socketio_client.Client()
        try:
            self.client.connect(url, namespaces=[namespace], auth={"token": token}, transports=["websocket"])
        except socketio_client.exceptions.ConnectionError:
            pass  # refused: is_connected answers False

    def emit(self, event, data=None, namespace=None, callback=False):
        if callback:
            return self.client.call(event, data, namespace=namespace, timeout=10)
        return self.client.emit(event, data, namespace=namespace)

    def is_connected(self, namespace=None):
        return self.client.connected and namespace in self.client.namespaces

    def disconnect(self):
        if self.client.connected:
            self.client.disconnect()


def drain(app):
    """Run the real writer code until the stream is empty; returns rows written."""
    from backend.tracking.writer import drain_all

    with app.app_context():
        return drain_all()


def stored(app, technician_id):
    """{client_id: flag} of the rows in PostGIS, and the total row count."""
    from sqlalchemy import text

    from backend.extensions import db

    with app.app_context():
        rows = db.session.execute(
            text("SELECT client_id, flag FROM track_points WHERE technician_id = :t"), {"t": technician_id}
        ).all()
    return dict(rows), len(rows)
