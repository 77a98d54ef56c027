"""A 1,000-technician region planned end to end: the plan is made through the API, run by the
worker as the Procfile starts it, and the stored plan is checked here, independently of the
solver, against the data the test wrote (issue 12: finishes and is feasible; timing goals live
in bench/)."""

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from backend.extensions import db
from backend.models import (
    Order,
    OrderSkill,
    Role,
    Skill,
    Technician,
    TechnicianProfile,
    TechnicianRegion,
    TechnicianSkill,
    User,
)
from backend.redis_client import get_redis
from backend.tracking import positions
from geo.tracks import Fix
from geo.travel import SpeedProfile, great_circle_m
from tests.integration.orders.helpers import dispatcher_of
from tests.waiting import wait_until

CITY = (103.80, 30.45, 104.30, 30.90)  # ~48 x 50 km
TECHNICIANS, ORDERS = 1000, 4000
BUDGET_S = 30  # the plan's time limit: ~3 s for each of the ten regions of ~100 technicians
HORIZON_H = 10
ROLES = ("repair",) * 4 + ("daily_maintenance",)
NOBODY_HAS = "welding"  # an order needing it must come back unassigned, with its reason


@dataclass
class Day:
    """What the test wrote: the truth the stored plan is checked against."""

    region: int
    districts: list[int]
    staff: dict
    techs: dict[int, dict] = field(default_factory=dict)  # id -> role, skills, serves, at
    orders: dict[int, dict] = field(default_factory=dict)  # id -> role, skills, district, at, windows, minutes


def quadrants(box):
    x0, y0, x1, y1 = box
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    return [(x0, y0, xm, ym), (xm, y0, x1, ym), (x0, ym, xm, y1), (xm, ym, x1, y1)]


def somewhere(rng, box):
    return rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])


@pytest.fixture
def day(app, factory):
    rng = random.Random(12)
    org = factory.org()
    region = factory.region(CITY, level="city")
    boxes = quadrants(CITY)
    districts = [factory.region(b, level="district", parent_id=region) for b in boxes]
    factory.workforce_catalogue()
    out = Day(region, districts, dispatcher_of(factory, region))
    with app.app_context():
        _technicians(rng, out, dict(zip(districts, boxes, strict=True)))
        _orders(rng, out, org, dict(zip(districts, boxes, strict=True)))
        db.session.commit()
    return out


def _technicians(rng, out, boxes):
    ids_of = {
        "role": dict(db.session.execute(select(Role.code, Role.id)).all()),
        "skill": dict(db.session.execute(select(Skill.code, Skill.id)).all()),
    }
    users = db.session.scalars(
        insert(User).returning(User.id, sort_by_parameter_order=True),
        [
            {"phone": f"1{i:010d}", "name": f"Tech {i}", "role": "technician", "password_hash": "-"}
            for i in range(TECHNICIANS)
        ],
    ).all()
    techs = db.session.scalars(
        insert(Technician).returning(Technician.id, sort_by_parameter_order=True), [{"user_id": u} for u in users]
    ).all()
    profiles, memberships, skills, pipe = [], [], [], get_redis().pipeline()
    for tech_id in techs:
        role = rng.choice(ROLES)
        home = rng.choice(out.districts + [out.region])  # a tenth or so serve the whole city
        serves = set(out.districts) if home == out.region else {home}
        mine = {"electrician": rng.randint(1, 3)} if rng.random() < 0.5 else {}
        if rng.random() < 0.3:
            mine["working_at_height"] = 2
        at = somewhere(rng, boxes.get(home, CITY))
        out.techs[tech_id] = {"role": role, "skills": mine, "serves": serves, "at": at}
        profiles.append({"technician_id": tech_id, "status": "approved", "role_id": ids_of["role"][role]})
        memberships.append({"technician_id": tech_id, "region_id": home, "state": "active"})
        skills += [
            {
                "technician_id": tech_id,
                "skill_id": ids_of["skill"][code],
                "level": level,
                "valid_from": datetime(2020, 1, 1).date(),
                "state": "verified",
            }
            for code, level in mine.items()
        ]
        positions.keep(pipe, tech_id, Fix("test", time.time(), *at), "on_shift")
    db.session.execute(insert(TechnicianProfile), profiles)
    db.session.execute(insert(TechnicianRegion), memberships)
    db.session.execute(insert(TechnicianSkill), skills)
    pipe.execute()


def _orders(rng, out, org, boxes):
    now = datetime.now(UTC)
    rows, specs = [], []
    for i in range(ORDERS):
        district = rng.choice(out.districts)
        at = somewhere(rng, boxes[district])
        windows = []
        if rng.random() < 0.3:
            opens = now + timedelta(minutes=rng.randint(0, 7 * 60))
            windows = [{"start": opens.isoformat(), "end": (opens + timedelta(hours=2)).isoformat()}]
        elif rng.random() < 0.01:  # over before the plan starts
            windows = [{"start": (now - timedelta(hours=3)).isoformat(), "end": (now - timedelta(hours=2)).isoformat()}]
        urgent = rng.random() < 0.05
        need = {}
        if rng.random() < 0.3:
            need["electrician"] = rng.randint(1, 3)
        if rng.random() < 0.05:
            need["working_at_height"] = 1
        if rng.random() < 0.005:
            need[NOBODY_HAS] = 1
        spec = {
            "role": rng.choice(ROLES),
            "skills": need,
            "district": district,
            "at": at,
            "windows": windows,
            "minutes": rng.choice((30, 45, 60)),
        }
        specs.append(spec)
        rows.append(
            {
                "org_id": org,
                "client_ref": f"scale-{i}",
                "kind": "dispatch",
                "status": "published",
                "region_id": district,
                "location": f"SRID=4326;POINT({at[0]} {at[1]})",
                "role_code": spec["role"],
                "priority": "urgent" if urgent else "normal",
                "sla_deadline": now + timedelta(hours=3) if urgent else None,
                "time_windows": windows,
                "standard_duration_min": spec["minutes"],
                "work_type": "repair",
            }
        )
    ids = db.session.scalars(insert(Order).returning(Order.id, sort_by_parameter_order=True), rows).all()
    out.orders = dict(zip(ids, specs, strict=True))
    needs = [
        {"order_id": oid, "skill_code": code, "min_level": level}
        for oid, spec in out.orders.items()
        for code, level in spec["skills"].items()
    ]
    db.session.execute(insert(OrderSkill), needs)


def test_a_thousand_technician_region_plans_through_the_worker(app, client, day):
    from dispatch.production import available_cores
    from tests import live

    worker = live.start("worker")
    try:
        response = client.post(
            "/api/console/v1/plans",
            headers=day.staff,
            json={"region_id": day.region, "time_limit_s": BUDGET_S, "horizon_hours": HORIZON_H},
        )
        assert response.status_code == 202, response.get_json()
        url = f"/api/console/v1/plans/{response.get_json()['id']}"
        done = wait_until(
            lambda: _finished(client.get(url, headers=day.staff).get_json()), 20 * BUDGET_S, 0.5, "plan not finished"
        )
        assert done["status"] == "solved", (done["status"], done.get("error"), live.log_tail(worker))
    finally:
        live.stop(worker)
    faults = check(day, done)
    assert faults == [], faults[:20]
    stats = done["stats"]
    assert stats["technicians"] == TECHNICIANS and stats["orders"] == ORDERS
    assert stats["served"] > ORDERS * 0.8, stats
    assert stats["solver_status"].startswith("REGIONS:10:"), "no whole-day matrix: region by region"
    assert stats["search_workers"] == available_cores(), "the regions' searches had the worker's cores"
    # The job's own account of its search (model building is not interruptible: some slack).
    assert stats["budget_s"] == BUDGET_S and stats["solve_seconds"] <= BUDGET_S * 1.2, stats


def _finished(plan):
    return plan if plan["status"] in ("solved", "failed", "cancelled") else None


# --- the independent check --------------------------------------------------------------------


def check(day: Day, plan: dict) -> list[str]:
    """Every order served once or left out with a reason; every stop by a technician who may do
    it, inside its windows, no sooner than straight-line travel at the fastest hour allows, and
    every route inside the shift."""
    faults = []
    served = [s["order_id"] for r in plan["routes"] for s in r["stops"]]
    left = {u["order_id"]: u for u in plan["unassigned"]}
    if len(served) != len(set(served)):
        faults.append("an order is served twice")
    if set(served) & set(left) or set(served) | set(left) != set(day.orders):
        faults.append("served + unassigned is not every open order, once")
    faults += [f"order {o} left out without a reason" for o, u in left.items() if not (u["reason"] and u["detail"])]
    faults += [f"order {o} needs {NOBODY_HAS}, yet served" for o in served if NOBODY_HAS in day.orders[o]["skills"]]
    for route in plan["routes"]:
        faults += _check_route(day, route)
    return faults


FASTEST_MPS = max(SpeedProfile.default().kmh_by_hour) / 3.6


def _check_route(day, route):
    tech = day.techs[route["technician_id"]]
    start = datetime.fromisoformat(route["start_at"])
    clock, here, faults = start, tech["at"], []
    for stop in route["stops"]:
        order = day.orders[stop["order_id"]]
        faults += [f"technician {route['technician_id']}: {f}" for f in _ineligible(tech, order, stop["order_id"])]
        eta, arrival = datetime.fromisoformat(stop["eta"]), datetime.fromisoformat(stop["arrival_at"])
        travel = great_circle_m([here, order["at"]])[0][1] / FASTEST_MPS
        if (arrival - clock).total_seconds() < travel - 1 or eta < arrival:
            faults.append(f"order {stop['order_id']}: reached sooner than travel allows")
        if order["windows"] and not any(_inside(eta, w) for w in order["windows"]):
            faults.append(f"order {stop['order_id']}: starts outside its windows")
        clock, here = eta + timedelta(minutes=order["minutes"]), order["at"]
        if abs((datetime.fromisoformat(stop["end_at"]) - clock).total_seconds()) > 1:
            faults.append(f"order {stop['order_id']}: end is not start + duration")
    if clock > start + timedelta(hours=HORIZON_H):
        faults.append(f"technician {route['technician_id']}: works past the shift")
    return faults


def _ineligible(tech, order, order_id):
    if order["role"] != tech["role"]:
        yield f"order {order_id} is for role {order['role']}"
    if any(tech["skills"].get(code, 0) < level for code, level in order["skills"].items()):
        yield f"order {order_id} needs {order['skills']}"
    if order["district"] not in tech["serves"]:
        yield f"order {order_id} is outside the technician's regions"


def _inside(moment, window):
    # Stored ETAs are whole seconds from the origin: a second of rounding either side.
    slack = timedelta(seconds=1)
    return datetime.fromisoformat(window["start"]) - slack <= moment <= datetime.fromisoformat(window["end"]) + slack
