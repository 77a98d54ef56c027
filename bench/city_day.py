"""A generated, seeded working day in Chengdu, solved by our optimizer and by VROOM.

    .venv/bin/python -m bench.city_day --seconds 60 [--seed 1] [--techs 200] [--orders 2000]
    .venv/bin/python -m bench.city_day --production --workers 2 --seconds 60 --seed 1

``--production`` runs what the planning job runs (:func:`dispatch.production_params` for
the day's size, the urgent-first policy, ``--workers`` cores, ``--seconds`` of budget), then
VROOM alone with the same cores and time.

The day: technicians live across the city and start and end their shift at home
(08-17, 09-18 or 10-19 h); each has a role (fiber / tower / copper), skill levels 1-3 and
one or two of four districts. Orders need a role, one or two skills at a level, and lie in
a district; they have one 2-4 h window (a fifth have a second one in the afternoon) and
20-60 min of work; 10% are urgent with an SLA 3 h after their window opens. Travel comes
from :class:`geo.travel.StraightLineProvider` (x1.3 detour, 10:00 speeds).

Both solvers get the same matrix, eligibility, windows, priorities, stop limits and time.
VROOM has no soft deadlines, so urgent orders get their window cut at the SLA (start by
SLA - service): being on time is the only way for it to serve them. One JSON line each:
urgent orders served on time, orders served, total travel, total lateness, solve time,
and whether the routes pass an independent check.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import datetime
from time import perf_counter

import numpy as np

from dispatch import (
    URGENT_FIRST,
    Order,
    Params,
    Problem,
    Technician,
    TimeWindow,
    production_params,
    solve,
    solve_coords,
    vroom_start,
)
from geo.travel import StraightLineProvider

H = 3600
CENTER = (104.06, 30.66)
ROLES = {"fiber": 0.6, "tower": 0.25, "copper": 0.15}
SKILLS = ("splice", "otdr", "climb", "power")
DISTRICTS = ("NE", "NW", "SE", "SW")
NEIGHBOUR = {"NE": "NW", "NW": "SW", "SW": "SE", "SE": "NE"}


def district(lon: float, lat: float) -> str:
    """The quadrant of the city a point falls in."""
    return ("N" if lat >= CENTER[1] else "S") + ("E" if lon >= CENTER[0] else "W")


# Radius of the day's area in degrees: about 15 km for the 200-technician city; larger days
# spread over a larger area at the same density (a province of 2,000: about 47 km).
RADIUS = {"deg": 0.14}


def spot(rnd: random.Random) -> tuple[float, float]:
    """A point within the area's radius, denser towards the middle."""
    r, a = RADIUS["deg"] * rnd.random() ** 0.7, rnd.uniform(0, 2 * np.pi)
    return CENTER[0] + r * np.cos(a), CENTER[1] + 0.85 * r * np.sin(a)


def technician(rnd: random.Random, k: int) -> Technician:
    home = spot(rnd)
    start = rnd.choice([8, 9, 10]) * H
    regions = {district(*home)} | ({NEIGHBOUR[district(*home)]} if rnd.random() < 0.5 else set())
    return Technician(
        id=f"t{k:03d}",
        start=home,
        end=home,
        shift_start=start,
        shift_end=start + 9 * H,
        role=rnd.choices(list(ROLES), weights=list(ROLES.values()))[0],
        skills={s: rnd.randint(1, 3) for s in SKILLS if rnd.random() < 0.7},
        regions=frozenset(regions),
        max_orders=14,
    )


def order(rnd: random.Random, i: int) -> Order:
    where = spot(rnd)
    opens = rnd.randint(8, 15) * H
    windows = [TimeWindow(opens, opens + rnd.choice([2, 3, 4]) * H)]
    if windows[0].end < 15 * H and rnd.random() < 0.2:
        windows.append(TimeWindow(15 * H, 18 * H))
    urgent = rnd.random() < 0.10
    pri = "urgent" if urgent else rnd.choices(["high", "normal", "low"], weights=[2, 6, 2])[0]
    return Order(
        id=f"o{i:04d}",
        location=where,
        service_seconds=rnd.randint(20, 60) * 60,
        windows=tuple(windows),
        sla_deadline=opens + 3 * H if urgent else windows[0].end + H,
        priority=pri,
        role=rnd.choices(list(ROLES), weights=list(ROLES.values()))[0],
        skills={s: rnd.randint(1, 2) for s in rnd.sample(SKILLS, rnd.choice([1, 1, 2]))},
        region=district(*where),
    )


DEPART = datetime(2026, 11, 23, 10)


def people(seed: int, n_techs: int, n_orders: int) -> tuple[list[Technician], list[Order]]:
    """The seeded day's technicians and orders, located by (lon, lat)."""
    RADIUS["deg"] = 0.14 * max(1.0, n_techs / 200) ** 0.5
    rnd = random.Random(seed)
    techs = [technician(rnd, k) for k in range(n_techs)]
    orders = [order(rnd, i) for i in range(n_orders)]
    return techs, orders


def generate(seed: int, n_techs: int, n_orders: int) -> Problem:
    """The seeded day, with its straight-line travel matrix."""
    techs, orders = people(seed, n_techs, n_orders)
    return Problem.from_coords(techs, orders, StraightLineProvider(), depart_at=DEPART)


def ours(problem: Problem, args, start: str = "greedy") -> dict[str, list[str]]:
    """Our optimizer under the urgent-first policy, from a greedy or a VROOM start."""
    params = Params(warm_start=start, warm_start_share=args.share, search_workers=args.workers)
    plan = solve(problem, params, seed=args.seed, time_limit=args.seconds)
    return {r.technician_id: r.order_ids for r in plan.routes}


def production(problem: Problem, args) -> dict[str, list[str]]:
    """Exactly what the planning job runs: :func:`dispatch.production_params` for this size,
    the urgent-first policy, ``--workers`` cores and ``--seconds`` of budget."""
    params = production_params(len(problem.orders), len(problem.technicians), URGENT_FIRST, args.workers, args.seconds)
    plan = solve(problem, params, seed=args.seed)
    args.status = plan.status
    return {r.technician_id: r.order_ids for r in plan.routes}


def ours_from_vroom(problem: Problem, args) -> dict[str, list[str]]:
    """VROOM builds the start with ``--share`` of the time, OR-Tools prices SLAs after."""
    return ours(problem, args, start="vroom")


def vroom_routes(problem: Problem, args) -> dict[str, list[str]]:
    """VROOM alone, fed exactly as our engine feeds it for a start (:mod:`dispatch.vroom_start`:
    eligibility as skill ids, windows cut at urgent SLAs, priorities), for the whole budget."""
    params = Params(search_workers=args.workers)
    routes = vroom_start.vroom_routes(problem, params, args.seconds)
    return {t.id: r for t, r in zip(problem.technicians, routes, strict=True)}


def evaluate(problem: Problem, routes: dict[str, list[str]]) -> dict:
    """Replay routes with earliest starts; count, time and check them independently."""
    orders = {o.id: o for o in problem.orders}
    sec, met = problem.matrix.seconds, problem.matrix.meters
    out = {"served": 0, "urgent_on_time": 0, "travel_s": 0, "travel_m": 0, "lateness_s": 0, "faults": 0}
    for t in problem.technicians:
        clock, here = t.shift_start, t.start
        for oid in routes.get(t.id, []):
            o = orders[oid]
            arrive = clock + sec[here][o.location]
            start = next((max(arrive, w.start) for w in o.windows if arrive <= w.end), None)
            out["travel_s"] += sec[here][o.location]
            out["travel_m"] += met[here][o.location]
            if start is None or not _eligible(t, o):
                out["faults"] += 1
                start = arrive
            clock, here = start + o.service_seconds, o.location
            late = max(0, clock - o.sla_deadline)
            out["served"] += 1
            out["lateness_s"] += late
            out["urgent_on_time"] += o.priority == "urgent" and late == 0
        out["travel_s"] += sec[here][t.end]
        out["travel_m"] += met[here][t.end]
        out["faults"] += clock + sec[here][t.end] > t.shift_end or len(routes.get(t.id, [])) > t.max_orders
    return out


def _eligible(t: Technician, o: Order) -> bool:
    from dispatch import eligible

    return eligible(t, o)


def run(name: str, solver, problem: Problem, args) -> dict:
    began = perf_counter()
    routes = solver(problem, args)
    seconds = perf_counter() - began
    ev = evaluate(problem, routes)
    urgent = sum(o.priority == "urgent" for o in problem.orders)
    return {
        "solver": name,
        "urgent_on_time": ev["urgent_on_time"],
        "urgent": urgent,
        "orders_served": ev["served"],
        "orders": len(problem.orders),
        "travel_hours": round(ev["travel_s"] / H, 1),
        "travel_km": round(ev["travel_m"] / 1000, 1),
        "lateness_hours": round(ev["lateness_s"] / H, 1),
        "seconds": round(seconds, 1),
        "feasible": ev["faults"] == 0,
        **({"status": args.__dict__.pop("status")[:60]} if "status" in args.__dict__ else {}),
    }


def province(args) -> None:
    """Production settings on a day too big for one matrix (``Params.region_size``): planned
    region by region through :func:`dispatch.solve_coords`; checked route by route on
    matrices of each route's own places, so no whole-day matrix is built here either."""
    began = perf_counter()
    techs, orders = people(args.seed, args.techs, args.orders)
    params = production_params(len(orders), len(techs), URGENT_FIRST, args.workers, args.seconds)
    plan = solve_coords(techs, orders, StraightLineProvider(), params, depart_at=DEPART, seed=args.seed)
    seconds = perf_counter() - began
    ev = evaluate_on_demand(techs, orders, {r.technician_id: r.order_ids for r in plan.routes})
    print(
        json.dumps(
            {
                "solver": "production",
                **ev,
                "orders": len(orders),
                "seconds": round(seconds, 1),
                "status": plan.status[:60],
                **peak_memory(),
            }
        ),
        flush=True,
    )


def evaluate_on_demand(techs: list[Technician], orders: list[Order], routes: dict[str, list[str]]) -> dict:
    """:func:`evaluate` route by route, each on the matrix of its own places."""
    by_id, provider, out = {o.id: o for o in orders}, StraightLineProvider(), {}
    seen: list[str] = []
    for t in techs:
        ids = routes.get(t.id, [])
        seen += ids
        sub = Problem.from_coords([t], [by_id[i] for i in ids], provider, depart_at=DEPART)
        for key, value in evaluate(sub, {t.id: ids}).items():
            out[key] = out.get(key, 0) + value
    out["faults"] += len(seen) - len(set(seen))
    urgent = sum(o.priority == "urgent" for o in orders)
    return {
        "urgent_on_time": out["urgent_on_time"],
        "urgent": urgent,
        "orders_served": out["served"],
        "travel_hours": round(out["travel_s"] / H, 1),
        "lateness_hours": round(out["lateness_s"] / H, 1),
        "feasible": out["faults"] == 0,
    }


def peak_memory() -> dict:
    """Peak resident memory of this process and of its (forked) workers, MB."""
    import resource

    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    return {"peak_rss_mb": me, "peak_worker_rss_mb": kids}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--techs", type=int, default=200)
    ap.add_argument("--orders", type=int, default=2000)
    ap.add_argument("--share", type=float, default=0.5, help="time share of the VROOM start")
    ap.add_argument("--workers", type=int, default=1, help="parts solved side by side (processes)")
    ap.add_argument("--only", default="gridwork,gridwork+vroom-start,vroom")
    ap.add_argument("--production", action="store_true", help="production settings, then VROOM alone")
    args = ap.parse_args(argv)
    if args.production and production_params(args.orders, args.techs, URGENT_FIRST, args.workers).region_size:
        return province(args)
    began = perf_counter()
    problem = generate(args.seed, args.techs, args.orders)
    print(
        json.dumps(
            {
                "generated": len(problem.orders),
                "technicians": len(problem.technicians),
                "seconds": round(perf_counter() - began, 1),
            }
        ),
        flush=True,
    )
    if args.production:
        args.only = "production,vroom"
    solvers = {
        "production": production,
        "gridwork": ours,
        "gridwork+vroom-start": ours_from_vroom,
        "vroom": vroom_routes,
    }
    for name in args.only.split(","):
        print(json.dumps({**run(name, solvers[name], problem, args), **peak_memory()}), flush=True)


if __name__ == "__main__":
    main()
