"""GPS track cleaning, simplification and replay geometry (pure: no Flask, no database).

Cleaning follows Traccar's filters: every fix gets at most one flag, checked in this
order, and flagged fixes are kept by the caller (stored with their reason), never
silently dropped:

    invalid           non-finite or out-of-range coordinates, time or accuracy
    zero              (0, 0): a receiver with no fix
    future            device time more than ``max_future_s`` ahead of the server
    too_old           device time more than ``max_age_s`` behind the server
    mock              the phone reports a mock-location provider
    poor_accuracy     horizontal accuracy worse than ``max_accuracy_m``
    duplicate         same device time as a fix already kept, under another client id
    impossible_speed  reaching it from the previous valid fix needs more than ``max_speed_mps``

A resent fix (same client id) is not a new point: `clean_track` keeps the first copy
only. The live position is the newest valid fix.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from geo.distance import EARTH_RADIUS_M, haversine_m

FLAGS = ("invalid", "zero", "future", "too_old", "mock", "poor_accuracy", "duplicate", "impossible_speed")


class Fix(NamedTuple):
    """One position report from a phone, WGS-84, ``t`` in epoch seconds (device clock).
    A named tuple: immutable, compared field by field, and made four times faster than a frozen
    dataclass (ten per message in the location handler)."""

    client_id: str
    t: float
    lon: float
    lat: float
    accuracy: float | None = None
    speed: float | None = None
    heading: float | None = None
    altitude: float | None = None
    battery: float | None = None
    is_mock: bool = False


@dataclass(frozen=True)
class Thresholds:
    """Filter limits; defaults suit technicians on foot, e-bikes and cars."""

    max_future_s: float = 120.0
    max_age_s: float = 48 * 3600.0
    max_accuracy_m: float = 100.0
    max_speed_mps: float = 200 / 3.6  # 200 km/h: faster than any road trip in town
    # A jump shorter than this is GPS noise, whatever the implied speed over a short interval.
    min_jump_m: float = 50.0


class Checked(NamedTuple):
    """A fix and its flag (None: valid). A named pair: one per fix in the location handler's path."""

    fix: Fix
    flag: str | None = None

    @property
    def valid(self) -> bool:
        return self.flag is None


def _finite(*values: float | None) -> bool:
    try:
        for value in values:  # a loop, not all(<generator>): this runs for every fix received
            if value is not None and not math.isfinite(value):
                return False
    except TypeError:  # not a number at all
        return False
    return True


def is_invalid(fix: Fix) -> bool:
    """Coordinates, time or accuracy that cannot be a real position."""
    t, lon, lat, accuracy = fix.t, fix.lon, fix.lat, fix.accuracy
    if t is None or lon is None or lat is None:
        return True
    if not _finite(t, lon, lat, accuracy, fix.speed, fix.heading, fix.altitude):
        return True
    out_of_range = not (-90 <= lat <= 90 and -180 <= lon <= 180)
    return out_of_range or t <= 0 or (accuracy is not None and accuracy < 0)


def static_flag(fix: Fix, now: float, limits: Thresholds) -> str | None:
    """The flag a fix earns on its own, without comparing it with other fixes."""
    if is_invalid(fix):
        return "invalid"
    t, accuracy = fix.t, fix.accuracy
    if fix.lon == 0 and fix.lat == 0:
        return "zero"
    if t > now + limits.max_future_s:
        return "future"
    if t < now - limits.max_age_s:
        return "too_old"
    if fix.is_mock:
        return "mock"
    if accuracy is not None and accuracy > limits.max_accuracy_m:
        return "poor_accuracy"
    return None


def implied_speed_mps(a: Fix, b: Fix) -> float:
    """Speed needed to go from a to b in the time between them (inf when no time passed)."""
    return _speed(haversine_m(a.lon, a.lat, b.lon, b.lat), abs(b.t - a.t))


def _speed(distance: float, dt: float) -> float:
    return distance / dt if dt > 0 else (0.0 if distance == 0 else math.inf)


def relative_flag(fix: Fix, reference: Fix | None, limits: Thresholds) -> str | None:
    """Flags that need the previous valid fix: duplicate time, impossible speed."""
    if reference is None:
        return None
    if fix.t == reference.t:
        return "duplicate"
    if _surely_within(reference, fix, limits.min_jump_m):
        return None  # most fixes: a few metres from the last one, no trigonometry needed
    jump = haversine_m(reference.lon, reference.lat, fix.lon, fix.lat)
    if jump > limits.min_jump_m and _speed(jump, abs(fix.t - reference.t)) > limits.max_speed_mps:
        return "impossible_speed"
    return None


_EARTH_RADIUS_PER_DEGREE_M = EARTH_RADIUS_M * math.pi / 180.0


def _surely_within(a: Fix, b: Fix, metres: float) -> bool:
    """A bound without trigonometry: the great circle is no longer than going along the meridian
    (|dlat|) and then along the parallel (at most |dlon| degrees of the equator), so a jump whose
    bound is under `metres` (with a margin for rounding) is under it."""
    bound = (abs(b.lat - a.lat) + abs(b.lon - a.lon)) * _EARTH_RADIUS_PER_DEGREE_M
    return bound < metres * 0.999


def check_sequence(
    fixes: Iterable[Fix], reference: Fix | None, now: float, limits: Thresholds | None = None
) -> tuple[list[Checked], Fix | None]:
    """Flag fixes in device-time order against a running reference (the previous valid fix).

    Returns the checked fixes (time order) and the newest valid fix, which may be
    `reference` itself when nothing newer was valid.
    """
    limits = limits or Thresholds()
    checked, newest = [], reference
    for fix in sorted(fixes, key=_time_key):
        flag = static_flag(fix, now, limits) or relative_flag(fix, reference, limits)
        checked.append(Checked(fix, flag))
        if flag is None:
            reference = fix
            newest = fix if newest is None or fix.t > newest.t else newest
    return checked, newest


def _time_key(fix: Fix) -> tuple[float, float]:
    # Invalid times sort first and are flagged; they never become the reference.
    # Of two fixes with the same time, the more accurate one is kept, the other is the duplicate.
    t, accuracy = fix.t, fix.accuracy
    t = t if t is not None and _finite(t) else -math.inf
    return t, accuracy if accuracy is not None and _finite(accuracy) else math.inf


def unique_by_client_id(fixes: Iterable[Fix]) -> list[Fix]:
    """First copy of each client id, in arrival order (resends are not new points)."""
    seen, kept = set(), []
    for fix in fixes:
        if fix.client_id not in seen:
            seen.add(fix.client_id)
            kept.append(fix)
    return kept


def clean_track(fixes: Iterable[Fix], now: float, limits: Thresholds | None = None) -> list[Checked]:
    """A whole track, in any order, with resends: one Checked per client id, in time order."""
    checked, _ = check_sequence(unique_by_client_id(fixes), None, now, limits)
    return checked


def live_position(checked: Sequence[Checked]) -> Fix | None:
    """The newest valid fix."""
    valid = [c.fix for c in checked if c.valid]
    return max(valid, key=lambda f: f.t) if valid else None


def with_wgs84(fix: Fix, lon: float, lat: float) -> Fix:
    """The same fix at converted coordinates (the caller converts GCJ-02 / BD-09)."""
    return fix._replace(lon=lon, lat=lat)


# --- replay geometry ----------------------------------------------------------------------


def path_length_m(points: Sequence[tuple[float, float]]) -> float:
    """Length in metres of a (lon, lat) polyline."""
    return sum(haversine_m(*a, *b) for a, b in itertools.pairwise(points))


Point3 = tuple[float, float, float]


def simplify(points: Sequence[Point3], tolerance_m: float = 5.0) -> list[Point3]:
    """Douglas-Peucker on (lon, lat, t) points, keeping each kept point's timestamp.

    Uses shapely's simplify (preserve_topology=False is plain Douglas-Peucker) on
    (lon, lat) with the tolerance turned into degrees of latitude; the time rides
    along as the third coordinate, which shapely keeps but does not measure.
    """
    if len(points) < 3:
        return list(points)
    from shapely.geometry import LineString

    line = LineString([(lon, lat, t) for lon, lat, t in points])
    kept = line.simplify(tolerance_m / 111_320.0, preserve_topology=False)
    return [tuple(c) for c in kept.coords]


def replay_feature(points: Sequence[Point3], tolerance_m: float = 5.0) -> dict:
    """A GeoJSON Feature: LineString of (lon, lat) with per-vertex times, distance and duration.

    ``properties.times`` holds epoch seconds for each vertex (the GeoJSON
    "coordTimes" convention); distance is measured on the full, unsimplified track.
    """
    ordered = sorted(points, key=lambda p: p[2])
    kept = simplify(ordered, tolerance_m)
    duration = ordered[-1][2] - ordered[0][2] if ordered else 0.0
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[round(p[0], 7), round(p[1], 7)] for p in kept]},
        "properties": {
            "times": [p[2] for p in kept],
            "distance_m": round(path_length_m([(p[0], p[1]) for p in ordered]), 1),
            "duration_s": round(duration, 1),
            "points": len(ordered),
            "vertices": len(kept),
        },
    }
