"""Presence: who is online. Tracking owns it; matching, planning and the consoles read it here.

Redis sorted set PRESENCE_KEY: member = technician id as a string, score = the last heartbeat or
fix (epoch seconds). A technician is online with a heartbeat in the last ONLINE_WINDOW seconds.
Going online and timing out are recorded as "presence" events (the caller commits).
"""

import time

from backend.realtime import emit_to_regions
from backend.redis_client import get_redis
from backend.tracking import state

PRESENCE_KEY = "gridwork:presence"
ONLINE_WINDOW = 90  # seconds


def online_technician_ids(now: float | None = None) -> list[int]:
    """Technicians with a heartbeat within ONLINE_WINDOW seconds."""
    now = time.time() if now is None else now
    members = get_redis().zrangebyscore(PRESENCE_KEY, now - ONLINE_WINDOW, "+inf")
    return [int(m) for m in members]


def online_among(ids, now: float | None = None) -> set[int]:
    """Which of these technicians are online: one ZMSCORE for the ids asked, so a caller with a
    short list never reads the whole online set (tens of thousands at province scale)."""
    if not ids:
        return set()
    now = time.time() if now is None else now
    ids = list(ids)
    scores = get_redis().zmscore(PRESENCE_KEY, [str(i) for i in ids])
    return {i for i, score in zip(ids, scores, strict=True) if score is not None and score >= now - ONLINE_WINDOW}


def offline_technician_ids(ids, now: float) -> set[int]:
    """Technicians whose last heartbeat is older than the online window. One never seen
    is unknown, not offline: tracking may simply not be in use for them."""
    scores = get_redis().zmscore(PRESENCE_KEY, [str(i) for i in ids]) if ids else []
    return {i for i, score in zip(ids, scores, strict=True) if score is not None and score < now - ONLINE_WINDOW}


def heartbeat(technician_id: int, now: float | None = None) -> bool:
    """Mark the technician online now; True when they were not online before."""
    now = time.time() if now is None else now
    previous = get_redis().zscore(PRESENCE_KEY, str(technician_id))
    get_redis().zadd(PRESENCE_KEY, {str(technician_id): now})
    return previous is None or previous < now - ONLINE_WINDOW


def mark_online(technician_id: int, now: float | None = None) -> bool:
    """A heartbeat; coming online is recorded as an event (the caller commits, then `announce`s)."""
    came_online = heartbeat(technician_id, now)
    if came_online:
        state.record_event(technician_id, "presence", "online")
    return came_online


def expire(now: float | None = None) -> list[int]:
    """Technicians whose heartbeat timed out: record them offline (the caller commits) and drop
    them from the set."""
    now = time.time() if now is None else now
    redis = get_redis()
    stale = [int(m) for m in redis.zrangebyscore(PRESENCE_KEY, "-inf", now - ONLINE_WINDOW)]
    for technician_id in stale:
        # Only if no heartbeat arrived between the read and now.
        if redis.zrem(PRESENCE_KEY, str(technician_id)) if _still_stale(technician_id, now) else False:
            state.record_event(technician_id, "presence", "offline")
    return stale


def _still_stale(technician_id: int, now: float) -> bool:
    score = get_redis().zscore(PRESENCE_KEY, str(technician_id))
    return score is not None and score < now - ONLINE_WINDOW


def announce(technician_id: int, online: bool, emitter=None) -> None:
    """Tell the technician's consoles (after the commit)."""
    regions = state.load(technician_id)["regions"]
    emit_to_regions("presence", {"technician_id": technician_id, "online": online}, regions, emitter)
