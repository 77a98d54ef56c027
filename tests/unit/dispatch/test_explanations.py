"""Explanations name the right reason on instances crafted for each one."""

from __future__ import annotations

import pytest

from dispatch import REASONS, Params, solve
from tests.unit.dispatch.dispatch_builders import MIN, line_problem, order, tech

CASES = {
    "no_eligible_technician": ([tech("t", role="copper")], order("x", 1, role="fiber")),
    "window_unreachable": ([tech("t")], order("x", 2, (0, 30))),
    "shift_too_short": ([tech("t", end=0, shift_end=15 * MIN)], order("x", 2, service_seconds=10 * MIN)),
    "load_limit": ([tech("t", max_orders=1)], order("x", 2)),
    "dropped_for_priority": ([tech("t")], order("x", 3, (5 * MIN, 6 * MIN), priority="low")),
}


@pytest.mark.parametrize("reason", list(CASES))
def test_unassigned_order_names_its_reason(reason):
    techs, crafted = CASES[reason]
    # "kept" is always doable and outranks "x": it takes the one slot in the last two cases.
    kept = order("kept", 1, (5 * MIN, 6 * MIN), priority="urgent")
    problem = line_problem([0, -5, 5, 5], techs, [kept, crafted])
    plan = solve(problem, Params(), seed=1, time_limit=0.3)
    assert plan.assignments == {"kept": "t"}
    assert [(u.order_id, u.reason) for u in plan.unassigned] == [("x", reason)]
    assert reason in REASONS


def test_served_stops_carry_eta_slack_and_lateness():
    x = order("x", 1, (0, 10 * MIN), service_seconds=MIN, sla_deadline=2 * MIN)
    problem = line_problem([0, 2], [tech("t")], [x])
    stop = solve(problem, Params(), seed=1, time_limit=0.2).route("t").stops[0]
    assert (stop.arrival, stop.start, stop.end) == (2 * MIN, 2 * MIN, 3 * MIN)
    assert (stop.slack, stop.lateness, stop.travel_meters) == (8 * MIN, MIN, 2000)
