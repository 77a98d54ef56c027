"""Quiet hours are local wall-clock times in the technician's own time zone, across midnight too;
urgent and safety notifications ignore them, muted kinds are not pushed."""

from datetime import UTC, datetime, time

from backend.models.notifications import NotificationPreference
from backend.notifications.preferences import decide, quiet_until


def prefs(start, end, zone="Asia/Shanghai", muted=()):
    return NotificationPreference(time_zone=zone, quiet_start=start, quiet_end=end, muted_kinds=list(muted))


def test_overnight_quiet_hours_end_the_next_morning_local_time():
    night = prefs(time(22), time(7))
    at_23_local = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    assert quiet_until(night, at_23_local) == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # 07:00 next day local
    at_06_local = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)  # 06:00 on the 2nd in Shanghai
    assert quiet_until(night, at_06_local) == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    at_noon_local = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    assert quiet_until(night, at_noon_local) is None


def test_the_same_utc_instant_is_quiet_in_one_zone_and_not_another():
    instant = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 23:00 Shanghai, 16:00 Berlin
    assert quiet_until(prefs(time(22), time(7)), instant) is not None
    assert quiet_until(prefs(time(22), time(7), zone="Europe/Berlin"), instant) is None


def test_urgent_ignores_quiet_hours_and_muting():
    night = prefs(time(22), time(7), muted=["assignment"])
    instant = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    assert decide(night, "assignment", True, instant).action == "send"
    assert decide(night, "assignment", False, instant).action == "mute"
    assert decide(night, "offer", False, instant).action == "hold"
    assert decide(prefs(None, None), "offer", False, instant).action == "send"
