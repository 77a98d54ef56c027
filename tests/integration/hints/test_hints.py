"""Work hints and site history on the order: the technician who holds it sees the nearest
owner's newest hint and the site's earlier visits (newest first, names masked, thumbnails);
anyone else gets 404; a missing hint is absent, not an error."""

import io

from PIL import Image
from sqlalchemy import update

from backend import storage
from backend.extensions import db
from backend.models import Order, Technician, User
from tests.integration.orders.helpers import API, CONSOLE, MOBILE, act, create, online

HINT = {
    "procedure": ["Isolate the span", "Splice and protect", "Measure with the OTDR"],
    "tools": ["fusion splicer", "OTDR"],
    "spare_parts": [{"name": "splice protector", "quantity": 4}],
    "safety_notes": ["Never look into a live fibre"],
}


def put(client, path, headers, body, expect=200):
    response = client.put(path, headers=headers, json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def _past_visit(app, client, world, technician, name, notes, delivered_at, evidence=()):
    """An order at X1-SITE finished earlier (written straight to the rows: the walk is tested elsewhere)."""
    order = create(client, world["x1_admin"])
    with app.app_context():
        user_id = db.session.get(Technician, technician).user_id
        db.session.execute(update(User).where(User.id == user_id).values(name=name))
        delivery = {
            "evidence": list(evidence),
            "notes": notes,
            "readings": {"loss_db": 0.2},
            "delivered_at": delivered_at,
        }
        db.session.execute(
            update(Order)
            .where(Order.id == order["id"])
            .values(status="verified", technician_id=technician, delivery=delivery)
        )
        db.session.commit()
    return order["id"]


def test_the_holder_sees_the_hint_and_the_site_history(app, client, world):
    put(client, f"{CONSOLE}/work-hints/fibre_repair", world["dispatcher"], {**HINT, "procedure": ["old"]})
    platform = put(client, f"{CONSOLE}/work-hints/fibre_repair", world["dispatcher"], HINT)
    assert (platform["version"], platform["org_id"]) == (2, None)
    own = put(client, f"{API}/work-hints/fibre_repair", world["x_admin"], {**HINT, "tools": ["fusion splicer"]})
    assert (own["version"], own["org_id"]) == (1, world["x"])

    with app.app_context():
        photo = storage.save(_photo()).sha256
    older = _past_visit(
        app, client, world, world["tech_city"], "Li Ming", "replaced the closure", "2026-11-01T08:00:00+00:00"
    )
    newer = _past_visit(
        app, client, world, world["tech_b"], "王小明", "spliced core 3", "2026-11-20T08:00:00+00:00", [photo]
    )
    online(app, world["tech_a"])
    order = create(client, world["x1_admin"], publish=True)
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order['id']}/claim")

    answer = client.get(f"{MOBILE}/orders/{order['id']}/hints", headers=world["tech_a_h"])
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    hint = body["hint"]
    assert (hint["org_id"], hint["version"], hint["tools"]) == (world["x"], 1, ["fusion splicer"]), "the client's own"
    assert hint["procedure"][0] == {"step": 1, "text": "Isolate the span"}
    assert hint["safety_notes"] == ["Never look into a live fibre"]
    history = body["site_history"]
    assert [v["order_id"] for v in history] == [newer, older], "newest first"
    assert [v["technician"] for v in history] == ["王师傅", "Li"], "masked to the first name"
    assert history[0]["notes"] == "spliced core 3" and history[0]["readings"] == {"loss_db": 0.2}

    thumb = client.get(history[0]["evidence"][0]["thumbnail_url"], headers=world["tech_a_h"])
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 320
    assert client.get(history[0]["evidence"][0]["thumbnail_url"], headers=world["tech_b_h"]).status_code == 404


def test_nobody_but_the_holder_sees_them(app, client, world):
    online(app, world["tech_a"])
    order = create(client, world["x1_admin"], publish=True)
    assert client.get(f"{MOBILE}/orders/{order['id']}/hints", headers=world["tech_a_h"]).status_code == 404, (
        "offered only"
    )
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order['id']}/claim")
    for other in ("tech_b_h", "tech_city_h", "tech_a_low_h"):
        assert client.get(f"{MOBILE}/orders/{order['id']}/hints", headers=world[other]).status_code == 404


def test_a_missing_hint_is_absent(app, client, world):
    online(app, world["tech_a"])
    order = create(client, world["x1_admin"], publish=True, work_type="pole_survey")
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order['id']}/claim")
    body = client.get(f"{MOBILE}/orders/{order['id']}/hints", headers=world["tech_a_h"]).get_json()
    assert body == {"hint": None, "site_history": []}


def test_clients_see_their_inherited_hint_and_edit_only_their_own(client, world):
    put(client, f"{CONSOLE}/work-hints/fibre_repair", world["dispatcher"], HINT)
    seen = client.get(f"{API}/work-hints/fibre_repair", headers=world["y_admin"]).get_json()["hint"]
    assert seen["org_id"] is None, "the platform's"
    put(client, f"{API}/work-hints/fibre_repair", world["x_admin"], HINT)
    assert (
        client.get(f"{API}/work-hints/fibre_repair", headers=world["x1_admin"]).get_json()["hint"]["org_id"]
        == world["x"]
    )
    assert client.get(f"{API}/work-hints/fibre_repair", headers=world["y_admin"]).get_json()["hint"]["org_id"] is None
    versions = client.get(f"{API}/work-hints/fibre_repair/versions", headers=world["y_admin"]).get_json()["items"]
    assert versions == [], "Y keeps none of its own"


def test_a_hint_needs_steps(client, world):
    bad = client.put(f"{API}/work-hints/fibre_repair", headers=world["x_admin"], json={**HINT, "procedure": []})
    assert bad.status_code == 422
    assert "procedure" in str(bad.get_json())
    wrong = client.put(f"{API}/work-hints/Fibre Repair!", headers=world["x_admin"], json=HINT)
    assert wrong.status_code == 422
