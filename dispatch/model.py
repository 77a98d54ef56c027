"""The dispatch problem as plain data: technicians, orders, and travel between places.

Times are whole seconds from the problem's origin (for example local midnight of the
planning day, or "now" when re-planning); convert datetimes at the edge. Locations are
indices into ``Problem.matrix``; :meth:`Problem.from_coords` builds that matrix from
``(lon, lat)`` points through any :class:`geo.travel.MatrixProvider`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from geo.travel import MatrixProvider, Point, TravelMatrix

Location = int | Point
DAY = 86_400


class Priority(StrEnum):
    """How much an order matters; drop penalties and lateness costs follow it."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


@dataclass(frozen=True)
class TimeWindow:
    """Service may start at any second in ``[start, end]``."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"time window ends before it starts: {self}")


@dataclass(frozen=True)
class Technician:
    """One technician's shift and abilities.

    ``end`` is the place the shift must finish (home or depot); ``None`` means the shift
    ends wherever the last order is. ``max_orders`` caps the number of stops,
    ``max_work_seconds`` caps the route's span (leaving ``start`` to finishing the day),
    ``capacity`` caps the summed ``Order.demand`` (materials, parts in the van).
    """

    id: str
    start: Location
    shift_start: int = 0
    shift_end: int = DAY
    end: Location | None = None
    role: str | None = None
    skills: Mapping[str, int] = field(default_factory=dict)
    regions: frozenset[str] = frozenset()
    max_orders: int | None = None
    max_work_seconds: int | None = None
    capacity: int | None = None


@dataclass(frozen=True)
class Order:
    """One work order at a site.

    ``windows`` bound the start of service (several allowed; none means any time in the
    shift). ``sla_deadline`` is when the work should be finished: missing it costs by
    priority but is allowed. ``pinned_to`` keeps an accepted / en-route / on-site order
    with its technician, and ``pinned_seq`` orders the pinned stops of one technician;
    other orders may still go between them. Work already under way is best modelled as
    the technician's state instead: start at that site, with ``shift_start`` = when it
    will be done.
    """

    id: str
    location: Location
    service_seconds: int = 0
    windows: tuple[TimeWindow, ...] = ()
    sla_deadline: int | None = None
    priority: Priority = Priority.NORMAL
    role: str | None = None
    skills: Mapping[str, int] = field(default_factory=dict)
    region: str | None = None
    pinned_to: str | None = None
    pinned_seq: int | None = None
    demand: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "priority", Priority(self.priority))
        object.__setattr__(self, "windows", tuple(sorted(self.windows, key=lambda w: w.start)))


@dataclass(frozen=True)
class Problem:
    """Technicians, orders and the travel matrix their locations index into.

    ``points`` optionally gives the coordinates of each matrix index (some heuristics,
    like PyVRP's SWAP*, use geometry); :meth:`from_coords` fills it in.
    """

    technicians: Sequence[Technician]
    orders: Sequence[Order]
    matrix: TravelMatrix
    points: Sequence[Point] | None = None

    def __post_init__(self) -> None:
        _check_unique([t.id for t in self.technicians], "technician")
        _check_unique([o.id for o in self.orders], "order")

    @classmethod
    def from_coords(
        cls,
        technicians: Sequence[Technician],
        orders: Sequence[Order],
        provider: MatrixProvider,
        depart_at: datetime | None = None,
    ) -> Problem:
        """Build a problem whose locations are ``(lon, lat)`` points, asking ``provider``."""
        points: dict[Point, int] = {}

        def index(loc: Location | None) -> int | None:
            if loc is None or isinstance(loc, int):
                return loc
            return points.setdefault(tuple(loc), len(points))

        techs = [replace(t, start=index(t.start), end=index(t.end)) for t in technicians]
        ords = [replace(o, location=index(o.location)) for o in orders]
        return with_rush_hours(cls(techs, ords, provider.matrix(list(points), depart_at), list(points)))

    def technician(self, tech_id: str) -> Technician:
        """The technician with this id."""
        return next(t for t in self.technicians if t.id == tech_id)


def with_rush_hours(problem: Problem) -> Problem:
    """The problem with time-dependent travel folded into a plain matrix the solvers can use.

    OR-Tools (and VROOM, PyVRP) take one travel time per pair of places, not one per time of
    day. The approximation: a trip takes the time of its *departure band*, and the band of
    each stop is fixed before solving: a technician leaves home at the start of the shift,
    and leaves an order when its service would end if it started as its first window opens
    (or as the earliest shift starts, without windows). Every order and every technician's
    start becomes a place of its own whose row of ``seconds`` is scaled by that band's
    factor (:meth:`geo.travel.TravelMatrix.factor_at`); arrivals (columns) are unchanged.
    Late visits to wide-window orders are thus priced at the band their window opens in.
    A matrix without ``hour_factors`` returns the problem unchanged.
    """
    mx = problem.matrix
    if mx.hour_factors is None:
        return problem
    import numpy as np

    day_start = min((t.shift_start for t in problem.technicians), default=0)
    leave = [(o.windows[0].start if o.windows else day_start) + o.service_seconds for o in problem.orders]
    leave += [t.shift_start for t in problem.technicians]
    places = [o.location for o in problem.orders] + [t.start for t in problem.technicians]
    ends = sorted({t.end for t in problem.technicians if t.end is not None})
    factors = [mx.factor_at(t) for t in leave] + [1.0] * len(ends)
    idx = np.asarray(places + ends, dtype=np.int64)
    seconds = np.asarray(mx.seconds, dtype=np.int64)[np.ix_(idx, idx)]
    seconds = np.rint(seconds * np.asarray(factors)[:, None]).astype(np.int64)
    meters = np.asarray(mx.meters, dtype=np.int64)[np.ix_(idx, idx)]
    n, v = len(problem.orders), len(problem.technicians)
    end_at = {p: n + v + k for k, p in enumerate(ends)}
    techs = [
        replace(t, start=n + k, end=None if t.end is None else end_at[t.end]) for k, t in enumerate(problem.technicians)
    ]
    orders = [replace(o, location=i) for i, o in enumerate(problem.orders)]
    points = None if problem.points is None else [problem.points[p] for p in idx]
    return Problem(techs, orders, TravelMatrix(seconds.tolist(), meters.tolist()), points)


def _check_unique(ids: list[str], what: str) -> None:
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate {what} ids")


def eligible(tech: Technician, order: Order) -> bool:
    """Whether ``tech`` may do ``order``: pin, role, skill levels and region all fit."""
    if order.pinned_to is not None:
        return order.pinned_to == tech.id
    if order.role is not None and order.role != tech.role:
        return False
    if any(tech.skills.get(name, 0) < level for name, level in order.skills.items()):
        return False
    return order.region is None or order.region in tech.regions
