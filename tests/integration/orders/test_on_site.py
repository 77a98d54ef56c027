"""Check-in only inside the geofence with a precise, honest fix (422 says how far and why);
check-out records the time on site; deliveries carry evidence uploaded for the order;
project orders deliver files only."""

import io
import time

from sqlalchemy import update

from backend.extensions import db
from backend.models import Site
from tests.integration.orders.conftest import SITE_A
from tests.integration.orders.helpers import API, MOBILE, act, create

PNG = b"\x89PNG\r\n\x1a\n" + b"evidence" * 8
PDF = b"%PDF-1.4 design document"
# About 300 m east of SITE_A (1e-3 degree of longitude is ~96 m at 30.65 N).
OUTSIDE = [SITE_A[0] + 0.0031, SITE_A[1]]
INSIDE = [SITE_A[0] + 0.0010, SITE_A[1]]


def on_the_way(client, world, **overrides):
    order = create(client, world["x1_admin"], publish=True, **overrides)
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order['id']}/claim")
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order['id']}/en-route")
    return order["id"]


def check_in(client, world, order_id, location, expect=200, **fix):
    body = {"location": location, "accuracy_m": 10, **fix}
    response = client.post(f"{MOBILE}/orders/{order_id}/check-in", headers=world["tech_a_h"], json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_check_in_outside_the_fence_says_how_far(client, world):
    order_id = on_the_way(client, world)
    refused = check_in(client, world, order_id, OUTSIDE, expect=422)
    assert 250 < refused["distance_m"] < 350 and refused["radius_m"] == 200
    assert refused["errors"][0]["field"] == "location" and "m from the site" in refused["detail"]
    assert check_in(client, world, order_id, INSIDE)["status"] == "on_site"


def test_poor_accuracy_and_mock_locations_are_refused(client, world):
    order_id = on_the_way(client, world)
    poor = check_in(client, world, order_id, INSIDE, expect=422, accuracy_m=500)
    assert [e["field"] for e in poor["errors"]] == ["accuracy_m"]
    mocked = check_in(client, world, order_id, INSIDE, expect=422, is_mock=True)
    assert [e["field"] for e in mocked["errors"]] == ["is_mock"]
    both = check_in(client, world, order_id, OUTSIDE, expect=422, is_mock=True, accuracy_m=80)
    assert {e["field"] for e in both["errors"]} == {"is_mock", "accuracy_m", "location"}
    events = client.get(f"{API}/orders/{order_id}/events", headers=world["x1_admin"]).get_json()["items"]
    assert "checked_in" not in [e["action"] for e in events]


def test_a_site_may_widen_its_fence_and_gcj02_fixes_are_converted(app, client, world):
    with app.app_context():
        db.session.execute(update(Site).where(Site.id == world["x1_site"]).values(geofence_radius_m=400))
        db.session.commit()
    order_id = on_the_way(client, world)
    from geo.coords import wgs84_to_gcj02

    gcj = list(wgs84_to_gcj02(*OUTSIDE))
    assert check_in(client, world, order_id, gcj, coord_sys="gcj02")["status"] == "on_site"


def test_checkin_orders_check_out_with_the_time_on_site(app, client, world):
    order_id = on_the_way(client, world, kind="checkin")
    check_in(client, world, order_id, INSIDE)
    deliver = client.post(f"{MOBILE}/orders/{order_id}/deliver", headers=world["tech_a_h"], json={"notes": "x"})
    assert deliver.status_code == 409, "a checkin order is delivered by checking out"
    far = client.post(
        f"{MOBILE}/orders/{order_id}/check-out", headers=world["tech_a_h"], json={"location": OUTSIDE, "accuracy_m": 5}
    )
    assert far.status_code == 422
    out = act(client, world["tech_a_h"], f"{MOBILE}/orders/{order_id}/check-out", location=INSIDE, accuracy_m=5)
    assert out["status"] == "delivered" and out["on_site_minutes"] == 1


def test_delivery_needs_evidence_uploaded_for_this_order(client, world):
    order_id = on_the_way(client, world)
    check_in(client, world, order_id, INSIDE)
    bad_file = client.post(
        f"{MOBILE}/orders/{order_id}/evidence",
        headers=world["tech_a_h"],
        data={"file": (io.BytesIO(b"MZ not an image"), "x.exe")},
    )
    assert bad_file.status_code == 422
    stored = client.post(
        f"{MOBILE}/orders/{order_id}/evidence", headers=world["tech_a_h"], data={"file": (io.BytesIO(PNG), "p.png")}
    )
    assert stored.status_code == 201
    sha = stored.get_json()["sha256"]
    foreign = client.post(
        f"{MOBILE}/orders/{order_id}/deliver", headers=world["tech_a_h"], json={"evidence": ["a" * 64]}
    )
    assert foreign.status_code == 422 and foreign.get_json()["errors"][0]["field"] == "evidence.0"
    done = act(
        client,
        world["tech_a_h"],
        f"{MOBILE}/orders/{order_id}/deliver",
        evidence=[sha],
        notes="spliced",
        readings={"loss_db": 0.2},
    )
    assert done["status"] == "delivered" and done["delivery"]["evidence"] == [sha]
    assert done["delivery"]["readings"] == {"loss_db": 0.2}


def test_project_orders_deliver_files_only(client, world):
    order = create(client, world["x1_admin"], kind="project", site_code=None, region_id=world["a"], publish=True)
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order['id']}/claim")
    en_route = client.post(f"{MOBILE}/orders/{order['id']}/en-route", headers=world["tech_a_h"], json={})
    assert en_route.status_code == 409
    notes_only = client.post(
        f"{MOBILE}/orders/{order['id']}/deliver", headers=world["tech_a_h"], json={"notes": "see attached"}
    )
    assert notes_only.status_code == 422
    sha = client.post(
        f"{MOBILE}/orders/{order['id']}/evidence",
        headers=world["tech_a_h"],
        data={"file": (io.BytesIO(PDF), "design.pdf")},
    ).get_json()["sha256"]
    readings = client.post(
        f"{MOBILE}/orders/{order['id']}/deliver",
        headers=world["tech_a_h"],
        json={"evidence": [sha], "readings": {"v": 1}},
    )
    assert readings.status_code == 422
    assert (
        act(client, world["tech_a_h"], f"{MOBILE}/orders/{order['id']}/deliver", evidence=[sha])["status"]
        == "delivered"
    )


def test_a_rejected_delivery_returns_to_the_technician(client, world):
    order_id = on_the_way(client, world)
    check_in(client, world, order_id, INSIDE)
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order_id}/deliver", notes="done")
    rejected = act(client, world["x1_admin"], f"{API}/orders/{order_id}/reject", reason="photo missing")
    assert rejected["status"] == "rejected" and rejected["technician_id"] == world["tech_a"]
    mine = client.get(f"{MOBILE}/me/orders", headers=world["tech_a_h"]).get_json()["items"]
    assert [o["id"] for o in mine] == [order_id]
    assert act(client, world["tech_a_h"], f"{MOBILE}/orders/{order_id}/deliver", notes="again")["status"] == "delivered"


def test_attendance_counts_only_inside_a_time_window(client, world):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    later = [
        {"start": (now + timedelta(hours=2)).isoformat(), "end": (now + timedelta(hours=4)).isoformat()},
        {"start": (now - timedelta(hours=9)).isoformat(), "end": (now - timedelta(hours=8)).isoformat()},
    ]
    order_id = on_the_way(client, world, kind="checkin", time_windows=later)
    refused = check_in(client, world, order_id, INSIDE, expect=422)
    assert refused["errors"][0]["field"] == "time"
    current = [{"start": (now - timedelta(hours=1)).isoformat(), "end": (now + timedelta(hours=1)).isoformat()}]
    order_id = on_the_way(client, world, kind="checkin", time_windows=current)
    assert check_in(client, world, order_id, INSIDE)["status"] == "on_site"


def stream(client, headers, lon_lat, seconds_ago=5):
    """The technician's phone streams one position (consent given, on shift), as the app does."""
    assert client.put(f"{MOBILE}/me/location-consent", headers=headers, json={}).status_code == 200
    assert client.put(f"{MOBILE}/me/status", headers=headers, json={"status": "on_shift"}).status_code == 200
    point = {"id": f"p{time.monotonic_ns()}", "time": time.time() - seconds_ago, "accuracy": 8}
    point.update(lon=lon_lat[0], lat=lon_lat[1])
    response = client.post(f"{MOBILE}/locations", headers=headers, json={"fixes": [point]})
    assert response.status_code == 200 and response.get_json()["accepted"], response.get_json()


def test_a_check_in_the_streamed_track_contradicts_is_refused_with_the_distance(client, world):
    order_id = on_the_way(client, world)
    five_km_east = (SITE_A[0] + 0.052, SITE_A[1])  # ~5 km at 30.65 N
    stream(client, world["tech_a_h"], five_km_east, seconds_ago=240)

    refused = check_in(client, world, order_id, INSIDE, expect=422)  # the phone claims to be on site
    assert 4800 < refused["track_distance_m"] < 5200 and refused["distance_m"] == refused["track_distance_m"]
    assert refused["radius_m"] == 200
    assert f"tracked position is {refused['track_distance_m']:.0f} m from the site" in refused["detail"]
    assert [(e["field"], e.get("source")) for e in refused["errors"]] == [("location", "track")]

    stream(client, world["tech_a_h"], INSIDE, seconds_ago=1)  # four minutes later the stream is on site
    assert check_in(client, world, order_id, INSIDE)["status"] == "on_site"


def test_an_old_streamed_position_does_not_block_a_check_in(client, world):
    order_id = on_the_way(client, world)
    stream(client, world["tech_a_h"], (SITE_A[0] + 0.052, SITE_A[1]), seconds_ago=20 * 60)
    assert check_in(client, world, order_id, INSIDE)["status"] == "on_site"
