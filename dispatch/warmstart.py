"""A first solution from PyVRP's hybrid genetic search, for OR-Tools to start from.

Used when the problem fits PyVRP's model: at most one window per order, every order open
to every technician, no pins, shifts ending at a place. SLA costs are left out (the
OR-Tools search that follows prices them). Edges are added one by one, so it is meant
for instances up to a few hundred places (the benchmarks); larger ones return None.
PyVRP's data is built once, before the searches fork, with its travel matrices handed over as
arrays (no edge-by-edge model): on 600 customers that took ~1 s of a 10 s budget, and again
in each forked search, outside its clock.
"""

from __future__ import annotations

import math
from collections import defaultdict
from time import perf_counter

import numpy as np
from pyvrp import Model as PyvrpModel
from pyvrp import ProblemData
from pyvrp import solve as pyvrp_solve
from pyvrp.stop import MaxRuntime

from dispatch.core import horizon
from dispatch.model import Problem
from dispatch.parallel import fork_map
from dispatch.policy import Params

MAX_PLACES = 1000  # Gehring-Homberger 600 fits (edges: ~0.4 M, about a second)


def fits(problem: Problem) -> bool:
    """Whether PyVRP can express this problem (see module docstring)."""
    places = {o.location for o in problem.orders}
    places |= {t.start for t in problem.technicians} | {t.end for t in problem.technicians}
    return (
        len(places) <= MAX_PLACES
        and all(len(o.windows) <= 1 and not o.role and not o.skills for o in problem.orders)
        and all(o.region is None and o.pinned_to is None for o in problem.orders)
        and all(t.end is not None for t in problem.technicians)
    )


def pyvrp_routes(problem: Problem, params: Params, seed: int, seconds: float):
    """Order ids per technician from a PyVRP run of ``seconds``, or None if it does not fit."""
    if not fits(problem) or seconds <= 0:
        return None
    began = perf_counter()
    data, types = _data(problem, params)
    seconds = max(0.05, seconds - (perf_counter() - began))  # building the data is part of the budget
    return _routes(problem, _best_search(data, seed, seconds, params.search_workers), types)


def _best_search(data: ProblemData, seed: int, seconds: float, workers: int) -> list[tuple[int, list[int]]]:
    """The cheapest of ``workers`` HGS runs with seeds seed, seed + 1, ...: independent
    restarts are how HGS can use more than one core. With several, each run is a forked process."""
    if workers <= 1:
        return _search(data, seed, seconds)[1]
    results = fork_map(_search, data, [(seed + k, seconds) for k in range(workers)], workers)
    return min(results, key=lambda cost_routes: cost_routes[0])[1]


def _search(data: ProblemData, seed: int, seconds: float) -> tuple[float, list[tuple[int, list[int]]]]:
    """(cost, [(vehicle type, client indices)]) of one HGS run; infeasible costs infinity."""
    result = pyvrp_solve(data, MaxRuntime(seconds), seed=seed, collect_stats=False, display=False)
    routes = [(route.vehicle_type(), [a.idx for a in route if a.is_client()]) for route in result.best.routes()]
    return (result.cost() if result.is_feasible() else math.inf), routes


def _data(problem: Problem, params: Params) -> tuple[ProblemData, list[list[str]]]:
    """PyVRP's data for ``problem`` and the technician ids of each vehicle type."""
    policy, m = params.policy, PyvrpModel()
    used = sorted(
        {o.location for o in problem.orders}
        | {t.start for t in problem.technicians}
        | {t.end for t in problem.technicians}
    )
    xy = problem.points or [(0.0, 0.0)] * len(problem.matrix)
    locs = {p: m.add_location(*xy[p]) for p in used}
    depots = {
        p: m.add_depot(locs[p], *_depot_hours(problem, p))
        for p in {t.start for t in problem.technicians} | {t.end for t in problem.technicians}
    }
    h = horizon(problem)
    n = len(problem.orders)
    for o in problem.orders:
        tw = (o.windows[0].start, o.windows[0].end) if o.windows else (0, h)
        m.add_client(
            locs[o.location],
            delivery=_load(o.demand, problem),
            service_duration=o.service_seconds,
            tw_early=tw[0],
            tw_late=tw[1],
            required=not policy.optional,
            prize=policy.drop_penalty.get(o.priority, 0) if policy.optional else 0,
        )
    types = _vehicle_types(m, problem, depots, n)
    distance, duration = _matrices(problem, used, policy)
    # Locations were added in the order of ``used``: row a of the matrices is location a.
    return m.data().replace(distance_matrices=[distance], duration_matrices=[duration]), types


def _depot_hours(problem: Problem, place: int) -> tuple[int, int]:
    """Open from the first shift start to the last shift end of those based there."""
    techs = [t for t in problem.technicians if place in (t.start, t.end)]
    return min(t.shift_start for t in techs), max(t.shift_end for t in techs)


def _vehicle_types(m, problem: Problem, depots, n: int) -> list[list[str]]:
    groups: dict[tuple, list[str]] = defaultdict(list)
    for t in problem.technicians:
        key = (t.start, t.end, t.shift_start, t.shift_end, t.capacity, t.max_orders, t.max_work_seconds)
        groups[key].append(t.id)
    total = sum(o.demand for o in problem.orders)
    for (start, end, s0, s1, cap, max_orders, max_work), ids in groups.items():
        m.add_vehicle_type(
            len(ids),
            capacity=_load(total if cap is None else cap, problem, n if max_orders is None else max_orders),
            start_depot=depots[start],
            end_depot=depots[end],
            tw_early=s0,
            tw_late=s1,
            **({} if max_work is None else {"shift_duration": max_work}),
        )
    return list(groups.values())


def _load(amount: int, problem: Problem, stops: int = 1) -> list[int]:
    """Load as PyVRP sees it: demand, plus a stop count only when some technician caps stops."""
    if any(t.max_orders is not None for t in problem.technicians):
        return [amount, stops]
    return [amount]


def _matrices(problem: Problem, used, policy) -> tuple[np.ndarray, np.ndarray]:
    """(cost, seconds) between the places in ``used``, as PyVRP's distance and duration."""
    idx = np.asarray(used)
    sec = np.asarray(problem.matrix.seconds, dtype=np.int64)[np.ix_(idx, idx)]
    met = np.asarray(problem.matrix.meters, dtype=np.int64)[np.ix_(idx, idx)]
    cost = policy.second_cost * sec + policy.meter_cost * met
    return np.ascontiguousarray(cost, dtype=np.int64), np.ascontiguousarray(sec, dtype=np.int64)


def _routes(problem: Problem, routes: list[tuple[int, list[int]]], types: list[list[str]]):
    free = [list(ids) for ids in types]
    by_tech: dict[str, list[str]] = {}
    for vehicle_type, clients in routes:
        tech = free[vehicle_type].pop(0)
        by_tech[tech] = [problem.orders[i].id for i in clients]
    return [by_tech.get(t.id, []) for t in problem.technicians]
