"""GET /healthz: each dependency with its latency; 503 when one is down."""

import time

from apiflask import APIBlueprint
from sqlalchemy import text

from backend.extensions import db
from backend.jobs import QUEUES, queue
from backend.jobs.heartbeat import last_beat_age
from backend.redis_client import get_redis

bp = APIBlueprint("health", __name__, tag="health")


def _timed(check):
    start = time.perf_counter()
    try:
        detail = check()
        ok = True
    except Exception as exc:  # a health check reports every failure instead of raising
        detail, ok = {"error": f"{type(exc).__name__}: {exc}"}, False
    return {"ok": ok, "latency_ms": round((time.perf_counter() - start) * 1000, 2), **detail}


def _database():
    version = db.session.execute(text("SELECT postgis_lib_version()")).scalar()
    return {"postgis": version}


def _redis():
    get_redis().ping()
    return {}


def _queues():
    depths = {name: queue(name).count for name in QUEUES}
    return {"depths": depths, "scheduler_heartbeat_age_s": last_beat_age()}


@bp.get("/healthz")
@bp.doc(summary="Service health", responses={200: "all dependencies answer", 503: "a dependency is down"})
def healthz():
    """Database (with PostGIS version), Redis and queue depths, each with its latency."""
    checks = {"database": _timed(_database), "redis": _timed(_redis), "queues": _timed(_queues)}
    if not checks["database"]["ok"]:
        db.session.rollback()
    healthy = all(c["ok"] for c in checks.values())
    return {"status": "ok" if healthy else "degraded", "checks": checks}, (200 if healthy else 503)
