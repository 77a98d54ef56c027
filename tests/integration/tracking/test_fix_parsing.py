"""What `parse_fix` makes of each kind of value a phone may send (the location handler's first step)."""

import math
from datetime import UTC, datetime

import pytest

from backend.tracking.ingest import ID_REQUIRED, parse_fix
from geo.coords import gcj02_to_wgs84
from geo.tracks import Fix


def test_numbers_arrive_as_floats_whatever_their_json_type():
    fix = parse_fix(
        {
            "id": 7,
            "time": 1_800_000_000_000,
            "lon": "104.05",
            "lat": 30,
            "accuracy": True,
            "speed": "fast",
            "heading": None,
            "altitude": 512,
            "battery": 0.5,
            "is_mock": 1,
        }
    )
    assert fix.client_id == "7" and fix.t == 1_800_000_000.0  # milliseconds, as Android sends
    assert (fix.lon, fix.lat, fix.altitude, fix.battery, fix.heading) == (104.05, 30.0, 512.0, 0.5, None)
    assert type(fix.lat) is float and type(fix.altitude) is float
    assert math.isnan(fix.accuracy) and math.isnan(fix.speed)  # kept, and flagged invalid by the cleaning
    assert fix.is_mock is True


@pytest.mark.parametrize("time_value", ["2026-12-01T10:00:00Z", "2026-12-01T18:00:00+08:00"])
def test_iso_times_are_read_with_their_offset(time_value):
    fix = parse_fix({"id": "a", "time": time_value, "lon": 104.0, "lat": 30.6})
    assert fix.t == datetime(2026, 12, 1, 10, tzinfo=UTC).timestamp()


@pytest.mark.parametrize("missing", [{}, {"time": "soon"}, {"time": None}, {"time": float("nan")}])
def test_a_fix_without_a_usable_time_or_place_is_kept_with_nan(missing):
    fix = parse_fix({"id": "a", **missing})
    assert isinstance(fix, Fix) and math.isnan(fix.t) and math.isnan(fix.lon) and math.isnan(fix.lat)


@pytest.mark.parametrize("client_id", [None, True, 1.5, "", "x" * 65, ["a"]])
def test_an_entry_without_a_client_id_is_rejected(client_id):
    assert parse_fix({"id": client_id, "time": 1_800_000_000, "lon": 104.0, "lat": 30.6}) == ID_REQUIRED


def test_an_entry_that_is_not_an_object_is_rejected():
    assert parse_fix(["a", 1_800_000_000, 104.0, 30.6]) == "each fix must be an object"


def test_gcj02_is_converted_and_an_unknown_system_rejected():
    fix = parse_fix({"id": "g", "time": 1_800_000_000, "lon": 104.05, "lat": 30.65, "coord_sys": "GCJ02"})
    assert (fix.lon, fix.lat) == pytest.approx(gcj02_to_wgs84(104.05, 30.65))
    assert parse_fix({"id": "w", "lon": 104.05, "lat": 30.65, "coord_sys": "wgs84"}).lon == 104.05
    for system in ("x", None, 84):
        assert parse_fix({"id": "q", "coord_sys": system}).startswith("coord_sys: unknown coordinate system")
