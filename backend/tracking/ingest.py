"""Taking in location fixes: parse, check shift and consent, clean (geo.tracks), keep the live
position (positions.py), hand every fix (valid or flagged) to the writer through the stream.

Redis keys written here, in one script call per batch (BATCH_SCRIPT):
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

from backend.redis_client import LaneScript, hot_lane
from backend.request_guard import bad_text
from backend.tracking import positions, state
from backend.tracking.presence import PRESENCE_KEY
from backend.tracking.state import Refused
from backend.tracking.store import STREAM, stream_rows
from geo.coords import UnknownCoordSys, check_coord_sys, to_wgs84
from geo.tracks import Checked, Fix, Thresholds, check_sequence

MAX_BATCH = 1000


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
    kind = type(value)
    if kind is float:  # the usual case first: this runs eight times per fix
        return value
    if value is None:
        return None
    if kind is int:
        return float(value)
    if kind is bool:
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


ID_REQUIRED = "id: a client point id (string of 1..64 characters) is required"


def _client_id(value) -> str | None:
    if type(value) is not str:
        if not isinstance(value, str | int) or isinstance(value, bool):
            return None
        value = str(value)
    # NUL or a lone surrogate: PostgreSQL would refuse the writer's batch
    if not value or len(value) > 64 or bad_text(value):
        return None
    return value


def parse_fix(raw) -> Fix | str:
    """A Fix in WGS-84, or the reason the entry cannot be stored at all (no usable client id)."""
    if not isinstance(raw, dict):
        return "each fix must be an object"
    get = raw.get
    client_id = _client_id(get("id"))
    if client_id is None:
        return ID_REQUIRED
    system = get("coord_sys", "wgs84")
    if system != "wgs84":
        try:
            system = check_coord_sys(system)
        except UnknownCoordSys as exc:
            return f"coord_sys: {exc}"
    lon, lat = _number(get("lon")), _number(get("lat"))
    lon = math.nan if lon is None else lon
    lat = math.nan if lat is None else lat
    if system != "wgs84" and math.isfinite(lon) and math.isfinite(lat):
        lon, lat = to_wgs84(lon, lat, system)
    t = get("time")
    t = t if type(t) is float and 0 < t < 1e11 else _epoch(t)  # seconds as a float: no conversion
    # Positional: the order of Fix's fields. Floats (what JSON numbers with a point become) are
    # taken as they are without a call: this runs ten times per message.
    return Fix(
        client_id,
        t,
        lon,
        lat,
        v if type(v := get("accuracy")) is float else _number(v),
        v if type(v := get("speed")) is float else _number(v),
        v if type(v := get("heading")) is float else _number(v),
        v if type(v := get("altitude")) is float else _number(v),
        v if type(v := get("battery")) is float else _number(v),
        bool(get("is_mock", False)),
    )


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
    limits_ = limits()
    checked, newest = check_sequence(fixes, reference, now, limits_)
    ack = Ack(rejected=rejected, live=newest, moved=newest is not None and newest != reference)
    ack.regions, ack.status = current["regions"], current["status"]
    ack.accepted = [c.fix.client_id for c in checked]
    ack.flagged = {c.fix.client_id: c.flag for c in checked if c.flag}
    _store(technician_id, checked, ack, current, now, limits_)
    return ack


def row_of(item: Checked, now: float, limits_: Thresholds) -> list:
    """The writer's row. Times outside the plausible window are stored at the server time
    (so they land in a current partition) with the claim kept in device_time."""
    fix, flag = item
    t, lon, lat = fix.t, fix.lon, fix.lat
    finite_t = math.isfinite(t)
    plausible = finite_t and now - limits_.max_age_s <= t <= now + limits_.max_future_s
    usable = flag != "invalid" and math.isfinite(lon) and math.isfinite(lat)
    return [
        t if plausible else now,
        fix.client_id,
        t if finite_t and abs(t) < 1e11 else None,  # device_time
        now,
        lon if usable else None,
        lat if usable else None,
        _finite_or_none(fix.accuracy),
        _finite_or_none(fix.speed),
        _finite_or_none(fix.heading),
        _finite_or_none(fix.altitude),
        _finite_or_none(fix.battery),
        fix.is_mock,
        flag,
    ]


def _finite_or_none(value):
    return value if value is not None and math.isfinite(value) else None


# One round trip per batch, one reply: the stream entry, presence and, when the technician
# moved, the cleaning reference and the live position (positions.keep_args). A script instead of
# a pipeline of up to five commands: the web worker packs one command and parses one integer
# (README, Live tracking, Third round). The same writes, in the same order.
BATCH_SCRIPT = LaneScript(
    """
if ARGV[3] ~= '' then redis.call('XADD', KEYS[1], '*', 'tid', ARGV[1], 'rows', ARGV[3]) end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[5], 'ref', ARGV[4])
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[5])
  redis.call('GEOADD', KEYS[4], ARGV[6], ARGV[7], ARGV[1])
end
return 1
""",
    fixed_keys=(STREAM, PRESENCE_KEY, positions.POSITIONS_KEY, positions.GEO_KEY),
    more_keys=1,  # KEYS[5], the technician's state (state.key)
    args=7,  # technician id, now, stream rows, reference fix, live position, lon, lat
)


def _store(
    technician_id: int, checked: list[Checked], ack: Ack, current: dict, now: float, limits_: Thresholds
) -> None:
    """One Redis round trip (BATCH_SCRIPT): the stream entry, presence, and the live position when it moved."""
    rows = stream_rows([row_of(c, now, limits_) for c in checked]) if checked else b""
    ref = position = b""
    lon = lat = 0.0
    if ack.moved:
        current["ref"] = fix_json(ack.live)  # the cached state follows
        ref = orjson.dumps(current["ref"])
        position, lon, lat = positions.keep_args(ack.live, current.get("status"))
    hot_lane().run(BATCH_SCRIPT, (state.key(technician_id), technician_id, now, rows, ref, position, lon, lat))


def fix_json(fix: Fix) -> dict:
    return {"id": fix.client_id, "t": fix.t, "lon": fix.lon, "lat": fix.lat}
