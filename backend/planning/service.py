"""Route planning for a region: create, cancel and publish plans; build a dispatch.Problem from
rows and store the solver's Plan; find the regions whose published plan events have overtaken
(re-planning).

The solver stays pure (dispatch/); this module is the adapter. Technicians start from their live
position (tracking.positions) or their first region's centre; presence comes from
tracking.presence and skills through workforce's one validity rule. Times in the problem are
seconds from the plan's origin (the moment the job starts); coordinates are WGS-84. Nothing here
commits: the request or the planning job (planning/jobs.py) owns the transaction.
"""

from datetime import UTC, datetime, timedelta

from geoalchemy2.shape import from_shape
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from shapely.geometry import LineString
from sqlalchemy import func, select

import dispatch
from backend.accounts.actor import Actor
from backend.errors import Conflict, DomainError, NotFound, PlainProblem, field_error
from backend.extensions import db
from backend.models import (
    Order,
    PlanRoute,
    PlanStop,
    PlanUnassigned,
    Region,
    Role,
    RoutePlan,
    Skill,
    Technician,
    TechnicianProfile,
    TechnicianRegion,
    TechnicianSkill,
    User,
)
from backend.orders.assign import assign_order
from backend.orders.notify import after_commit
from backend.orders.search import region_scope
from backend.orders.service import order_point
from backend.places.tree import region_ancestor_ids, region_descendant_ids
from backend.realtime import emit_to_regions, external_emitter
from backend.redis_client import get_redis
from backend.tracking.positions import lon_lats
from backend.tracking.presence import offline_technician_ids
from backend.workforce.eligibility import skill_valid_on
from geo.travel import StraightLineProvider

OPEN_STATES = ("published", "offered")
# Work a technician already holds stays with them, in this order of progress.
PINNED_STATES = ("on_site", "en_route", "accepted", "assigned")


# --- a plan's life: create, report, cancel, publish ------------------------------------------------


def visible_plans(actor: Actor):
    """A select of the plans of the regions the actor manages (all for platform admins)."""
    regions = region_scope(actor)
    stmt = select(RoutePlan)
    return stmt if regions is None else stmt.where(RoutePlan.region_id.in_(regions))


def create_plan(actor: Actor, body: dict) -> RoutePlan:
    """A queued plan for a region the actor manages (the caller commits, then enqueues its job)."""
    regions = region_scope(actor)
    if db.session.get(Region, body["region_id"]) is None or (regions is not None and body["region_id"] not in regions):
        raise NotFound("region")
    previous_id = body["previous_plan_id"]
    previous = previous_id and db.session.get(RoutePlan, previous_id)
    if previous_id and (previous is None or previous.region_id != body["region_id"]):
        raise PlainProblem(
            "re-plan from a plan of the same region", errors=[field_error("previous_plan_id", "no such plan here")]
        )
    plan = RoutePlan(**body, status="queued", stats={}, created_by_id=actor.user_id)
    db.session.add(plan)
    db.session.flush()
    return plan


def note_stage(plan: RoutePlan, stage: str):
    """Save the plan's stage; its region's consoles hear of it once the transaction commits."""
    plan.stage = stage
    payload = {
        "plan_id": plan.id,
        "region_id": plan.region_id,
        "status": plan.status,
        "stage": stage,
        "stats": plan.stats or {},
    }
    after_commit(_tell_consoles, payload)


def _tell_consoles(payload):
    emit_to_regions("plan_progress", payload, [payload["region_id"]], external_emitter())


def cancel_plan(plan: RoutePlan) -> RoutePlan:
    """Cancel a queued plan, or stop the solver of a running one (once this is committed)."""
    if plan.status not in ("queued", "running"):
        raise Conflict(f"a {plan.status} plan cannot be cancelled", allowed=[])
    plan.status, plan.finished_at = "cancelled", now_utc()
    note_stage(plan, "cancelled")
    after_commit(_stop_job, plan.rq_job_id)
    return plan


def _stop_job(job_id):
    # After the commit: a job finishing meanwhile sees the cancelled row and stores nothing.
    if not job_id:
        return
    redis = get_redis()
    try:
        job = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        return
    if job.get_status() == "started":
        try:
            send_stop_job_command(redis, job_id)
        except InvalidJobOperation:
            pass  # it finished in between
    else:
        job.cancel()


def publish_plan(plan: RoutePlan, actor: Actor) -> tuple[list[dict], list[dict]]:
    """Assign each planned stop to its technician through the order lifecycle; each is told.
    Returns (published, skipped): an order taken or no longer possible is skipped, with why."""
    if plan.status != "solved":
        raise Conflict(f"only a solved plan can be published; this one is {plan.status}")
    published, skipped = [], []
    for route in plan.routes:
        for stop in route.stops:
            if not stop.pinned:
                _publish_stop(stop.order_id, route.technician_id, ("user", actor.user_id), published, skipped)
    plan.status, plan.published_by_id = "published", actor.user_id
    note_stage(plan, f"published: {len(published)} assigned, {len(skipped)} skipped")
    return published, skipped


def _publish_stop(order_id, technician_id, actor, published, skipped):
    # Each assignment in its own savepoint: a business refusal skips the stop; a database
    # error is not a business answer and fails the whole request.
    status = db.session.scalar(select(Order.status).where(Order.id == order_id).with_for_update())
    if status not in OPEN_STATES:
        skipped.append({"order_id": order_id, "reason": f"order is {status} now"})
        return
    savepoint = db.session.begin_nested()
    try:
        assign_order(order_id, technician_id, actor)
    except DomainError as exc:  # ineligible, at capacity, changed meanwhile
        savepoint.rollback()
        skipped.append({"order_id": order_id, "reason": exc.detail})
        return
    savepoint.commit()
    published.append({"order_id": order_id, "technician_id": technician_id})


def planning_params(n_orders: int, n_technicians: int, plan: RoutePlan) -> dispatch.Params:
    """How a plan searches: `dispatch.production_params` of the day's size, the plan's policy
    and time limit, on this worker's cores. The one source of planning parameters: the planning
    and re-planning jobs call it, and `bench/city_day.py --production` calls the same function."""
    return dispatch.production_params(
        n_orders,
        n_technicians,
        dispatch.POLICIES[plan.policy],
        time_budget_s=plan.time_limit_s,
    )


# --- the day and the stored plan -----------------------------------------------------------------


def travel_provider() -> StraightLineProvider:
    """Travel times the plans use: straight lines at the urban speed profile."""
    return StraightLineProvider()


def build_day(plan: RoutePlan, origin: datetime) -> tuple[list, list, list]:
    """The region's open and pinned field orders and its technicians, located by (lon, lat):
    (technicians, orders, orders left out before solving: every time window already over).

    No travel matrix here: the job builds one for the whole day, or one per region of a day too
    big for one (`dispatch.solve_coords`). A handful of statements whatever the day's size.
    """
    region_ids = list(db.session.scalars(region_descendant_ids(plan.region_id)))
    models = [_order_model(o, origin) for o in _orders_in(region_ids)]
    late = [m for m in models if isinstance(m, dispatch.Unassigned)]
    orders = [m for m in models if isinstance(m, dispatch.Order)]
    technicians = _technicians_for(plan.region_id, region_ids, origin, plan.horizon_hours)
    if plan.trigger == "technician_offline":
        gone = offline_technician_ids([int(t.id) for t in technicians], origin.timestamp())
        technicians = [t for t in technicians if int(t.id) not in gone]
    return technicians, orders, late


def _orders_in(region_ids):
    stmt = select(Order).where(
        Order.region_id.in_(region_ids),
        Order.kind != "project",  # online work: nothing to route
        (Order.status.in_(OPEN_STATES)) | (Order.status.in_(PINNED_STATES) & Order.technician_id.is_not(None)),
    )
    return list(db.session.scalars(stmt.order_by(Order.id)))  # skills come with them (selectin)


def _order_model(order: Order, origin: datetime) -> dispatch.Order | dispatch.Unassigned:
    pinned = order.status in PINNED_STATES
    windows = tuple(_windows(order, origin))
    if order.time_windows and not windows and not pinned:
        return dispatch.Unassigned(str(order.id), "window_unreachable", "every time window of the order is over")
    return dispatch.Order(
        id=str(order.id),
        location=order_point(order),
        service_seconds=0 if order.status == "on_site" else order.standard_duration_min * 60,
        windows=windows,
        sla_deadline=_seconds(order.sla_deadline, origin),
        priority=order.priority,
        role=order.role_code,
        skills={s.skill_code: s.min_level for s in order.skills},
        region=str(order.region_id),
        pinned_to=str(order.technician_id) if pinned else None,
        pinned_seq=PINNED_STATES.index(order.status) if pinned else None,
    )


def _windows(order, origin):
    # Windows are clipped to "now": the part already past cannot be used any more.
    for window in order.time_windows or []:
        start = max(0, _seconds(datetime.fromisoformat(window["start"]), origin))
        end = _seconds(datetime.fromisoformat(window["end"]), origin)
        if end >= start:
            yield dispatch.TimeWindow(start, end)


def _seconds(moment, origin):
    return None if moment is None else int((moment - origin).total_seconds())


def _technicians_for(region_id, region_ids, origin, horizon_hours):
    """Approved, active technicians who serve any part of the region (members of the region,
    of a region inside it, or of one of its ancestors), with today's valid skills."""
    pool = set(region_ids) | set(db.session.scalars(region_ancestor_ids(region_id)))
    rows = db.session.execute(
        select(Technician.id, Role.code)
        .join(TechnicianProfile, TechnicianProfile.technician_id == Technician.id)
        .join(User, User.id == Technician.user_id)
        .outerjoin(Role, Role.id == TechnicianProfile.role_id)
        .join(TechnicianRegion, TechnicianRegion.technician_id == Technician.id)
        .where(TechnicianProfile.status == "approved", User.is_active.is_(True))
        .where(TechnicianRegion.state == "active", TechnicianRegion.region_id.in_(pool))
        .distinct()
        .order_by(Technician.id)
    ).all()
    ids = [r[0] for r in rows]
    positions = lon_lats(ids)
    centres = _home_region_centres([i for i in ids if i not in positions])
    skills, served = _valid_skills(ids, origin.date()), _served_regions(ids)
    shift_end = horizon_hours * 3600
    return [
        dispatch.Technician(
            id=str(tech_id),
            start=positions.get(tech_id) or centres[tech_id],
            shift_start=0,
            shift_end=shift_end,
            role=role,
            skills=skills.get(tech_id, {}),
            regions=frozenset(served.get(tech_id, ())),
        )
        for tech_id, role in rows
    ]


def _home_region_centres(tech_ids) -> dict[int, tuple[float, float]]:
    # With no live fix yet, start from the middle of the technician's first region.
    if not tech_ids:
        return {}
    centre = func.ST_PointOnSurface(Region.geom)
    rows = db.session.execute(
        select(TechnicianRegion.technician_id, func.ST_X(centre), func.ST_Y(centre))
        .join(Region, Region.id == TechnicianRegion.region_id)
        .where(TechnicianRegion.technician_id.in_(tech_ids), TechnicianRegion.state == "active")
        .distinct(TechnicianRegion.technician_id)
        .order_by(TechnicianRegion.technician_id, TechnicianRegion.region_id)
    )
    return {tech_id: (x, y) for tech_id, x, y in rows}


def _valid_skills(tech_ids, on_date) -> dict[int, dict[str, int]]:
    rows = db.session.execute(
        select(TechnicianSkill.technician_id, Skill.code, func.max(TechnicianSkill.level))
        .join(Skill, Skill.id == TechnicianSkill.skill_id)
        .where(TechnicianSkill.technician_id.in_(tech_ids), skill_valid_on(on_date))
        .group_by(TechnicianSkill.technician_id, Skill.code)
    )
    skills: dict[int, dict[str, int]] = {}
    for tech_id, code, level in rows:
        skills.setdefault(tech_id, {})[code] = level
    return skills


def _served_regions(tech_ids) -> dict[int, set[str]]:
    memberships = db.session.execute(
        select(TechnicianRegion.technician_id, TechnicianRegion.region_id).where(
            TechnicianRegion.technician_id.in_(tech_ids), TechnicianRegion.state == "active"
        )
    ).all()
    inside = {
        region_id: {str(r) for r in db.session.scalars(region_descendant_ids(region_id))}
        for region_id in {region_id for _, region_id in memberships}
    }
    served: dict[int, set[str]] = {}
    for tech_id, region_id in memberships:
        served.setdefault(tech_id, set()).update(inside[region_id])
    return served


def store_plan(plan: RoutePlan, result: dispatch.Plan, origin: datetime, technicians: list, orders: list):
    """Write routes (straight-line geometry: the travel model is straight-line), stops with
    ETAs, and unassigned reasons. ``technicians`` and ``orders`` are the day located by
    (lon, lat), as :func:`build_day` made them."""
    pinned = {o.id for o in orders if o.pinned_to is not None}
    locations = {o.id: o.location for o in orders}
    starts = {t.id: t.start for t in technicians}
    for route in result.routes:
        if route.stops:
            plan.routes.append(_route_row(route, starts[route.technician_id], locations, origin, pinned))
    for item in result.unassigned:
        plan.unassigned.append(
            PlanUnassigned(order_id=int(item.order_id), reason=item.reason, detail=item.detail[:300])
        )
    plan.objective = result.objective
    plan.stats = {**plan_stats(result, technicians, orders), "budget_s": plan.time_limit_s}


def _route_row(route, start, locations, origin, pinned):
    line = [tuple(start)] + [tuple(locations[s.order_id]) for s in route.stops]
    row = PlanRoute(
        technician_id=int(route.technician_id),
        start_at=_at(origin, route.start),
        end_at=_at(origin, route.end),
        travel_m=route.travel_meters,
        travel_s=route.travel_seconds,
        geom=from_shape(LineString(line if len(set(line)) > 1 else line + line), srid=4326),
    )
    for seq, stop in enumerate(route.stops, start=1):
        row.stops.append(
            PlanStop(
                order_id=int(stop.order_id),
                seq=seq,
                arrival_at=_at(origin, stop.arrival),
                eta=_at(origin, stop.start),
                end_at=_at(origin, stop.end),
                wait_s=stop.wait,
                slack_s=stop.slack,
                lateness_s=stop.lateness,
                pinned=stop.order_id in pinned,
            )
        )
    return row


def _at(origin, seconds):
    return origin + timedelta(seconds=seconds)


def plan_stats(result: dispatch.Plan, technicians: list, orders: list) -> dict:
    urgent = {o.id for o in orders if o.priority == dispatch.Priority.URGENT}
    stops = [s for r in result.routes for s in r.stops]
    return {
        "technicians": len(technicians),
        "orders": len(stops) + len(result.unassigned),
        "served": len(stops),
        "unassigned": len(result.unassigned),
        "urgent": len(urgent),
        "urgent_on_time": sum(1 for s in stops if s.order_id in urgent and s.lateness == 0),
        "travel_m": sum(r.travel_meters for r in result.routes),
        "lateness_s": sum(s.lateness for s in stops),
        "solver_status": result.status,
        "solve_seconds": round(result.seconds, 2),
        "search_workers": result.search_workers,
    }


def now_utc():
    return datetime.now(UTC)


# --- re-planning -------------------------------------------------------------------------------

REPLAN_TIME_LIMIT_S = 5
REPLAN_LOOKBACK = timedelta(hours=12)


def previous_routes(plan_id: int) -> dispatch.Plan:
    """A stored plan as the solver's Plan, enough to warm-start from (its routes' orders)."""
    routes = db.session.scalars(select(PlanRoute).where(PlanRoute.plan_id == plan_id).order_by(PlanRoute.id))
    return dispatch.Plan(
        routes=tuple(
            dispatch.Route(str(r.technician_id), tuple(_bare_stop(s.order_id) for s in r.stops), 0, 0, 0, 0)
            for r in routes
        ),
        unassigned=(),
        objective=0,
        status="STORED",
        seconds=0.0,
    )


def _bare_stop(order_id):
    return dispatch.Stop(str(order_id), 0, 0, 0, 0, 0, 0, 0, 0)


def regions_needing_replan():
    """(latest published plan, trigger) for each region where events overtook the plan."""
    for plan in _latest_published_plans():
        trigger = _replan_trigger(plan)
        if trigger:
            yield plan, trigger


def _latest_published_plans():
    newest = (
        select(RoutePlan.region_id, func.max(RoutePlan.id).label("id"))
        .where(RoutePlan.created_at > now_utc() - REPLAN_LOOKBACK)
        .group_by(RoutePlan.region_id)
        .subquery()
    )
    # Only where the newest plan is the published one: a queued or running re-plan is enough.
    return list(
        db.session.scalars(
            select(RoutePlan).join(newest, newest.c.id == RoutePlan.id).where(RoutePlan.status == "published")
        )
    )


def _replan_trigger(plan: RoutePlan) -> str | None:
    region_ids = select(region_descendant_ids(plan.region_id).subquery().c.id)
    planned = select(PlanStop.order_id).join(PlanRoute).where(PlanRoute.plan_id == plan.id)
    urgent_new = db.session.scalar(
        select(func.count())
        .select_from(Order)
        .where(
            Order.region_id.in_(region_ids),
            Order.priority == "urgent",
            Order.status.in_(OPEN_STATES),
            Order.id.not_in(planned),
        )
    )
    if urgent_new:
        return "urgent_order"
    routed = list(db.session.scalars(select(PlanRoute.technician_id).where(PlanRoute.plan_id == plan.id)))
    if offline_technician_ids(routed, now_utc().timestamp()):
        return "technician_offline"
    return None


def start_replan(previous: RoutePlan, trigger: str) -> RoutePlan:
    """A queued re-plan of the region, warm-started from its published plan (the caller
    commits, then enqueues its job)."""
    plan = RoutePlan(
        region_id=previous.region_id,
        status="queued",
        policy=previous.policy,
        time_limit_s=REPLAN_TIME_LIMIT_S,
        horizon_hours=previous.horizon_hours,
        seed=previous.seed,
        previous_plan_id=previous.id,
        trigger=trigger,
        stats={},
    )
    db.session.add(plan)
    db.session.flush()
    return plan
