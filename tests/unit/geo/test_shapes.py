import copy
import math

import pytest
from shapely.geometry import MultiPolygon, Point, Polygon, box

from geo.coords import UnknownCoordSys, gcj02_to_wgs84
from geo.distance import haversine_m
from geo.shapes import (
    GeometryError,
    parse_area,
    parse_point,
    smallest_covering,
    to_geojson,
)

# A one-degree square over Beijing, and a hole inside it.
SHELL = [[116.0, 39.0], [117.0, 39.0], [117.0, 40.0], [116.0, 40.0], [116.0, 39.0]]
HOLE = [[116.4, 39.4], [116.4, 39.6], [116.6, 39.6], [116.6, 39.4], [116.4, 39.4]]


def polygon(*rings):
    return {"type": "Polygon", "coordinates": [copy.deepcopy(r) for r in rings or [SHELL]]}


def feature(geometry):
    return {"type": "Feature", "properties": {"name": "zone"}, "geometry": geometry}


def error_of(obj, **kwargs):
    with pytest.raises(GeometryError) as err:
        parse_area(obj, **kwargs)
    return err.value


# --- happy paths -----------------------------------------------------------


def test_polygon_with_hole():
    area = parse_area(polygon(SHELL, HOLE))
    assert isinstance(area, Polygon)
    assert len(area.interiors) == 1
    assert area.area == pytest.approx(1.0 - 0.04)


def test_feature_wrapping_a_polygon():
    assert parse_area(feature(polygon())).equals(box(116.0, 39.0, 117.0, 40.0))


def test_multipolygon():
    far = [[p[0] + 2, p[1]] for p in SHELL]
    area = parse_area({"type": "MultiPolygon", "coordinates": [[SHELL, HOLE], [far]]})
    assert isinstance(area, MultiPolygon)
    assert len(area.geoms) == 2


def test_single_part_multipolygon_stays_multi():
    area = parse_area({"type": "MultiPolygon", "coordinates": [[SHELL]]})
    assert isinstance(area, MultiPolygon)


def test_altitude_is_accepted_and_dropped():
    area = parse_area(polygon([[x, y, 50.0] for x, y in SHELL]))
    assert not area.has_z


def test_gcj02_input_is_converted_to_wgs84():
    wgs = parse_area(polygon(), coord_sys="gcj02")
    corner = wgs.exterior.coords[0]
    assert haversine_m(116.0, 39.0, *corner) > 100
    assert corner == pytest.approx(gcj02_to_wgs84(116.0, 39.0))


def test_unknown_coord_sys():
    with pytest.raises(UnknownCoordSys):
        parse_area(polygon(), coord_sys="epsg:3857")


# --- errors: what and where ------------------------------------------------


def test_error_str_is_path_then_message():
    err = GeometryError("coordinates[0][3]", "bad")
    assert (err.path, err.message) == ("coordinates[0][3]", "bad")
    assert str(err) == "coordinates[0][3]: bad"
    assert isinstance(err, ValueError)


@pytest.mark.parametrize("obj", [None, [], "Polygon", 3])
def test_not_an_object(obj):
    err = error_of(obj)
    assert err.path == ""
    assert "GeoJSON object" in err.message


def test_missing_type():
    err = error_of({"coordinates": [SHELL]})
    assert (err.path, err.message) == ("type", "is required")


def test_wrong_type_linestring():
    err = error_of({"type": "LineString", "coordinates": SHELL})
    assert err.path == "type"
    assert "Polygon or MultiPolygon" in err.message
    assert "'LineString'" in err.message


def test_missing_coordinates():
    err = error_of({"type": "Polygon"})
    assert (err.path, err.message) == ("coordinates", "is required")


def test_empty_polygon():
    assert error_of({"type": "Polygon", "coordinates": []}).path == "coordinates"


def test_ring_that_is_not_a_list():
    err = error_of({"type": "Polygon", "coordinates": [SHELL, "oops"]})
    assert err.path == "coordinates[1]"
    assert "got str" in err.message


def test_position_that_is_not_a_list():
    ring = copy.deepcopy(SHELL)
    ring[2] = 117.0
    err = error_of(polygon(ring))
    assert err.path == "coordinates[0][2]"


def test_string_coordinate():
    ring = copy.deepcopy(SHELL)
    ring[2] = [117.0, "40.0"]
    err = error_of(polygon(ring))
    assert err.path == "coordinates[0][2]"
    assert err.message == "latitude must be a number, got str '40.0'"


def test_bool_coordinate():
    ring = copy.deepcopy(SHELL)
    ring[1] = [True, 39.0]
    assert "longitude must be a number, got bool" in error_of(polygon(ring)).message


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_coordinate(value):
    ring = copy.deepcopy(SHELL)
    ring[1] = [117.0, value]
    err = error_of(polygon(ring))
    assert err.path == "coordinates[0][1]"
    assert "latitude must be finite" in err.message


@pytest.mark.parametrize("pos", [[116.0], [116.0, 39.0, 1.0, 2.0]])
def test_wrong_position_length(pos):
    ring = copy.deepcopy(SHELL)
    ring[3] = pos
    err = error_of(polygon(ring))
    assert err.path == "coordinates[0][3]"
    assert f"got {len(pos)}" in err.message


def test_longitude_200():
    ring = copy.deepcopy(SHELL)
    ring[1] = [200, 39.0]
    err = error_of(polygon(ring))
    assert str(err) == "coordinates[0][1]: longitude 200.0 out of range [-180, 180]"


def test_latitude_minus_95():
    ring = copy.deepcopy(SHELL)
    ring[3] = [116.0, -95.0]
    err = error_of(polygon(ring))
    assert str(err) == "coordinates[0][3]: latitude -95.0 out of range [-90, 90]"


def test_three_position_ring():
    err = error_of(polygon([[116.0, 39.0], [117.0, 39.0], [116.0, 39.0]]))
    assert err.path == "coordinates[0]"
    assert "at least 4 positions, got 3" in err.message


def test_unclosed_ring():
    err = error_of(polygon([*SHELL[:-1], [116.0, 39.5]]))
    assert err.path == "coordinates[0]"
    assert err.message == ("ring is not closed: first position [116.0, 39.0] differs from last [116.0, 39.5]")


def test_range_errors_come_before_ring_errors():
    # Ring 0 is unclosed, ring 1 has a bad latitude: the number check runs first.
    hole = copy.deepcopy(HOLE)
    hole[1] = [116.4, 95.0]
    err = error_of(polygon([*SHELL[:-1], [116.0, 39.5]], hole))
    assert err.path == "coordinates[1][1]"


def test_bow_tie_self_intersection_names_the_point():
    bow_tie = [[116.0, 39.0], [117.0, 40.0], [117.0, 39.0], [116.0, 40.0], [116.0, 39.0]]
    err = error_of(polygon(bow_tie))
    assert err.path == "coordinates"
    assert err.message == "Self-intersection at (116.5, 39.5)"


def test_hole_outside_shell_is_invalid():
    outside = [[p[0] + 2, p[1]] for p in HOLE]
    err = error_of(polygon(SHELL, outside))
    assert err.path == "coordinates"
    assert err.message.startswith("Hole lies outside shell at (")


def test_errors_inside_a_feature_are_prefixed():
    ring = copy.deepcopy(SHELL)
    ring[1] = [200.0, 39.0]
    assert error_of(feature(polygon(ring))).path == "geometry.coordinates[0][1]"
    assert error_of(feature({"type": "Point", "coordinates": [1, 2]})).path == "geometry.type"
    assert error_of(feature(None)).path == "geometry"


def test_multipolygon_error_path_has_polygon_index():
    bad = copy.deepcopy(SHELL)
    bad[2] = [117.0, "x"]
    err = error_of({"type": "MultiPolygon", "coordinates": [[SHELL], [bad]]})
    assert err.path == "coordinates[1][0][2]"


# --- points ----------------------------------------------------------------


@pytest.mark.parametrize(
    "obj",
    [
        [116.3975, 39.9087],
        (116.3975, 39.9087, 44.0),
        {"type": "Point", "coordinates": [116.3975, 39.9087]},
        feature({"type": "Point", "coordinates": [116.3975, 39.9087]}),
    ],
)
def test_parse_point_forms(obj):
    assert parse_point(obj) == (116.3975, 39.9087)


def test_parse_point_converts_bd09():
    lon, lat = parse_point([116.3975, 39.9087], coord_sys="bd09")
    assert haversine_m(116.3975, 39.9087, lon, lat) > 100


@pytest.mark.parametrize(
    "obj,path,fragment",
    [
        ([200, 39.0], "", "longitude 200.0 out of range"),
        ({"type": "Point", "coordinates": [116.0, -95]}, "coordinates", "latitude -95.0"),
        (feature({"type": "Point", "coordinates": ["a", 1]}), "geometry.coordinates", "str"),
        ({"type": "Polygon", "coordinates": [SHELL]}, "type", "expected Point"),
        ({"type": "Point", "coordinates": "116,39"}, "coordinates", "position"),
    ],
)
def test_parse_point_errors(obj, path, fragment):
    with pytest.raises(GeometryError) as err:
        parse_point(obj)
    assert err.value.path == path
    assert fragment in err.value.message


# --- serialization and lookup ----------------------------------------------


def test_to_geojson_uses_lists_and_round_trips():
    area = parse_area(polygon(SHELL, HOLE))
    gj = to_geojson(area)
    assert gj["type"] == "Polygon"
    assert isinstance(gj["coordinates"], list)
    assert isinstance(gj["coordinates"][0][0], list)
    assert gj["coordinates"][0] == SHELL
    assert parse_area(gj).equals(area)


def test_smallest_covering_prefers_the_smaller_area():
    areas = [("city", box(116, 39, 117, 40)), ("district", box(116.3, 39.8, 116.5, 40.0))]
    assert smallest_covering((116.4, 39.9), areas) == "district"
    assert smallest_covering((116.9, 39.1), areas) == "city"


def test_smallest_covering_counts_the_boundary():
    areas = [("city", box(116, 39, 117, 40)), ("district", box(116.3, 39.8, 116.5, 40.0))]
    assert smallest_covering((116.5, 39.9), areas) == "district"  # on the district edge
    assert smallest_covering(Point(117.0, 40.0), areas) == "city"  # on the city corner


def test_smallest_covering_none_when_outside():
    assert smallest_covering((0.0, 0.0), [("city", box(116, 39, 117, 40))]) is None
    assert smallest_covering((0.0, 0.0), []) is None
