"""The answer, as plain data read out of the solver right after solving."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stop:
    """One visit. Times are seconds from the problem's origin.

    ``arrival`` is reaching the site, ``start``/``end`` bound the service (``start`` is the
    ETA the technician is given; ``wait`` = start - arrival). ``slack`` is how much later
    service could start and still be inside its window; ``lateness`` is how far ``end``
    passes the SLA deadline (0 when on time or no SLA).
    """

    order_id: str
    arrival: int
    start: int
    end: int
    wait: int
    slack: int
    lateness: int
    travel_seconds: int
    travel_meters: int


@dataclass(frozen=True)
class Route:
    """A technician's day: leave at ``start``, visit ``stops`` in order, finish at ``end``."""

    technician_id: str
    stops: tuple[Stop, ...]
    start: int
    end: int
    travel_seconds: int
    travel_meters: int

    @property
    def order_ids(self) -> list[str]:
        """The visited orders, in route order."""
        return [s.order_id for s in self.stops]


REASONS = (
    "no_eligible_technician",
    "window_unreachable",
    "shift_too_short",
    "load_limit",
    "dropped_for_priority",
)


@dataclass(frozen=True)
class Unassigned:
    """An order left out, with the first of :data:`REASONS` that the data supports."""

    order_id: str
    reason: str
    detail: str


@dataclass(frozen=True)
class Plan:
    """Routes (one per technician, possibly empty), unassigned orders, and search facts."""

    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    objective: int
    status: str
    seconds: float
    search_workers: int = 1  # processes the search ran on (one when forking was not safe)

    def route(self, technician_id: str) -> Route:
        """The route of one technician."""
        return next(r for r in self.routes if r.technician_id == technician_id)

    @property
    def assignments(self) -> dict[str, str]:
        """order id -> technician id for every served order."""
        return {s.order_id: r.technician_id for r in self.routes for s in r.stops}

    @property
    def travel_seconds(self) -> int:
        """Total travel of all routes."""
        return sum(r.travel_seconds for r in self.routes)

    @property
    def travel_meters(self) -> int:
        """Total distance of all routes."""
        return sum(r.travel_meters for r in self.routes)
