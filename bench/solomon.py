"""Solomon VRPTW instances: reading, conversion to a dispatch Problem, independent checks.

Scaling: distances and times are Euclidean, multiplied by ``SCALE`` (1000) to make the
integers OR-Tools and PyVRP need. Arc *costs* are rounded (``round(d * 1000)``); arc
*travel times* are rounded up (``ceil(d * 1000)``), so a schedule feasible in integers is
feasible in exact arithmetic. Reported distances are recomputed from the routes in double
precision, so rounding never flatters a result.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dispatch import Order, Problem, Technician, TimeWindow
from geo.travel import TravelMatrix

SCALE = 1000


@dataclass(frozen=True)
class Instance:
    """One Solomon instance; row 0 of every array is the depot."""

    name: str
    vehicles: int
    capacity: int
    xy: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray

    @property
    def dist(self) -> np.ndarray:
        """Double-precision Euclidean distances between all rows."""
        d = self.xy[:, None, :] - self.xy[None, :, :]
        return np.sqrt((d**2).sum(axis=2))


def read(path: Path) -> Instance:
    """Parse a Solomon text file (the line after CUST NO., rows of 7 numbers)."""
    lines = Path(path).read_text().splitlines()
    vehicles, capacity = map(int, lines[lines.index(_find(lines, "NUMBER")) + 1].split())
    start = lines.index(_find(lines, "CUST NO.")) + 1
    rows = [r.split() for r in lines[start:]]
    rows = np.array([list(map(float, r)) for r in rows if len(r) == 7])
    return Instance(
        name=Path(path).stem, vehicles=vehicles, capacity=capacity, xy=rows[:, 1:3],
        demand=rows[:, 3].astype(int), ready=rows[:, 4], due=rows[:, 5], service=rows[:, 6],
    )


def _find(lines: list[str], prefix: str) -> str:
    return next(line for line in lines if line.strip().startswith(prefix))


def to_problem(inst: Instance) -> Problem:
    """The instance as a dispatch Problem: vehicles = technicians, customers = orders."""
    d = inst.dist * SCALE
    matrix = TravelMatrix(seconds=np.ceil(d).astype(np.int64).tolist(),
                          meters=np.rint(d).astype(np.int64).tolist())
    techs = [
        Technician(id=f"v{k}", start=0, end=0, shift_start=int(inst.ready[0] * SCALE),
                   shift_end=int(inst.due[0] * SCALE), capacity=inst.capacity)
        for k in range(inst.vehicles)
    ]
    orders = [
        Order(id=str(i), location=i, service_seconds=int(inst.service[i] * SCALE),
              windows=(TimeWindow(int(inst.ready[i] * SCALE), int(inst.due[i] * SCALE)),),
              demand=int(inst.demand[i]))
        for i in range(1, len(inst.xy))
    ]
    return Problem(techs, orders, matrix)


def check(inst: Instance, routes: list[list[int]]) -> tuple[bool, float, str]:
    """(feasible, distance, why) for routes of customer numbers, in double precision."""
    seen = sorted(c for r in routes for c in r)
    if seen != list(range(1, len(inst.xy))):
        return False, math.nan, "customers not visited exactly once"
    dist, total = inst.dist, 0.0
    for r in routes:
        if sum(inst.demand[c] for c in r) > inst.capacity:
            return False, math.nan, "capacity"
        t, prev = inst.ready[0], 0
        for c in r + [0]:
            total += dist[prev, c]
            t = max(t + dist[prev, c], inst.ready[c])
            if t > inst.due[c] + 1e-9:
                return False, math.nan, f"late at {c}"
            t, prev = t + inst.service[c], c
    if len([r for r in routes if r]) > inst.vehicles:
        return False, math.nan, "too many vehicles"
    return True, total, ""


def read_bks(path: Path) -> dict[str, float]:
    """Best known distances: double-precision rows first, DIMACS rows, then ``bks.csv``."""
    best: dict[str, tuple[int, float]] = {}
    rank = {"double": 0, "DIMACS": 1}
    files = [Path(path), Path(path).with_name("bks.csv")]
    for k, f in enumerate(files):
        if not f.exists():
            continue
        for row in csv.DictReader(f.open()):
            conv = row.get("convention", "")
            r = rank.get(conv.split("-")[0].split(":")[0], 2) + 3 * k
            if row["instance"] not in best or r < best[row["instance"]][0]:
                best[row["instance"]] = (r, float(row["distance"]))
    return {name: d for name, (_, d) in best.items()}
