"""A fast greedy first solution for large field days, built in plain Python.

OR-Tools' own insertion heuristics take minutes on a city day (thousands of orders, a
couple of hundred technicians, eligibility on every order). This one inserts orders by
importance (pins first, then priority, then narrowest windows) at the position among
eligible technicians that adds the least travel, checking windows, shifts, the way home,
and stop, hours and capacity limits. Urgent orders go in twice: first only where they
finish by their SLA (and later insertions must keep them so), then, for those left,
anywhere feasible. The result is handed to OR-Tools as its start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dispatch.model import Order, Priority, Problem, Technician, eligible

Matrix = list[list[int]]
RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


@dataclass
class _Route:
    tech: Technician
    stops: list[int] = field(default_factory=list)  # order positions, in visiting order
    ends: list[int] = field(default_factory=list)  # earliest end of service at each stop
    finish: int = 0  # back home (or at the last stop) at
    demand: int = 0


@dataclass
class _Day:
    problem: Problem
    sec: Matrix
    routes: list[_Route]
    on_time: set[int] = field(default_factory=set)  # urgent orders promised by their SLA


def greedy_routes(problem: Problem, start=None) -> list[list[str]]:
    """Order ids per technician (technician order), every route feasible on its own.

    ``start`` (order ids per technician, e.g. the previous plan when re-planning) is kept,
    after :func:`repair`, and the other orders are inserted around it.
    """
    routes = [_Route(t, finish=t.shift_start) for t in problem.technicians]
    day = _Day(problem, problem.matrix.seconds, routes)  # lists: fast scalar lookups
    by_id = {t.id: r for t, r in zip(problem.technicians, routes, strict=True)}
    placed = _seed(day, repair(problem, start)) if start else set()
    for i in _insertion_order(problem.orders):
        order = problem.orders[i]
        if i in placed:
            continue
        if order.pinned_to is not None:
            route = by_id.get(order.pinned_to)
            if route is not None and _try(day, route, len(route.stops), i) is not None:
                _place(day, route, len(route.stops), i, strict=False)
        elif _insert_best(day, i, strict=order.priority is Priority.URGENT):
            placed.add(i)
    for i in _insertion_order(problem.orders):
        if i not in placed and problem.orders[i].pinned_to is None and _insert_best(day, i, strict=False):
            placed.add(i)
    return [[problem.orders[i].id for i in r.stops] for r in routes]


def _seed(day: _Day, routes: list[list[str]]) -> set[int]:
    """Lay down already feasible routes; the positions of the orders placed."""
    position = {o.id: k for k, o in enumerate(day.problem.orders)}
    placed = set()
    for route, ids in zip(day.routes, routes, strict=False):
        for oid in ids:
            _place(day, route, len(route.stops), position[oid], strict=False)
            placed.add(position[oid])
    return placed


def _insertion_order(orders) -> list[int]:
    def key(i: int):
        o = orders[i]
        # Least room first: narrow windows are the hardest to place later.
        width = sum(w.end - w.start for w in o.windows) if o.windows else 10**12
        return (o.pinned_to is None, o.pinned_to or "", o.pinned_seq or 0, RANK[o.priority], width)

    return sorted(range(len(orders)), key=key)


def _insert_best(day: _Day, i: int, strict: bool) -> bool:
    """Insert order ``i`` where it costs least; ``strict`` also demands its SLA be met."""
    order, best = day.problem.orders[i], None
    for route in day.routes:
        if not _room(route, order) or not eligible(route.tech, order):
            continue
        for p in range(len(route.stops) + 1):
            cost = _try(day, route, p, i, strict)
            if cost is not None and (best is None or cost < best[0]):
                best = (cost, route, p)
    if best is None:
        return False
    _place(day, best[1], best[2], i, strict)
    return True


def _room(route: _Route, order: Order) -> bool:
    t = route.tech
    if t.max_orders is not None and len(route.stops) >= t.max_orders:
        return False
    return t.capacity is None or route.demand + order.demand <= t.capacity


def _try(day: _Day, route: _Route, p: int, i: int, strict: bool = False) -> int | None:
    """Added travel of inserting ``i`` at ``p``; None if infeasible.

    (Charging added time too, so waiting counts, served fewer orders on the city day.)
    """
    if _replay(day, route, p, i, strict) is None:
        return None
    return _travel_delta(day, route, p, i)


def _replay(day: _Day, route: _Route, p: int, i: int, strict: bool) -> list[int] | None:
    """End times of stops from ``p`` on (and the finish) with ``i`` inserted at ``p``."""
    t, orders, sec = route.tech, day.problem.orders, day.sec
    clock = route.ends[p - 1] if p else t.shift_start
    here = orders[route.stops[p - 1]].location if p else t.start
    out = []
    for s in [i, *route.stops[p:]]:
        o = orders[s]
        start = _window_start(o, clock + sec[here][o.location])
        if start is None:
            return None
        clock, here = start + o.service_seconds, o.location
        if (s in day.on_time or (strict and s == i)) and o.sla_deadline is not None and clock > o.sla_deadline:
            return None
        out.append(clock)
    finish = clock + (0 if t.end is None else sec[here][t.end])
    if finish > t.shift_end or (t.max_work_seconds is not None and finish - t.shift_start > t.max_work_seconds):
        return None
    return [*out, finish]


def _travel_delta(day: _Day, route: _Route, p: int, i: int) -> int:
    orders, sec, t = day.problem.orders, day.sec, route.tech
    a = orders[route.stops[p - 1]].location if p else t.start
    b = orders[route.stops[p]].location if p < len(route.stops) else t.end
    loc = orders[i].location
    if b is None:
        return sec[a][loc]
    return sec[a][loc] + sec[loc][b] - sec[a][b]


def _window_start(order: Order, arrival: int) -> int | None:
    if not order.windows:
        return arrival
    return next((max(arrival, w.start) for w in order.windows if arrival <= w.end), None)


def _place(day: _Day, route: _Route, p: int, i: int, strict: bool) -> None:
    order = day.problem.orders[i]
    sched = _replay(day, route, p, i, strict)
    route.stops.insert(p, i)
    route.ends = route.ends[:p] + sched[:-1]
    route.finish = sched[-1]
    route.demand += order.demand
    if strict and order.sla_deadline is not None:
        day.on_time.add(i)


def repair(problem: Problem, routes) -> list[list[str]]:
    """Make start routes (order ids per technician) feasible by leaving stops out.

    Unknown, repeated or ineligible orders, and stops that would break a stop or capacity
    limit, miss their window, or no longer let the day end in time, are skipped. Cheap, and
    it lets OR-Tools read almost any start (a previous plan after time moved on, another
    solver's routes).
    """
    orders = {o.id: (k, o) for k, o in enumerate(problem.orders)}
    seen: set[str] = set()
    out = []
    for tech, ids in zip(problem.technicians, routes, strict=False):
        route = _Route(tech, finish=tech.shift_start)
        day = _Day(problem, problem.matrix.seconds, [route])
        for oid in ids:
            if oid in seen or oid not in orders:
                continue
            k, o = orders[oid]
            if eligible(tech, o) and _room(route, o) and _append(day, route, k):
                seen.add(oid)
        out.append([problem.orders[k].id for k in route.stops])
    return out + [[] for _ in problem.technicians[len(out) :]]


def _append(day: _Day, route: _Route, k: int) -> bool:
    """Append order ``k`` if the route stays feasible (window, shift, way home, hours)."""
    if _replay(day, route, len(route.stops), k, strict=False) is None:
        return False
    _place(day, route, len(route.stops), k, strict=False)
    return True
