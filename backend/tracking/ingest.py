"""Taking in location fixes: parse, check shift and consent, clean (geo.tracks), keep the live
position (positions.py), hand every fix (valid or flagged) to the writer through the stream.

Redis keys written here, in one pipeline per batch:
    gridwork:tracking:stream     stream      each batch's rows for the writer (store.py)
    gridwork:presence            sorted set  technician id -> last fix (presence.py)
    gridwork:positions[:geo]     hash, GEO   the newest valid fix (positions.py)
    gridwork:tech:{id}           hash        field `ref`, the cleaning reference fix (state.py)
"""

import math
import time
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from flask import current_app

from backend.redis_client import get_redis
from backend.request_guard import bad_text
from backend.tracking import positions, state
from backend.tracking.presence import PRESENCE_KEY
from backend.tracking.state import Refused
from backend.tracking.store import STREAM, stream_entry
from geo.coords import UnknownCoordSys, check_coord_sys, to_wgs84
from geo.tracks import Checked, Fix, Thresholds, check_sequence

MAX_BATCH = 1000
NUMBERS = ("accuracy", "speed", "heading", "altitude", "battery")


@dataclass
class Ack:
    """What happened to a batch: ids stored (valid or flagged), flags, ids refused as malformed."""

    accepted: list[str] = field(default_factory=list)
    flagged: dict[str, str] = field(default_factory=dict)
    rejected: list[dict] = field(default_factory=list)
    live: Fix | None = None
    moved: bool = False
    regions: list[int] = field(default_factory=list)
    status: str | None = None

    def as_dict(self) -> dict:
        return {"accepted": self.accepted, "flagged": self.flagged, "rejected": self.rejected}


def limits() -> Thresholds:
    config = current_app.config
    return Thresholds(
        max_future_s=config["TRACK_MAX_FUTURE_S"],
        max_age_s=config["TRACK_MAX_AGE_HOURS"] * 3600,
        max_accuracy_m=config["TRACK_MAX_ACCURACY_M"],
        max_speed_mps=config["TRACK_MAX_SPEED_KMH"] / 3.6,
    )


# --- parsing --------------------------------------------------------------------------------


def _number(value) -> float | None:
    # Anything that is not a number becomes NaN, so the fix is kept and flagged "invalid".
    if value is None:
        return None
    if isinstance(value, bool):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _epoch(value) -> float:
    """Epoch seconds from epoch seconds, epoch milliseconds or an ISO 8601 string."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return math.nan
    number = _number(value)
    if number is None or math.isnan(number):
        return math.nan
    return number / 1000.0 if number > 1e11 else number  # milliseconds, as Android sends


def parse_fix(raw) -> Fix | str:
    """A Fix in WGS-84, or the reason the entry cannot be stored at all (no usable client id)."""
    if not isinstance(raw, dict):
        return "each fix must be an object"
    client_id = raw.get("id")
    if (
        not isinstance(client_id, str | int)
        or isinstance(client_id, bool)
        or not str(client_id)
        or len(str(client_id)) > 64
        or bad_text(str(client_id))  # NUL or a lone surrogate: PostgreSQL would refuse the writer's batch
    ):
        return "id: a client point id (string of 1..64 characters) is required"
    lon, lat = _number(raw.get("lon")), _number(raw.get("lat"))
    fix = Fix(
        client_id=str(client_id),
        t=_epoch(raw.get("time")),
        lon=math.nan if lon is None else lon,
        lat=math.nan if lat is None else lat,
        is_mock=bool(raw.get("is_mock", False)),
        **{name: _number(raw.get(name)) for name in NUMBERS},
    )
    return _to_wgs84(fix, raw.get("coord_sys", "wgs84"))


def _to_wgs84(fix: Fix, coord_sys) -> Fix | str:
    try:
        system = check_coord_sys(coord_sys)
    except UnknownCoordSys as exc:
        return f"coord_sys: {exc}"
    if system == "wgs84" or not (math.isfinite(fix.lon) and math.isfinite(fix.lat)):
        return fix
    lon, lat = to_wgs84(fix.lon, fix.lat, system)
    return Fix(**{**fix.__dict__, "lon": lon, "lat": lat})


def parse_batch(payload) -> tuple[list[Fix], list[dict]]:
    """A single fix or a list of them (or {"fixes": [...]}) → (fixes, rejected entries)."""
    if isinstance(payload, dict) and "fixes" in payload:
        payload = payload["fixes"]
    items = payload if isinstance(payload, list) else [payload]
    if len(items) > MAX_BATCH:
        raise Refused("batch_too_large", f"at most {MAX_BATCH} fixes per batch")
    fixes, rejected = [], []
    for index, raw in enumerate(items):
        parsed = parse_fix(raw)
        if isinstance(parsed, str):
            rejected.append({"index": index, "id": raw.get("id") if isinstance(raw, dict) else None, "reason": parsed})
        else:
            fixes.append(parsed)
    return fixes, rejected


# --- ingest ---------------------------------------------------------------------------------


def ingest(technician_id: int, payload, now: float | None = None, cache: dict | None = None) -> Ack:
    """Check, clean and queue a batch for one technician; raise Refused off shift or without consent.
    `cache` is a dict kept by the caller (a phone's connection) to skip re-reading the state."""
    now = time.time() if now is None else now
    current = state.load_cached(technician_id, cache)
    state.require_tracking_allowed(current)
    fixes, rejected = parse_batch(payload)
    reference = state.reference_fix(current)
    checked, newest = check_sequence(fixes, reference, now, limits())
    ack = Ack(rejected=rejected, live=newest, moved=newest is not None and newest != reference)
    ack.regions, ack.status = current["regions"], current["status"]
    ack.accepted = [c.fix.client_id for c in checked]
    ack.flagged = {c.fix.client_id: c.flag for c in checked if c.flag}
    _store(technician_id, checked, ack, current, now)
    return ack


def row_of(item: Checked, now: float, limits_: Thresholds) -> list:
    """The writer's row. Times outside the plausible window are stored at the server time
    (so they land in a current partition) with the claim kept in device_time."""
    fix = item.fix
    plausible = math.isfinite(fix.t) and now - limits_.max_age_s <= fix.t <= now + limits_.max_future_s
    usable = item.flag != "invalid" and math.isfinite(fix.lon) and math.isfinite(fix.lat)
    numbers = [_finite_or_none(getattr(fix, name)) for name in NUMBERS]
    device_time = fix.t if math.isfinite(fix.t) and abs(fix.t) < 1e11 else None
    return [
        fix.t if plausible else now,
        fix.client_id,
        device_time,
        now,
        fix.lon if usable else None,
        fix.lat if usable else None,
        *numbers,
        fix.is_mock,
        item.flag,
    ]


def _finite_or_none(value):
    return value if value is not None and math.isfinite(value) else None


def _store(technician_id: int, checked: list[Checked], ack: Ack, current: dict, now: float) -> None:
    """One Redis round trip: the stream entry, presence, and the live position when it moved."""
    pipe = get_redis().pipeline(transaction=False)
    if checked:
        limits_ = limits()
        pipe.xadd(STREAM, stream_entry(technician_id, [row_of(c, now, limits_) for c in checked]))
    pipe.zadd(PRESENCE_KEY, {str(technician_id): now})
    if ack.moved:
        live = ack.live
        pipe.hset(state.key(technician_id), "ref", orjson.dumps(fix_json(live)))
        current["ref"] = fix_json(live)  # the cached state follows
        positions.keep(pipe, technician_id, live, current.get("status"))
    pipe.execute()


def fix_json(fix: Fix) -> dict:
    return {"id": fix.client_id, "t": fix.t, "lon": fix.lon, "lat": fix.lat}
