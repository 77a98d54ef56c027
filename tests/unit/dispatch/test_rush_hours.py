"""Time-dependent travel: the solver sees rush hours, and a route's order can flip because of them."""

from __future__ import annotations

from datetime import datetime

from dispatch import Order, Params, Problem, Technician, TimeWindow, solve
from dispatch.model import with_rush_hours
from geo.travel import StraightLineProvider, TravelMatrix
from tests.unit.dispatch.dispatch_builders import check_plan

H, MIN = 3600, 60
# Places: 0 home, 1 far (across town), 2 near. Minutes; from near to far is 2 min longer
# than back, so on an empty road "far first" wins: 30 + 34 + 5 = 69 against 5 + 36 + 30 = 71.
MINUTES = [[0, 30, 5], [30, 0, 34], [5, 36, 0]]
RUSH = tuple(2.0 if h in (7, 8) else 1.0 for h in range(24))  # twice as slow 07:00-09:00


def errand_day(hour_factors) -> Problem:
    sec = [[m * MIN for m in row] for row in MINUTES]
    matrix = TravelMatrix(sec, sec, hour_factors=hour_factors, origin_second_of_day=0)
    tech = Technician("t", start=0, end=0, shift_start=8 * H, shift_end=18 * H)
    window = (TimeWindow(8 * H, 12 * H),)
    orders = [Order(i, location=k, service_seconds=60 * MIN, windows=window) for i, k in (("far", 1), ("near", 2))]
    return with_rush_hours(Problem([tech], orders, matrix))


def test_rush_hour_flips_the_order_of_two_stops():
    calm, rush = errand_day(None), errand_day(RUSH)
    calm_plan = solve(calm, Params(), seed=1, time_limit=1.0)
    rush_plan = solve(rush, Params(), seed=1, time_limit=1.0)
    assert calm_plan.route("t").order_ids == ["far", "near"]
    # Leaving at 08:00 the long leg would take an hour: do the near stop in the rush and
    # cross town after 09:00.
    assert rush_plan.route("t").order_ids == ["near", "far"]
    assert check_plan(rush, rush_plan) == []
    assert rush_plan.route("t").stops[0].travel_seconds == 10 * MIN  # 5 min at half speed


def test_a_trip_across_town_at_0830_takes_longer_than_at_1400():
    across = [(104.00, 30.66), (104.12, 30.66)]
    matrix = StraightLineProvider(rush_hours=True).matrix(across, datetime(2026, 11, 23, 0, 0))
    seconds = matrix.seconds[0][1]
    assert matrix.factor_at(8 * H + 30 * MIN) * seconds > 1.3 * matrix.factor_at(14 * H) * seconds


def test_without_a_profile_the_problem_is_unchanged():
    calm = errand_day(None)
    assert with_rush_hours(calm) is calm
