"""Production settings: one parameter function, and a search that never ends worse than its start."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from dispatch import URGENT_FIRST, Order, Params, Technician, production_params, regions, solve, solve_coords
from dispatch.construct import greedy_routes, repair
from dispatch.keep import Candidate, choose
from dispatch.production import PART_ROUNDS, default_budget
from dispatch.score import score
from dispatch.solver import search_policy
from dispatch.vroom_start import vroom_routes
from geo.travel import StraightLineProvider
from tests.unit.dispatch.dispatch_builders import check_plan
from tests.unit.dispatch.test_solve import city


def test_production_params_follow_the_size_and_the_cores():
    small = production_params(80, 6, URGENT_FIRST, cores=2)
    assert small.policy is URGENT_FIRST
    assert (small.warm_start, small.search_workers, small.keep_better) == ("auto", 2, True)
    assert small.part_rounds == 1 and small.time_limit == default_budget(80)
    big = production_params(2000, 200, URGENT_FIRST, cores=2, time_budget_s=60)
    assert big.time_limit == 60 and big.part_rounds == PART_ROUNDS and big.vroom_exploration == 1
    assert default_budget(2000) == pytest.approx(60, abs=1)
    assert default_budget(10**6) == 300  # capped
    assert production_params(10, 2, URGENT_FIRST, cores=None).search_workers >= 1
    searched = search_policy(big)  # keep-better looks where travel falls
    assert searched.second_cost == 10 * URGENT_FIRST.second_cost and searched.late_cost == URGENT_FIRST.late_cost


def test_a_day_in_parts_keeps_every_constraint_and_never_loses_to_its_start():
    problem = city(5, n_orders=520, n_techs=24)  # parts: more than 500 orders, 20 per part
    params = production_params(len(problem.orders), len(problem.technicians), URGENT_FIRST, 2, 6.0)
    start = repair(problem, vroom_routes(problem, params, 3.0))
    plan = solve(problem, params, seed=1, initial_routes=start)
    assert check_plan(problem, plan) == []
    ours = score(problem, URGENT_FIRST, [r.order_ids for r in plan.routes])
    assert ours.dominates(score(problem, URGENT_FIRST, start))
    assert plan.assignments["o0"] == "t0"  # the pin holds across parts and rounds


def test_moves_between_parts_keep_every_constraint_with_one_worker():
    problem = city(6, n_orders=510, n_techs=22)
    params = Params(part_size=10, part_rounds=3, keep_better=True, time_limit=4.0)
    start = greedy_routes(problem)
    plan = solve(problem, params, seed=2, initial_routes=start)
    assert check_plan(problem, plan) == []
    assert score(problem, URGENT_FIRST, [r.order_ids for r in plan.routes]).dominates(
        score(problem, URGENT_FIRST, start)
    )


def test_choose_spends_travel_saved_in_one_part_on_lateness_in_another():
    a = [Candidate(2**62, 100, [["start-a"]]), Candidate(10, 90, [["a"]])]  # saves 10 travel
    b = [Candidate(2**62, 100, [["start-b"]]), Candidate(5, 105, [["b"]]), Candidate(50, 100, [["b2"]])]
    assert [c.routes for c in choose([a, b])] == [[["a"]], [["b"]]]  # 195 <= 200
    b_worse = [Candidate(2**62, 100, [["start-b"]]), Candidate(5, 130, [["b"]])]
    assert [c.routes for c in choose([a, b_worse])] == [[["a"]], [["start-b"]]]


def _province():
    """A day of 12 technicians and 90 orders on coordinates, cut into regions of 5 technicians,
    with the same day on its own matrix (``whole``) for the checker."""
    whole = city(8, n_orders=90, n_techs=12)
    techs = [
        replace(t, start=whole.points[t.start], end=None if t.end is None else whole.points[t.end])
        for t in whole.technicians
    ]
    orders = [replace(o, location=whole.points[o.location]) for o in whole.orders]
    return whole, techs, orders, replace(production_params(90, 12, URGENT_FIRST, 1, 3.0), region_size=5)


def test_a_province_is_planned_region_by_region_and_stays_feasible():
    whole, techs, orders, params = _province()
    plan = solve_coords(techs, orders, StraightLineProvider(), params, seed=1)
    assert plan.status.startswith("REGIONS:3:")
    assert [r.technician_id for r in plan.routes] == [t.id for t in techs]
    assert check_plan(whole, plan) == []  # checked against the whole day's own matrix
    assert len(plan.assignments) + len(plan.unassigned) == len(orders)


def test_an_order_on_a_route_stays_in_its_technicians_region_when_the_day_is_cut_again():
    far, near = Technician("far", start=(104.00, 30.6)), Technician("near", start=(104.50, 30.6))
    site = Order("o", location=(104.49, 30.6))
    assert [[o.id for o in mine] for _, mine in regions.split([far, near], [site], 2)] == [[], ["o"]]
    cut_again = regions.split([far, near], [site], 2, held_by={"o": "far"})
    assert [([t.id for t in techs], [o.id for o in mine]) for techs, mine in cut_again] == [
        (["far"], ["o"]),
        (["near"], []),
    ]


def test_a_province_is_re_planned_region_by_region_keeping_its_pins():
    whole, techs, orders, params = _province()
    before = solve_coords(techs, orders, StraightLineProvider(), params, seed=1)
    busy = next(r for r in before.routes if len(r.stops) >= 2)
    pins = {s.order_id: k for k, s in enumerate(busy.stops[:2])}

    def pinned(day):
        return [replace(o, pinned_to=busy.technician_id, pinned_seq=pins[o.id]) if o.id in pins else o for o in day]

    after = solve_coords(techs, pinned(orders), StraightLineProvider(), params, seed=1, previous=before)
    assert after.status.startswith("REGIONS:3:")
    assert check_plan(replace(whole, orders=pinned(whole.orders)), after) == []
    assert [i for i in after.route(busy.technician_id).order_ids if i in pins] == list(pins)
    assert len(after.assignments) + len(after.unassigned) == len(orders)


def test_with_another_thread_alive_the_search_stays_in_one_process():
    # Forking while another thread holds a lock hangs the child (the full suite did); the
    # solver then runs on one process and still answers within its budget.
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        problem = city(6, n_orders=510, n_techs=22)
        params = production_params(len(problem.orders), len(problem.technicians), URGENT_FIRST, 2, 4.0)
        plan = solve(problem, params, seed=1)
    finally:
        stop.set()
        other.join()
    assert check_plan(problem, plan) == []
    assert plan.seconds < 4.0 * 2
