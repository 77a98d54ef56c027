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
        name=Path(path).stem,
        vehicles=vehicles,
        capacity=capacity,
        xy=rows[:, 1:3],
        demand=rows[:, 3].astype(int),
        ready=rows[:, 4],
        due=rows[:, 5],
        service=rows[:, 6],
    )


def _find(lines: list[str], prefix: str) -> str:
    return next(line for line in lines if line.strip().startswith(prefix))


def to_problem(inst: Instance) -> Problem:
    """The instance as a dispatch Problem: vehicles = technicians, customers = orders."""
    d = inst.dist * SCALE
    matrix = TravelMatrix(seconds=np.ceil(d).astype(np.int64).tolist(), meters=np.rint(d).astype(np.int64).tolist())
    techs = [
        Technician(
            id=f"v{k}",
            start=0,
            end=0,
            shift_start=int(inst.ready[0] * SCALE),
            shift_end=int(inst.due[0] * SCALE),
            capacity=inst.capacity,
        )
        for k in range(inst.vehicles)
    ]
    orders = [
        Order(
            id=str(i),
            location=i,
            service_seconds=int(inst.service[i] * SCALE),
            windows=(TimeWindow(int(inst.ready[i] * SCALE), int(inst.due[i] * SCALE)),),
            demand=int(inst.demand[i]),
        )
        for i in range(1, len(inst.xy))
    ]
    return Problem(techs, orders, matrix, points=[tuple(p) for p in inst.xy.tolist()])


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
        for c in [*r, 0]:
            total += dist[prev, c]
            t = max(t + dist[prev, c], inst.ready[c])
            if t > inst.due[c] + 1e-9:
                return False, math.nan, f"late at {c}"
            t, prev = t + inst.service[c], c
    if len([r for r in routes if r]) > inst.vehicles:
        return False, math.nan, "too many vehicles"
    return True, total, ""


def read_bks(path: Path) -> dict[str, tuple[float, str]]:
    """Best known distance and its convention per instance.

    The double-precision distance-only row when there is one, else the DIMACS row, else
    ``bks.csv``. Truncating arcs never lengthens a route, so a double-precision optimum
    cannot be below the DIMACS one; where a double row is (R109, RC103 in this data set),
    it cannot be a feasible solution's length, and the DIMACS row is used instead.
    """
    rows: dict[str, dict[str, float]] = {}
    for f, default in ((Path(path), ""), (Path(path).with_name("bks.csv"), "hierarchical")):
        if f.exists():
            for row in csv.DictReader(f.open()):
                conv = (row.get("convention") or default).split()[0].rstrip(":;")
                rows.setdefault(row["instance"], {}).setdefault(conv, float(row["distance"]))
    return {name: _pick(conv) for name, conv in rows.items()}


def _pick(conv: dict[str, float]) -> tuple[float, str]:
    double, dimacs = conv.get("double-precision"), conv.get("DIMACS")
    if double is not None and (dimacs is None or double >= dimacs):
        return double, "double"
    if dimacs is not None:
        return dimacs, "dimacs" if double is None else "dimacs (double row below the DIMACS optimum)"
    return conv["hierarchical"], "hierarchical"
