"""Chinese map datums: WGS-84, GCJ-02 ("Mars" coordinates) and BD-09 (Baidu).

All functions take and return (lon, lat) in degrees. GCJ-02 is an obfuscation
of WGS-84 applied only inside mainland China, approximated here by the usual
bounding box; outside it every conversion is the identity (as in eviltransform).
BD-09 is a further offset of GCJ-02 used by Baidu Maps.
"""

from __future__ import annotations

import math

COORD_SYSTEMS = ("wgs84", "gcj02", "bd09")

# Krasovsky 1940 ellipsoid, which the GCJ-02 algorithm is defined on.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0

# Inverse GCJ-02 tolerance in degrees (~1 mm); the brief asks for < 1e-7.
_INVERSE_TOL = 1e-8
_INVERSE_MAX_ITER = 30


class UnknownCoordSys(ValueError):
    """Raised for a coordinate system name outside COORD_SYSTEMS."""

    def __init__(self, name: object) -> None:
        allowed = ", ".join(COORD_SYSTEMS)
        super().__init__(f"unknown coordinate system {name!r}; expected one of: {allowed}")
        self.name = name


def check_coord_sys(name: object) -> str:
    """Return the canonical (lower-case) name of ``name`` or raise UnknownCoordSys."""
    if isinstance(name, str) and name.lower() in COORD_SYSTEMS:
        return name.lower()
    raise UnknownCoordSys(name)


def out_of_china(lon: float, lat: float) -> bool:
    """True when (lon, lat) lies outside the box where GCJ-02 applies."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _gcj_delta(lon: float, lat: float) -> tuple[float, float]:
    """The GCJ-02 offset (dlon, dlat) in degrees at a WGS-84 point."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = math.radians(lat)
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Convert a WGS-84 point to GCJ-02 (identity outside China)."""
    if out_of_china(lon, lat):
        return lon, lat
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


def _invert(forward, lon: float, lat: float, guess: tuple[float, float]) -> tuple[float, float]:
    """Solve forward(x) == (lon, lat) by fixed-point iteration from ``guess``.

    Both datum offsets vary slowly, so x <- x - (forward(x) - target) converges
    to < 1e-8 degrees in a handful of steps.
    """
    xlon, xlat = guess
    for _ in range(_INVERSE_MAX_ITER):
        flon, flat = forward(xlon, xlat)
        err_lon, err_lat = flon - lon, flat - lat
        xlon, xlat = xlon - err_lon, xlat - err_lat
        if abs(err_lon) < _INVERSE_TOL and abs(err_lat) < _INVERSE_TOL:
            break
    return xlon, xlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Convert a GCJ-02 point to WGS-84, exactly inverting wgs84_to_gcj02.

    The common one-step inverse (subtract the offset taken at the GCJ point) is
    off by up to a few metres; this iterates to < 1e-8 degrees instead.
    """
    if out_of_china(lon, lat):
        return lon, lat
    return _invert(wgs84_to_gcj02, lon, lat, (lon, lat))


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """Convert a GCJ-02 point to BD-09 (identity outside China)."""
    if out_of_china(lon, lat):
        return lon, lat
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def _bd09_to_gcj02_approx(lon: float, lat: float) -> tuple[float, float]:
    # The widely used closed-form inverse; up to ~0.2 m off the true inverse.
    x, y = lon - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Convert a BD-09 point to GCJ-02, exactly inverting gcj02_to_bd09.

    Starts from the standard closed-form inverse, then refines it, because the
    closed form alone misses by up to ~0.2 m.
    """
    if out_of_china(lon, lat):
        return lon, lat
    return _invert(gcj02_to_bd09, lon, lat, _bd09_to_gcj02_approx(lon, lat))


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """Convert a WGS-84 point to BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Convert a BD-09 point to WGS-84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS84 = {
    "wgs84": lambda lon, lat: (lon, lat),
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}
_FROM_WGS84 = {
    "wgs84": lambda lon, lat: (lon, lat),
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}


def to_wgs84(lon: float, lat: float, coord_sys: str) -> tuple[float, float]:
    """Convert (lon, lat) given in ``coord_sys`` to WGS-84.

    ``coord_sys`` is one of COORD_SYSTEMS, case-insensitive; anything else
    raises UnknownCoordSys.
    """
    return _TO_WGS84[check_coord_sys(coord_sys)](lon, lat)


def from_wgs84(lon: float, lat: float, coord_sys: str) -> tuple[float, float]:
    """Convert a WGS-84 (lon, lat) to ``coord_sys`` (see to_wgs84)."""
    return _FROM_WGS84[check_coord_sys(coord_sys)](lon, lat)
