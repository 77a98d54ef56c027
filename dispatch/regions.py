"""Province-sized days: cut into regions first, so no all-pairs matrix of the whole day is built.

A travel matrix of 21,000 places is 441 M entries per quantity (seconds and metres): several
GB as arrays and tens of GB as the lists the solvers are fed. Above ``Params.region_size``
technicians, :func:`solve_coords` therefore groups technicians around far-apart homes (on
coordinates, no matrix), gives each order to the region of its nearest *eligible*
technician (straight line), and plans the regions one after another with the same
parameters, each building only its own matrix (travel computed on demand, per region) and
getting a share of the time proportional to its orders. Orders cannot move between regions;
the parts inside each region still exchange orders (``Params.part_rounds``). A re-plan is cut
the same way, except that an order on a route of the plan it replaces goes to that technician's
region (where :func:`dispatch.replan` starts from the old route and keeps its pins).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from time import perf_counter

import numpy as np

from dispatch.model import Order, Problem, Technician
from dispatch.plan import Plan, Unassigned
from dispatch.policy import Params
from dispatch.solver import replan, solve
from geo.travel import MatrixProvider


def solve_coords(
    technicians: Sequence[Technician],
    orders: Sequence[Order],
    provider: MatrixProvider,
    params: Params,
    *,
    depart_at: datetime | None = None,
    seed: int = 0,
    previous: Plan | None = None,
) -> Plan:
    """Plan a day whose locations are ``(lon, lat)`` points: whole, or region by region. With
    ``previous`` it is a re-plan (:func:`dispatch.replan`): an order on a previous route stays in
    its technician's region, so each region starts from its part of the old plan."""
    began = perf_counter()
    budget = params.time_limit or 10.0
    if not params.region_size or len(technicians) <= params.region_size:
        problem = Problem.from_coords(technicians, orders, provider, depart_at)
        return _plan(problem, params, seed, budget, previous)
    held_by = {i: r.technician_id for r in previous.routes for i in r.order_ids} if previous else {}
    regions = split(technicians, orders, -(-len(technicians) // params.region_size), held_by)
    routes, unassigned, objective, statuses, workers = [], [], 0, set(), 1
    for k, (techs, mine) in enumerate(regions):
        left = budget - (perf_counter() - began)
        share = left * len(mine) / max(1, sum(len(o) for _, o in regions[k:]))
        problem = Problem.from_coords(techs, mine, provider, depart_at)
        plan = _plan(problem, params, seed, max(0.5, share), previous)
        routes += plan.routes
        unassigned += plan.unassigned
        objective += max(0, plan.objective)
        statuses.add(plan.status.split(":")[0])
        workers = max(workers, plan.search_workers)
    placed = {o.id for _, mine in regions for o in mine}
    nobody = [
        Unassigned(o.id, "no_eligible_technician", "no technician may do it") for o in orders if o.id not in placed
    ]
    by_tech = {r.technician_id: r for r in routes}
    ordered = tuple(by_tech[t.id] for t in technicians)
    status = f"REGIONS:{len(regions)}:" + ",".join(sorted(statuses))
    return Plan(ordered, tuple(unassigned + nobody), objective, status, perf_counter() - began, workers)


def _plan(problem: Problem, params: Params, seed: int, time_limit: float, previous: Plan | None) -> Plan:
    params = replace(params, time_limit=time_limit)
    return solve(problem, params, seed=seed) if previous is None else replan(problem, previous, params, seed=seed)


def split(
    technicians: Sequence[Technician],
    orders: Sequence[Order],
    k: int,
    held_by: Mapping[str, str] | None = None,
) -> list[tuple[list[Technician], list[Order]]]:
    """``k`` regions: technicians around far-apart homes, each order with its nearest eligible
    technician, or with the eligible technician ``held_by`` names (its route in the plan re-planned)."""
    homes = _xy([t.start for t in technicians])
    seeds = [0]
    nearest = ((homes - homes[0]) ** 2).sum(axis=1)
    for _ in range(k - 1):
        seeds.append(int(np.argmax(nearest)))
        nearest = np.minimum(nearest, ((homes - homes[seeds[-1]]) ** 2).sum(axis=1))
    region_of_tech = np.argmin(((homes[:, None, :] - homes[seeds][None, :, :]) ** 2).sum(axis=2), axis=1)
    able = _EligibilityIndex(technicians)
    sites = _xy([o.location for o in orders])
    mine: list[list[Order]] = [[] for _ in seeds]
    for i, o in enumerate(orders):
        mask = able.mask(o)
        if not mask.any():
            continue
        holder = able.ids.get(held_by.get(o.id)) if held_by else None
        if holder is not None and mask[holder]:
            mine[int(region_of_tech[holder])].append(o)
            continue
        d = ((homes - sites[i]) ** 2).sum(axis=1)
        d[~mask] = np.inf
        mine[int(region_of_tech[int(np.argmin(d))])].append(o)
    techs: list[list[Technician]] = [[] for _ in seeds]
    for t, g in zip(technicians, region_of_tech, strict=True):
        techs[int(g)].append(t)
    return [(ts, os_) for ts, os_ in zip(techs, mine, strict=True) if ts]


def _xy(points) -> np.ndarray:
    """(lon, lat) as local planar coordinates (degrees, longitude shrunk by cos(latitude))."""
    p = np.asarray(points, dtype=float).reshape(-1, 2)
    return np.column_stack([p[:, 0] * np.cos(np.radians(p[:, 1].mean())), p[:, 1]])


class _EligibilityIndex:
    """:func:`dispatch.model.eligible` for one order against every technician at once."""

    def __init__(self, technicians: Sequence[Technician]):
        self.techs = technicians
        self.ids = {t.id: k for k, t in enumerate(technicians)}
        self.n = len(technicians)
        self.role: dict = {}
        self.region: dict = {}
        self.skill: dict = {}
        for k, t in enumerate(technicians):
            self.role.setdefault(t.role, np.zeros(self.n, bool))[k] = True
            for r in t.regions:
                self.region.setdefault(r, np.zeros(self.n, bool))[k] = True
            for name, level in t.skills.items():
                for lvl in range(1, level + 1):
                    self.skill.setdefault((name, lvl), np.zeros(self.n, bool))[k] = True

    def mask(self, o: Order) -> np.ndarray:
        none = np.zeros(self.n, bool)
        if o.pinned_to is not None:
            mask = none.copy()
            if o.pinned_to in self.ids:
                mask[self.ids[o.pinned_to]] = True
            return mask
        mask = np.ones(self.n, bool)
        if o.role is not None:
            mask &= self.role.get(o.role, none)
        for name, level in o.skills.items():
            if level > 0:
                mask &= self.skill.get((name, level), none)
        if o.region is not None:
            mask &= self.region.get(o.region, none)
        return mask
