"""A technician's tracking state: shift status, location consent, regions (presence: presence.py).

The database holds the record (consents, status and presence events); Redis holds a
cache per technician (`gridwork:tech:{id}`) that the location handler reads in one
round trip. Every change writes the database first (the caller commits), then the cache;
a missing cache is rebuilt from the database.
"""

import json
import random
import time
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select

from backend.errors import Forbidden
from backend.extensions import db
from backend.models import LocationConsent, TechnicianEvent, TechnicianProfile, TechnicianRegion
from backend.models.tracking import STATUSES
from backend.realtime import emit_to_regions
from backend.redis_client import get_redis, hot_lane
from backend.tracking import positions
from geo.tracks import Fix

CONSENT_NOTICE_VERSION = "2026-11"
CACHE_SECONDS = 600  # region changes made elsewhere show up within this time
ON_SHIFT = frozenset(STATUSES) - {"off_shift"}


class Refused(Forbidden):
    """The technician may not send positions or change status now (off shift, no consent, not
    approved); nothing is kept. A 403 whose problem type is the code (`off_shift` -> off-shift);
    the socket handlers answer {error: code, message}."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message
        self.kind = code.replace("_", "-")


def key(technician_id: int) -> str:
    return f"gridwork:tech:{technician_id}"


def load(technician_id: int) -> dict:
    """{status, consent, regions, ref} from the cache, rebuilt from the database when missing."""
    # On the hot lane: a connecting fleet's first messages all read it. RESP3 answers a map (a dict).
    raw = hot_lane().call("HGETALL", key(technician_id))
    if not {b"status", b"consent", b"regions"} <= raw.keys():
        return rebuild(technician_id)
    return {
        "status": raw[b"status"].decode(),
        "consent": raw[b"consent"] == b"1",
        "regions": json.loads(raw[b"regions"]),
        "ref": json.loads(raw[b"ref"]) if raw.get(b"ref") else None,
    }


CHANGED_CHANNEL = "gridwork:tracking:changed"  # + the Redis db: pub/sub is server-wide
_changed_at: dict[int, float] = {}  # monotonic time of the last change heard of, per technician
_listening = []


def load_cached(technician_id: int, holder: dict | None) -> dict:
    """`load`, kept in `holder` (the phone's connection) for TRACK_STATE_CACHE_MS: the location
    handler's hot path. Every change (status, consent) is published on CHANGED_CHANNEL and
    each web process drops its copies at once (`listen_for_changes`); the time limit only
    bounds a lost message. Without a holder, read Redis every time."""
    if holder is None:
        return load(technician_id)
    now = time.monotonic()
    max_age = current_app.config["TRACK_STATE_CACHE_MS"] / 1000.0
    fresh = "state" in holder and now - holder["at"] < max_age
    if not fresh or holder["at"] <= _changed_at.get(technician_id, -1.0):
        holder.update(at=now, state=load(technician_id))
    return holder["state"]


def forget_local(technician_id: int) -> None:
    """Drop cached copies of this technician's state here and in every web process."""
    _changed_at[technician_id] = time.monotonic()
    get_redis().publish(changed_channel(), str(technician_id))


def changed_channel() -> str:
    return f"{CHANGED_CHANNEL}:{get_redis().connection_pool.connection_kwargs.get('db', 0)}"


def listen_for_changes(start_background_task) -> None:
    """Start (once per process) the listener that drops cached states changed elsewhere."""
    if _listening:
        return
    _listening.append(True)
    pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(changed_channel())
    start_background_task(_listen, pubsub)


def _listen(pubsub) -> None:
    for message in pubsub.listen():
        try:
            _changed_at[int(message["data"])] = time.monotonic()
        except (TypeError, ValueError):
            continue


def rebuild(technician_id: int) -> dict:
    current = {
        "status": latest_status(technician_id),
        "consent": has_consent(technician_id),
        "regions": region_ids(technician_id),
        "ref": None,
    }
    _cache(technician_id, current)
    return current


def _cache(technician_id: int, current: dict) -> None:
    fields = {
        "status": current["status"],
        "consent": "1" if current["consent"] else "0",
        "regions": json.dumps(current["regions"]),
    }
    pipe = get_redis().pipeline()
    pipe.hset(key(technician_id), mapping=fields)
    pipe.expire(key(technician_id), cache_ttl())
    pipe.execute()


def cache_ttl() -> int:
    """Between half of CACHE_SECONDS and all of it, at random: technicians cached together (a shift
    starting, a deploy) must not all expire in the same second. Measured (bench/tracking.py, 5,000
    phones): with one fixed TTL the caches expired mid-run together, 5,000 rebuilds of three queries
    each emptied the database pool, and phones waited 30 s for acks or got `internal` errors."""
    return int(CACHE_SECONDS * (0.5 + random.random() / 2))


def require_tracking_allowed(current: dict) -> None:
    if not current["consent"]:
        raise Refused("consent_required", "grant location consent before sending positions")
    if current["status"] not in ON_SHIFT:
        raise Refused("off_shift", "positions are taken only on shift: send status on_shift first")


def reference_fix(current: dict) -> Fix | None:
    ref = current.get("ref")
    return Fix(ref["id"], ref["t"], ref["lon"], ref["lat"]) if ref else None


# --- database reads -------------------------------------------------------------------------


def latest_status(technician_id: int) -> str:
    value = db.session.scalar(
        select(TechnicianEvent.value)
        .where(TechnicianEvent.technician_id == technician_id, TechnicianEvent.kind == "status")
        .order_by(TechnicianEvent.at.desc(), TechnicianEvent.id.desc())
        .limit(1)
    )
    return value or "off_shift"


def has_consent(technician_id: int) -> bool:
    return open_consent(technician_id) is not None


def open_consent(technician_id: int) -> LocationConsent | None:
    return db.session.scalar(
        select(LocationConsent).where(
            LocationConsent.technician_id == technician_id, LocationConsent.withdrawn_at.is_(None)
        )
    )


def region_ids(technician_id: int) -> list[int]:
    rows = db.session.scalars(
        select(TechnicianRegion.region_id).where(
            TechnicianRegion.technician_id == technician_id, TechnicianRegion.state == "active"
        )
    )
    return sorted(rows)


def is_approved(technician_id: int) -> bool:
    status = db.session.scalar(select(TechnicianProfile.status).where(TechnicianProfile.technician_id == technician_id))
    return status == "approved"


# --- changes --------------------------------------------------------------------------------


def record_event(technician_id: int, kind: str, value: str, lon=None, lat=None) -> TechnicianEvent:
    event = TechnicianEvent(technician_id=technician_id, kind=kind, value=value, at=datetime.now(UTC), lon=lon, lat=lat)
    db.session.add(event)
    return event


def set_status(technician_id: int, status: str) -> TechnicianEvent:
    """Record a status change (the caller commits) and update the cache."""
    current = load(technician_id)
    position = current.get("ref") or {}
    event = record_event(technician_id, "status", status, position.get("lon"), position.get("lat"))
    db.session.flush()
    get_redis().hset(key(technician_id), "status", status)
    forget_local(technician_id)
    return event


def change_status(technician_id: int, status: str) -> TechnicianEvent:
    """Check and record a status change (the caller commits, then calls `announce_status`)."""
    if status != "off_shift" and not is_approved(technician_id):
        raise Refused("not_approved", "only approved technicians go on shift")
    return set_status(technician_id, status)


def announce_status(technician_id: int, event: TechnicianEvent) -> None:
    """Tell the technician's consoles about a committed status change."""
    payload = {"technician_id": technician_id, "status": event.value, "at": event.at.isoformat()}
    emit_to_regions("technician_status", payload, load(technician_id)["regions"])


def grant_consent(technician_id: int, device: str | None) -> LocationConsent:
    """Open a consent (idempotent: an open one is returned as it is)."""
    consent = open_consent(technician_id)
    if consent is None:
        consent = LocationConsent(
            technician_id=technician_id,
            notice_version=CONSENT_NOTICE_VERSION,
            device=device,
            granted_at=datetime.now(UTC),
        )
        db.session.add(consent)
        record_event(technician_id, "consent", "granted")
        db.session.flush()
    get_redis().hset(key(technician_id), "consent", "1")
    forget_local(technician_id)
    return consent


def withdraw_consent(technician_id: int) -> LocationConsent | None:
    """Close the open consent; positions are refused from now on and the live position is removed."""
    consent = open_consent(technician_id)
    if consent is not None:
        consent.withdrawn_at = datetime.now(UTC)
        record_event(technician_id, "consent", "withdrawn")
        db.session.flush()
    pipe = get_redis().pipeline(transaction=False)
    pipe.hset(key(technician_id), "consent", "0")
    pipe.hdel(key(technician_id), "ref")
    positions.forget(pipe, technician_id)
    pipe.execute()
    forget_local(technician_id)
    return consent
