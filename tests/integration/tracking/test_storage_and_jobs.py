"""Daily partitions, retention, the writer's crash recovery, presence time-outs."""

import time
from datetime import date, timedelta

from sqlalchemy import select

from backend.extensions import db
from backend.jobs.schedule import PERIODIC_JOBS
from backend.models import TechnicianEvent
from backend.redis_client import get_redis
from backend.tracking import store
from backend.tracking.jobs import expire_presence, maintain_partitions
from backend.tracking.presence import PRESENCE_KEY
from tests.integration.tracking.conftest import drain, fix, stored


def test_partitions_are_created_ahead_and_dropped_after_retention(app):
    with app.app_context():
        today = date.today()
        store.ensure_partitions_ahead(days_ahead=2, today=today)
        store.ensure_partition(today - timedelta(days=40))
        assert {today + timedelta(days=i) for i in (-1, 0, 1, 2)} <= set(store.existing_partitions())
        dropped = store.drop_expired_partitions(30, today=today)
        assert today - timedelta(days=40) in dropped and all(d < today - timedelta(days=30) for d in dropped)
        assert min(store.existing_partitions()) >= today - timedelta(days=30)


def test_retention_and_presence_jobs_are_scheduled():
    funcs = {item.func for item in PERIODIC_JOBS}
    assert {maintain_partitions, expire_presence} <= funcs


def test_a_writer_that_died_before_acknowledging_is_replayed_without_duplicates(app, technician, client):
    tid, _, headers = technician()
    assert (
        client.post("/api/mobile/v1/locations", headers=headers, json={"fixes": [fix("c1"), fix("c2")]}).status_code
        == 200
    )
    with app.app_context():
        store.ensure_group()
        entries = store.read_batch("writer-1")  # read, written, then "crash" before XACK
        store.write_rows(store.rows_of(entries))
    assert drain(app) == 2  # the pending entry is read again by the same consumer...
    assert stored(app, tid) == ({"c1": None, "c2": None}, 2)  # ...and stored once
    with app.app_context():
        assert store.backlog() == 0


def test_a_silent_technician_goes_offline_with_an_event(app, technician):
    tid, _, _ = technician()
    with app.app_context():
        get_redis().zadd(PRESENCE_KEY, {str(tid): time.time() - 600})
        assert expire_presence() == [tid]
        assert get_redis().zscore(PRESENCE_KEY, str(tid)) is None
        values = db.session.scalars(
            select(TechnicianEvent.value).where(
                TechnicianEvent.technician_id == tid, TechnicianEvent.kind == "presence"
            )
        ).all()
        assert values == ["offline"]


def test_any_client_id_survives_the_copy(app, technician, client):
    tid, _, headers = technician()
    ids = ["a,b", 'quo"te', "new\nline", "tab\tbed", "back\\slash", "ünïcode-点"]
    now = time.time()
    batch = [fix(cid, t=now - 10 + i, lon=104.07 + i * 1e-5) for i, cid in enumerate(ids)]
    assert client.post("/api/mobile/v1/locations", headers=headers, json={"fixes": batch}).status_code == 200
    drain(app)
    assert stored(app, tid) == ({cid: None for cid in ids}, len(ids))


def test_technicians_cached_together_do_not_expire_together(app):
    """A shift starting at once must not come back for 5,000 rebuilds in the same second (which
    emptied the database pool under the load benchmark): cache lifetimes are spread, within the bound."""
    from backend.tracking import state

    with app.app_context():
        ids = range(900_001, 900_041)
        for tid in ids:
            state.rebuild(tid)
        ttls = [get_redis().ttl(state.key(tid)) for tid in ids]
    assert all(state.CACHE_SECONDS // 2 - 1 <= ttl <= state.CACHE_SECONDS for ttl in ttls)
    assert max(ttls) - min(ttls) > state.CACHE_SECONDS // 10
