"""The OR-Tools routing model: build it from a :class:`Problem`, one function per constraint.

Nodes: ``0..n-1`` are the orders in ``problem.orders`` order, then each technician ``v``
has a start node ``n + 2v`` and an end node ``n + 2v + 1``. Travel and cost matrices are
registered natively (``RegisterTransitMatrix``) so the search never calls back into Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from dispatch.model import Problem, eligible
from dispatch.policy import Params, Policy

# Pinned work outranks everything: a pinned order is left out only if it cannot be done.
PINNED_PENALTY = 10**11


@dataclass
class Model:
    """A built routing model and what is needed to read its solutions."""

    problem: Problem
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension
    count: pywrapcp.RoutingDimension
    travel: np.ndarray  # node x node seconds
    meters: np.ndarray  # node x node metres

    def order_index(self, i: int) -> int:
        """Routing index of the i-th order."""
        return self.manager.NodeToIndex(i)


def build(problem: Problem, policy: Policy) -> Model:
    """Build the routing model of ``problem`` under ``policy``'s weights."""
    travel, meters = node_matrices(problem)
    n, v = len(problem.orders), len(problem.technicians)
    starts = [n + 2 * k for k in range(v)]
    manager = pywrapcp.RoutingIndexManager(n + 2 * v, v, starts, [s + 1 for s in starts])
    routing = pywrapcp.RoutingModel(manager)
    _arc_costs(routing, travel, meters, policy)
    time = _time_dimension(routing, problem, travel)
    count = _count_dimension(routing, problem)
    model = Model(problem, manager, routing, time, count, travel, meters)
    _capacity(model)
    _windows(model)
    _shifts(model)
    _sla(model, policy)
    allowed = _eligibility(model)
    _drops(model, policy, allowed)
    _pins(model)
    _balance(model, policy)
    _finalize_early(model)
    return model


def node_matrices(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Travel seconds and metres between nodes; arriving at an 'end anywhere' node is free."""
    n = len(problem.orders)
    locs = [o.location for o in problem.orders]
    anywhere = []
    for k, t in enumerate(problem.technicians):
        locs += [t.start, t.start if t.end is None else t.end]
        if t.end is None:
            anywhere.append(n + 2 * k + 1)
    idx = np.asarray(locs, dtype=np.int64)
    travel = np.asarray(problem.matrix.seconds, dtype=np.int64)[np.ix_(idx, idx)]
    meters = np.asarray(problem.matrix.meters, dtype=np.int64)[np.ix_(idx, idx)]
    travel[:, anywhere] = 0
    meters[:, anywhere] = 0
    return travel, meters


def _arc_costs(routing, travel, meters, policy: Policy) -> None:
    cost = policy.second_cost * travel + policy.meter_cost * meters
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(cost.tolist()))
    routing.SetFixedCostOfAllVehicles(policy.fixed_cost)


def horizon(problem: Problem) -> int:
    """Latest second anything can happen: the last shift end or window end."""
    ends = [t.shift_end for t in problem.technicians]
    ends += [w.end for o in problem.orders for w in o.windows]
    return max(ends, default=0) + 1


def _time_dimension(routing, problem: Problem, travel: np.ndarray):
    # Transit i -> j = service at i + travel i -> j; the cumul is the start of service.
    service = np.zeros(len(travel), dtype=np.int64)
    service[: len(problem.orders)] = [o.service_seconds for o in problem.orders]
    transit = routing.RegisterTransitMatrix((travel + service[:, None]).tolist())
    h = horizon(problem)
    routing.AddDimension(transit, h, h, False, "time")  # slack = waiting, allowed
    return routing.GetDimensionOrDie("time")


def _count_dimension(routing, problem: Problem):
    # Counts stops: caps max_orders, keeps pinned stops in sequence, measures fair share.
    n, v = len(problem.orders), len(problem.technicians)
    ones = routing.RegisterUnaryTransitVector([1] * n + [0] * (2 * v))
    caps = [n if t.max_orders is None else t.max_orders for t in problem.technicians]
    routing.AddDimensionWithVehicleCapacity(ones, 0, caps, True, "count")
    return routing.GetDimensionOrDie("count")


def _capacity(m: Model) -> None:
    techs, orders = m.problem.technicians, m.problem.orders
    if all(t.capacity is None for t in techs) or not any(o.demand for o in orders):
        return
    total = sum(o.demand for o in orders)
    demand = [o.demand for o in orders] + [0] * (2 * len(techs))
    caps = [total if t.capacity is None else t.capacity for t in techs]
    cb = m.routing.RegisterUnaryTransitVector(demand)
    m.routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, "load")


def _windows(m: Model) -> None:
    """Several windows per order: the hull as the range, the gaps removed."""
    for i, order in enumerate(m.problem.orders):
        if not order.windows:
            continue
        cumul = m.time.CumulVar(m.order_index(i))
        cumul.SetRange(order.windows[0].start, max(w.end for w in order.windows))
        for prev, nxt in pairwise(order.windows):
            if nxt.start > prev.end + 1:
                cumul.RemoveInterval(prev.end + 1, nxt.start - 1)


def _shifts(m: Model) -> None:
    """Leave at shift start, be done (back home if an end is set) by shift end."""
    for v, tech in enumerate(m.problem.technicians):
        m.time.CumulVar(m.routing.Start(v)).SetValue(tech.shift_start)
        m.time.CumulVar(m.routing.End(v)).SetRange(tech.shift_start, tech.shift_end)
        if tech.max_work_seconds is not None:
            m.time.SetSpanUpperBoundForVehicle(tech.max_work_seconds, v)


def _sla(m: Model, policy: Policy) -> None:
    """Finishing after the SLA deadline is allowed but costs by priority, per second."""
    for i, order in enumerate(m.problem.orders):
        cost = policy.late_cost.get(order.priority, 0)
        if order.sla_deadline is None or cost <= 0:
            continue
        latest_start = max(0, order.sla_deadline - order.service_seconds)
        m.time.SetCumulVarSoftUpperBound(m.order_index(i), latest_start, cost)


def _eligibility(m: Model) -> list[list[int]]:
    """Restrict each order's vehicle to the technicians who may do it (-1 = unserved)."""
    techs = m.problem.technicians
    allowed_all = []
    for i, order in enumerate(m.problem.orders):
        allowed = [v for v, t in enumerate(techs) if eligible(t, order)]
        if len(allowed) < len(techs):
            m.routing.VehicleVar(m.order_index(i)).SetValues([*allowed, -1])
        allowed_all.append(allowed)
    return allowed_all


def _drops(m: Model, policy: Policy, allowed: list[list[int]]) -> None:
    """Optional orders get a drop penalty; orders nobody may do are always droppable."""
    for i, order in enumerate(m.problem.orders):
        if order.pinned_to is not None:
            penalty = PINNED_PENALTY
        elif policy.optional or not allowed[i]:
            penalty = policy.drop_penalty.get(order.priority, 0)
        else:
            continue
        m.routing.AddDisjunction([m.order_index(i)], max(penalty, 1))


def _pins(m: Model) -> None:
    """Pinned stops of one technician keep their sequence (others may come in between)."""
    by_tech: dict[str, list[tuple[int, int]]] = {}
    for i, order in enumerate(m.problem.orders):
        if order.pinned_to is not None:
            by_tech.setdefault(order.pinned_to, []).append((order.pinned_seq or 0, i))
    solver = m.routing.solver()
    for pins in by_tech.values():
        pins.sort()
        for (_, a), (_, b) in pairwise(pins):
            ca, cb = m.count.CumulVar(m.order_index(a)), m.count.CumulVar(m.order_index(b))
            solver.Add(ca < cb)


def _balance(m: Model, policy: Policy) -> None:
    if policy.span_cost:
        m.time.SetGlobalSpanCostCoefficient(policy.span_cost)
    if policy.fair_share_cost:
        n, v = len(m.problem.orders), max(1, len(m.problem.technicians))
        fair = -(-n // v)
        for k in range(len(m.problem.technicians)):
            end = m.routing.End(k)
            m.count.SetCumulVarSoftUpperBound(end, fair, policy.fair_share_cost)


def _finalize_early(m: Model) -> None:
    # Once routes are fixed, give every stop its earliest feasible start (the ETA).
    for i in range(len(m.problem.orders)):
        m.routing.AddVariableMinimizedByFinalizer(m.time.CumulVar(m.order_index(i)))
    for v in range(len(m.problem.technicians)):
        m.routing.AddVariableMinimizedByFinalizer(m.time.CumulVar(m.routing.End(v)))


def search_parameters(params: Params, time_limit: float):
    """OR-Tools search parameters. Routing search runs on one thread."""
    p = pywrapcp.DefaultRoutingSearchParameters()
    enums = routing_enums_pb2
    p.first_solution_strategy = getattr(enums.FirstSolutionStrategy, params.first_solution)
    p.local_search_metaheuristic = getattr(enums.LocalSearchMetaheuristic, params.metaheuristic)
    p.guided_local_search_lambda_coefficient = params.gls_lambda
    p.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
    if params.solution_limit:
        p.solution_limit = params.solution_limit
    p.log_search = params.log_search
    return p
