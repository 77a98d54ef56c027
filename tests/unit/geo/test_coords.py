import pytest

from geo.coords import (
    COORD_SYSTEMS,
    UnknownCoordSys,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo.distance import haversine_m

CITIES = {
    "beijing_tiananmen": (116.3975, 39.9087),
    "shanghai_bund": (121.4903, 31.2397),
    "guangzhou": (113.2644, 23.1291),
    "chengdu": (104.0657, 30.6595),
    "urumqi": (87.6168, 43.8256),
    "harbin": (126.5350, 45.8038),
}
ABROAD = {"tokyo": (139.6917, 35.6895), "london": (-0.1276, 51.5072)}


def _metres(a, b):
    return haversine_m(a[0], a[1], b[0], b[1])


@pytest.mark.parametrize("lon,lat", CITIES.values(), ids=CITIES.keys())
@pytest.mark.parametrize("coord_sys", COORD_SYSTEMS)
def test_round_trip_within_2m(lon, lat, coord_sys):
    there = from_wgs84(lon, lat, coord_sys)
    back = to_wgs84(*there, coord_sys)
    assert _metres((lon, lat), back) < 2.0


@pytest.mark.parametrize("lon,lat", CITIES.values(), ids=CITIES.keys())
def test_gcj02_inverse_is_exact_not_one_step(lon, lat):
    wlon, wlat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert abs(wlon - lon) < 1e-7
    assert abs(wlat - lat) < 1e-7


@pytest.mark.parametrize("lon,lat", CITIES.values(), ids=CITIES.keys())
def test_bd09_inverse_is_exact(lon, lat):
    glon, glat = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert abs(glon - lon) < 1e-7
    assert abs(glat - lat) < 1e-7


def test_gcj02_shift_near_beijing_is_hundreds_of_metres():
    shift = _metres((116.3975, 39.9087), wgs84_to_gcj02(116.3975, 39.9087))
    assert 100 < shift < 700


# Published vectors. eviltransform's Go tests give (wgs lat, lng) -> (gcj lat, lng).
EVILTRANSFORM = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
]


@pytest.mark.parametrize("wgs,gcj", EVILTRANSFORM)
def test_wgs_to_gcj_matches_eviltransform(wgs, gcj):
    assert _metres(wgs84_to_gcj02(*wgs), gcj) < 2.0
    assert _metres(gcj02_to_wgs84(*gcj), wgs) < 2.0


# wandergis/coordtransform README, all from input (116.404, 39.915).
def test_matches_coordtransform_readme():
    p = (116.404, 39.915)
    assert _metres(wgs84_to_gcj02(*p), (116.41024449916938, 39.91640428150164)) < 2.0
    assert _metres(gcj02_to_bd09(*p), (116.41036949371029, 39.92133699351021)) < 2.0
    assert _metres(bd09_to_gcj02(*p), (116.39762729119315, 39.90865673957631)) < 2.0
    # Their GCJ->WGS is the one-step approximation; ours is exact, still within 2 m.
    assert _metres(gcj02_to_wgs84(*p), (116.39775550083061, 39.91359571849836)) < 2.0


def test_bd09_composes_gcj02():
    p = CITIES["chengdu"]
    assert wgs84_to_bd09(*p) == gcj02_to_bd09(*wgs84_to_gcj02(*p))
    assert _metres(bd09_to_wgs84(*wgs84_to_bd09(*p)), p) < 0.01


@pytest.mark.parametrize("lon,lat", ABROAD.values(), ids=ABROAD.keys())
@pytest.mark.parametrize("coord_sys", COORD_SYSTEMS)
def test_points_outside_china_are_unchanged(lon, lat, coord_sys):
    assert from_wgs84(lon, lat, coord_sys) == (lon, lat)
    assert to_wgs84(lon, lat, coord_sys) == (lon, lat)


def test_coord_sys_is_case_insensitive():
    p = CITIES["harbin"]
    assert to_wgs84(*p, "GCJ02") == to_wgs84(*p, "gcj02")


@pytest.mark.parametrize("bad", ["gcj-02", "WGS 84", "mercator", "", None, 4326])
def test_unknown_coord_sys_raises_and_names_the_allowed(bad):
    with pytest.raises(UnknownCoordSys) as err:
        to_wgs84(116.0, 39.0, bad)
    assert isinstance(err.value, ValueError)
    for name in COORD_SYSTEMS:
        assert name in str(err.value)
    with pytest.raises(UnknownCoordSys):
        from_wgs84(116.0, 39.0, bad)
