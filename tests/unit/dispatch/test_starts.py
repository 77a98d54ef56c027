"""First solutions: the greedy construction, start repair, and the VROOM / PyVRP starts."""

from __future__ import annotations

import random

import pytest

from dispatch import DISTANCE, Order, Params, Problem, Technician, TimeWindow, solve
from dispatch.construct import greedy_routes, repair
from geo.travel import TravelMatrix
from tests.unit.dispatch.dispatch_builders import MIN, check_plan, line_problem, order, tech
from tests.unit.dispatch.test_solve import city


def test_greedy_routes_are_feasible_and_keep_pins():
    problem = city(7)
    routes = greedy_routes(problem)
    assert repair(problem, routes) == routes  # repair finds nothing to take out
    assert "o0" in routes[0]  # pinned to t0
    assert sum(map(len, routes)) > len(problem.orders) // 2


def test_repair_leaves_out_what_cannot_be_done():
    techs = [tech("t", role="fiber", max_orders=3)]
    orders = [order("ok", 1), order("role", 1, role="copper"), order("late", 2, (0, 30)), order("ok2", 3)]
    problem = line_problem([0, 1, 2, 3], techs, orders)
    assert repair(problem, [["ok", "role", "late", "ghost", "ok", "ok2"]]) == [["ok", "ok2"]]


def test_vroom_start_gives_a_feasible_plan():
    problem = city(7)
    plan = solve(problem, Params(warm_start="vroom", warm_start_share=0.5), seed=1, time_limit=1.0)
    assert check_plan(problem, plan) == []
    assert plan.assignments["o0"] == "t0"


def test_vroom_start_when_no_order_can_be_placed_leaves_all_out_with_reasons():
    techs = [tech("t", role="fiber", max_orders=3)]
    problem = line_problem([0, 1], techs, [order("role", 1, role="copper")])
    plan = solve(problem, Params(warm_start="vroom", warm_start_share=0.5), seed=1, time_limit=1.0)
    assert plan.routes[0].stops == () or not plan.routes[0].stops
    assert [(u.order_id, u.reason) for u in plan.unassigned] == [("role", "no_eligible_technician")]


@pytest.mark.parametrize("workers", [1, 2])  # 2: parallel seeded searches in forked processes
def test_pyvrp_start_on_a_small_vrptw(workers):
    rnd = random.Random(2)
    xs = [(rnd.uniform(0, 50), rnd.uniform(0, 50)) for _ in range(16)]
    sec = [[round(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5 * MIN) for b in xs] for a in xs]
    techs = [Technician(f"v{k}", start=0, end=0, shift_end=600 * MIN, capacity=40) for k in range(5)]
    orders = [
        Order(
            str(i),
            location=i,
            service_seconds=10 * MIN,
            demand=rnd.randint(5, 15),
            windows=(TimeWindow(rnd.randint(0, 300) * MIN, 400 * MIN),),
        )
        for i in range(1, 16)
    ]
    problem = Problem(techs, orders, TravelMatrix(sec, sec), points=xs)
    params = Params(policy=DISTANCE, warm_start="pyvrp", warm_start_share=0.7, search_workers=workers)
    plan = solve(problem, params, seed=1, time_limit=1.0)
    assert check_plan(problem, plan) == [] and not plan.unassigned


@pytest.mark.parametrize("workers", [1, 2])  # 2: parts solved side by side in forked processes
def test_big_days_are_solved_in_parts_and_stay_feasible(workers):
    problem = city(5, n_orders=40, n_techs=6)
    params = Params(part_size=2, parts_above=10, search_workers=workers)  # three parts of two technicians
    plan = solve(problem, params, seed=1, time_limit=1.0)
    assert check_plan(problem, plan) == []
    assert [r.technician_id for r in plan.routes] == [t.id for t in problem.technicians]
    assert plan.assignments["o0"] == "t0"
    assert len(plan.assignments) >= sum(map(len, greedy_routes(problem)))  # parts start from it
