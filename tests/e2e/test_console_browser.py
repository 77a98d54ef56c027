"""The console page in a real browser (Playwright driving Debian's Chromium, headless): sign in,
see a technician's marker move live, open and play a replay."""

import threading
import time

import pytest
import socketio as socketio_client

from mobile_api.sockets import TECHNICIAN
from tests.e2e.pages import needs_chromium
from tests.factories import PASSWORD
from tests.integration.tracking.conftest import fix, region, stored, technician, tracker  # noqa: F401  (fixtures)
from tests.waiting import wait_until

pytest.importorskip("playwright.sync_api")
pytestmark = needs_chromium


def drive(url, token, stop):
    """A phone riding east, one fix every 0.3 s, until stopped."""
    phone = socketio_client.Client()
    phone.connect(url, namespaces=[TECHNICIAN], auth={"token": token}, transports=["websocket"])
    start, seq = time.time(), 0
    try:
        while not stop.is_set():
            lon = 104.06 + seq * 0.00003  # ~3 m per fix: 10 m/s
            phone.call("location", fix(f"e2e-{seq}", t=time.time(), lon=lon, lat=30.657), namespace=TECHNICIAN)
            seq += 1
            time.sleep(max(0.0, start + seq * 0.3 - time.time()))  # a phone's pace, not a wait
    finally:
        phone.disconnect()


def marker_position(page, technician_id):
    script = "id => { const t = window.gridworkConsole.techs.get(id); return t && t.marker.getLatLng(); }"
    return page.evaluate(script, technician_id)


def test_sign_in_watch_a_marker_move_and_replay(factory, technician, live_server, tracker, browser):  # noqa: F811
    factory.user("platform_admin", email="admin@e2e.test")
    tid, token, _ = technician()
    stop = threading.Event()
    phone = threading.Thread(target=drive, args=(live_server, token, stop), daemon=True)
    phone.start()
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{live_server}/console")
        page.fill("#email", "admin@e2e.test")
        page.fill("#password", PASSWORD)
        page.click("#signin-button")
        page.wait_for_function("window.gridworkConsole.ready === true", timeout=20_000)
        page.wait_for_function(f"window.gridworkConsole.techs.has({tid})", timeout=10_000)
        first = marker_position(page, tid)
        page.wait_for_function(
            f"window.gridworkConsole.techs.get({tid}).marker.getLatLng().lng > {first['lng'] + 1e-5}", timeout=10_000
        )
        assert page.locator(f'[data-technician-id="{tid}"]').count() >= 1  # on the map and in the list
        wait_until(lambda: stored(factory.app, tid)[1] >= 6, timeout=20, message="a few seconds of track stored")

        page.select_option("#replay-tech", str(tid))
        page.click("#replay-load")
        page.wait_for_function("document.querySelector('#replay-summary').textContent.includes('km')")
        assert "fixes" in page.inner_text("#replay-summary")
        page.select_option("#replay-speed", "20")
        page.click("#replay-play")
        page.wait_for_selector("#replay-marker")
        page.wait_for_function("window.gridworkConsole.replay.t > window.gridworkConsole.replay.times[0] + 1")
    finally:
        stop.set()
        phone.join(timeout=5)
