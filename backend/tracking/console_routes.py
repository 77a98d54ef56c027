"""Console tracking: live positions of the technicians a dispatcher may watch, a technician's
track replay, and which regions each dispatcher manages."""

from sqlalchemy import delete, select

from backend.accounts.auth import current_actor, requires
from backend.blueprints import console
from backend.errors import NotFound, fail, field_error
from backend.extensions import db
from backend.models import DispatcherRegion, Region, User
from backend.tracking import views
from backend.tracking.schemas import (
    DispatcherRegionsIn,
    DispatcherRegionsOut,
    LiveOut,
    NearestOut,
    NearestQuery,
    ReplayOut,
    ReplayQuery,
)
from geo.coords import to_wgs84

SECURITY = [{"BearerAuth": []}]
TAGS = ["console: tracking"]
MAX_REPLAY_DAYS = 7


@console.get("/tracking/live")
@requires("technicians:read")
@console.output(LiveOut)
@console.doc(summary="Live positions of the technicians I may watch", tags=TAGS, security=SECURITY)
def live_positions():
    """Newest valid fix, status and online flag of each technician in my regions (all, for admins)."""
    return {"items": views.live_view(current_actor())}


@console.get("/tracking/nearest")
@requires("technicians:read")
@console.input(NearestQuery, location="query", arg_name="query")
@console.output(NearestOut)
@console.doc(summary="The technicians I may watch nearest to a point", tags=TAGS, security=SECURITY)
def nearest_technicians(query):
    """Technicians in my regions (all, for admins) whose newest valid fix lies within radius_m of
    the point, nearest first, with their distance in metres."""
    lon, lat = to_wgs84(query["lon"], query["lat"], query["coord_sys"])
    return {"items": views.nearest_view(current_actor(), lon, lat, query["radius_m"], query["limit"])}


@console.get("/technicians/<int:technician_id>/track")
@requires("technicians:read")
@console.input(ReplayQuery, location="query", arg_name="query")
@console.output(ReplayOut)
@console.doc(summary="Replay a technician's track: GeoJSON LineString with times", tags=TAGS, security=SECURITY)
def replay_track(technician_id, query):
    """The valid fixes in [start, end] as a simplified LineString with per-vertex times, events and flags."""
    if not views.may_watch(current_actor(), technician_id):
        raise NotFound("technician")
    start, end = query["start"], query["end"]
    if start.tzinfo is None or end.tzinfo is None:
        fail(422, "times need an offset", errors=[field_error("start", "use ISO 8601 with an offset", "query")])
    if not start < end or (end - start).days >= MAX_REPLAY_DAYS:
        fail(422, "bad range", errors=[field_error("end", f"after start, within {MAX_REPLAY_DAYS} days", "query")])
    return views.replay(technician_id, start, end, query["tolerance_m"])


def _dispatcher_or_404(user_id):
    user = db.session.get(User, user_id)
    if user is None or user.role != "dispatcher":
        raise NotFound("dispatcher")
    return user


@console.get("/dispatchers/<int:user_id>/regions")
@requires("platform:manage")
@console.output(DispatcherRegionsOut)
@console.doc(summary="Regions a dispatcher manages", tags=TAGS, security=SECURITY)
def dispatcher_regions(user_id):
    """The regions assigned to a dispatcher (they watch these and everything inside)."""
    _dispatcher_or_404(user_id)
    ids = db.session.scalars(select(DispatcherRegion.region_id).where(DispatcherRegion.user_id == user_id))
    return {"user_id": user_id, "region_ids": sorted(ids)}


@console.put("/dispatchers/<int:user_id>/regions")
@requires("platform:manage")
@console.input(DispatcherRegionsIn, arg_name="body")
@console.output(DispatcherRegionsOut)
@console.doc(summary="Set the regions a dispatcher manages (platform admin)", tags=TAGS, security=SECURITY)
def set_dispatcher_regions(user_id, body):
    """Replace a dispatcher's regions; consoles pick the change up at their next connect."""
    _dispatcher_or_404(user_id)
    wanted = sorted(set(body["region_ids"]))
    found = set(db.session.scalars(select(Region.id).where(Region.id.in_(wanted))))
    missing = [r for r in wanted if r not in found]
    if missing:
        fail(422, "unknown regions", errors=[field_error("region_ids", f"no such region: {missing}")])
    db.session.execute(delete(DispatcherRegion).where(DispatcherRegion.user_id == user_id))
    actor = current_actor().user_id
    db.session.add_all(DispatcherRegion(user_id=user_id, region_id=r, assigned_by_id=actor) for r in wanted)
    db.session.commit()
    return {"user_id": user_id, "region_ids": wanted}
