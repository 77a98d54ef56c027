"""A technician's live position: the one place it is written and read.

Redis keys:
    gridwork:positions      hash     technician id -> JSON of the newest valid fix (`position_json`)
    gridwork:positions:geo  GEO set  technician id at the same fix, the index behind `nearest`

Everyone else (matching, planning, check-in, the console) reads through `live_positions`,
`checkin_position` or `nearest`; nobody else names these keys (the location handler writes them
with `keep_args` in its one Redis round trip per batch).
"""

import json
import time

import orjson

from backend.redis_client import get_redis
from geo.tracks import Fix

POSITIONS_KEY = "gridwork:positions"
GEO_KEY = "gridwork:positions:geo"


def position_json(fix: Fix, status: str | None) -> dict:
    """The live position as the console sees it."""
    return {
        "lon": round(fix.lon, 7),
        "lat": round(fix.lat, 7),
        "t": fix.t,
        "accuracy": fix.accuracy,
        "speed": fix.speed,
        "heading": fix.heading,
        "battery": fix.battery,
        "status": status,
    }


def keep_args(fix: Fix, status: str | None) -> tuple[bytes, float, float]:
    """The values a new live position writes: POSITIONS_KEY's field value and GEO_KEY's lon, lat.
    The location handler writes them in its one round trip per batch (`ingest.BATCH_SCRIPT`)."""
    return orjson.dumps(position_json(fix, status)), fix.lon, fix.lat  # hot path


def keep(pipe, technician_id: int, fix: Fix, status: str | None) -> None:
    """Queue the writes of a new live position on a Redis pipeline (the caller executes it)."""
    position, lon, lat = keep_args(fix, status)
    pipe.hset(POSITIONS_KEY, str(technician_id), position)
    pipe.geoadd(GEO_KEY, (lon, lat, str(technician_id)))


def live_positions(technician_ids=None) -> dict[int, dict]:
    """Newest valid fix per technician (all, or the ids given), as `position_json`."""
    redis = get_redis()
    if technician_ids is None:
        raw = redis.hgetall(POSITIONS_KEY)
        return {int(k): json.loads(v) for k, v in raw.items()}
    ids = [str(i) for i in technician_ids]
    values = redis.hmget(POSITIONS_KEY, ids) if ids else []
    return {int(i): json.loads(v) for i, v in zip(ids, values, strict=True) if v}


def lon_lats(technician_ids) -> dict[int, tuple[float, float]]:
    """(lon, lat) of the newest valid fix of each technician that has one."""
    return {tid: (p["lon"], p["lat"]) for tid, p in live_positions(technician_ids).items()}


def checkin_position(technician_id: int, max_age_s: float = 120.0, now: float | None = None) -> dict | None:
    """Where a geofence check-in may place the technician: the newest *valid* fix, if recent.
    Mock, inaccurate or otherwise flagged fixes never become it, so they never check anyone in."""
    now = time.time() if now is None else now
    live = live_positions([technician_id]).get(technician_id)
    return live if live and now - live["t"] <= max_age_s else None


def nearest(lon: float, lat: float, radius_m: float, count: int | None = 20) -> list[tuple[int, float]]:
    """Technicians whose newest valid fix is within radius_m, nearest first: (id, metres).
    `count=None` answers all of them (a caller that filters afterwards)."""
    found = get_redis().geosearch(
        GEO_KEY, longitude=lon, latitude=lat, radius=radius_m, unit="m", sort="ASC", count=count, withdist=True
    )
    return [(int(member), float(distance)) for member, distance in found]


def forget(pipe, technician_id: int) -> None:
    """Queue the removal of a technician's live position (consent withdrawn)."""
    pipe.hdel(POSITIONS_KEY, str(technician_id))
    pipe.zrem(GEO_KEY, str(technician_id))
