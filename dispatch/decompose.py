"""Large days in parts: one OR-Tools model per group of nearby technicians.

OR-Tools' local search barely moves on a whole city (2,000 orders, 200 technicians: a
few accepted moves a minute). Groups of about ``Params.part_size`` technicians, formed
around far-apart homes, each get their own model: the orders the start put on their
routes, plus the unplaced orders whose nearest eligible technician is in the group. Each
part gets an equal share of the time (parts run side by side with ``search_workers`` > 1);
orders cannot move between parts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from time import perf_counter

import numpy as np

from dispatch.explain import explain
from dispatch.keep import START_OBJECTIVE, choose
from dispatch.model import Problem, eligible
from dispatch.parallel import fork_map
from dispatch.plan import Plan, Route
from dispatch.policy import Params
from dispatch.score import plan_routes
from geo.travel import TravelMatrix


def wanted(problem: Problem, params: Params) -> bool:
    """Whether the problem is big enough to be solved in parts."""
    return (
        bool(params.part_size)
        and len(problem.orders) > params.parts_above
        and (len(problem.technicians) > params.part_size)
    )


def solve_in_parts(problem: Problem, params: Params, seed: int, time_limit: float, routes, search: Callable) -> Plan:
    """Solve each part with ``search`` from ``routes``; merge into one plan.

    With ``params.part_rounds`` > 1 the time is shared by that many rounds, each cutting
    the technicians differently and starting from the routes the last round ended with.
    """
    began = perf_counter()
    sec = np.asarray(problem.matrix.seconds, dtype=np.int64)
    k = -(-len(problem.technicians) // params.part_size)
    rounds = _rounds_that_fit(params, time_limit, -(-k // params.search_workers))
    merged, objective, statuses = plan_routes(problem, routes), 0, {"NO_TIME_LEFT:KEPT_START"}
    for r in range(rounds):
        left = (time_limit - (perf_counter() - began)) / (rounds - r)
        merged, objective, statuses = _one_round(problem, params, seed, left, routes, search, sec, k, r)
        routes = [rt.order_ids for rt in merged]
    status = "ROUTING_SUCCESS" if statuses == {"ROUTING_SUCCESS"} else ",".join(sorted(statuses))
    return Plan(merged, explain(problem, merged), objective, status, perf_counter() - began)


# Building a part's model and reading its start take a fixed time whatever the budget: a
# part needs at least this much wall time (a loaded 2-core machine, 200 orders) to search.
MIN_PART_SECONDS = 2.0


def _rounds_that_fit(params: Params, time_limit: float, waves: int) -> int:
    """Rounds of ``waves`` parts one after another that fit ``time_limit`` (0: keep the start)."""
    return max(0, min(params.part_rounds, int(time_limit / (waves * MIN_PART_SECONDS))))


def _one_round(problem, params, seed, time_limit, routes, search, sec, k, r):
    """One pass over the parts of the ``r``-th cut: (routes, objective, statuses)."""
    began = perf_counter()
    groups = tech_groups(problem, sec, k, first=_first_seed(problem, r))
    parts = _orders_per_group(problem, sec, groups, routes)
    jobs = [
        (subproblem(problem, sec, techs, orders), [routes[v] for v in techs])
        for techs, orders in zip(groups, parts, strict=True)
    ]
    left = time_limit - (perf_counter() - began)
    if params.search_workers > 1:
        plans = _in_parallel(jobs, params, seed + r, left, search)
    else:
        plans = _in_turn(jobs, params, seed + r, left, search)
    if params.keep_better:
        return _chosen(problem, groups, plans)
    by_tech, objective, statuses = {}, 0, set()
    for plan in plans:
        by_tech.update({rt.technician_id: rt for rt in plan.routes})
        objective += max(plan.objective, 0)
        statuses.add(plan.status)
    empty = {t.id: Route(t.id, (), t.shift_start, t.shift_start, 0, 0) for t in problem.technicians}
    merged = tuple(by_tech.get(t.id, empty[t.id]) for t in problem.technicians)
    return merged, objective, statuses


def _chosen(problem: Problem, groups: list[list[int]], candidates) -> tuple:
    """The day from one candidate per part (:func:`dispatch.keep.choose`)."""
    routes: list[list[str]] = [[] for _ in problem.technicians]
    picks = choose(candidates)
    for techs, pick in zip(groups, picks, strict=True):
        for v, ids in zip(techs, pick.routes, strict=True):
            routes[v] = list(ids)
    improved = sum(p.routes != [list(r) for r in cands[0].routes] for p, cands in zip(picks, candidates, strict=True))
    objective = sum(p.objective for p in picks if p.objective != START_OBJECTIVE)
    return plan_routes(problem, routes), objective, {f"KEEP_BETTER:{improved}/{len(picks)}_PARTS_IMPROVED"}


def _first_seed(problem: Problem, r: int) -> int:
    """The technician whose home seeds the ``r``-th cut (0 first; then spread over the list)."""
    return (r * 7919) % max(1, len(problem.technicians))


def _in_turn(jobs, params: Params, seed: int, time_limit: float, search: Callable) -> list[Plan]:
    """One part after another; a part that stops early leaves its time to the rest."""
    began, plans = perf_counter(), []
    for k, (sub, start) in enumerate(jobs):
        left = (time_limit - (perf_counter() - began)) / (len(jobs) - k)
        plans.append(search(sub, params, seed, left, start, perf_counter(), params.keep_better))
    return plans


def _in_parallel(jobs, params: Params, seed: int, time_limit: float, search: Callable) -> list[Plan]:
    """Parts spread over ``params.search_workers`` forked processes, each with an equal share
    of the workers' time: with two cores, every part searches twice as long."""
    per_part = time_limit / -(-len(jobs) // params.search_workers)
    shared = (jobs, params, seed, per_part, search)
    return fork_map(_solve_part, shared, [(k,) for k in range(len(jobs))], params.search_workers)


def _solve_part(shared, k: int) -> Plan:
    jobs, params, seed, per_part, search = shared
    sub, start = jobs[k]
    return search(sub, params, seed, per_part, start, perf_counter(), params.keep_better)


def tech_groups(problem: Problem, sec: np.ndarray, k: int, first: int = 0) -> list[list[int]]:
    """Technician indices in ``k`` groups around far-apart homes (farthest-point seeds from
    technician ``first``'s home)."""
    homes = [t.start for t in problem.technicians]
    seeds = [homes[first]]
    for _ in range(k - 1):
        seeds.append(homes[int(np.argmax(sec[np.ix_(homes, seeds)].min(axis=1)))])
    nearest = sec[np.ix_(homes, seeds)].argmin(axis=1)
    groups = [[v for v in range(len(homes)) if nearest[v] == g] for g in range(k)]
    return [g for g in groups if g]


def _orders_per_group(problem: Problem, sec: np.ndarray, groups, routes) -> list[list[int]]:
    """Each group's orders: those on its routes, and the unplaced ones nearest to it."""
    index = {o.id: i for i, o in enumerate(problem.orders)}
    group_of = {v: g for g, techs in enumerate(groups) for v in techs}
    parts: list[list[int]] = [[index[oid] for v in techs for oid in routes[v]] for techs in groups]
    placed = {oid for r in routes for oid in r}
    techs = problem.technicians
    for i, o in enumerate(problem.orders):
        able = [v for v, t in enumerate(techs) if o.id not in placed and eligible(t, o)]
        if able:
            nearest = min(able, key=lambda v: sec[techs[v].start, o.location])
            parts[group_of[nearest]].append(i)
    return parts


def subproblem(problem: Problem, sec: np.ndarray, techs: list[int], orders: list[int]) -> Problem:
    """The part as a problem of its own, on a slice of the travel matrix."""
    ts = [problem.technicians[v] for v in techs]
    os_ = [problem.orders[i] for i in orders]
    places = sorted({t.start for t in ts} | {t.end for t in ts if t.end is not None} | {o.location for o in os_})
    local = {p: k for k, p in enumerate(places)}
    meters = np.asarray(problem.matrix.meters, dtype=np.int64)[np.ix_(places, places)]
    matrix = TravelMatrix(sec[np.ix_(places, places)].tolist(), meters.tolist())
    return Problem(
        [replace(t, start=local[t.start], end=None if t.end is None else local[t.end]) for t in ts],
        [replace(o, location=local[o.location]) for o in os_],
        matrix,
        None if problem.points is None else [problem.points[p] for p in places],
    )
