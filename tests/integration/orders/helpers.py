"""Helpers shared by the order tests."""

import time

from backend.extensions import db
from backend.models import DispatcherRegion
from backend.tracking.presence import PRESENCE_KEY

API = "/api/v1"
MOBILE = "/api/mobile/v1"
CONSOLE = "/api/console/v1"


def order_body(**overrides):
    body = {
        "client_ref": f"REF-{time.monotonic_ns()}",
        "kind": "dispatch",
        "site_code": "X1-SITE",
        "role": "repair",
        "skills": [{"code": "fibre_splicing", "min_level": 2}],
        "priority": "normal",
        "standard_duration_min": 60,
        "work_type": "fibre_repair",
        "description": "splice a cut fibre",
    }
    body.update(overrides)
    return body


def create(client, headers, expect=201, **overrides):
    response = client.post(f"{API}/orders", headers=headers, json=order_body(**overrides))
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def act(client, headers, path, expect=200, **json):
    response = client.post(path, headers=headers, json=json)
    assert response.status_code == expect, (path, response.get_json())
    return response.get_json()


def dispatcher_of(factory, *region_ids):
    """Headers of a new dispatcher who manages these regions (and everything inside them)."""
    user_id = factory.user("dispatcher")
    with factory.app.app_context():
        db.session.add_all(DispatcherRegion(user_id=user_id, region_id=r) for r in region_ids)
        db.session.commit()
    return factory.headers(user_id)


def online(app, *technician_ids):
    """Mark technicians online (a heartbeat now), as the tracking capability does."""
    with app.app_context():
        from backend.redis_client import get_redis

        get_redis().zadd(PRESENCE_KEY, {str(t): time.time() for t in technician_ids})


def run_jobs(app, *queues):
    """Run every queued job now, in a real RQ worker (burst), with the app context."""
    from rq import SimpleWorker

    from backend.jobs import queue

    with app.app_context():
        names = queues or ("high", "default", "webhooks", "maintenance")
        SimpleWorker([queue(n) for n in names], connection=app.extensions["redis"]).work(burst=True)
