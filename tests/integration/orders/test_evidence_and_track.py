"""What a client sees of an order's delivery: its evidence files (listed, downloaded with their type
and a download name, image thumbnails) and the replay of the technician's way to it, limited to
the order's window (claim → delivery; PIPL). Both are scoped exactly like the order: a sibling
sub-account, another client or a dispatcher of another district gets 404."""

import io
import time
from datetime import timedelta

from PIL import Image
from sqlalchemy import select, update

from backend.extensions import db
from backend.models import OrderEvent
from backend.models.base import utcnow
from backend.tracking import store
from tests.integration.orders.conftest import SITE_A
from tests.integration.orders.helpers import API, MOBILE, act, create

PDF = b"%PDF-1.4 as-built drawing"
INSIDE = [SITE_A[0] + 0.0010, SITE_A[1]]


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def upload(client, world, order_id, data, name):
    response = client.post(
        f"{MOBILE}/orders/{order_id}/evidence", headers=world["tech_a_h"], data={"file": (io.BytesIO(data), name)}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["sha256"]


def walked_to_site(client, world):
    """An order of X1 claimed by tech_a, who went there and checked in."""
    order_id = create(client, world["x1_admin"], publish=True)["id"]
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order_id}/claim")
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order_id}/en-route")
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order_id}/check-in", location=INSIDE, accuracy_m=10)
    return order_id


def delivered_with_files(client, world):
    order_id = walked_to_site(client, world)
    image, pdf = photo(), PDF
    shas = [upload(client, world, order_id, image, "p.png"), upload(client, world, order_id, pdf, "d.pdf")]
    spare = upload(client, world, order_id, photo()[:-1] + b"\0", "unused.png")  # uploaded, not delivered
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order_id}/deliver", evidence=shas, notes="spliced")
    return order_id, shas, {"image": image, "pdf": pdf}, spare


def test_a_client_lists_and_downloads_the_evidence_of_its_order(client, world):
    order_id, (png_sha, pdf_sha), files, spare = delivered_with_files(client, world)
    listed = client.get(f"{API}/orders/{order_id}/evidence", headers=world["x1_admin"])
    assert listed.status_code == 200, listed.get_json()
    items = listed.get_json()["items"]
    assert [(i["sha256"], i["content_type"]) for i in items] == [(png_sha, "image/png"), (pdf_sha, "application/pdf")]
    assert items[0]["size"] == len(files["image"]) and items[0]["uploaded_at"]
    assert items[1]["thumbnail_url"] is None, "a PDF has no thumbnail"

    image = client.get(items[0]["url"], headers=world["x1_admin"])
    assert image.status_code == 200 and image.data == files["image"]
    assert image.headers["Content-Type"] == "image/png"
    disposition = image.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"order-{order_id}-{png_sha[:12]}.png" in disposition
    pdf = client.get(items[1]["url"], headers=world["x1_admin"])
    assert pdf.data == files["pdf"] and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"].endswith('.pdf"')

    thumb = client.get(items[0]["thumbnail_url"], headers=world["x1_admin"])
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 320
    assert client.get(f"{items[1]['url']}/thumbnail", headers=world["x1_admin"]).status_code == 404

    not_delivered = client.get(f"{API}/orders/{order_id}/evidence/{spare}", headers=world["x1_admin"])
    assert not_delivered.status_code == 404, "only the files handed over with the delivery are shown"
    malformed = client.get(f"{API}/orders/{order_id}/evidence/not-a-digest", headers=world["x1_admin"])
    assert malformed.status_code == 422 and malformed.get_json()["errors"][0]["field"] == "sha256"


def test_evidence_is_scoped_like_its_order(client, world):
    order_id, (png_sha, _), _, _ = delivered_with_files(client, world)
    paths = [
        f"{API}/orders/{order_id}/evidence",
        f"{API}/orders/{order_id}/evidence/{png_sha}",
        f"{API}/orders/{order_id}/evidence/{png_sha}/thumbnail",
    ]
    for who in ("x_admin", "dispatcher"):  # the parent organization; the city's dispatcher
        assert [client.get(p, headers=world[who]).status_code for p in paths] == [200, 200, 200], who
    for who in ("x2_admin", "y_admin", "dispatcher_b"):  # sibling, another client, another district
        assert [client.get(p, headers=world[who]).status_code for p in paths] == [404, 404, 404], who
    other = create(client, world["x1_admin"])["id"]  # the file belongs to one order, not to its client
    assert client.get(f"{API}/orders/{other}/evidence/{png_sha}", headers=world["x1_admin"]).status_code == 404


def _fix(technician_id, t, lon, lat, client_id):
    return (technician_id, t, client_id, t, t, lon, lat, 8.0, 5.0, 90.0, None, 0.9, False, None)


def _move_event(app, order_id, to_status, at):
    with app.app_context():
        db.session.execute(
            update(OrderEvent)
            .where(OrderEvent.order_id == order_id, OrderEvent.to_status == to_status)
            .values(created_at=at)
        )
        db.session.commit()


def _store_fixes(app, rows):
    with app.app_context():
        assert store.write_rows(rows) == len(rows)


def test_the_order_replay_shows_the_technician_only_within_the_order(app, client, world):
    order_id = walked_to_site(client, world)
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order_id}/deliver", notes="spliced")
    now = utcnow()
    # The order's walk, spread over the last hour: claimed 60 min ago ... delivered 10 min ago.
    for status, minutes in (("accepted", 60), ("en_route", 58), ("on_site", 30), ("delivered", 10)):
        _move_event(app, order_id, status, now - timedelta(minutes=minutes))
    tech = world["tech_a"]
    t = time.time()
    _store_fixes(
        app,
        [
            _fix(tech, t - 70 * 60, 104.001, 30.601, "before-claim"),  # at home, before the order
            _fix(tech, t - 55 * 60, 104.020, 30.620, "on-the-way-1"),
            _fix(tech, t - 45 * 60, 104.035, 30.635, "on-the-way-2"),
            _fix(tech, t - 20 * 60, 104.050, 30.650, "on-site"),
            _fix(tech, t - 5 * 60, 104.190, 30.790, "after-delivery"),  # elsewhere, after it
        ],
    )
    track = client.get(f"{API}/orders/{order_id}/track?tolerance_m=0", headers=world["x1_admin"])
    assert track.status_code == 200, track.get_json()
    feature = track.get_json()
    coordinates = feature["geometry"]["coordinates"]
    during = [[104.02, 30.62], [104.035, 30.635], [104.05, 30.65]]
    assert coordinates == during, "nothing before the claim or after the delivery"
    props = feature["properties"]
    assert len(props["times"]) == 3 and props["points"] == 3 and props["technician_id"] == tech
    assert [e["value"] for e in props["events"]] == ["accepted", "en_route", "on_site", "delivered"]
    assert props["events"][2]["lon"] is not None, "the check-in shows where it happened"

    for who in ("x2_admin", "y_admin", "dispatcher_b"):
        assert client.get(f"{API}/orders/{order_id}/track", headers=world[who]).status_code == 404, who
    assert client.get(f"{API}/orders/{order_id}/track", headers=world["x_admin"]).status_code == 200


def test_an_order_nobody_accepted_has_an_empty_track(client, world):
    order_id = create(client, world["x1_admin"], publish=True)["id"]
    feature = client.get(f"{API}/orders/{order_id}/track", headers=world["x1_admin"]).get_json()
    assert feature["geometry"]["coordinates"] == [] and feature["properties"]["start"] is None
    assert feature["properties"]["events"] == []


def _spread_status_events(app, order_id, minutes_ago):
    """The order's status changes, in order, moved to these many minutes before now."""
    with app.app_context():
        changes = db.session.scalars(
            select(OrderEvent)
            .where(OrderEvent.order_id == order_id, OrderEvent.from_status.is_distinct_from(OrderEvent.to_status))
            .order_by(OrderEvent.id)
        ).all()
        now = utcnow()
        for event, minutes in zip(changes, minutes_ago, strict=True):
            event.created_at = now - timedelta(minutes=minutes)
        db.session.commit()


def test_the_time_between_a_delivery_and_its_rejection_stays_hidden(app, client, world):
    order_id = walked_to_site(client, world)
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order_id}/deliver", notes="first try")
    act(client, world["x1_admin"], f"{API}/orders/{order_id}/reject", reason="the splice loss is too high")
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order_id}/en-route")
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order_id}/check-in", location=INSIDE, accuracy_m=10)
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order_id}/deliver", notes="re-spliced")
    # created, published, accepted, en route, on site, delivered | rejected | en route, on site, delivered
    _spread_status_events(app, order_id, [120, 118, 100, 95, 80, 70, 50, 30, 20, 10])
    t, tech = time.time(), world["tech_a"]
    fixes = {110: "before-claim", 90: "first-visit", 60: "after-first-delivery", 40: "before-return", 25: "return"}
    fixes[5] = "after-the-last-delivery"
    _store_fixes(app, [_fix(tech, t - m * 60, 104.0 + m / 1000, 30.6 + m / 1000, name) for m, name in fixes.items()])
    feature = client.get(f"{API}/orders/{order_id}/track?tolerance_m=0", headers=world["x1_admin"]).get_json()
    assert feature["geometry"]["coordinates"] == [[104.09, 30.69], [104.025, 30.625]], "the two visits only"
    assert len(feature["properties"]["spans"]) == 2
    values = [e["value"] for e in feature["properties"]["events"]]
    assert values == ["accepted", "en_route", "on_site", "delivered", "en_route", "on_site", "delivered"]
