"""One test per constraint: a small instance where the constraint changes the answer."""

from __future__ import annotations

import pytest

from dispatch import BALANCED, NEAREST_FIRST, Params, solve
from tests.unit.dispatch.dispatch_builders import MIN, check_plan, line_problem, order, tech

FAST = {"seed": 1, "time_limit": 0.3}


def plan_of(xs, techs, orders, params=None):
    problem = line_problem(xs, techs, orders)
    plan = solve(problem, params or Params(), **FAST)
    assert check_plan(problem, plan) == []
    return plan


def routes(plan) -> dict[str, list[str]]:
    return {r.technician_id: r.order_ids for r in plan.routes}


def test_time_window_reorders_the_route():
    xs = [0, 1, 2]
    free = plan_of(xs, [tech("t")], [order("a", 1), order("b", 2)])
    assert routes(free)["t"] == ["a", "b"]
    late_a = plan_of(xs, [tech("t")], [order("a", 1, (30 * MIN, 40 * MIN)), order("b", 2, (0, 10 * MIN))])
    assert routes(late_a)["t"] == ["b", "a"]


def test_several_windows_wait_for_the_next_one():
    plan = plan_of([0, 1], [tech("t")], [order("a", 1, (0, 30), (10 * MIN, 11 * MIN))])
    stop = plan.route("t").stops[0]
    assert (stop.arrival, stop.start, stop.wait) == (MIN, 10 * MIN, 9 * MIN)
    assert stop.slack == MIN


@pytest.mark.parametrize(("service", "used"), [(0, 1), (15 * MIN, 2)])
def test_service_duration_needs_a_second_technician(service, used):
    orders = [
        order("a", 1, (0, 5 * MIN), service_seconds=service),
        order("b", 2, (0, 10 * MIN), service_seconds=service),
    ]
    plan = plan_of([0, 1, 2], [tech("t1"), tech("t2")], orders)
    assert not plan.unassigned
    assert sum(1 for r in plan.routes if r.stops) == used


def test_shift_ending_at_home_leaves_out_far_work():
    far = [order("a", 1)]
    xs = [0, 10]
    assert routes(plan_of(xs, [tech("t", shift_end=1000)], far))["t"] == ["a"]
    plan = plan_of(xs, [tech("t", shift_end=1000, end=0)], far)
    assert [u.reason for u in plan.unassigned] == ["shift_too_short"]


def test_shift_start_sends_the_early_technician():
    techs = [tech("near", shift_start=2 * 3600), tech("far", start=2)]
    plan = plan_of([0, 1, 10], techs, [order("a", 1, (0, 3600))])
    assert plan.assignments == {"a": "far"}


@pytest.mark.parametrize(
    ("near", "need"),
    [
        ({"role": "copper"}, {"role": "fiber"}),
        ({"skills": {"splice": 1}}, {"skills": {"splice": 2}}),
        ({"regions": frozenset({"north"})}, {"region": "south"}),
    ],
    ids=["role", "skill_level", "region"],
)
def test_eligibility_sends_the_able_technician(near, need):
    able = {"role": "fiber", "skills": {"splice": 3}, "regions": frozenset({"south"})}
    techs = [tech("near", **near), tech("far", start=2, **able)]
    plan = plan_of([0, 1, 10], techs, [order("a", 1, **need)])
    assert plan.assignments == {"a": "far"}
    unlimited = plan_of([0, 1, 10], techs, [order("a", 1)])
    assert unlimited.assignments == {"a": "near"}


@pytest.mark.parametrize(
    "limit",
    [{"max_orders": 2}, {"max_work_seconds": 4 * MIN}, {"capacity": 2}],
    ids=["max_orders", "max_work_seconds", "capacity"],
)
def test_load_limit_splits_the_work(limit):
    orders = [order(x, i + 1, demand=1, service_seconds=MIN) for i, x in enumerate("abc")]
    free = plan_of([0, 1, 2, 3], [tech("t1"), tech("t2")], orders)
    assert max(len(r.stops) for r in free.routes) == 3
    capped = plan_of([0, 1, 2, 3], [tech("t1", **limit), tech("t2", **limit)], orders)
    assert not capped.unassigned
    assert max(len(r.stops) for r in capped.routes) == 2


def test_pinned_order_stays_with_its_technician():
    techs = [tech("near"), tech("far", start=2)]
    plan = plan_of([0, 1, 10], techs, [order("a", 1, pinned_to="far")])
    assert plan.assignments == {"a": "far"}


def test_pinned_sequence_is_kept():
    orders = [order("a", 1, pinned_to="t", pinned_seq=1), order("b", 2, pinned_to="t", pinned_seq=0)]
    assert routes(plan_of([0, 1, 2], [tech("t")], orders))["t"] == ["b", "a"]


@pytest.mark.parametrize("urgent", ["east", "west"])
def test_urgent_is_kept_when_both_cannot_be_served(urgent):
    window = (5 * MIN, 6 * MIN)
    orders = [
        order(x, i + 1, window, priority="urgent" if x == urgent else "normal") for i, x in enumerate(["east", "west"])
    ]
    plan = plan_of([0, 5, -5], [tech("t")], orders)
    assert plan.assignments == {urgent: "t"}
    assert [u.reason for u in plan.unassigned] == ["dropped_for_priority"]


def test_sla_deadline_puts_urgent_work_first():
    orders = [order("a", 1), order("b", 2, priority="urgent", sla_deadline=4 * MIN)]
    assert routes(plan_of([0, 1, -3], [tech("t")], [order("a", 1), order("b", 2)]))["t"] == ["a", "b"]
    plan = plan_of([0, 1, -3], [tech("t")], orders)
    assert routes(plan)["t"] == ["b", "a"]
    assert plan.route("t").stops[0].lateness == 0


def test_balanced_policy_evens_out_the_work():
    orders = [order(x, i + 1) for i, x in enumerate("abcd")]
    xs, techs = [0, 1, 2, 3, 4], [tech("t1"), tech("t2")]
    nearest = plan_of(xs, techs, orders, Params(policy=NEAREST_FIRST))
    assert sorted(len(r.stops) for r in nearest.routes) == [0, 4]
    balanced = plan_of(xs, techs, orders, Params(policy=BALANCED))
    assert sorted(len(r.stops) for r in balanced.routes) == [2, 2]
