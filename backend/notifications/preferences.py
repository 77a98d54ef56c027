"""A technician's notification preferences: quiet hours in their own time zone and kinds they
turned off. Neither applies to urgent or safety notifications."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from backend.extensions import db
from backend.models import NotificationPreference

DEFAULT_TIME_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Decision:
    action: str  # "send" | "hold" | "mute"
    until: datetime | None = None  # for "hold": when the quiet hours end (UTC)


def preferences_of(technician_id: int) -> NotificationPreference:
    """The stored preferences, or the defaults (no quiet hours, every kind) unsaved."""
    found = db.session.get(NotificationPreference, technician_id)
    return found or NotificationPreference(technician_id=technician_id, time_zone=DEFAULT_TIME_ZONE, muted_kinds=[])


def save(technician_id: int, body: dict) -> NotificationPreference:
    prefs = db.session.get(NotificationPreference, technician_id)
    if prefs is None:
        prefs = NotificationPreference(technician_id=technician_id, time_zone=DEFAULT_TIME_ZONE, muted_kinds=[])
        db.session.add(prefs)
    for name in ("time_zone", "quiet_start", "quiet_end", "muted_kinds"):
        if name in body:
            setattr(prefs, name, body[name])
    db.session.flush()
    return prefs


def decide(prefs: NotificationPreference, kind: str, urgent: bool, now: datetime) -> Decision:
    if urgent:
        return Decision("send")
    if kind in (prefs.muted_kinds or []):
        return Decision("mute")
    end = quiet_until(prefs, now)
    return Decision("hold", end) if end else Decision("send")


def quiet_until(prefs: NotificationPreference, now: datetime) -> datetime | None:
    """When the quiet hours around `now` end (UTC), or None when `now` is not quiet."""
    start, end = prefs.quiet_start, prefs.quiet_end
    if start is None or end is None or start == end:
        return None
    zone = ZoneInfo(prefs.time_zone or DEFAULT_TIME_ZONE)
    local = now.astimezone(zone)
    if not _within(local.time(), start, end):
        return None
    ends = datetime.combine(local.date(), end, tzinfo=zone)
    if ends <= local:  # quiet hours across midnight end tomorrow
        ends = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    return ends.astimezone(now.tzinfo)


def _within(t: time, start: time, end: time) -> bool:
    if start < end:
        return start <= t < end
    return t >= start or t < end  # e.g. 22:00-07:00
