"""What the console may see of tracking: a dispatcher's regions, their technicians' live
positions, and the replay of a technician's track."""

from datetime import datetime

from sqlalchemy import func, select, text

from backend.extensions import db
from backend.models import Technician, TechnicianEvent, User
from backend.tracking.positions import live_positions, nearest
from backend.tracking.presence import online_technician_ids
from backend.workforce.scoping import managed_technician_ids, manages
from geo.tracks import replay_feature


def visible_technician_ids(actor) -> set[int] | None:
    """Technicians a console user may watch: None means all (platform admin)."""
    return managed_technician_ids(actor)


def may_watch(actor, technician_id: int) -> bool:
    return manages(actor, technician_id)


def live_view(actor) -> list[dict]:
    """Every visible technician with a live position: name, status, online, regions, position."""
    visible = visible_technician_ids(actor)
    found = live_positions(None if visible is None else sorted(visible))
    return [row for _tid, row in sorted(_described(found).items())]


def nearest_view(actor, lon: float, lat: float, radius_m: float, limit: int) -> list[dict]:
    """The visible technicians whose newest valid fix is within radius_m, nearest first, with
    `distance_m` and what the live view shows of each."""
    visible = visible_technician_ids(actor)
    found = nearest(lon, lat, radius_m, count=limit if visible is None else None)
    found = [(tid, metres) for tid, metres in found if visible is None or tid in visible][:limit]
    rows = _described(live_positions([tid for tid, _ in found]))
    return [{**rows[tid], "distance_m": round(metres, 1)} for tid, metres in found if tid in rows]


def _described(found: dict[int, dict]) -> dict[int, dict]:
    """{technician id: name, online and live position} for the live positions given."""
    if not found:
        return {}
    names = dict(
        db.session.execute(
            select(Technician.id, User.name).join(User, User.id == Technician.user_id).where(Technician.id.in_(found))
        ).all()
    )
    online = set(online_technician_ids())
    return {
        tid: {"technician_id": tid, "name": names.get(tid), "online": tid in online, **position}
        for tid, position in found.items()
        if tid in names
    }


def track_points(technician_id: int, start: datetime, end: datetime) -> list[tuple[float, float, float]]:
    """Valid fixes in [start, end], as (lon, lat, epoch seconds) in time order."""
    rows = db.session.execute(
        text(
            "SELECT ST_X(geom), ST_Y(geom), extract(epoch FROM t) FROM track_points "
            "WHERE technician_id = :tid AND t BETWEEN :start AND :end AND flag IS NULL ORDER BY t"
        ),
        {"tid": technician_id, "start": start, "end": end},
    )
    return [(float(x), float(y), float(t)) for x, y, t in rows]


def flag_counts(technician_id: int, start: datetime, end: datetime) -> dict[str, int]:
    rows = db.session.execute(
        text(
            "SELECT flag, count(*) FROM track_points WHERE technician_id = :tid AND t BETWEEN :start AND :end "
            "AND flag IS NOT NULL GROUP BY flag"
        ),
        {"tid": technician_id, "start": start, "end": end},
    )
    return dict(rows.all())


def events_between(technician_id: int, start: datetime, end: datetime) -> list[dict]:
    """Status changes (en route, on site, ...) with where they happened."""
    rows = db.session.scalars(
        select(TechnicianEvent)
        .where(TechnicianEvent.technician_id == technician_id, TechnicianEvent.at.between(start, end))
        .order_by(TechnicianEvent.at, TechnicianEvent.id)
    )
    return [{"kind": e.kind, "value": e.value, "t": e.at.timestamp(), "lon": e.lon, "lat": e.lat} for e in rows]


def track_feature(technician_id: int, start: datetime, end: datetime, tolerance_m: float) -> dict:
    """The valid fixes in [start, end] and nothing else, as a GeoJSON Feature (LineString,
    simplified, with per-vertex times). The console's replay and a client's order replay both
    draw from here; each adds what its audience may see."""
    points = track_points(technician_id, start, end)
    return replay_feature(points, tolerance_m) if points else empty_feature()


def track_feature_within(technician_id: int, spans: list[tuple[datetime, datetime]], tolerance_m: float) -> dict:
    """track_feature over several [start, end] spans (in time order) as one line: nothing outside
    them is read."""
    points = [p for start, end in spans for p in track_points(technician_id, start, end)]
    return replay_feature(points, tolerance_m) if points else empty_feature()


def replay(technician_id: int, start: datetime, end: datetime, tolerance_m: float) -> dict:
    """A GeoJSON Feature (LineString, simplified, with per-vertex times), events and flag counts."""
    feature = track_feature(technician_id, start, end, tolerance_m)
    feature["properties"].update(
        technician_id=technician_id,
        start=start.isoformat(),
        end=end.isoformat(),
        events=events_between(technician_id, start, end),
        flagged=flag_counts(technician_id, start, end),
    )
    return feature


def empty_feature() -> dict:
    properties = {"times": [], "distance_m": 0.0, "duration_s": 0.0, "points": 0, "vertices": 0}
    return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": []}, "properties": properties}


def persisted_count() -> int:
    """All stored fixes (benchmarks count what reached PostGIS)."""
    return db.session.scalar(select(func.count()).select_from(text("track_points")))
