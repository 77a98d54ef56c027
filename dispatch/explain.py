"""Why an order was left out: checks on the data, in a fixed order, first match wins.

1. ``no_eligible_technician``: nobody has the pin / role / skill levels / region.
2. ``window_unreachable``: every eligible technician, driving straight there from the
   start of the shift, arrives after the last window closes.
3. ``shift_too_short``: some can arrive in a window, but none could then finish (and get
   home, if their shift ends at home) before the shift ends.
4. ``load_limit``: some could do it alone, but each of those is at an order, hours
   (route span) or van-capacity limit in the plan.
5. ``dropped_for_priority``: it was doable; the solver spent the time on worthier work.
"""

from __future__ import annotations

from dispatch.model import Order, Problem, Technician, eligible
from dispatch.plan import Plan, Route, Unassigned


def explain(problem: Problem, plan_routes: tuple[Route, ...]) -> tuple[Unassigned, ...]:
    """An :class:`Unassigned` for every order the routes do not visit."""
    served = {s.order_id for r in plan_routes for s in r.stops}
    routes = {r.technician_id: r for r in plan_routes}
    return tuple(Unassigned(o.id, *reason(problem, o, routes)) for o in problem.orders if o.id not in served)


def reason(problem: Problem, order: Order, routes: dict[str, Route]) -> tuple[str, str]:
    """``(reason, detail)`` for one unserved order."""
    techs = [t for t in problem.technicians if eligible(t, order)]
    if not techs:
        return "no_eligible_technician", _requirement(order)
    reach = [t for t in techs if earliest_start(problem, t, order) is not None]
    if not reach:
        return "window_unreachable", f"{len(techs)} eligible; none can arrive before a window closes"
    fit = [t for t in reach if fits_shift(problem, t, order)]
    if not fit:
        return "shift_too_short", f"{len(reach)} can arrive in a window; none can finish within shift"
    free = [t for t in fit if not at_load_limit(problem, t, order, routes.get(t.id))]
    if not free:
        return "load_limit", f"{len(fit)} could do it; all at their order, hours or capacity limit"
    return "dropped_for_priority", f"{len(free)} could do it alone; their time went to worthier work"


def _requirement(order: Order) -> str:
    if order.pinned_to is not None:
        return f"pinned to unknown technician {order.pinned_to!r}"
    return f"needs role={order.role}, skills={dict(order.skills)}, region={order.region}"


def earliest_start(problem: Problem, tech: Technician, order: Order) -> int | None:
    """Earliest in-window service start going straight from the shift start, or None."""
    arrive = tech.shift_start + problem.matrix.seconds[tech.start][order.location]
    if not order.windows:
        return arrive
    for w in order.windows:
        if max(arrive, w.start) <= w.end:
            return max(arrive, w.start)
    return None


def finish_alone(problem: Problem, tech: Technician, order: Order) -> int:
    """When the shift would end if this were the technician's only order."""
    done = earliest_start(problem, tech, order) + order.service_seconds
    home = 0 if tech.end is None else problem.matrix.seconds[order.location][tech.end]
    return done + home


def fits_shift(problem: Problem, tech: Technician, order: Order) -> bool:
    """Whether the order alone fits in the technician's shift."""
    return finish_alone(problem, tech, order) <= tech.shift_end


def at_load_limit(problem: Problem, tech: Technician, order: Order, route: Route | None) -> bool:
    """Whether adding this order would break an order-count, hours or capacity limit."""
    stops = route.stops if route else ()
    if tech.max_orders is not None and len(stops) + 1 > tech.max_orders:
        return True
    if tech.max_work_seconds is not None:
        alone = finish_alone(problem, tech, order) - tech.shift_start
        if alone > tech.max_work_seconds:
            return True
        if route and stops and route.end - route.start + order.service_seconds > tech.max_work_seconds:
            return True
    if tech.capacity is not None:
        demand = {o.id: o.demand for o in problem.orders}
        return sum(demand[s.order_id] for s in stops) + order.demand > tech.capacity
    return False


def unassigned_of(problem: Problem, plan: Plan) -> tuple[Unassigned, ...]:
    """Recompute explanations for an existing plan (e.g. after editing the problem)."""
    return explain(problem, plan.routes)
