import math

import pytest

from geo.distance import EARTH_RADIUS_M, destination_point, haversine_m


def test_same_point_is_zero():
    assert haversine_m(116.3975, 39.9087, 116.3975, 39.9087) == 0.0


def test_one_degree_of_latitude():
    expected = EARTH_RADIUS_M * math.pi / 180  # ~111.2 km
    assert haversine_m(0.0, 10.0, 0.0, 11.0) == pytest.approx(expected, rel=1e-12)


def test_beijing_to_shanghai():
    # Tiananmen to the Bund: about 1,067 km on the sphere.
    d = haversine_m(116.3975, 39.9087, 121.4903, 31.2397)
    assert 1_060_000 < d < 1_075_000


def test_is_symmetric():
    a = haversine_m(104.0657, 30.6595, 87.6168, 43.8256)
    b = haversine_m(87.6168, 43.8256, 104.0657, 30.6595)
    assert a == pytest.approx(b, rel=1e-12)


def test_antipodes_do_not_blow_up():
    assert haversine_m(0.0, 0.0, 180.0, 0.0) == pytest.approx(math.pi * EARTH_RADIUS_M)


@pytest.mark.parametrize("bearing", [0, 45, 90, 135, 180, 270, 333])
@pytest.mark.parametrize("distance", [1.0, 250.0, 12_345.0])
def test_destination_point_lands_at_the_distance(bearing, distance):
    lon, lat = destination_point(116.3975, 39.9087, bearing, distance)
    assert haversine_m(116.3975, 39.9087, lon, lat) == pytest.approx(distance, abs=1e-6)


def test_destination_point_north_raises_latitude_only():
    lon, lat = destination_point(121.47, 31.23, 0.0, 1000.0)
    assert lon == pytest.approx(121.47, abs=1e-12)
    assert lat > 31.23


def test_destination_point_wraps_the_antimeridian():
    lon, _ = destination_point(179.999, 0.0, 90.0, 1000.0)
    assert -180.0 <= lon < -179.99
