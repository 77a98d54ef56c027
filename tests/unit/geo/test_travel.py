"""Travel matrices: the straight-line model and the OSRM provider against a local fake."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from geo.travel import UNREACHABLE, OsrmProvider, SpeedProfile, StraightLineProvider, TravelMatrixError

CHENGDU = (104.06, 30.66)


def test_one_degree_of_latitude_is_111_km_times_detour():
    m = StraightLineProvider(detour_factor=1.3, profile=SpeedProfile.constant(36)).matrix([CHENGDU, (104.06, 31.66)])
    assert m.meters[0][0] == 0 and m.meters[0][1] == m.meters[1][0]
    assert m.meters[0][1] == pytest.approx(111_195 * 1.3, rel=1e-3)
    assert m.seconds[0][1] == pytest.approx(m.meters[0][1] / 10, abs=1)  # 36 km/h = 10 m/s


def test_rush_hour_is_slower_than_night():
    pts = [CHENGDU, (104.10, 30.70)]
    p = StraightLineProvider()
    rush = p.matrix(pts, datetime(2026, 11, 23, 8)).seconds[0][1]
    night = p.matrix(pts, datetime(2026, 11, 23, 2)).seconds[0][1]
    assert rush > 2 * night


def test_profile_needs_24_positive_speeds():
    with pytest.raises(ValueError):
        SpeedProfile((30.0,) * 23)


def test_a_city_sized_matrix_is_fast():
    rng = np.random.default_rng(0)
    pts = [(104.06 + dx, 30.66 + dy) for dx, dy in rng.uniform(-0.2, 0.2, size=(2200, 2))]
    began = time.perf_counter()
    m = StraightLineProvider().matrix(pts)
    assert len(m) == 2200 and time.perf_counter() - began < 5


class FakeOsrm(BaseHTTPRequestHandler):
    """Speaks OSRM's /table JSON: duration = 10 x |i - j| by coordinate order, distance x 100."""

    def do_GET(self):
        url = urlsplit(self.path)  # urlparse would cut the path at its first ";"
        coords = url.path.split("/")[-1].split(";")
        q = parse_qs(url.query)
        if "bad" in url.path:
            return self._send(400, {"code": "InvalidQuery", "message": "Query string malformed"})
        xs = [float(c.split(",")[0]) for c in coords]
        src = [int(i) for i in q["sources"][0].split(";")]
        dst = [int(i) for i in q["destinations"][0].split(";")]
        dur = [[None if xs[i] < 0 or xs[j] < 0 else 10 * abs(xs[i] - xs[j]) for j in dst] for i in src]
        dist = [[None if d is None else d * 100 for d in row] for row in dur]
        self.server.calls += 1
        self._send(200, {"code": "Ok", "durations": dur, "distances": dist})

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def osrm():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOsrm)
    server.calls = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_osrm_table_in_blocks_equals_the_whole_table(osrm):
    pts = [(float(x), 30.0) for x in range(5)]
    whole = OsrmProvider(url(osrm)).matrix(pts)
    assert whole.seconds[1][4] == 30 and whole.meters[4][1] == 3000
    blocks = OsrmProvider(url(osrm), block=2).matrix(pts)
    assert blocks == whole
    assert osrm.calls == 1 + 9  # one request, then 3 x 3 blocks


def test_osrm_null_is_unreachable(osrm):
    m = OsrmProvider(url(osrm)).matrix([(-1.0, 30.0), (1.0, 30.0)])
    assert m.seconds[0][1] == UNREACHABLE


def test_osrm_error_code_is_raised_clearly(osrm):
    with pytest.raises(TravelMatrixError, match="InvalidQuery"):
        OsrmProvider(url(osrm), profile="bad").matrix([(1.0, 30.0), (2.0, 30.0)])
