"""Travel-time matrices: one interface, a straight-line default and an OSRM provider.

Points are ``(lon, lat)`` tuples in WGS-84. Every provider returns a :class:`TravelMatrix`
of whole seconds and whole metres, ``matrix[i][j]`` being the trip from point ``i`` to
point ``j``. The solver only ever sees integers, so rounding happens here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np
import requests

Point = tuple[float, float]

EARTH_RADIUS_M = 6_371_008.8
# Stands in for "no road between these points" (OSRM returns null there): about 115 days,
# large enough that no route uses it, small enough to keep sums inside int64.
UNREACHABLE = 10_000_000


class TravelMatrixError(RuntimeError):
    """A provider could not produce a matrix (bad answer, non-"Ok" code, transport error)."""


@dataclass(frozen=True)
class TravelMatrix:
    """Pairwise travel: ``seconds[i][j]`` and ``meters[i][j]`` from point i to point j.

    Time-dependent travel (rush hours): ``hour_factors`` multiplies ``seconds`` by the local
    hour of departure (24 factors, 1.0 = as in ``seconds``), and ``origin_second_of_day`` is
    the local time of day of second 0 of the problem (e.g. 0 when times count from local
    midnight). None: the same trip takes the same time all day.
    """

    seconds: list[list[int]]
    meters: list[list[int]]
    hour_factors: tuple[float, ...] | None = None
    origin_second_of_day: int = 0

    def __len__(self) -> int:
        return len(self.seconds)

    def factor_at(self, t: int) -> float:
        """How much longer than ``seconds`` a trip leaving at problem second ``t`` takes."""
        if self.hour_factors is None:
            return 1.0
        return self.hour_factors[((self.origin_second_of_day + t) // 3600) % 24]


class MatrixProvider(Protocol):
    """Anything that turns points into a travel matrix."""

    def matrix(self, points: Sequence[Point], depart_at: datetime | None = None) -> TravelMatrix:
        """Travel between every pair of ``points``, leaving at ``depart_at`` (local time)."""
        ...


# Default urban profile, km/h by local hour of day. Free-flowing at night, slowest in the
# morning (7-9h) and evening (17-19h) rush, moderate in between; figures in the range
# of published congestion indices for large Chinese cities (~20 km/h at peak).
# fmt: off
_URBAN_KMH = (
    40, 42, 42, 42, 40, 36,  # 00-05: night
    30, 20, 18, 22, 27, 28,  # 06-11: morning rush at 7-9
    26, 27, 27, 26, 24, 18,  # 12-17: evening rush builds from 16
    17, 22, 27, 31, 34, 37,  # 18-23
)
# fmt: on


@dataclass(frozen=True)
class SpeedProfile:
    """Average door-to-door speed (km/h) for each of the 24 hours of the day."""

    kmh_by_hour: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.kmh_by_hour) != 24 or min(self.kmh_by_hour) <= 0:
            raise ValueError("kmh_by_hour needs 24 positive speeds")

    @classmethod
    def default(cls) -> SpeedProfile:
        """The urban profile above: 17-18 km/h at rush hours, about 27 midday, 40+ at night."""
        return cls(tuple(float(v) for v in _URBAN_KMH))

    @classmethod
    def constant(cls, kmh: float) -> SpeedProfile:
        """The same speed all day (useful in tests and benchmarks)."""
        return cls((float(kmh),) * 24)

    def kmh_at(self, depart_at: datetime | None) -> float:
        """Speed at ``depart_at``'s hour; the 24-hour mean when no time is given."""
        if depart_at is None:
            return sum(self.kmh_by_hour) / 24
        return self.kmh_by_hour[depart_at.hour]


def great_circle_m(points: Sequence[Point]) -> np.ndarray:
    """All-pairs haversine distances in metres, as an n x n float array."""
    pts = np.radians(np.asarray(points, dtype=float).reshape(-1, 2))
    lon, lat = pts[:, 0], pts[:, 1]
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass(frozen=True)
class StraightLineProvider:
    """Great-circle distance x ``detour_factor``, driven at the profile's speed.

    ``seconds`` are at the speed of ``depart_at``'s hour. With ``rush_hours`` the matrix also
    carries the profile as ``hour_factors`` (speed at ``depart_at``'s hour / speed at the hour
    of departure), with ``depart_at`` as second 0 of the problem, so a trip leaving at 08:30
    takes longer than the same trip at 14:00 (see :func:`dispatch.model.with_rush_hours`).
    """

    detour_factor: float = 1.3
    profile: SpeedProfile = field(default_factory=SpeedProfile.default)
    rush_hours: bool = False

    def matrix(self, points: Sequence[Point], depart_at: datetime | None = None) -> TravelMatrix:
        """Travel between every pair of ``points`` leaving at ``depart_at``'s hour."""
        meters = great_circle_m(points) * self.detour_factor
        kmh = self.profile.kmh_at(depart_at)
        seconds = meters / (kmh / 3.6)
        factors, origin = None, 0
        if self.rush_hours and depart_at is not None:
            factors = tuple(kmh / v for v in self.profile.kmh_by_hour)
            origin = depart_at.hour * 3600 + depart_at.minute * 60 + depart_at.second
        return TravelMatrix(
            seconds=np.rint(seconds).astype(np.int64).tolist(),
            meters=np.rint(meters).astype(np.int64).tolist(),
            hour_factors=factors,
            origin_second_of_day=origin,
        )


@dataclass(frozen=True)
class OsrmProvider:
    """Road-network travel from an OSRM-compatible ``/table`` service.

    Large tables are fetched in ``block`` x ``block`` pieces (OSRM's ``--max-table-size``
    defaults to 100). OSRM has no time dependence, so ``depart_at`` is ignored.
    """

    base_url: str
    profile: str = "driving"
    timeout: float = 30.0
    block: int = 100

    def matrix(self, points: Sequence[Point], depart_at: datetime | None = None) -> TravelMatrix:
        """Travel between every pair of ``points``, assembled block by block."""
        n = len(points)
        seconds = np.zeros((n, n), dtype=np.int64)
        meters = np.zeros((n, n), dtype=np.int64)
        with requests.Session() as session:
            for src in _blocks(n, self.block):
                for dst in _blocks(n, self.block):
                    dur, dist = self._table(session, points, src, dst)
                    seconds[src.start : src.stop, dst.start : dst.stop] = dur
                    meters[src.start : src.stop, dst.start : dst.stop] = dist
        return TravelMatrix(seconds=seconds.tolist(), meters=meters.tolist())

    def _table(self, session: requests.Session, points, src: range, dst: range):
        """One ``/table`` request for the sources ``src`` and destinations ``dst``."""
        # Send each point once: the union of both blocks, sources first.
        idx = list(src) + [j for j in dst if j not in src]
        pos = {p: k for k, p in enumerate(idx)}
        coords = ";".join(f"{points[p][0]:.6f},{points[p][1]:.6f}" for p in idx)
        # Built by hand: OSRM wants ';' and ',' literally, not percent-encoded.
        query = (
            f"sources={';'.join(str(pos[i]) for i in src)}"
            f"&destinations={';'.join(str(pos[j]) for j in dst)}&annotations=duration,distance"
        )
        url = f"{self.base_url.rstrip('/')}/table/v1/{self.profile}/{coords}?{query}"
        body = _get_json(session, url, self.timeout)
        return _as_ints(body, "durations"), _as_ints(body, "distances")


def _blocks(n: int, size: int) -> list[range]:
    return [range(s, min(s + size, n)) for s in range(0, n, size)]


def _get_json(session: requests.Session, url: str, timeout: float) -> dict:
    """GET and decode; OSRM reports errors as JSON with a non-"Ok" ``code``, even on 4xx."""
    try:
        resp = session.get(url, timeout=timeout)
        body = resp.json()
    except (requests.RequestException, ValueError) as exc:
        raise TravelMatrixError(f"OSRM table request failed: {exc}") from exc
    if body.get("code") != "Ok":
        raise TravelMatrixError(f"OSRM table answered code={body.get('code')!r}: {body.get('message', '')}")
    return body


def _as_ints(body: dict, key: str) -> np.ndarray:
    """A table annotation as rounded ints; null (no route) becomes :data:`UNREACHABLE`."""
    if key not in body:
        raise TravelMatrixError(f"OSRM answer lacks {key!r}; is annotations= supported?")
    rows = [[UNREACHABLE if v is None else v for v in row] for row in body[key]]
    return np.rint(np.asarray(rows, dtype=float)).astype(np.int64)
