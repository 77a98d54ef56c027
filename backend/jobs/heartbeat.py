"""The scheduler's heartbeat: proves that periodic jobs are enqueued and run."""

import time

from backend.jobs import job
from backend.redis_client import get_redis

BEAT_KEY = "gridwork:scheduler:last_beat"


@job("maintenance", timeout=30)
def beat():
    get_redis().set(BEAT_KEY, time.time())


def last_beat_age() -> float | None:
    raw = get_redis().get(BEAT_KEY)
    return round(time.time() - float(raw), 1) if raw else None
