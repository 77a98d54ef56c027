"""What the console may see of tracking: a dispatcher's regions, their technicians' live
positions, and the replay of a technician's track."""

from datetime import datetime

from sqlalchemy import func, select, text

from backend.extensions import db
from backend.models import Technician, TechnicianEvent, TechnicianRegion, User
from backend.places.tree import managed_region_ids
from backend.tracking import ingest as tracking
from backend.workforce.eligibility import online_technician_ids
from geo.tracks import replay_feature


def visible_technician_ids(actor) -> set[int] | None:
    """Technicians a console user may watch: None means all (platform admin)."""
    if actor.role == "platform_admin":
        return None
    regions = managed_region_ids(actor.user_id)
    if not regions:
        return set()
    rows = db.session.scalars(
        select(TechnicianRegion.technician_id).where(
            TechnicianRegion.region_id.in_(regions), TechnicianRegion.state == "active"
        )
    )
    return set(rows)


def may_watch(actor, technician_id: int) -> bool:
    visible = visible_technician_ids(actor)
    exists = db.session.get(Technician, technician_id) is not None
    return exists and (visible is None or technician_id in visible)


def live_view(actor) -> list[dict]:
    """Every visible technician with a live position: name, status, online, regions, position."""
    visible = visible_technician_ids(actor)
    positions = tracking.live_positions(None if visible is None else sorted(visible))
    if not positions:
        return []
    names = dict(
        db.session.execute(
            select(Technician.id, User.name)
            .join(User, User.id == Technician.user_id)
            .where(Technician.id.in_(positions))
        ).all()
    )
    online = set(online_technician_ids())
    return [
        {"technician_id": tid, "name": names.get(tid), "online": tid in online, **position}
        for tid, position in sorted(positions.items())
        if tid in names
    ]


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


def replay(technician_id: int, start: datetime, end: datetime, tolerance_m: float) -> dict:
    """A GeoJSON Feature (LineString, simplified, with per-vertex times), events and flag counts."""
    points = track_points(technician_id, start, end)
    feature = replay_feature(points, tolerance_m) if points else _empty_feature()
    feature["properties"].update(
        technician_id=technician_id,
        start=start.isoformat(),
        end=end.isoformat(),
        events=events_between(technician_id, start, end),
        flagged=flag_counts(technician_id, start, end),
    )
    return feature


def _empty_feature() -> dict:
    properties = {"times": [], "distance_m": 0.0, "duration_s": 0.0, "points": 0, "vertices": 0}
    return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": []}, "properties": properties}


def persisted_count() -> int:
    """All stored fixes (benchmarks count what reached PostGIS)."""
    return db.session.scalar(select(func.count()).select_from(text("track_points")))
