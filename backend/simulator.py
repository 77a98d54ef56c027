"""Virtual technicians for demos and load: each one is a real Socket.IO client on /technician
that goes on shift, rides between the demo sites of its district at city speeds, stops on
site for a few minutes, and streams a fix every `interval` seconds (`flask simulate`).

Work: whenever a technician is ready to leave a site it asks the order feed
(GET /api/mobile/v1/orders) for the nearest open order; if there is one it claims it, sets
off (en-route), rides to the site, checks in with its fix, and after the stay delivers with
a note. Without orders (or without the order API) it just moves on to another site.
"""

import logging
import math
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import socketio
from flask_jwt_extended import create_access_token
from sqlalchemy import text

from backend.extensions import db
from backend.realtime import TECHNICIAN
from geo.distance import destination_point, haversine_m

SPEED_MPS = (6.0, 12.0)  # e-bike to car in city traffic
DWELL_S = (90, 240)
log = logging.getLogger(__name__)


def bearing_deg(lon1, lat1, lon2, lat2) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees clockwise from north."""
    phi1, phi2, dlmb = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y = math.sin(dlmb) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlmb)
    return (math.degrees(math.atan2(y, x)) + 360) % 360


@dataclass
class Walker:
    """One virtual technician's movement: pure state, advanced by `step`."""

    technician_id: int
    sites: list[tuple[float, float]]
    rng: random.Random
    position: tuple[float, float] = (0.0, 0.0)
    target: tuple[float, float] | None = None
    speed: float = 8.0
    status: str = "on_shift"
    dwell_until: float = 0.0
    battery: float = 100.0
    heading: float = 0.0
    events: list[str] = field(default_factory=list)
    job: dict | None = None  # {"id": order id, "site": (lon, lat), "checked_in": bool}
    dwell_s: tuple[float, float] = DWELL_S

    def __post_init__(self):
        self.position = self.rng.choice(self.sites)

    def ready_to_leave(self, now: float) -> bool:
        """On shift with nothing to do, or done on site: time to pick the next destination."""
        return self.status == "on_shift" or (self.status == "on_site" and now >= self.dwell_until)

    def take(self, order_id: int, site: tuple[float, float]) -> None:
        """Head for an order's site next."""
        self.job = {"id": order_id, "site": site, "checked_in": False}

    def step(self, now: float, dt: float) -> None:
        """Advance dt seconds; status changes are appended to `events`."""
        self.battery = max(5.0, self.battery - dt * 0.002)
        if self.status == "on_site" and now < self.dwell_until:
            return
        if self.target is None or self.status in ("on_site", "on_shift"):
            self._leave()
        self._move(now, dt)

    def _leave(self) -> None:
        if self.job:
            self.target = self.job["site"]
        else:
            self.target = self.rng.choice([s for s in self.sites if s != self.position] or self.sites)
        self.speed = self.rng.uniform(*SPEED_MPS)
        self._set("en_route")

    def _move(self, now: float, dt: float) -> None:
        remaining = haversine_m(*self.position, *self.target)
        travel = self.speed * dt
        if remaining <= travel:
            self.position, self.target = self.target, None
            self.dwell_until = now + self.rng.uniform(*self.dwell_s)
            self._set("on_site")
            return
        self.heading = bearing_deg(*self.position, *self.target)
        self.position = destination_point(*self.position, self.heading, travel)

    def _set(self, status: str) -> None:
        self.status = status
        self.events.append(status)

    def fix(self, seq: int, run_id: str, now: float) -> dict:
        moving = self.status == "en_route"
        return {
            "id": f"sim-{run_id}-{self.technician_id}-{seq}",
            "time": now,
            "lon": round(self.position[0], 7),
            "lat": round(self.position[1], 7),
            "accuracy": round(self.rng.uniform(4, 15), 1),
            "speed": round(self.speed if moving else 0.0, 2),
            "heading": round(self.heading, 1),
            "battery": round(self.battery, 1),
            "is_mock": False,
        }


# --- the database side: who to simulate ----------------------------------------------------------


def demo_technicians(count: int) -> list[dict]:
    """Approved technicians with consent and a region, and the sites inside that region."""
    rows = db.session.execute(
        text(
            "SELECT t.id, t.user_id, min(tr.region_id) FROM technicians t "
            "JOIN technician_profiles p ON p.technician_id = t.id AND p.status = 'approved' "
            "JOIN technician_regions tr ON tr.technician_id = t.id AND tr.state = 'active' "
            "JOIN location_consents c ON c.technician_id = t.id AND c.withdrawn_at IS NULL "
            "GROUP BY t.id, t.user_id ORDER BY t.id LIMIT :n"
        ),
        {"n": count},
    ).all()
    return [{"technician_id": t, "user_id": u, "sites": sites_in_region(r)} for t, u, r in rows]


def sites_in_region(region_id: int) -> list[tuple[float, float]]:
    rows = db.session.execute(
        text(
            "SELECT ST_X(s.location), ST_Y(s.location) FROM sites s JOIN regions r ON ST_Covers(r.geom, s.location) "
            "WHERE r.id = :r ORDER BY s.id"
        ),
        {"r": region_id},
    ).all()
    return [(float(x), float(y)) for x, y in rows]


def token_for(user_id: int, minutes: float) -> str:
    # Socket auth happens at connect only; the token must outlive the run's reconnects.
    return create_access_token(
        str(user_id),
        additional_claims={"role": "technician", "org_id": None},
        expires_delta=timedelta(minutes=minutes + 30),
    )


# --- running ---------------------------------------------------------------------------------


def run(
    count: int,
    minutes: float,
    interval: float,
    url: str,
    seed: int = 1,
    dwell_s=DWELL_S,
    orders_per_minute: float = 0.0,
    client_login: tuple[str, str] | None = None,
) -> dict:
    """Run `count` technicians for `minutes`, with the demo client posting `orders_per_minute`
    work orders; returns totals (fixes sent and acknowledged, order steps)."""
    people = [p for p in demo_technicians(count) if len(p["sites"]) >= 2]
    if not people:
        raise RuntimeError("no demo technicians with sites: run `flask seed-demo` first")
    tokens = {p["technician_id"]: token_for(p["user_id"], minutes) for p in people}
    db.session.remove()  # the threads below never touch the database
    stop_at = time.time() + minutes * 60
    totals = {"technicians": len(people), "sent": 0, "acknowledged": 0}
    lock = threading.Lock()
    threads = []
    for index, person in enumerate(people):
        walker = Walker(person["technician_id"], person["sites"], random.Random(seed * 1000 + index), dwell_s=dwell_s)
        args = (
            walker,
            tokens[walker.technician_id],
            url,
            interval,
            stop_at,
            totals,
            lock,
            index * interval / len(people),
        )
        threads.append(threading.Thread(target=_drive, args=args, daemon=True))
    if orders_per_minute > 0:
        client = DemoClient(url, orders_per_minute, random.Random(seed), totals, lock, client_login)
        threads.append(threading.Thread(target=client.run, args=(stop_at,), daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.info("simulation done: %s", totals)
    return totals


def _drive(walker: Walker, token: str, url: str, interval: float, stop_at: float, totals: dict, lock, delay: float):
    """One technician's loop: connect, go on shift, move and report until stop_at."""
    time.sleep(delay)  # spread the fixes over the interval
    client = socketio.Client(reconnection=True, reconnection_delay_max=10)
    run_id = f"{int(time.time()):x}"
    try:
        _connect(client, url, token, stop_at)
        client.call("status", {"status": "on_shift"}, namespace=TECHNICIAN, timeout=10)
        _loop(client, walker, run_id, interval, stop_at, totals, lock, Work(url, token, totals, lock))
        client.call("status", {"status": "off_shift"}, namespace=TECHNICIAN, timeout=10)
    except Exception:  # one failing phone must not stop the others
        log.exception("virtual technician %s stopped", walker.technician_id)
    finally:
        client.disconnect()


def _connect(client, url, token, stop_at):
    # Under `make run` the web process may still be starting: keep trying.
    while True:
        try:
            client.connect(
                url, namespaces=[TECHNICIAN], auth={"token": token}, transports=["websocket"], wait_timeout=20
            )
            return
        except socketio.exceptions.ConnectionError:
            if time.time() > stop_at:
                raise
            time.sleep(2)


def _loop(client, walker, run_id, interval, stop_at, totals, lock, work):
    seq, last = 0, time.time()
    while time.time() < stop_at:
        now = time.time()
        if walker.ready_to_leave(now):
            work.finish(walker)  # deliver what was done on this site
            work.find(walker)  # and maybe take the next order
        walker.step(now, now - last)
        last = now
        for status in walker.events:
            client.call("status", {"status": status}, namespace=TECHNICIAN, timeout=10)
            if status == "on_site":
                work.check_in(walker)
        walker.events.clear()
        ack = client.call("location", walker.fix(seq, run_id, now), namespace=TECHNICIAN, timeout=10)
        seq += 1
        with lock:
            totals["sent"] += 1
            totals["acknowledged"] += len((ack or {}).get("accepted", []))
        time.sleep(max(0.0, interval - (time.time() - now)))


class Work:
    """The order side of a virtual technician, over the mobile REST API; any refusal (4xx, no
    order API) just means "no work" and the technician rides on."""

    def __init__(self, url: str, token: str, totals: dict, lock):
        import requests

        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.base = f"{url}/api/mobile/v1"
        self.totals, self.lock = totals, lock

    def _post(self, path: str, **body) -> dict | None:
        try:
            response = self.http.post(f"{self.base}{path}", json=body, timeout=10)
        except OSError:
            return None
        return response.json() if response.status_code == 200 else None

    def find(self, walker: Walker) -> None:
        """Claim the nearest open order from the feed and set off to it."""
        lon, lat = walker.position
        try:
            response = self.http.get(f"{self.base}/orders", params={"lon": lon, "lat": lat, "limit": 3}, timeout=10)
            items = response.json().get("items", []) if response.status_code == 200 else []
        except (OSError, ValueError):
            items = []
        for order in items:
            if order.get("location") and self._post(f"/orders/{order['id']}/claim"):
                self._post(f"/orders/{order['id']}/en-route")
                walker.take(order["id"], tuple(order["location"]["coordinates"]))
                tally(self.totals, self.lock, "claimed")
                return

    def check_in(self, walker: Walker) -> None:
        if walker.job and not walker.job["checked_in"] and walker.position == walker.job["site"]:
            fix = {"location": list(walker.position), "accuracy_m": 8.0, "is_mock": False}
            walker.job["checked_in"] = self._post(f"/orders/{walker.job['id']}/check-in", **fix) is not None
            tally(self.totals, self.lock, "checked_in" if walker.job["checked_in"] else "check_in_refused")

    def finish(self, walker: Walker) -> None:
        if walker.job and walker.job["checked_in"]:
            note = "simulated technician: work done"
            delivered = self._post(f"/orders/{walker.job['id']}/deliver", notes=note, readings={"voltage_v": 53.5})
            tally(self.totals, self.lock, "delivered" if delivered else "deliver_refused")
        walker.job = None if walker.status == "on_site" else walker.job


def tally(totals: dict, lock, what: str) -> None:
    """Count one more `what` in the run's totals (threads share them)."""
    with lock:
        totals[what] = totals.get(what, 0) + 1


class DemoClient:
    """The demo telecom client posting grab orders at its sites through the order API, so the
    virtual technicians have work to claim (its sites lie in their districts)."""

    def __init__(self, url: str, per_minute: float, rng: random.Random, totals: dict, lock, login=None):
        import requests

        from backend.seed.demo_city import DEMO_CLIENT_EMAIL, DEMO_PASSWORD

        self.http = requests.Session()
        self.base = f"{url}/api/v1"
        self.period_s = 60.0 / per_minute
        self.rng, self.totals, self.lock = rng, totals, lock
        self.login = login or (DEMO_CLIENT_EMAIL, DEMO_PASSWORD)

    def run(self, stop_at: float) -> None:
        try:
            self._sign_in()
            sites = self._site_codes()
        except (OSError, ValueError, KeyError):
            log.exception("demo client could not start; no orders will be posted")
            return
        while sites and time.time() < stop_at:
            self._post_order(self.rng.choice(sites))
            time.sleep(min(self.period_s, max(0.0, stop_at - time.time())))

    def _sign_in(self) -> None:
        body = dict(zip(("email", "password"), self.login, strict=True))
        response = self.http.post(f"{self.base}/auth/login", json=body, timeout=10)
        response.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def _site_codes(self) -> list[str]:
        response = self.http.get(f"{self.base}/sites", params={"limit": 100}, timeout=10)
        response.raise_for_status()
        return [site["code"] for site in response.json()["items"]]

    def _post_order(self, site_code: str) -> None:
        body = {
            "client_ref": f"SIM-{time.time_ns()}",
            "kind": "dispatch",
            "dispatch_mode": "grab",
            "site_code": site_code,
            "priority": "urgent" if self.rng.random() < 0.1 else "normal",
            "standard_duration_min": 30,
            "work_type": "inspection",
            "description": "simulated routine site inspection",
            "publish": True,
        }
        try:
            posted = self.http.post(f"{self.base}/orders", json=body, timeout=10).status_code == 201
        except OSError:
            posted = False
        tally(self.totals, self.lock, "orders_posted" if posted else "orders_refused")
