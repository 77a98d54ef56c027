"""A first solution from VROOM (pyvroom), for OR-Tools to start from.

Everything a dispatch problem says maps onto VROOM: eligibility becomes skill ids (one per
role, per region, per skill *at least* at a level, and per technician for pins), several
windows per order, shifts, stop limits, capacity, priorities (0-100). VROOM has no soft
deadlines, so urgent orders' windows are cut at their SLA where that leaves a window;
OR-Tools then prices lateness and may still place the rest late. Route-span limits are not
expressible; :func:`dispatch.construct.repair` trims whatever the start gets wrong.
"""

from __future__ import annotations

from datetime import timedelta
from time import perf_counter

import numpy as np

from dispatch.model import Order, Priority, Problem, Technician
from dispatch.policy import Params

PRIORITY = {Priority.URGENT: 100, Priority.HIGH: 30, Priority.NORMAL: 10, Priority.LOW: 1}


def vroom_routes(problem: Problem, params: Params, seconds: float) -> list[list[str]]:
    """Order ids per technician from one VROOM run (``params.search_workers`` threads, at
    ``params.vroom_exploration``) of at most ``seconds``."""
    import vroom

    began = perf_counter()
    policy, ids = params.policy, {}
    sec = np.asarray(problem.matrix.seconds, dtype=np.int64)
    cost = policy.second_cost * sec + policy.meter_cost * np.asarray(problem.matrix.meters, dtype=np.int64)
    inp = vroom.Input()
    inp.set_durations_matrix("car", sec.astype(np.uint32))
    inp.set_costs_matrix("car", cost.astype(np.uint32))
    loads = any(t.capacity is not None for t in problem.technicians)
    for k, t in enumerate(problem.technicians):
        inp.add_vehicle(_vehicle(vroom, k, t, ids, loads, problem))
    for i, o in enumerate(problem.orders):
        inp.add_job(
            vroom.Job(
                i,
                location=o.location,
                default_service=o.service_seconds,
                delivery=[o.demand] if loads else [],
                skills=_order_skills(o, ids),
                priority=PRIORITY[o.priority],
                time_windows=_windows(vroom, o),
            )
        )
    seconds -= perf_counter() - began  # feeding VROOM is part of the budget
    sol = inp.solve(
        exploration_level=params.vroom_exploration,
        nb_threads=params.search_workers,
        timeout=timedelta(seconds=max(0.1, seconds)),
    )
    return _routes(problem, sol)


def _skill(ids: dict, key: tuple) -> int:
    return ids.setdefault(key, len(ids))


def _tech_skills(t: Technician, ids: dict) -> set[int]:
    keys = [("tech", t.id)] + [("region", r) for r in t.regions]
    keys += [("role", t.role)] if t.role is not None else []
    keys += [(s, lvl) for s, level in t.skills.items() for lvl in range(1, level + 1)]
    return {_skill(ids, k) for k in keys}


def _order_skills(o: Order, ids: dict) -> set[int]:
    keys = [(s, lvl) for s, lvl in o.skills.items() if lvl > 0]
    keys += [("tech", o.pinned_to)] if o.pinned_to is not None else []
    if o.pinned_to is None:
        keys += [("role", o.role)] if o.role is not None else []
        keys += [("region", o.region)] if o.region is not None else []
    return {_skill(ids, k) for k in keys}


def _vehicle(vroom, k: int, t: Technician, ids: dict, loads: bool, problem: Problem):
    kw = {"max_tasks": t.max_orders} if t.max_orders is not None else {}
    if loads:
        kw["capacity"] = [t.capacity if t.capacity is not None else sum(o.demand for o in problem.orders)]
    return vroom.Vehicle(
        k,
        start=t.start,
        end=t.end,
        skills=_tech_skills(t, ids),
        time_window=vroom.TimeWindow(t.shift_start, t.shift_end),
        **kw,
    )


def _windows(vroom, o: Order) -> list:
    wins = [(w.start, w.end) for w in o.windows]
    if o.priority is Priority.URGENT and o.sla_deadline is not None:
        last = o.sla_deadline - o.service_seconds
        cut = [(a, min(b, last)) for a, b in (wins or [(0, last)]) if a <= min(b, last)]
        wins = cut or wins
    return [vroom.TimeWindow(a, b) for a, b in wins]


def _routes(problem: Problem, sol) -> list[list[str]]:
    routes: list[list[str]] = [[] for _ in problem.technicians]
    if "id" not in sol.routes.columns:  # VROOM placed no job at all: its table has no id column
        return routes
    jobs = sol.routes[sol.routes["type"] == "job"]
    for vehicle, job in zip(jobs["vehicle_id"], jobs["id"], strict=True):
        routes[int(vehicle)].append(problem.orders[int(job)].id)
    return routes
