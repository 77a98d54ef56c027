"""Periodic sweeps: unassigned orders expire when their window has passed; SLA breaches are
flagged once, visible in the API and sent as a webhook; old idempotency keys are purged;
every order sweep is registered with the scheduler."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from backend.extensions import db
from backend.jobs.schedule import PERIODIC_JOBS
from backend.models import IdempotencyKey, OrderOffer
from backend.models.base import utcnow
from backend.orders import jobs
from tests.integration.orders.helpers import API, MOBILE, act, create, online, run_jobs


def _iso(dt):
    return dt.astimezone(UTC).isoformat()


def test_unassigned_orders_expire_after_their_window(app, client, world):
    past = utcnow() - timedelta(hours=2)
    window = [{"start": _iso(past - timedelta(hours=2)), "end": _iso(past)}]
    online(app, world["tech_a"])
    stale = create(client, world["x1_admin"], time_windows=window, publish=True)
    taken = create(client, world["x1_admin"], time_windows=window, publish=True)
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{taken['id']}/claim")
    future = create(
        client,
        world["x1_admin"],
        publish=True,
        time_windows=[{"start": _iso(utcnow()), "end": _iso(utcnow() + timedelta(hours=3))}],
    )
    with app.app_context():
        assert jobs.expire_orders() == 1
        offers = set(db.session.scalars(select(OrderOffer.state).where(OrderOffer.order_id == stale["id"])))
    assert offers == {"withdrawn"}
    items = client.get(f"{API}/orders", headers=world["x1_admin"]).get_json()["items"]
    statuses = {o["id"]: o["status"] for o in items}
    assert statuses == {stale["id"]: "expired", taken["id"]: "accepted", future["id"]: "offered"}
    events = client.get(f"{API}/orders/{stale['id']}/events", headers=world["x1_admin"]).get_json()["items"]
    assert (events[-1]["actor_kind"], events[-1]["from_status"], events[-1]["to_status"]) == (
        "system",
        "offered",
        "expired",
    )


def test_sla_breaches_are_flagged_once_and_visible(app, client, world):
    late = create(client, world["x1_admin"], sla_deadline=_iso(utcnow() - timedelta(minutes=5)))
    fine = create(client, world["x1_admin"], sla_deadline=_iso(utcnow() + timedelta(hours=5)))
    with app.app_context():
        assert jobs.flag_sla_breaches() == 1
        assert jobs.flag_sla_breaches() == 0, "flagged once"
    breached = client.get(f"{API}/orders?sla_breached=true", headers=world["x1_admin"]).get_json()["items"]
    assert [o["id"] for o in breached] == [late["id"]] and breached[0]["sla_breached_at"]
    assert client.get(f"{API}/orders/{fine['id']}", headers=world["x1_admin"]).get_json()["sla_breached_at"] is None
    console = client.get("/api/console/v1/orders?sla_breached=true", headers=world["dispatcher"]).get_json()
    assert [o["id"] for o in console["items"]] == [late["id"]]


def test_old_idempotency_keys_are_purged_but_kept_a_day(app, client, world):
    for key in ("old", "new"):
        client.post(
            f"{API}/orders",
            headers={**world["x1_admin"], "Idempotency-Key": key},
            json={"client_ref": key, "kind": "project", "work_type": "w"},
        )
    with app.app_context():
        db.session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == "old")
            .values(created_at=datetime.now(UTC) - timedelta(hours=49))
        )
        db.session.commit()
        assert jobs.purge_idempotency_keys() == 1
        assert list(db.session.scalars(select(IdempotencyKey.key))) == ["new"]
        assert app.config["IDEMPOTENCY_TTL_HOURS"] >= 24


def test_the_sweeps_are_periodic_jobs_and_run_in_a_worker(app, client, world):
    funcs = {p.func for p in PERIODIC_JOBS}
    assert {jobs.assignment_timeouts, jobs.expire_orders, jobs.flag_sla_breaches, jobs.purge_idempotency_keys} <= funcs
    create(client, world["x1_admin"], sla_deadline=_iso(utcnow() - timedelta(minutes=1)))
    with app.app_context():
        jobs.flag_sla_breaches.enqueue()
    run_jobs(app, "maintenance")
    assert len(client.get(f"{API}/orders?sla_breached=true", headers=world["x1_admin"]).get_json()["items"]) == 1
