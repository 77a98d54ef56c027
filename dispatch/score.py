"""What a dispatcher judges a plan by, computed by replaying routes, and plans built from routes.

A :class:`Score` is (urgent orders on time, orders served, travel cost, SLA lateness). One
score *dominates* another when it is at least as good on all four. The production search
(``Params(keep_better=True)``) only ever swaps a part's routes for routes that dominate
them, so the final plan is never worse than its start on any of the four.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dispatch.explain import explain
from dispatch.model import Order, Priority, Problem
from dispatch.plan import Plan, Route, Stop
from dispatch.policy import Policy
from dispatch.read import window_slack

Routes = Sequence[Sequence[str]]


@dataclass(frozen=True)
class Score:
    urgent_on_time: int
    served: int
    travel_cost: int  # the policy's travel cost (seconds and/or metres)
    lateness: int  # seconds past SLA deadlines, summed

    def dominates(self, other: Score) -> bool:
        """At least as good as ``other`` on every count."""
        return (
            self.urgent_on_time >= other.urgent_on_time
            and self.served >= other.served
            and self.travel_cost <= other.travel_cost
            and self.lateness <= other.lateness
        )


def score(problem: Problem, policy: Policy, routes: Routes) -> Score:
    """Replay ``routes`` (order ids per technician) with earliest starts and count."""
    on_time = served = cost = late = 0
    for route in plan_routes(problem, routes):
        cost += policy.second_cost * route.travel_seconds + policy.meter_cost * route.travel_meters
        for stop in route.stops:
            served += 1
            late += stop.lateness
            on_time += stop.lateness == 0 and _urgent(problem, stop.order_id)
    return Score(on_time, served, cost, late)


def _urgent(problem: Problem, order_id: str) -> bool:
    return _by_id(problem)[order_id].priority is Priority.URGENT


def _by_id(problem: Problem) -> dict[str, Order]:
    # Cached on the (frozen) problem: scores are taken at every solution of a part's search.
    cache = problem.__dict__.get("_orders_by_id")
    if cache is None:
        cache = {o.id: o for o in problem.orders}
        object.__setattr__(problem, "_orders_by_id", cache)
    return cache


def plan_routes(problem: Problem, routes: Routes) -> tuple[Route, ...]:
    """Routes (one per technician) timed with earliest starts, as the solver's finalizer does.

    The routes must be feasible (see :func:`dispatch.construct.repair`); a stop that misses
    every window starts at arrival.
    """
    orders, sec, met = _by_id(problem), problem.matrix.seconds, problem.matrix.meters
    out = []
    for tech, ids in zip(problem.technicians, routes, strict=False):
        clock, here, stops = tech.shift_start, tech.start, []
        for oid in ids:
            o = orders[oid]
            arrive = clock + sec[here][o.location]
            start = next((max(arrive, w.start) for w in o.windows if arrive <= w.end), arrive)
            end = start + o.service_seconds
            late = 0 if o.sla_deadline is None else max(0, end - o.sla_deadline)
            leg, metres = int(sec[here][o.location]), int(met[here][o.location])
            stops.append(Stop(oid, arrive, start, end, start - arrive, window_slack(o, start), late, leg, metres))
            clock, here = end, o.location
        home = tech.end if tech.end is not None else here
        out.append(
            Route(
                tech.id,
                tuple(stops),
                tech.shift_start,
                clock + int(sec[here][home]),
                sum(s.travel_seconds for s in stops) + int(sec[here][home]),
                sum(s.travel_meters for s in stops) + int(met[here][home]),
            )
        )
    for tech in problem.technicians[len(out) :]:
        out.append(Route(tech.id, (), tech.shift_start, tech.shift_start, 0, 0))
    return tuple(out)


def plan_of(problem: Problem, routes: Routes, status: str, seconds: float, objective: int = -1) -> Plan:
    """A :class:`Plan` made from route lists, without the solver."""
    timed = plan_routes(problem, routes)
    return Plan(timed, explain(problem, timed), objective, status, seconds)
