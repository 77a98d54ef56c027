"""Solomon VRPTW benchmark through the dispatch solver core, optionally beside its peers.

    .venv/bin/python -m bench.vrptw DIR BKS_CSV --seconds 5 [--peers] [--instances C101,R201]

One JSON line per instance and solver, then one summary line per solver. Distances are
recomputed in double precision from the routes and every solution is checked by
:func:`bench.solomon.check`, independently of the solver that made it. Scaling: see
:mod:`bench.solomon` (x1000; costs rounded, travel times rounded up).

Clock (``--clock``): ``shared`` (default) times every solver from the same instant, the start
of its run, so whatever a solver builds before searching (a PyVRP model, VROOM's input, our
problem) is spent out of its ``--seconds``; ``search`` is the older reading, where each
solver's budget starts when its own search does (PyVRP's ``MaxRuntime`` after its model and
data are built). Each line says the solver's wall ``seconds`` and ``cpu_seconds`` (this
process and its reaped children, e.g. forked searches).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
from datetime import timedelta
from pathlib import Path
from time import perf_counter

import numpy as np

from bench.solomon import SCALE, Instance, check, read, read_bks, to_problem
from dispatch import DISTANCE, Params, solve


def seconds_left(args) -> float:
    """The budget a solver may still search for: ``--seconds`` less what its run has spent so
    far under the shared clock; all of ``--seconds`` under the ``search`` clock."""
    if getattr(args, "clock", "shared") == "search":
        return args.seconds
    return max(0.01, args.seconds - (perf_counter() - args.run_began))


def ours(inst: Instance, args) -> list[list[int]]:
    """Solve through dispatch.solve() in pure VRPTW mode (distance policy, all served)."""
    params = Params(
        policy=DISTANCE,
        first_solution=args.first,
        metaheuristic=args.meta,
        gls_lambda=args.gls_lambda,
        warm_start=args.warm,
        warm_start_share=args.share,
        search_workers=args.workers,
    )
    problem = to_problem(inst)
    plan = solve(problem, params, seed=args.seed, time_limit=seconds_left(args))
    return [[int(i) for i in r.order_ids] for r in plan.routes if r.stops]


def pyvrp_solver(inst: Instance, args) -> list[list[int]]:
    """PyVRP's own solve on the same scaled integers."""
    from pyvrp import Model
    from pyvrp import solve as pyvrp_solve
    from pyvrp.stop import MaxRuntime

    m, d = Model(), inst.dist * SCALE
    locs = [m.add_location(float(x), float(y)) for x, y in inst.xy]
    depot = m.add_depot(locs[0], tw_early=int(inst.ready[0] * SCALE), tw_late=int(inst.due[0] * SCALE))
    m.add_vehicle_type(
        inst.vehicles,
        capacity=inst.capacity,
        start_depot=depot,
        end_depot=depot,
        tw_early=int(inst.ready[0] * SCALE),
        tw_late=int(inst.due[0] * SCALE),
    )
    for i in range(1, len(inst.xy)):
        m.add_client(
            locs[i],
            delivery=int(inst.demand[i]),
            service_duration=int(inst.service[i] * SCALE),
            tw_early=int(inst.ready[i] * SCALE),
            tw_late=int(inst.due[i] * SCALE),
        )
    for a, la in enumerate(locs):
        for b, lb in enumerate(locs):
            m.add_edge(la, lb, round(d[a, b]), int(np.ceil(d[a, b])))
    data = m.data()  # what Model.solve does first
    res = pyvrp_solve(data, MaxRuntime(seconds_left(args)), seed=args.seed, display=False)
    return [[a.idx + 1 for a in r if a.is_client()] for r in res.best.routes()]


def vroom_solver(inst: Instance, args) -> list[list[int]]:
    """VROOM (pyvroom) on the same scaled integers, one thread, same time budget."""
    import vroom

    d = inst.dist * SCALE
    problem = vroom.Input()
    problem.set_durations_matrix("car", np.ceil(d).astype(np.uint32))
    problem.set_costs_matrix("car", np.rint(d).astype(np.uint32))
    tw = vroom.TimeWindow(int(inst.ready[0] * SCALE), int(inst.due[0] * SCALE))
    for k in range(inst.vehicles):
        problem.add_vehicle(vroom.Vehicle(k, start=0, end=0, capacity=[inst.capacity], time_window=tw))
    for i in range(1, len(inst.xy)):
        problem.add_job(
            vroom.Job(
                i,
                location=i,
                default_service=int(inst.service[i] * SCALE),
                delivery=[int(inst.demand[i])],
                time_windows=[vroom.TimeWindow(int(inst.ready[i] * SCALE), int(inst.due[i] * SCALE))],
            )
        )
    sol = problem.solve(exploration_level=5, nb_threads=1, timeout=timedelta(seconds=seconds_left(args)))
    jobs = sol.routes[sol.routes["type"] == "job"]
    return [list(map(int, g["id"])) for _, g in jobs.groupby("vehicle_id", sort=True)]


SOLVERS = {"gridwork": ours, "pyvrp": pyvrp_solver, "vroom": vroom_solver}


def run(name: str, inst: Instance, bks: tuple[float, str] | None, args) -> dict:
    """Solve, check independently, and describe one instance as a JSON-able dict."""
    cpu_began = _cpu()
    args.run_began = began = perf_counter()
    routes = SOLVERS[name](inst, args)
    seconds = perf_counter() - began
    cpu = _cpu() - cpu_began
    feasible, distance, why = check(inst, routes)
    bks, convention = bks or (None, None)
    gap = None if bks is None or not feasible else 100 * (distance - bks) / bks
    line = {
        "solver": name,
        "instance": inst.name,
        "vehicles": len([r for r in routes if r]),
        "distance": round(distance, 2) if feasible else None,
        "bks": bks,
        "gap_pct": None if gap is None else round(gap, 3),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "feasible": feasible,
    }
    if convention != "double":
        line["bks_convention"] = convention
    if why:
        line["why"] = why
    return line


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def summary(name: str, lines: list[dict]) -> dict:
    """Mean / median / max gap over the feasible lines of one solver."""
    gaps = [ln["gap_pct"] for ln in lines if ln["gap_pct"] is not None]
    return {
        "summary": name,
        "n": len(lines),
        "feasible": sum(ln["feasible"] for ln in lines),
        "mean_gap_pct": round(statistics.mean(gaps), 3) if gaps else None,
        "median_gap_pct": round(statistics.median(gaps), 3) if gaps else None,
        "max_gap_pct": round(max(gaps), 3) if gaps else None,
        "mean_seconds": round(statistics.mean(ln["seconds"] for ln in lines), 2),
        "max_seconds": round(max(ln["seconds"] for ln in lines), 2),
        "mean_cpu_seconds": round(statistics.mean(ln["cpu_seconds"] for ln in lines), 2),
    }


def add_clock_option(ap: argparse.ArgumentParser) -> None:
    ap.add_argument(
        "--clock",
        default="shared",
        choices=["shared", "search"],
        help="shared: every solver's budget counts from the start of its run (default); "
        "search: from the start of its own search (the older reading)",
    )


def parse_args(argv: list[str] | None = None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path, help="folder of Solomon .txt files")
    ap.add_argument("bks_csv", type=Path, help="bks_distance_only.csv")
    ap.add_argument("--seconds", type=float, default=5.0)
    add_clock_option(ap)
    ap.add_argument("--peers", action="store_true", help="also run pyvrp and vroom")
    ap.add_argument("--only", default=None, help="comma list of solvers to run")
    ap.add_argument("--instances", default=None, help="comma list, e.g. C101,R201")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--first", default="PARALLEL_CHEAPEST_INSERTION")
    ap.add_argument("--meta", default="GUIDED_LOCAL_SEARCH")
    ap.add_argument("--gls-lambda", type=float, default=0.1)
    ap.add_argument("--warm", default="pyvrp", help="'pyvrp' or 'none'")
    ap.add_argument("--share", type=float, default=0.95, help="time share of the warm start")
    ap.add_argument(
        "--workers",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="parallel HGS searches (processes) for the warm start; default: both cores",
    )
    args = ap.parse_args(argv)
    args.warm = None if args.warm == "none" else args.warm
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    bks = read_bks(args.bks_csv)
    files = sorted(args.dir.glob("*.txt"))
    if args.instances:
        wanted = set(args.instances.split(","))
        files = [f for f in files if f.stem in wanted]
    names = args.only.split(",") if args.only else ["gridwork"] + (["pyvrp", "vroom"] if args.peers else [])
    results: dict[str, list[dict]] = {n: [] for n in names}
    for f in files:
        inst = read(f)
        for name in names:
            line = run(name, inst, bks.get(inst.name), args)
            results[name].append(line)
            print(json.dumps(line), flush=True)
    for name in names:
        print(json.dumps(summary(name, results[name])), flush=True)


if __name__ == "__main__":
    sys.exit(main())
