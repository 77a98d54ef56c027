"""Turn an OR-Tools assignment into plain :mod:`dispatch.plan` data, at once."""

from __future__ import annotations

from dispatch.core import Model
from dispatch.model import Order
from dispatch.plan import Route, Stop


def read_routes(m: Model, solution) -> tuple[Route, ...]:
    """Every technician's route, in technician order (empty routes included)."""
    return tuple(_route(m, solution, v) for v in range(len(m.problem.technicians)))


def _route(m: Model, solution, v: int) -> Route:
    routing, time = m.routing, m.time
    orders = m.problem.orders
    index = routing.Start(v)
    start = solution.Min(time.CumulVar(index))
    ready, prev, stops = start, m.manager.IndexToNode(index), []
    index = solution.Value(routing.NextVar(index))
    while not routing.IsEnd(index):
        node = m.manager.IndexToNode(index)
        stop = _stop(
            orders[node],
            ready + int(m.travel[prev, node]),
            solution.Min(time.CumulVar(index)),
            int(m.travel[prev, node]),
            int(m.meters[prev, node]),
        )
        stops.append(stop)
        ready, prev = stop.end, node
        index = solution.Value(routing.NextVar(index))
    end_node = m.manager.IndexToNode(index)
    return Route(
        technician_id=m.problem.technicians[v].id,
        stops=tuple(stops),
        start=start,
        end=solution.Min(time.CumulVar(index)),
        travel_seconds=sum(s.travel_seconds for s in stops) + int(m.travel[prev, end_node]),
        travel_meters=sum(s.travel_meters for s in stops) + int(m.meters[prev, end_node]),
    )


def _stop(order: Order, arrival: int, start: int, travel: int, meters: int) -> Stop:
    end = start + order.service_seconds
    late = 0 if order.sla_deadline is None else max(0, end - order.sla_deadline)
    return Stop(
        order_id=order.id,
        arrival=arrival,
        start=start,
        end=end,
        wait=max(0, start - arrival),
        slack=window_slack(order, start),
        lateness=late,
        travel_seconds=travel,
        travel_meters=meters,
    )


def window_slack(order: Order, start: int) -> int:
    """Seconds service could still be delayed inside the window that holds ``start``."""
    for w in order.windows:
        if w.start <= start <= w.end:
            return w.end - start
    if order.windows:
        return 0
    return 0 if order.sla_deadline is None else max(0, order.sla_deadline - order.service_seconds - start)
