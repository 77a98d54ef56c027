import itertools
import math
import random

import pytest

from geo.distance import destination_point, haversine_m
from geo.tracks import (
    Fix,
    Thresholds,
    check_sequence,
    clean_track,
    live_position,
    replay_feature,
    simplify,
    static_flag,
)

NOW = 1_800_000_000.0
START = (104.0657, 30.6570)


def walk(n=120, step_s=10.0, speed_mps=8.0, start_t=NOW - 3600):
    """A plausible drive: n fixes every step_s seconds, heading east-north-east."""
    fixes, (lon, lat) = [], START
    for i in range(n):
        fixes.append(Fix(f"p{i}", start_t + i * step_s, lon, lat, accuracy=8.0))
        lon, lat = destination_point(lon, lat, 70 + 10 * math.sin(i / 9), speed_mps * step_s)
    return fixes


def corrupt(track, rng, now=NOW):
    """Inject every kind of bad fix; returns (fixes, {client_id: expected flag})."""
    bad = {}

    def add(fix, flag):
        track.append(fix)
        bad[fix.client_id] = flag

    for i in (10, 40, 70, 100):  # 1,000 km/h jumps: 2.8 km away ten seconds later
        ref = track[i]
        lon, lat = destination_point(ref.lon, ref.lat, 200, 1000 / 3.6 * 10)
        add(Fix(f"jump{i}", ref.t + 5, lon, lat, accuracy=5.0), "impossible_speed")
    add(Fix("future", now + 86400, *START), "future")
    add(Fix("old", now - 30 * 86400, *START), "too_old")
    add(Fix("zero", now - 100, 0.0, 0.0), "zero")
    add(Fix("nan", now - 100, float("nan"), 30.6), "invalid")
    add(Fix("range", now - 100, 104.0, 95.0), "invalid")
    add(Fix("mock", track[50].t + 3, track[50].lon, track[50].lat, is_mock=True), "mock")
    add(Fix("blurry", track[60].t + 4, track[60].lon, track[60].lat, accuracy=900.0), "poor_accuracy")
    add(Fix("same-time", track[80].t, track[80].lon + 0.00001, track[80].lat), "duplicate")
    resent = [track[i] for i in rng.sample(range(len(track)), 30)]  # the same client ids again
    fixes = track + resent
    rng.shuffle(fixes)
    return fixes, bad


def test_corrupted_track_is_cleaned():
    rng = random.Random(42)
    good = walk()
    fixes, bad = corrupt(list(good), rng)
    checked = clean_track(fixes, NOW)

    ids = [c.fix.client_id for c in checked]
    assert len(ids) == len(set(ids)) == len(good) + len(bad)  # nothing duplicated
    flags = {c.fix.client_id: c.flag for c in checked}
    assert {cid: flags[cid] for cid in bad} == bad  # every bad point flagged, with its reason
    assert all(flags[f.client_id] is None for f in good)  # no good point lost
    assert live_position(checked) == good[-1]
    times = [c.fix.t for c in checked if c.valid]
    assert times == sorted(times)


def test_streaming_in_batches_gives_the_same_flags_and_live_position():
    good = walk()
    fixes, bad = corrupt(list(good), random.Random(1))
    unique = {f.client_id: f for f in fixes}.values()  # batches carry no resends here
    ordered = sorted(unique, key=lambda f: f.t if math.isfinite(f.t) else 0)
    reference, flags = None, {}
    for start in range(0, len(ordered), 17):
        checked, reference = check_sequence(ordered[start : start + 17], reference, NOW)
        flags.update({c.fix.client_id: c.flag for c in checked})
    assert {cid: flags[cid] for cid in bad} == bad
    assert reference == good[-1]


@pytest.mark.parametrize(
    ("fix", "flag"),
    [
        (Fix("a", NOW, 104.0, 30.6, accuracy=10), None),
        (Fix("a", NOW, 181.0, 30.6), "invalid"),
        (Fix("a", float("inf"), 104.0, 30.6), "invalid"),
        (Fix("a", NOW, 104.0, 30.6, accuracy=-1), "invalid"),
        (Fix("a", NOW, 0.0, 0.0), "zero"),
        (Fix("a", NOW + 121, 104.0, 30.6), "future"),
        (Fix("a", NOW - 49 * 3600, 104.0, 30.6), "too_old"),
        (Fix("a", NOW, 104.0, 30.6, is_mock=True), "mock"),
        (Fix("a", NOW, 104.0, 30.6, accuracy=101), "poor_accuracy"),
    ],
)
def test_each_static_filter(fix, flag):
    assert static_flag(fix, NOW, Thresholds()) == flag


def test_small_jitter_is_not_an_impossible_speed():
    a = Fix("a", NOW - 10, *START)
    lon, lat = destination_point(*START, 90, 30)  # 30 m in one second: noise, not a jump
    checked, newest = check_sequence([Fix("b", NOW - 9, lon, lat)], a, NOW)
    assert checked[0].valid and newest.client_id == "b"


def test_a_jump_does_not_poison_the_track_after_it():
    track = walk(n=10)
    far = Fix("far", track[4].t + 1, 105.0, 31.0)
    checked, newest = check_sequence([*track, far], None, NOW)
    assert [c.fix.client_id for c in checked if not c.valid] == ["far"]
    assert newest == track[-1]


def test_an_older_late_fix_does_not_replace_the_live_position():
    track = walk(n=5)
    checked, newest = check_sequence(track[:2], track[4], NOW)
    assert all(c.valid for c in checked) and newest == track[4]


def test_simplify_keeps_ends_and_timestamps():
    line = [(104.0 + i * 1e-4, 30.6, 1000.0 + i) for i in range(50)]  # a straight line
    kept = simplify(line, tolerance_m=1.0)
    assert kept == [line[0], line[-1]]


def test_replay_feature_is_geojson_with_times_distance_and_duration():
    track = walk(n=60, step_s=5, speed_mps=10)
    points = [(f.lon, f.lat, f.t) for f in reversed(track)]
    feature = replay_feature(points, tolerance_m=2.0)
    coords, times = feature["geometry"]["coordinates"], feature["properties"]["times"]
    assert feature["geometry"]["type"] == "LineString"
    assert len(coords) == len(times) < 60 and times == sorted(times)
    assert times[0] == track[0].t and times[-1] == track[-1].t
    expected = sum(haversine_m(a.lon, a.lat, b.lon, b.lat) for a, b in itertools.pairwise(track))
    assert feature["properties"]["distance_m"] == pytest.approx(expected, rel=1e-3)
    assert feature["properties"]["duration_s"] == 59 * 5
