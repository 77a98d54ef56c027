"""GeoJSON (RFC 7946) parsing and validation for service regions and sites.

Every error is a GeometryError that says what is wrong and where (a JSON-ish
path such as ``coordinates[0][3]``), so an API can hand it back as a 422.
Positions are (lon, lat[, alt]) degrees; results are WGS-84 shapely objects.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping

from geo.coords import check_coord_sys, to_wgs84

AREA_TYPES = ("Polygon", "MultiPolygon")
_AXES = ("longitude", "latitude", "altitude")
# shapely.is_valid_reason appends the location as "[x y]".
_REASON_AT = re.compile(r"^(?P<reason>.*?)\s*\[(?P<x>\S+) (?P<y>\S+)\]$")


class GeometryError(ValueError):
    """Invalid geometry input; ``path`` locates the offender, ``message`` says why."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


# --- structure -------------------------------------------------------------


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _is_seq(value: object) -> bool:
    # JSON gives lists; tuples are accepted for Python callers. Strings are not.
    return isinstance(value, (list, tuple))


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _require_seq(value: object, path: str, what: str) -> Sequence[Any]:
    if not _is_seq(value):
        raise GeometryError(path, f"expected {what}, got {_kind(value)}")
    return value


def _unwrap(obj: object, allowed: tuple[str, ...]) -> tuple[dict, str]:
    """Return (geometry dict, path prefix), looking inside a Feature if needed."""
    if not isinstance(obj, dict):
        raise GeometryError("", f"expected a GeoJSON object, got {_kind(obj)}")
    if "type" not in obj:
        raise GeometryError("type", "is required")
    if obj["type"] != "Feature":
        return obj, ""
    geometry = obj.get("geometry")
    if not isinstance(geometry, dict):
        wanted = " or ".join(allowed)
        raise GeometryError("geometry", f"a Feature must wrap a {wanted} geometry")
    if "type" not in geometry:
        raise GeometryError("geometry.type", "is required")
    return geometry, "geometry"


def _check_type(geom: dict, prefix: str, allowed: tuple[str, ...]) -> str:
    gtype = geom["type"]
    if gtype not in allowed:
        wanted = " or ".join(allowed)
        raise GeometryError(_join(prefix, "type"), f"expected {wanted}, got {gtype!r}")
    return gtype


def _coordinates(geom: dict, prefix: str) -> tuple[Any, str]:
    path = _join(prefix, "coordinates")
    if "coordinates" not in geom:
        raise GeometryError(path, "is required")
    return geom["coordinates"], path


def _rings_of_polygon(coords: object, path: str) -> list[tuple[str, Sequence]]:
    rings = _require_seq(coords, path, "a list of linear rings")
    if not rings:
        raise GeometryError(path, "a polygon needs at least an exterior ring")
    out = []
    for i, ring in enumerate(rings):
        ring_path = f"{path}[{i}]"
        positions = _require_seq(ring, ring_path, "a linear ring (list of positions)")
        for j, pos in enumerate(positions):
            _require_seq(pos, f"{ring_path}[{j}]", "a position [lon, lat]")
        out.append((ring_path, positions))
    return out


def _polygons(gtype: str, coords: object, path: str) -> list[list[tuple[str, Sequence]]]:
    """Check the nesting; return each polygon as a list of (path, ring)."""
    if gtype == "Polygon":
        return [_rings_of_polygon(coords, path)]
    polys = _require_seq(coords, path, "a list of polygons")
    if not polys:
        raise GeometryError(path, "a MultiPolygon needs at least one polygon")
    return [_rings_of_polygon(p, f"{path}[{i}]") for i, p in enumerate(polys)]


# --- positions and rings ---------------------------------------------------


def _check_position(pos: Sequence, path: str) -> None:
    """Position = 2 or 3 finite numbers, lon in [-180, 180], lat in [-90, 90]."""
    if len(pos) not in (2, 3):
        raise GeometryError(path, f"a position needs 2 or 3 numbers, got {len(pos)}")
    for axis, value in zip(_AXES, pos, strict=False):
        # bool is an int subclass, but true/false is never a coordinate.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise GeometryError(path, f"{axis} must be a number, got {_kind(value)} {value!r}")
        if not math.isfinite(value):
            raise GeometryError(path, f"{axis} must be finite, got {value!r}")
    lon, lat = float(pos[0]), float(pos[1])
    if not -180.0 <= lon <= 180.0:
        raise GeometryError(path, f"longitude {lon} out of range [-180, 180]")
    if not -90.0 <= lat <= 90.0:
        raise GeometryError(path, f"latitude {lat} out of range [-90, 90]")


def _as_floats(pos: Sequence) -> list[float]:
    return [float(v) for v in pos]


def _check_ring(ring: Sequence, path: str) -> None:
    if len(ring) < 4:
        raise GeometryError(path, f"a linear ring needs at least 4 positions, got {len(ring)}")
    first, last = _as_floats(ring[0]), _as_floats(ring[-1])
    if first != last:
        raise GeometryError(path, f"ring is not closed: first position {first} differs from last {last}")


def _check_rings(polygons: list[list[tuple[str, Sequence]]]) -> None:
    """Run each check over all rings before the next, so the first kind of error wins."""
    rings = [r for poly in polygons for r in poly]
    for ring_path, ring in rings:
        for j, pos in enumerate(ring):
            _check_position(pos, f"{ring_path}[{j}]")
    for ring_path, ring in rings:
        _check_ring(ring, ring_path)


# --- building and validity -------------------------------------------------


def _build(polygons: list[list[tuple[str, Sequence]]], multi: bool, coord_sys: str) -> Polygon | MultiPolygon:
    """Build the 2-D shapely geometry, converting positions to WGS-84."""

    def convert(ring: Sequence) -> list[tuple[float, float]]:
        # Altitude is dropped: regions are planar footprints.
        return [to_wgs84(float(p[0]), float(p[1]), coord_sys) for p in ring]

    shapes = [Polygon(convert(p[0][1]), [convert(r) for _, r in p[1:]]) for p in polygons]
    return MultiPolygon(shapes) if multi else shapes[0]


def _check_valid(geom: Polygon | MultiPolygon, path: str, note: str = "") -> None:
    """Raise GeometryError with shapely's reason and the offending point."""
    reason = shapely.is_valid_reason(geom)
    if reason == "Valid Geometry":
        return
    match = _REASON_AT.match(reason)
    if match:
        reason = f"{match['reason']} at ({float(match['x'])}, {float(match['y'])})"
    raise GeometryError(path, reason + note)


# --- public API ------------------------------------------------------------


def parse_area(obj: dict, coord_sys: str = "wgs84") -> Polygon | MultiPolygon:
    """Parse and validate a GeoJSON Polygon or MultiPolygon (or a Feature of one).

    Positions are read in ``coord_sys`` ("wgs84", "gcj02" or "bd09") and the
    result is a valid WGS-84 shapely geometry. Raises GeometryError naming the
    first offender (structure, numbers, ranges, ring size, closure, validity),
    or UnknownCoordSys for an unknown ``coord_sys``.
    """
    coord_sys = check_coord_sys(coord_sys)
    geom, prefix = _unwrap(obj, AREA_TYPES)
    gtype = _check_type(geom, prefix, AREA_TYPES)
    coords, path = _coordinates(geom, prefix)
    polygons = _polygons(gtype, coords, path)
    _check_rings(polygons)
    multi = gtype == "MultiPolygon"
    # Validity is judged in the caller's frame first, so the named point is theirs.
    raw = _build(polygons, multi, "wgs84")
    _check_valid(raw, path)
    if coord_sys == "wgs84":
        return raw
    result = _build(polygons, multi, coord_sys)
    _check_valid(result, path, f" (after conversion from {coord_sys} to wgs84)")
    return result


def parse_point(obj_or_pair: object, coord_sys: str = "wgs84") -> tuple[float, float]:
    """Parse a GeoJSON Point, a Feature of a Point, or a bare [lon, lat] list.

    Applies the same number and range checks as parse_area and returns the
    WGS-84 (lon, lat); altitude is dropped.
    """
    coord_sys = check_coord_sys(coord_sys)
    if _is_seq(obj_or_pair):
        pos, path = obj_or_pair, ""
    else:
        geom, prefix = _unwrap(obj_or_pair, ("Point",))
        _check_type(geom, prefix, ("Point",))
        coords, path = _coordinates(geom, prefix)
        pos = _require_seq(coords, path, "a position [lon, lat]")
    _check_position(pos, path)
    return to_wgs84(float(pos[0]), float(pos[1]), coord_sys)


def _listify(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_listify(v) for v in value]
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    return value


def to_geojson(geom: shapely.Geometry) -> dict:
    """Return the GeoJSON dict of a shapely geometry, with lists instead of tuples."""
    return _listify(mapping(geom))


def smallest_covering(
    point: tuple[float, float] | Point,
    areas: Iterable[tuple[Hashable, Polygon | MultiPolygon]],
) -> Hashable | None:
    """Return the key of the smallest area that covers ``point``, or None.

    "Covers" counts the boundary, like PostGIS ST_Covers. Areas are compared in
    square degrees, which ranks overlapping (hence nearby) regions correctly.
    On equal areas the first one listed wins.
    """
    pt = point if isinstance(point, Point) else Point(point[0], point[1])
    best_key, best_area = None, math.inf
    for key, geom in areas:
        if geom.area < best_area and geom.covers(pt):
            best_key, best_area = key, geom.area
    return best_key
