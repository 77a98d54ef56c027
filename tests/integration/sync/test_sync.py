"""Offline-first sync: the changes feed with its cursor, and writes made offline accepted once,
judged by the fix and time they were recorded with (not the upload)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from backend.extensions import db
from backend.models import OrderEvent
from tests.integration.orders.conftest import SITE_A
from tests.integration.orders.helpers import API, CONSOLE, MOBILE, act, create

INSIDE = [SITE_A[0] + 0.0010, SITE_A[1]]
OUTSIDE = [SITE_A[0] + 0.0031, SITE_A[1]]  # ~300 m east; the fence is 200 m


def claimed(client, world, **overrides):
    order = create(client, world["x1_admin"], publish=True, **overrides)
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order['id']}/claim")
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order['id']}/en-route")
    return order["id"]


def write(client_id, kind, order_id, recorded_at, location=INSIDE, **parts):
    body = {"client_id": client_id, "type": kind, "order_id": order_id, "recorded_at": recorded_at.isoformat()}
    if location is not None:
        body["fix"] = {"location": location, "accuracy_m": 12}
    return body | parts


def upload(client, world, *writes, expect=200):
    response = client.post(f"{MOBILE}/sync/writes", headers=world["tech_a_h"], json={"writes": list(writes)})
    assert response.status_code == expect, response.get_json()
    return response.get_json()["results"] if expect == 200 else response.get_json()


def test_an_offline_delivery_uploaded_two_hours_later_is_accepted_once_with_its_time(app, client, world):
    order_id = claimed(client, world)
    now = datetime.now(UTC)
    arrived, done = now - timedelta(hours=2, minutes=40), now - timedelta(hours=2)
    batch = [
        write("c-1", "check_in", order_id, arrived),
        write("c-2", "readings", order_id, done - timedelta(minutes=5), location=None, readings={"loss_db": 0.3}),
        write("c-3", "deliver", order_id, done, delivery={"notes": "spliced core 3", "readings": {"loss_db": 0.3}}),
    ]
    first = upload(client, world, *batch)
    assert [(r["outcome"], r["duplicate"]) for r in first] == [("accepted", False)] * 3
    assert first[-1]["order_status"] == "delivered"

    order = client.get(f"{API}/orders/{order_id}", headers=world["x1_admin"]).get_json()
    assert datetime.fromisoformat(order["delivery"]["delivered_at"]) == done, "the recorded time, not the upload"
    assert datetime.fromisoformat(order["on_site_at"]) == arrived
    assert order["on_site_minutes"] == 40

    again = upload(client, world, *batch)
    assert [(r["outcome"], r["duplicate"]) for r in again] == [("accepted", True)] * 3
    with app.app_context():
        actions = dict(
            db.session.execute(
                select(OrderEvent.action, func.count())
                .where(OrderEvent.order_id == order_id)
                .group_by(OrderEvent.action)
            ).all()
        )
    assert (actions["checked_in"], actions["delivered"], actions["readings_recorded"]) == (1, 1, 1), "stored once"


def test_a_recorded_fix_outside_the_fence_is_refused_with_the_distance(client, world):
    order_id = claimed(client, world)
    at = datetime.now(UTC) - timedelta(hours=1)
    [refused] = upload(client, world, write("c-out", "check_in", order_id, at, location=OUTSIDE))
    assert refused["outcome"] == "refused"
    problem = refused["problem"]
    assert 250 < problem["distance_m"] < 350 and problem["radius_m"] == 200
    assert problem["status"] == 422 and problem["errors"][0]["field"] == "location"
    assert client.get(f"{API}/orders/{order_id}", headers=world["x1_admin"]).get_json()["status"] == "en_route"
    [same] = upload(client, world, write("c-out", "check_in", order_id, at, location=OUTSIDE))
    assert (same["outcome"], same["duplicate"], same["problem"]) == ("refused", True, problem)


def test_time_windows_apply_to_the_recorded_time(client, world):
    now = datetime.now(UTC)
    window = [{"start": (now - timedelta(hours=3)).isoformat(), "end": (now - timedelta(hours=1)).isoformat()}]
    order_id = claimed(client, world, kind="checkin", time_windows=window)
    results = upload(
        client,
        world,
        write("w-1", "check_in", order_id, now - timedelta(hours=2, minutes=30)),
        write("w-2", "check_out", order_id, now - timedelta(hours=1, minutes=30)),
    )
    assert [r["outcome"] for r in results] == ["accepted", "accepted"], "inside the window when recorded"
    late = claimed(client, world, kind="checkin", time_windows=window)
    [refused] = upload(client, world, write("w-3", "check_in", late, now - timedelta(minutes=5)))
    assert refused["outcome"] == "refused" and refused["problem"]["errors"][0]["field"] == "time"


def test_implausible_times_and_foreign_orders_are_refused(client, world):
    order_id = claimed(client, world)
    now = datetime.now(UTC)
    future, ancient = upload(
        client,
        world,
        write("t-1", "check_in", order_id, now + timedelta(hours=1)),
        write("t-2", "check_in", order_id, now - timedelta(days=5)),
    )
    assert future["problem"]["errors"][0]["field"] == "recorded_at" and "future" in future["problem"]["detail"]
    assert ancient["outcome"] == "refused"
    other = create(client, world["x1_admin"])
    [foreign] = upload(client, world, write("t-3", "check_in", other["id"], now))
    assert foreign["problem"]["status"] == 404
    bad = upload(client, world, {"client_id": "t-4", "type": "deliver", "order_id": order_id}, expect=422)
    assert [e["field"] for e in bad["errors"]] == ["writes.0.recorded_at"]
    no_fix = write("t-5", "deliver", order_id, now, location=None, delivery={"notes": "done"})
    bad = upload(client, world, no_fix, expect=422)
    assert [e["field"] for e in bad["errors"]] == ["writes.0.fix"]


def test_sync_returns_changes_since_the_cursor(app, client, world):
    from tests.integration.orders.helpers import online

    put = {"procedure": ["Open the cabinet"], "tools": ["OTDR"], "spare_parts": [], "safety_notes": []}
    assert client.put(f"{CONSOLE}/work-hints/fibre_repair", headers=world["dispatcher"], json=put).status_code == 200
    mine = claimed(client, world)
    online(app, world["tech_a"])
    offered = create(client, world["x1_admin"], publish=True)

    first = client.get(f"{MOBILE}/sync", headers=world["tech_a_h"]).get_json()
    assert first["full"] is True
    assert [o["id"] for o in first["orders"]] == [mine]
    assert [o["order_id"] for o in first["offers"] if o["state"] == "open"] == [offered["id"]]
    assert [h["work_type"] for h in first["hints"]] == ["fibre_repair"]

    act(client, world["x1_admin"], f"{API}/orders/{mine}/cancel", reason="not needed")
    later = client.get(f"{MOBILE}/sync", headers=world["tech_a_h"], query_string={"since": first["cursor"]}).get_json()
    assert later["full"] is False
    assert [(o["id"], o["status"]) for o in later["orders"]] == [(mine, "cancelled")]
    assert later["cursor"] != first["cursor"]
    bad = client.get(f"{MOBILE}/sync", headers=world["tech_a_h"], query_string={"since": "garbage!"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "since"
