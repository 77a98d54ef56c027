"""Plans a dispatcher can trust: a plan shows each technician's travel, lateness and utilisation,
and "compare with current" says, on a crafted re-plan, which orders moved to another technician,
which are newly assigned or dropped, why (a dropped order carries the solver's stored reason),
and each technician's deltas."""

from datetime import UTC, datetime, timedelta

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import LineString

from backend.extensions import db
from backend.models import PlanRoute, PlanStop, PlanUnassigned, RoutePlan
from tests.integration.orders.helpers import dispatcher_of
from tests.integration.planning.test_planning import CITY, add_order

CONSOLE = "/api/console/v1"
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def crew(app, factory):
    org, region = factory.org(), factory.region(CITY, level="city")
    techs = [factory.technician(role="repair", region_ids=[region]) for _ in range(3)]
    orders = [add_order(app, org, (104.05 + i / 100, 30.65), region=region) for i in range(6)]
    other_region = factory.region((105.0, 31.0, 105.1, 31.1), level="city")
    return {
        "region": region,
        "other_region": other_region,
        "techs": techs,
        "orders": orders,
        "staff": dispatcher_of(factory, region),
        "outsider": dispatcher_of(factory, other_region),
    }


def stop(order_id, seq, minutes, lateness_s=0, work_min=30, pinned=False):
    eta = T0 + timedelta(minutes=minutes)
    return PlanStop(
        order_id=order_id,
        seq=seq,
        arrival_at=eta,
        eta=eta,
        end_at=eta + timedelta(minutes=work_min),
        wait_s=0,
        slack_s=600,
        lateness_s=lateness_s,
        pinned=pinned,
    )


def route(technician_id, travel_m, travel_s, stops):
    line = from_shape(LineString([(104.0, 30.6), (104.1, 30.7)]), srid=4326)
    return PlanRoute(
        technician_id=technician_id,
        start_at=T0,
        end_at=T0 + timedelta(hours=4),
        travel_m=travel_m,
        travel_s=travel_s,
        geom=line,
        stops=stops,
    )


def save_plan(app, region, status, routes, unassigned=(), previous=None, trigger="manual"):
    with app.app_context():
        plan = RoutePlan(
            region_id=region,
            status=status,
            policy="urgent-first",
            time_limit_s=2,
            horizon_hours=10,
            previous_plan_id=previous,
            trigger=trigger,
            stats={},
        )
        plan.routes = routes
        plan.unassigned = [PlanUnassigned(order_id=o, reason=r, detail=d) for o, r, d in unassigned]
        db.session.add(plan)
        db.session.commit()
        return plan.id


def test_compare_with_current_says_what_moved_and_why(app, client, crew):
    t1, t2, t3 = crew["techs"]
    o1, o2, o3, o4, o5, o6 = crew["orders"]
    # The current plan: t1 does o1 then o2 (o2 20 min late); t2 does o3, o6; t3 does o4; o5 is left out.
    current = save_plan(
        app,
        crew["region"],
        "published",
        [
            route(t1, 12_000, 1_800, [stop(o1, 1, 20), stop(o2, 2, 90, lateness_s=1_200)]),
            route(t2, 8_000, 1_200, [stop(o3, 1, 15), stop(o6, 2, 60)]),
            route(t3, 5_000, 900, [stop(o4, 1, 10)]),
        ],
        unassigned=[(o5, "no_capacity", "every route is full before its window closes")],
    )
    # The re-plan: t3 went offline (o4 goes to t2), o2 moves to t2 and is on time, o5 is assigned
    # to t1 now, o6 is left out with the solver's reason.
    stops_t1 = [stop(o1, 1, 20), stop(o5, 2, 70)]
    stops_t2 = [stop(o3, 1, 15), stop(o2, 2, 50), stop(o4, 3, 100)]
    replan = save_plan(
        app,
        crew["region"],
        "solved",
        [route(t1, 10_000, 1_500, stops_t1), route(t2, 15_000, 2_400, stops_t2)],
        unassigned=[(o6, "window_unreachable", "its window closes before anyone can arrive")],
        previous=current,
        trigger="technician_offline",
    )

    response = client.get(f"{CONSOLE}/plans/{replan}/compare", headers=crew["staff"])
    assert response.status_code == 200, response.get_json()
    diff = response.get_json()
    assert diff["current_plan_id"] == current
    moved = {m["order_id"]: m for m in diff["moved"]}
    assert set(moved) == {o2, o4}
    assert (moved[o2]["from_technician_id"], moved[o2]["to_technician_id"], moved[o2]["why"]) == (t1, t2, "less_late")
    assert (moved[o2]["lateness_before_s"], moved[o2]["lateness_after_s"]) == (1_200, 0)
    assert (moved[o4]["from_technician_id"], moved[o4]["why"]) == (t3, "technician_offline")
    assert [(n["order_id"], n["technician_id"], n["why"]) for n in diff["newly_assigned"]] == [
        (o5, t1, "was_unassigned")
    ]
    assert "no_capacity" in diff["newly_assigned"][0]["detail"], "the old reason it was left out"
    [dropped] = diff["dropped"]
    assert (dropped["order_id"], dropped["from_technician_id"], dropped["why"]) == (o6, t2, "window_unreachable")
    assert dropped["detail"] == "its window closes before anyone can arrive", "the solver's stored explanation"

    per_tech = {t["technician_id"]: t for t in diff["technicians"]}
    assert per_tech[t1]["delta"]["travel_m"] == -2_000 and per_tech[t1]["delta"]["lateness_s"] == -1_200
    assert per_tech[t2]["delta"]["stops"] == 1 and per_tech[t2]["delta"]["travel_s"] == 1_200
    assert per_tech[t3]["after"] is None and per_tech[t3]["delta"]["stops"] == -1
    # t2 after: 2,400 s travel + 3 x 30 min work over a 10 h shift.
    assert per_tech[t2]["after"]["utilisation"] == round((2_400 + 3 * 1_800) / 36_000, 4)
    assert diff["totals"]["lateness_s"] == {"before": 1_200, "after": 0, "delta": -1_200}
    assert diff["totals"]["unassigned"] == {"before": 1, "after": 1, "delta": 0}

    plan = client.get(f"{CONSOLE}/plans/{replan}", headers=crew["staff"]).get_json()
    figures = {t["technician_id"]: t for t in plan["technicians"]}
    assert figures[t1]["order_ids"] == [o1, o5] and figures[t2]["lateness_s"] == 0


def test_compare_without_a_current_plan_and_its_scope(app, client, factory, crew):
    t1 = crew["techs"][0]
    o1, o2 = crew["orders"][:2]
    stops = [stop(o2, 1, 5, pinned=True), stop(o1, 2, 40)]  # o2: the technician already holds it
    first = save_plan(app, crew["region"], "solved", [route(t1, 3_000, 600, stops)])
    diff = client.get(f"{CONSOLE}/plans/{first}/compare", headers=crew["staff"]).get_json()
    assert diff["current_plan_id"] is None and diff["moved"] == [] and diff["dropped"] == []
    assert [(n["order_id"], n["why"]) for n in diff["newly_assigned"]] == [(o1, "new_order"), (o2, "already_held")]
    assert client.get(f"{CONSOLE}/plans/{first}/compare", headers=crew["outsider"]).status_code == 404
    elsewhere = save_plan(app, crew["other_region"], "published", [])
    hidden = client.get(f"{CONSOLE}/plans/{first}/compare?against={elsewhere}", headers=crew["staff"])
    assert hidden.status_code == 404, "a plan of a region the dispatcher does not manage is not found"
    admin = factory.as_role("platform_admin")
    wrong = client.get(f"{CONSOLE}/plans/{first}/compare?against={elsewhere}", headers=admin)
    assert wrong.status_code == 422 and wrong.get_json()["errors"][0]["field"] == "against"
