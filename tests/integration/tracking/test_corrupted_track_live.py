"""A corrupted track sent through the real web process (Procfile command) and written by the
real writer process: nothing duplicated, every bad fix flagged with its reason, live position right."""

import json
import random
import time

import socketio as socketio_client
from sqlalchemy import text

from backend.extensions import db
from backend.redis_client import get_redis
from backend.tracking.positions import POSITIONS_KEY
from mobile_api.sockets import TECHNICIAN
from tests.unit.geo.test_tracks import corrupt, walk
from tests.waiting import wait_until


def as_payload(fix):
    return {
        "id": fix.client_id,
        "time": fix.t,
        "lon": fix.lon,
        "lat": fix.lat,
        "accuracy": fix.accuracy,
        "is_mock": fix.is_mock,
    }


def rows_of(app, technician_id):
    with app.app_context():
        return db.session.execute(
            text("SELECT client_id, flag FROM track_points WHERE technician_id = :t"), {"t": technician_id}
        ).all()


def wait_for_rows(app, technician_id, expected, timeout=60):
    wait_until(lambda: len(rows_of(app, technician_id)) >= expected, timeout, 0.2, message=f"{expected} rows stored")
    return rows_of(app, technician_id)


def test_corrupted_track_end_to_end(app, technician, live_server, tracker):
    tid, token, _ = technician()
    now = time.time()
    good = walk(n=120, step_s=10, start_t=now - 1300)
    fixes, bad = corrupt(list(good), random.Random(7), now=now)
    fixes = [f for f in fixes if f.client_id not in ("nan",)]  # JSON has no NaN: sent as a string below
    bad.pop("nan")
    # The phone sends in time order, in batches of 20 that are shuffled inside and resent in part.
    fixes.sort(key=lambda f: f.t)
    phone = socketio_client.Client()
    phone.connect(live_server, namespaces=[TECHNICIAN], auth={"token": token}, transports=["websocket"])
    try:
        acked = set()
        rng = random.Random(3)
        for start in range(0, len(fixes), 20):
            batch = [as_payload(f) for f in fixes[start : start + 20]]
            rng.shuffle(batch)
            batch += batch[:3]  # resends inside the batch
            ack = phone.call("location", batch, namespace=TECHNICIAN, timeout=10)
            acked.update(ack["accepted"])
        ack = phone.call("location", [{"id": "nan", "time": now, "lon": "NaN", "lat": 30.6}], namespace=TECHNICIAN)
        assert ack["flagged"] == {"nan": "invalid"}
        bad["nan"] = "invalid"
        again = phone.call("location", [as_payload(f) for f in good[:30]], namespace=TECHNICIAN, timeout=10)
        assert len(again["accepted"]) == 30  # resent after a "reconnect": acknowledged again
    finally:
        phone.disconnect()

    expected = len(good) + len(bad)
    rows = wait_for_rows(app, tid, expected)
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)) == expected  # nothing duplicated, nothing lost
    flags = dict(rows)
    assert {cid: flags[cid] for cid in bad} == bad
    assert all(flags[f.client_id] is None for f in good)
    assert acked | {"nan"} == set(ids)
    with app.app_context():
        live_position = json.loads(get_redis().hget(POSITIONS_KEY, str(tid)))
    assert (live_position["lon"], live_position["lat"], live_position["t"]) == (
        round(good[-1].lon, 7),
        round(good[-1].lat, 7),
        good[-1].t,
    )
