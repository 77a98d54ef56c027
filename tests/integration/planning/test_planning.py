"""Route planning through the backend: a plan job per region, stored routes with ETAs and
geometry, reasons for left-out orders, publishing into assignments, cancellation."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from rq import SimpleWorker
from rq.job import Job

from backend.extensions import db
from backend.jobs import queue
from backend.models import Order, OrderSkill
from backend.redis_client import get_redis
from backend.tracking import positions
from backend.tracking.presence import PRESENCE_KEY
from geo.tracks import Fix
from tests.integration.orders.helpers import dispatcher_of
from tests.waiting import wait_until

CITY = (104.0, 30.6, 104.2, 30.8)


@pytest.fixture
def city(factory):
    org = factory.org()
    region = factory.region(CITY, level="city")
    electrician = factory.technician(role="repair", skills=[("electrician", 3)], region_ids=[region])
    plain = factory.technician(role="repair", region_ids=[region])
    return {
        "org": org,
        "region": region,
        "electrician": electrician,
        "plain": plain,
        "staff": dispatcher_of(factory, region),
    }


def add_order(
    app,
    org,
    lon_lat,
    *,
    region,
    status="published",
    skills=(),
    windows=None,
    technician=None,
    priority="normal",
    minutes=30,
):
    from geoalchemy2.shape import from_shape
    from shapely.geometry import Point

    with app.app_context():
        order = Order(
            org_id=org,
            client_ref=f"ref-{time.monotonic_ns()}",
            kind="dispatch",
            status=status,
            region_id=region,
            location=from_shape(Point(*lon_lat), srid=4326),
            role_code="repair",
            priority=priority,
            time_windows=windows or [],
            standard_duration_min=minutes,
            work_type="repair",
            technician_id=technician,
        )
        order.skills = [OrderSkill(skill_code=code, min_level=level) for code, level in skills]
        db.session.add(order)
        db.session.commit()
        return order.id


def put_technician_at(app, technician_id, lon_lat):
    with app.app_context():
        pipe = get_redis().pipeline()
        positions.keep(pipe, technician_id, Fix("test", time.time(), *lon_lat), "on_shift")
        pipe.execute()


def run_jobs(app):
    with app.app_context():
        SimpleWorker([queue("dispatch")], connection=app.extensions["redis"]).work(burst=True)


def start_plan(client, staff, region, **extra):
    response = client.post(
        "/api/console/v1/plans", headers=staff, json={"region_id": region, "time_limit_s": 2, **extra}
    )
    assert response.status_code == 202, response.get_json()
    return response.get_json()["id"]


def plan(client, staff, plan_id):
    return client.get(f"/api/console/v1/plans/{plan_id}", headers=staff).get_json()


def window(hours_from_now_start, hours_from_now_end):
    now = datetime.now(UTC)
    return [
        {
            "start": (now + timedelta(hours=hours_from_now_start)).isoformat(),
            "end": (now + timedelta(hours=hours_from_now_end)).isoformat(),
        }
    ]


def test_plan_routes_every_order_to_a_technician_who_may_do_it(app, client, city):
    put_technician_at(app, city["electrician"], (104.05, 30.65))
    put_technician_at(app, city["plain"], (104.19, 30.795))
    wired = add_order(app, city["org"], (104.16, 30.76), region=city["region"], skills=[("electrician", 2)])
    # Off the electrician's way to the wiring job, so the plain technician is the cheaper choice.
    near_plain = add_order(app, city["org"], (104.19, 30.785), region=city["region"])
    near_electrician = add_order(app, city["org"], (104.05, 30.66), region=city["region"], windows=window(0, 4))
    plan_id = start_plan(client, city["staff"], city["region"])
    assert plan(client, city["staff"], plan_id)["status"] == "queued"
    run_jobs(app)

    result = plan(client, city["staff"], plan_id)
    assert result["status"] == "solved", result
    served = {s["order_id"]: r["technician_id"] for r in result["routes"] for s in r["stops"]}
    assert served[wired] == city["electrician"], "only the electrician may take the wiring job"
    assert served[near_plain] == city["plain"]
    assert served[near_electrician] == city["electrician"]
    route = next(r for r in result["routes"] if r["technician_id"] == city["electrician"])
    assert route["geometry"]["type"] == "LineString"
    assert route["geometry"]["coordinates"][0] == pytest.approx([104.05, 30.65], abs=1e-4), "starts at the live fix"
    etas = [datetime.fromisoformat(s["eta"]) for s in route["stops"]]
    assert etas == sorted(etas) and all(s["slack_s"] >= 0 for s in route["stops"])
    assert result["stats"]["served"] == 3 and result["unassigned"] == []


def test_left_out_orders_carry_their_reason(app, client, city):
    no_one = add_order(app, city["org"], (104.1, 30.7), region=city["region"], skills=[("welding", 1)])
    past = add_order(app, city["org"], (104.1, 30.7), region=city["region"], windows=window(-5, -4))
    plan_id = start_plan(client, city["staff"], city["region"])
    run_jobs(app)
    reasons = {u["order_id"]: u["reason"] for u in plan(client, city["staff"], plan_id)["unassigned"]}
    assert reasons == {no_one: "no_eligible_technician", past: "window_unreachable"}


def test_pinned_work_stays_with_its_technician(app, client, city):
    held = add_order(
        app, city["org"], (104.06, 30.65), region=city["region"], status="accepted", technician=city["plain"]
    )
    put_technician_at(app, city["electrician"], (104.06, 30.65))
    put_technician_at(app, city["plain"], (104.19, 30.79))
    plan_id = start_plan(client, city["staff"], city["region"])
    run_jobs(app)
    routes = plan(client, city["staff"], plan_id)["routes"]
    stop = next(s for r in routes for s in r["stops"] if s["order_id"] == held)
    owner = next(r["technician_id"] for r in routes if stop in r["stops"])
    assert owner == city["plain"] and stop["pinned"] is True


def test_publishing_assigns_orders_through_the_lifecycle(app, client, city):
    first = add_order(app, city["org"], (104.05, 30.65), region=city["region"])
    second = add_order(app, city["org"], (104.15, 30.75), region=city["region"])
    plan_id = start_plan(client, city["staff"], city["region"])
    run_jobs(app)
    published = client.post(f"/api/console/v1/plans/{plan_id}/publish", headers=city["staff"])
    assert published.status_code == 200, published.get_json()
    body = published.get_json()
    assert {p["order_id"] for p in body["published"]} == {first, second} and body["skipped"] == []
    with app.app_context():
        orders = {o.id: o for o in db.session.query(Order)}
        assert {orders[first].status, orders[second].status} == {"assigned"}
        assert all(orders[o].technician_id in (city["plain"], city["electrician"]) for o in (first, second))
    again = client.post(f"/api/console/v1/plans/{plan_id}/publish", headers=city["staff"])
    assert again.status_code == 409


def test_publishing_skips_orders_taken_since_the_plan(app, client, city):
    order = add_order(app, city["org"], (104.05, 30.65), region=city["region"])
    plan_id = start_plan(client, city["staff"], city["region"])
    run_jobs(app)
    with app.app_context():
        db.session.get(Order, order).status = "cancelled"
        db.session.commit()
    body = client.post(f"/api/console/v1/plans/{plan_id}/publish", headers=city["staff"]).get_json()
    assert body["published"] == [] and body["skipped"][0]["order_id"] == order


def test_a_queued_plan_can_be_cancelled_and_never_runs(app, client, city):
    add_order(app, city["org"], (104.05, 30.65), region=city["region"])
    plan_id = start_plan(client, city["staff"], city["region"])
    cancelled = client.post(f"/api/console/v1/plans/{plan_id}/cancel", headers=city["staff"])
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    run_jobs(app)
    assert plan(client, city["staff"], plan_id)["routes"] == []
    assert client.post(f"/api/console/v1/plans/{plan_id}/cancel", headers=city["staff"]).status_code == 409


def test_a_running_plan_is_stopped_in_a_real_worker(app, client, city):
    from tests import live

    for i in range(30):
        add_order(app, city["org"], (104.01 + i * 0.006, 30.61 + (i % 7) * 0.02), region=city["region"])
    worker = live.start("worker")
    try:
        plan_id = start_plan(client, city["staff"], city["region"], time_limit_s=120)
        wait_until(lambda: "solving" in (plan(client, city["staff"], plan_id)["stage"] or ""), 60)
        response = client.post(f"/api/console/v1/plans/{plan_id}/cancel", headers=city["staff"])
        assert response.get_json()["status"] == "cancelled"
        with app.app_context():
            job = Job.fetch(_job_id(plan_id), connection=app.extensions["redis"])
            wait_until(lambda: job.get_status(refresh=True) == "stopped", 60)
        assert worker.poll() is None, "the worker itself keeps running"
        assert plan(client, city["staff"], plan_id)["status"] == "cancelled"
        assert plan(client, city["staff"], plan_id)["routes"] == [], "a stopped solver stores nothing"
    finally:
        live.stop(worker)


def _job_id(plan_id):
    from backend.models import RoutePlan

    return db.session.get(RoutePlan, plan_id).rq_job_id


def test_planning_is_for_dispatchers_only(client, factory, city):
    body = {"region_id": city["region"]}
    assert client.post("/api/console/v1/plans", json=body).status_code == 401
    assert client.post("/api/console/v1/plans", headers=factory.as_role("client_admin"), json=body).status_code == 403
    unknown = client.post("/api/console/v1/plans", headers=city["staff"], json={"region_id": 999999})
    assert unknown.status_code == 404
    bad = client.post("/api/console/v1/plans", headers=city["staff"], json={**body, "policy": "fastest"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "policy"


def publish(client, staff, plan_id):
    response = client.post(f"/api/console/v1/plans/{plan_id}/publish", headers=staff)
    assert response.status_code == 200, response.get_json()


def sweep(app):
    from backend.planning.jobs import replan_changed_regions

    with app.app_context():
        replan_changed_regions()
    run_jobs(app)


def latest_plan(client, staff):
    items = client.get("/api/console/v1/plans?limit=500", headers=staff).get_json()["items"]
    return plan(client, staff, items[-1]["id"])


def test_an_urgent_order_triggers_a_replan_that_keeps_pinned_stops(app, client, city):
    put_technician_at(app, city["electrician"], (104.05, 30.65))
    put_technician_at(app, city["plain"], (104.15, 30.75))
    first = add_order(app, city["org"], (104.06, 30.66), region=city["region"])
    second = add_order(app, city["org"], (104.14, 30.74), region=city["region"])
    plan_id = start_plan(client, city["staff"], city["region"])
    run_jobs(app)
    publish(client, city["staff"], plan_id)
    sweep(app)
    assert latest_plan(client, city["staff"])["id"] == plan_id, "nothing changed: no re-plan"

    urgent = add_order(app, city["org"], (104.1, 30.7), region=city["region"], priority="urgent")
    sweep(app)
    replanned = latest_plan(client, city["staff"])
    assert replanned["id"] != plan_id and replanned["status"] == "solved", replanned
    stops = {s["order_id"]: (r["technician_id"], s["pinned"]) for r in replanned["routes"] for s in r["stops"]}
    assert urgent in stops, "the urgent order is served"
    before = {
        s["order_id"]: r["technician_id"] for r in plan(client, city["staff"], plan_id)["routes"] for s in r["stops"]
    }
    for order in (first, second):
        assert stops[order] == (before[order], True), "assigned work stays with its technician"


def test_a_planned_technician_going_offline_triggers_a_replan_without_them(app, client, city):
    import time as clock

    add_order(app, city["org"], (104.06, 30.66), region=city["region"])
    add_order(app, city["org"], (104.14, 30.74), region=city["region"])
    with app.app_context():
        presence = get_redis()
        presence.zadd(PRESENCE_KEY, {str(city["electrician"]): clock.time(), str(city["plain"]): clock.time()})
    plan_id = start_plan(client, city["staff"], city["region"])
    run_jobs(app)
    publish(client, city["staff"], plan_id)
    routed = {r["technician_id"] for r in plan(client, city["staff"], plan_id)["routes"]}
    gone = next(iter(routed))
    with app.app_context():
        get_redis().zadd(PRESENCE_KEY, {str(gone): clock.time() - 600})
    sweep(app)
    replanned = latest_plan(client, city["staff"])
    assert replanned["id"] != plan_id and replanned["stats"]["technicians"] == 1
    assert gone not in {r["technician_id"] for r in replanned["routes"]}


def test_consoles_follow_plan_progress_live(app, client, factory, city, live_server):
    import socketio

    from backend.realtime import CONSOLE

    add_order(app, city["org"], (104.06, 30.66), region=city["region"])
    events = []
    console = socketio.Client()
    console.on("plan_progress", events.append, namespace=CONSOLE)
    dispatcher = factory.user("dispatcher")
    admin_headers = factory.headers(factory.user("platform_admin"))
    body = {"region_ids": [city["region"]]}
    assert (
        client.put(f"/api/console/v1/dispatchers/{dispatcher}/regions", headers=admin_headers, json=body).status_code
        == 200
    )
    token = factory.token(dispatcher)
    console.connect(live_server, namespaces=[CONSOLE], auth={"token": token}, transports=["websocket"])
    try:
        plan_id = start_plan(client, city["staff"], city["region"])
        run_jobs(app)
        wait_until(lambda: any(e["status"] == "solved" for e in events), 10)
    finally:
        console.disconnect()
    stages = [e["stage"] for e in events if e["plan_id"] == plan_id]
    assert stages[0] == "queued" and stages[-1] == "solved"
    assert any(s.startswith("solving 1 orders") for s in stages)


def test_the_job_plans_with_the_production_parameters(app, client, city, monkeypatch):
    import dispatch
    from dispatch import regions

    add_order(app, city["org"], (104.05, 30.65), region=city["region"])
    add_order(app, city["org"], (104.15, 30.75), region=city["region"])
    calls = []
    real_solve = regions.solve  # what the job's dispatch.solve_coords calls

    def recording_solve(problem, params, **kwargs):
        calls.append((len(problem.orders), len(problem.technicians), params, kwargs))
        return real_solve(problem, params, **kwargs)

    monkeypatch.setattr(regions, "solve", recording_solve)
    plan_id = start_plan(client, city["staff"], city["region"], policy="nearest-first", time_limit_s=3)
    run_jobs(app)

    assert plan(client, city["staff"], plan_id)["status"] == "solved"
    [(orders, technicians, params, kwargs)] = calls
    expected = dispatch.production_params(orders, technicians, dispatch.POLICIES["nearest-first"], time_budget_s=3)
    assert params == expected and params.warm_start == "auto" and params.keep_better
    assert "time_limit" not in kwargs, "the budget comes from the parameters, as in the benchmarks"


def test_a_real_worker_gives_the_search_its_cores(app, client, city):
    """The worker as the Procfile starts it runs each job in a forked work horse; the solver
    falls back to one process when other threads are alive there (dispatch.parallel.fork_is_safe),
    which would silently cost a threaded host its cores. The plan says what the search ran on."""
    from dispatch.production import available_cores
    from tests import live

    if available_cores() < 2:
        pytest.skip("one core: nothing to share")
    for i in range(12):
        add_order(app, city["org"], (104.01 + i * 0.012, 30.61 + (i % 5) * 0.03), region=city["region"])
    worker = live.start("worker")
    try:
        plan_id = start_plan(client, city["staff"], city["region"], time_limit_s=3)
        wait_until(lambda: plan(client, city["staff"], plan_id)["status"] in ("solved", "failed"), 120)
        solved = plan(client, city["staff"], plan_id)
        assert solved["status"] == "solved", (solved, live.log_tail(worker))
        assert solved["stats"]["search_workers"] == available_cores()
    finally:
        live.stop(worker)
