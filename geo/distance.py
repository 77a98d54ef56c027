"""Great-circle distances on a spherical earth (WGS-84 degrees, (lon, lat) order)."""

from __future__ import annotations

import math

# IUGG mean earth radius; good to ~0.5 % against the ellipsoid, plenty for dispatch.
EARTH_RADIUS_M = 6371008.8


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Return the great-circle distance in metres between two (lon, lat) points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    # min() guards asin against rounding just above 1 for antipodal points.
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def destination_point(lon: float, lat: float, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """Return the (lon, lat) reached by going ``distance_m`` metres from (lon, lat).

    ``bearing_deg`` is the initial bearing, clockwise from true north. The result
    longitude is normalised to [-180, 180).
    """
    phi1, lmb1 = math.radians(lat), math.radians(lon)
    theta = math.radians(bearing_deg)
    delta = distance_m / EARTH_RADIUS_M
    sin_phi2 = math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
    phi2 = math.asin(max(-1.0, min(1.0, sin_phi2)))
    lmb2 = lmb1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1),
        math.cos(delta) - math.sin(phi1) * sin_phi2,
    )
    lon2 = (math.degrees(lmb2) + 540.0) % 360.0 - 180.0
    return lon2, math.degrees(phi2)
