"""End to end: a random city-like instance, an independent check, determinism, re-planning."""

from __future__ import annotations

import random
from dataclasses import replace

from dispatch import REASONS, Order, Params, Problem, Technician, TimeWindow, replan, solve
from geo.travel import StraightLineProvider
from tests.unit.dispatch.dispatch_builders import check_plan

H = 3600
ROLES, SKILLS, REGIONS = ["fiber", "copper"], ["splice", "otdr", "climb"], ["east", "west"]


def city(seed: int, n_orders: int = 40, n_techs: int = 5) -> Problem:
    """Technicians and orders around Chengdu with every kind of constraint in play."""
    rnd = random.Random(seed)

    def spot():
        return (104.06 + rnd.uniform(-0.08, 0.08), 30.66 + rnd.uniform(-0.08, 0.08))

    techs = [
        Technician(
            f"t{k}",
            start=spot(),
            end=spot() if k % 2 else None,
            shift_start=8 * H,
            shift_end=rnd.choice([16, 17, 18]) * H,
            role=ROLES[k % 2],
            skills={s: rnd.randint(1, 3) for s in SKILLS},
            regions=frozenset(REGIONS[: 1 + k % 2]),
            max_orders=rnd.choice([None, 8]),
            capacity=rnd.choice([None, 10]),
        )
        for k in range(n_techs)
    ]
    orders = [_order(rnd, i, spot()) for i in range(n_orders)]
    orders[0] = replace(orders[0], pinned_to="t0", pinned_seq=0, role=None, skills={}, region=None)
    return Problem.from_coords(techs, orders, StraightLineProvider())


def _order(rnd: random.Random, i: int, where) -> Order:
    start = rnd.randint(8, 14) * H
    windows = [TimeWindow(start, start + 2 * H)]
    if rnd.random() < 0.3:
        windows.append(TimeWindow(start + 3 * H, start + 4 * H))
    return Order(
        f"o{i}",
        location=where,
        service_seconds=rnd.randint(15, 60) * 60,
        windows=tuple(windows),
        sla_deadline=start + 3 * H,
        priority=rnd.choice(["urgent", "high", "normal", "normal", "low"]),
        role=rnd.choice([None, *ROLES]),
        skills={rnd.choice(SKILLS): rnd.randint(1, 3)},
        region=rnd.choice(REGIONS),
        demand=rnd.randint(0, 3),
    )


def test_end_to_end_plan_is_feasible_and_explained():
    problem = city(7)
    plan = solve(problem, Params(), seed=3, time_limit=1.0)
    assert check_plan(problem, plan) == []
    assert plan.assignments["o0"] == "t0"
    assert len(plan.assignments) > len(problem.orders) // 2
    assert all(u.reason in REASONS for u in plan.unassigned)


def test_same_seed_gives_the_same_plan():
    problem = city(11, n_orders=25, n_techs=4)
    params = Params(solution_limit=200)  # stop on a count, not the clock: see dispatch.solver
    first, again = (solve(problem, params, seed=5, time_limit=30) for _ in range(2))
    assert first.routes == again.routes
    assert first.objective == again.objective


def test_replan_keeps_pinned_stops_and_takes_the_urgent_order():
    problem = city(3, n_orders=25, n_techs=4)
    before = solve(problem, Params(), seed=1, time_limit=0.5)
    busy = next(r for r in before.routes if len(r.stops) >= 2)
    pins = {s.order_id: k for k, s in enumerate(busy.stops[:2])}
    orders = [
        replace(o, pinned_to=busy.technician_id, pinned_seq=pins[o.id]) if o.id in pins else o for o in problem.orders
    ]
    urgent = Order(
        "new",
        location=orders[1].location,
        service_seconds=1800,
        priority="urgent",
        windows=(TimeWindow(9 * H, 17 * H),),
    )
    offline = next(t.id for t in problem.technicians if t.id != busy.technician_id)
    techs = [t for t in problem.technicians if t.id != offline]
    now = Problem(techs, [*orders, urgent], problem.matrix)
    after = replan(now, before, Params(), seed=1, time_limit=0.5)
    assert check_plan(now, after) == []
    kept = [i for i in after.route(busy.technician_id).order_ids if i in pins]
    assert kept == list(pins)
    assert "new" in after.assignments


def test_no_technicians_leaves_every_order_unassigned_without_crashing():
    from dispatch import Order, Problem, solve
    from geo.travel import StraightLineProvider

    problem = Problem.from_coords([], [Order(id="o1", location=(104.0, 30.6))], StraightLineProvider())
    plan = solve(problem, time_limit=1)
    assert [(u.order_id, u.reason) for u in plan.unassigned] == [("o1", "no_eligible_technician")]


def test_no_orders_gives_empty_routes():
    from dispatch import Problem, Technician, solve
    from geo.travel import StraightLineProvider

    problem = Problem.from_coords([Technician(id="t1", start=(104.0, 30.6))], [], StraightLineProvider())
    plan = solve(problem, time_limit=1)
    assert [r.stops for r in plan.routes] == [()] and plan.unassigned == ()
