"""Small instances on a line, where travel is easy to reason about, and a plan checker."""

from __future__ import annotations

from dispatch import Order, Plan, Problem, Technician, TimeWindow, eligible
from geo.travel import TravelMatrix

MIN = 60


def line_matrix(xs: list[float]) -> TravelMatrix:
    """Places on a line; one unit of distance takes a minute and is 1 km."""
    sec = [[round(abs(a - b) * MIN) for b in xs] for a in xs]
    met = [[round(abs(a - b) * 1000) for b in xs] for a in xs]
    return TravelMatrix(sec, met)


def line_problem(xs: list[float], techs: list[Technician], orders: list[Order]) -> Problem:
    """A problem whose locations index ``xs``."""
    return Problem(techs, orders, line_matrix(xs))


def tech(id: str, start: int = 0, **kw) -> Technician:
    """A technician with a long shift unless told otherwise."""
    kw.setdefault("shift_end", 10 * 3600)
    return Technician(id=id, start=start, **kw)


def order(id: str, location: int, *windows: tuple[int, int], **kw) -> Order:
    """An order with windows given as (start, end) pairs."""
    return Order(id=id, location=location, windows=tuple(TimeWindow(a, b) for a, b in windows), **kw)


def check_plan(problem: Problem, plan: Plan) -> list[str]:
    """Independent feasibility check of a plan against the problem; returns the faults."""
    faults: list[str] = []
    orders = {o.id: o for o in problem.orders}
    techs = {t.id: t for t in problem.technicians}
    seen = [s.order_id for r in plan.routes for s in r.stops]
    if len(seen) != len(set(seen)):
        faults.append("an order is served twice")
    if set(seen) | {u.order_id for u in plan.unassigned} != set(orders):
        faults.append("served + unassigned != all orders")
    for route in plan.routes:
        faults += _check_route(problem, techs[route.technician_id], route, orders)
    return faults


def _check_route(problem, t, route, orders) -> list[str]:
    sec = problem.matrix.seconds
    faults, clock, here = [], t.shift_start, t.start
    if route.start != t.shift_start:
        faults.append(f"{t.id} leaves at {route.start}, shift starts {t.shift_start}")
    for s in route.stops:
        o = orders[s.order_id]
        faults += _check_stop(t, o, s, clock + sec[here][o.location])
        clock, here = s.start + o.service_seconds, o.location
    finish = clock + (0 if t.end is None else sec[here][t.end])
    pins = [orders[s.order_id].pinned_seq or 0 for s in route.stops if orders[s.order_id].pinned_to]
    return faults + _check_limits(t, route, orders, finish, pins)


def _check_stop(t, o, s, arrival) -> list[str]:
    faults = []
    if not eligible(t, o):
        faults.append(f"{t.id} not eligible for {o.id}")
    if s.start < arrival:
        faults.append(f"{o.id} starts before arrival")
    if o.windows and not any(w.start <= s.start <= w.end for w in o.windows):
        faults.append(f"{o.id} starts outside its windows")
    return faults


def _check_limits(t, route, orders, finish, pins) -> list[str]:
    faults = []
    if finish > t.shift_end:
        faults.append(f"{t.id} finishes at {finish} after shift end {t.shift_end}")
    if t.max_orders is not None and len(route.stops) > t.max_orders:
        faults.append(f"{t.id} over max_orders")
    if t.max_work_seconds is not None and finish - t.shift_start > t.max_work_seconds:
        faults.append(f"{t.id} over max_work_seconds")
    if t.capacity is not None and sum(orders[s.order_id].demand for s in route.stops) > t.capacity:
        faults.append(f"{t.id} over capacity")
    if pins != sorted(pins):
        faults.append(f"{t.id} pinned stops out of sequence")
    return faults
