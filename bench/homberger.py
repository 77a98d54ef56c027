"""Gehring-Homberger VRPTW instances (200, 400, 600 customers) through the production settings.

    .venv/bin/python -m bench.homberger --seconds 10 --set dev [--peers] [--workers 2]
    .venv/bin/python -m bench.homberger --seconds 10 --set holdout --peers

Data: ``bench/homberger/instances.tar.xz`` holds the instances in LKH-3's CVRPTW format
(from the LKH-3 distribution, as mirrored in github.com/c4v4/LKH3; VEHICLES is the fleet of
the best known solution), ``bench/homberger/bks.csv`` the best known solutions (vehicles,
distance; hierarchical objective: fewest vehicles, then distance) from the SINTEF tables as
mirrored in github.com/rogalski-wmii-uni-lodz-pl/vrp-benchmarks. As in ``bench/vrptw.py``
(Solomon: 25 vehicles for 100 customers) the fleet is a quarter of the customers and the
objective is distance only, so a gap below zero is possible where more vehicles than the
best known solution's shorten the total (mostly the C2/R2/RC2 families). Compare solvers in
the same run; the best known figure is a yardstick.

Sets: ``holdout`` = the ``*_2_1`` and ``*_4_3`` instances, kept aside for verification (never
tuned on); ``dev`` = every other 200/400 instance and the 600-customer ones.
``gridwork`` here is :func:`dispatch.production_params` (distance policy, ``--workers`` cores,
``--seconds`` budget), the configuration the planning jobs use. The peers (PyVRP, VROOM) run
one thread each with the same budget, as in ``bench/vrptw.py``. Every solution is checked by
:func:`bench.solomon.check`. Budgets are counted from the same instant for every solver (the
start of its run: building a model or a problem is spent out of the budget) unless
``--clock search`` asks for the older reading (see :mod:`bench.vrptw`); every line has the
solver's wall and CPU seconds.
"""

from __future__ import annotations

import argparse
import csv
import json
import lzma
import os
import tarfile
from pathlib import Path

import numpy as np

from bench import vrptw
from bench.solomon import Instance, to_problem
from dispatch import DISTANCE, production_params, solve

DATA = Path(__file__).with_name("homberger")
HOLDOUT = ("_2_1", "_4_3")


def instances() -> dict[str, str]:
    """Instance name -> LKH-3 text, from the compressed archive."""
    with lzma.open(DATA / "instances.tar.xz") as xz, tarfile.open(fileobj=xz) as tar:
        return {Path(m.name).stem: tar.extractfile(m).read().decode() for m in tar.getmembers() if m.isfile()}


def parse(name: str, text: str) -> Instance:
    """An LKH-3 CVRPTW file (NODE_COORD, DEMAND, TIME_WINDOW sections; depot is node 1)."""
    head, sections, current = {}, {}, None
    for line in text.splitlines():
        line = line.strip()
        if line.endswith("_SECTION"):
            current = sections.setdefault(line, [])
        elif ":" in line and current is None:
            key, value = line.split(":", 1)
            head[key.strip()] = value.strip()
        elif line and line not in ("EOF", "-1") and current is not None:
            current.append([float(v) for v in line.split()])
    xy = np.array([r[1:3] for r in sections["NODE_COORD_SECTION"]])
    tw = np.array([r[1:3] for r in sections["TIME_WINDOW_SECTION"]])
    service = np.full(len(xy), float(head.get("SERVICE_TIME", 0)))
    service[0] = 0.0
    return Instance(
        name=name,
        vehicles=(len(xy) - 1) // 4,
        capacity=int(head["CAPACITY"]),
        xy=xy,
        demand=np.array([int(r[1]) for r in sections["DEMAND_SECTION"]]),
        ready=tw[:, 0],
        due=tw[:, 1],
        service=service,
    )


def read_bks() -> dict[str, tuple[float, str]]:
    with (DATA / "bks.csv").open() as f:
        return {row["instance"]: (float(row["distance"]), "hierarchical") for row in csv.DictReader(f)}


def in_set(name: str, which: str) -> bool:
    held = name.endswith(HOLDOUT)
    return held if which == "holdout" else not held if which == "dev" else True


def production(inst: Instance, args) -> list[list[int]]:
    """Exactly the planning job's configuration, distance policy."""
    problem = to_problem(inst)
    budget = vrptw.seconds_left(args)
    params = production_params(len(problem.orders), len(problem.technicians), DISTANCE, args.workers, budget)
    plan = solve(problem, params, seed=args.seed)
    return [[int(i) for i in r.order_ids] for r in plan.routes if r.stops]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    vrptw.add_clock_option(ap)
    ap.add_argument("--set", default="dev", choices=["dev", "holdout", "all"])
    ap.add_argument("--sizes", default="200,400,600")
    ap.add_argument("--instances", default=None, help="comma list, e.g. C1_2_2,R1_4_1")
    ap.add_argument("--peers", action="store_true", help="also run pyvrp and vroom")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = ap.parse_args(argv)
    vrptw.SOLVERS["gridwork"] = production
    bks, sizes = read_bks(), {f"_{int(s) // 100}_" for s in args.sizes.split(",")}
    names = ["gridwork"] + (["pyvrp", "vroom"] if args.peers else [])
    wanted = set(args.instances.split(",")) if args.instances else None
    results: dict[str, list[dict]] = {n: [] for n in names}
    for name, text in sorted(instances().items()):
        if not in_set(name, args.set) or not any(s in name for s in sizes) or (wanted and name not in wanted):
            continue
        inst = parse(name, text)
        for solver in names:
            line = vrptw.run(solver, inst, bks.get(name), args)
            results[solver].append(line)
            print(json.dumps(line), flush=True)
    for solver in names:
        print(json.dumps(vrptw.summary(solver, results[solver])), flush=True)


if __name__ == "__main__":
    main()
