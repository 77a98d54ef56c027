"""The /technician namespace: auth at connect, location acks, refusals, status, presence."""

import json
import time

import pytest

from backend.redis_client import get_redis
from backend.tracking.positions import GEO_KEY, POSITIONS_KEY
from backend.tracking.presence import PRESENCE_KEY
from mobile_api.sockets import TECHNICIAN
from tests.integration.tracking.conftest import CHENGDU, MOBILE, drain, fix, stored


def test_socket_without_a_valid_technician_token_is_refused(factory, phone):
    dispatcher = factory.token(factory.user("dispatcher"))
    for token in (None, "not-a-jwt", dispatcher):
        assert not phone(token).is_connected(TECHNICIAN)


def test_refresh_token_is_refused(app, factory, phone):
    from flask_jwt_extended import create_refresh_token

    tid = factory.technician()
    with app.app_context():
        from backend.extensions import db
        from backend.models import Technician

        refresh = create_refresh_token(str(db.session.get(Technician, tid).user_id))
    assert not phone(refresh).is_connected(TECHNICIAN)


def test_location_is_acknowledged_queued_and_becomes_the_live_position(app, technician, phone):
    tid, token, _ = technician()
    socket = phone(token)
    ack = socket.emit("location", [fix("a1", lon=104.07), fix("a2", lon=104.0701)], namespace=TECHNICIAN, callback=True)
    assert ack == {"accepted": ["a1", "a2"], "flagged": {}, "rejected": []}
    assert drain(app) == 2
    assert stored(app, tid) == ({"a1": None, "a2": None}, 2)
    with app.app_context():
        live = json.loads(get_redis().hget(POSITIONS_KEY, str(tid)))
        assert live["lon"] == 104.0701 and live["status"] == "on_shift"
        assert get_redis().geopos(GEO_KEY, str(tid))[0] is not None
        assert get_redis().zscore(PRESENCE_KEY, str(tid)) > time.time() - 5


def test_a_technician_cannot_send_as_another(app, technician, phone):
    mine, token, _ = technician()
    other, _, _ = technician()
    socket = phone(token)
    ack = socket.emit("location", {"technician_id": other, "fixes": [fix("x")]}, namespace=TECHNICIAN, callback=True)
    assert ack["error"] == "forbidden" and ack["accepted"] == []
    ack = socket.emit("location", {"technician_id": mine, "fixes": [fix("y")]}, namespace=TECHNICIAN, callback=True)
    assert ack["accepted"] == ["y"]
    drain(app)
    assert stored(app, other) == ({}, 0)
    assert stored(app, mine) == ({"y": None}, 1)


def test_off_shift_positions_are_refused(app, technician, phone):
    _tid, token, _ = technician(on_shift=False)
    ack = phone(token).emit("location", fix("p"), namespace=TECHNICIAN, callback=True)
    assert ack["error"] == "off_shift" and ack["accepted"] == []
    assert drain(app) == 0


def test_positions_without_consent_are_refused_and_withdrawal_stops_them(app, client, technician, phone):
    tid, token, headers = technician(consent=False)
    socket = phone(token)
    assert socket.emit("location", fix("p1"), namespace=TECHNICIAN, callback=True)["error"] == "consent_required"
    assert client.put(f"{MOBILE}/me/location-consent", headers=headers, json={"device": "Pixel"}).get_json()["granted"]
    assert socket.emit("location", fix("p2"), namespace=TECHNICIAN, callback=True)["accepted"] == ["p2"]
    withdrawn = client.delete(f"{MOBILE}/me/location-consent", headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.get_json()["granted"] is False
    assert socket.emit("location", fix("p3"), namespace=TECHNICIAN, callback=True)["error"] == "consent_required"
    with app.app_context():
        assert get_redis().hget(POSITIONS_KEY, str(tid)) is None  # live position forgotten
    drain(app)
    assert stored(app, tid) == ({"p2": None}, 1)


def test_status_event_is_recorded_and_unapproved_cannot_go_on_shift(app, factory, technician, phone):
    tid, token, _ = technician(on_shift=False)
    socket = phone(token)
    assert socket.emit("status", {"status": "en_route"}, namespace=TECHNICIAN, callback=True)["status"] == "en_route"
    assert socket.emit("status", {"status": "flying"}, namespace=TECHNICIAN, callback=True)["error"] == "invalid"
    pending = factory.technician(status="submitted")
    pending_socket = phone(factory.token(_user(app, pending)))
    answer = pending_socket.emit("status", {"status": "on_shift"}, namespace=TECHNICIAN, callback=True)
    assert answer["error"] == "not_approved"
    with app.app_context():
        from sqlalchemy import select

        from backend.extensions import db
        from backend.models import TechnicianEvent

        events = db.session.execute(
            select(TechnicianEvent.kind, TechnicianEvent.value).where(TechnicianEvent.technician_id == tid)
        ).all()
    assert ("status", "en_route") in events and ("presence", "online") in events


def _user(app, technician_id):
    from backend.extensions import db
    from backend.models import Technician

    with app.app_context():
        return db.session.get(Technician, technician_id).user_id


def test_rest_batch_upload_is_idempotent_by_client_point_id(app, client, technician):
    tid, _, headers = technician()
    now = time.time()
    batch = [fix(f"b{i}", t=now - 60 + i, lon=104.07 + i * 1e-5) for i in range(20)]
    first = client.post(f"{MOBILE}/locations", headers=headers, json={"fixes": batch})
    assert first.status_code == 200 and len(first.get_json()["accepted"]) == 20
    drain(app)
    again = client.post(f"{MOBILE}/locations", headers=headers, json={"fixes": [*batch[10:], fix("b20", t=now)]})
    assert again.status_code == 200 and len(again.get_json()["accepted"]) == 11
    drain(app)
    flags, count = stored(app, tid)
    assert count == 21 and set(flags) == {f"b{i}" for i in range(21)}


def test_rest_upload_refused_off_shift(client, technician):
    _, _, headers = technician(on_shift=False)
    response = client.post(f"{MOBILE}/locations", headers=headers, json={"fixes": [fix("z")]})
    assert response.status_code == 403 and response.get_json()["type"].endswith("off-shift")


def test_malformed_fixes_are_rejected_by_index_and_bad_values_are_flagged(app, technician, phone):
    tid, token, _ = technician()
    now = time.time()
    batch = [
        fix("ok", t=now - 300),
        {"lat": 1},
        fix("weird", lon="east"),
        fix("gcj", t=now, coord_sys="gcj02"),
        fix("q", coord_sys="x"),
    ]
    ack = phone(token).emit("location", batch, namespace=TECHNICIAN, callback=True)
    assert [r["index"] for r in ack["rejected"]] == [1, 4]
    assert ack["flagged"] == {"weird": "invalid"}
    drain(app)
    assert stored(app, tid)[0] == {"ok": None, "weird": "invalid", "gcj": None}
    with app.app_context():
        live = json.loads(get_redis().hget(POSITIONS_KEY, str(tid)))
    assert live["lon"] == pytest.approx(CHENGDU[0] - 0.0025, abs=0.001)  # GCJ-02 turned into WGS-84


def test_a_mock_or_inaccurate_fix_never_becomes_the_check_in_position(app, technician, phone):
    from backend.tracking.positions import checkin_position

    tid, token, _ = technician()
    socket = phone(token)
    now = time.time()
    socket.emit("location", fix("far", t=now - 60, lon=104.10, lat=30.70), namespace=TECHNICIAN, callback=True)
    site = {"lon": 104.1003, "lat": 30.7002}  # ~35 m away: reachable in 30 s
    ack = socket.emit(
        "location",
        [fix("mock", t=now - 30, is_mock=True, **site), fix("blur", t=now - 20, accuracy=500, **site)],
        namespace=TECHNICIAN,
        callback=True,
    )
    assert ack["flagged"] == {"mock": "mock", "blur": "poor_accuracy"}
    with app.app_context():
        position = checkin_position(tid)
        assert (position["lon"], position["lat"]) == (104.10, 30.70)
        assert checkin_position(tid, max_age_s=10) is None  # too old to check in with


def test_location_messages_are_rate_limited_per_connection():
    from mobile_api.sockets import MESSAGE_BURST, MESSAGES_PER_S, _within_rate

    environ = {}
    assert all(_within_rate(environ, now=100.0) for _ in range(MESSAGE_BURST))
    assert not _within_rate(environ, now=100.0)
    assert _within_rate(environ, now=100.0 + 1 / MESSAGES_PER_S)
