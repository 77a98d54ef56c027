"""Route plans for a region: start, follow, cancel, publish (dispatchers)."""

from apiflask import Schema, validators
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from sqlalchemy import select

import dispatch
from backend import fields
from backend.accounts.auth import current_actor, requires
from backend.blueprints import console
from backend.errors import fail, field_error, not_found
from backend.extensions import db
from backend.models import Order, Region, RoutePlan
from backend.orders.assign import assign_order
from backend.pagination import paginate
from backend.planning.jobs import report, run_plan
from backend.planning.service import OPEN_STATES, now_utc, plan_out
from backend.redis_client import get_redis
from backend.shared_schemas import PageQuery

SECURITY = [{"BearerAuth": []}]
FIELD_POLICIES = tuple(name for name in dispatch.POLICIES if name != "distance")


class PlanIn(Schema):
    region_id = fields.Integer(required=True)
    policy = fields.String(load_default="urgent-first", validate=validators.OneOf(FIELD_POLICIES))
    time_limit_s = fields.Integer(load_default=10, validate=validators.Range(1, 300))
    horizon_hours = fields.Integer(load_default=10, validate=validators.Range(1, 24))
    seed = fields.Integer(load_default=0, validate=validators.Range(0, 2**31 - 1))
    previous_plan_id = fields.Integer(
        load_default=None, metadata={"description": "re-plan: warm-start from this plan, keep pinned stops"}
    )


class PlanQuery(PageQuery):
    region_id = fields.Integer()


class PlanOut(Schema):
    id = fields.Integer()
    region_id = fields.Integer()
    status = fields.String()
    policy = fields.String()
    time_limit_s = fields.Integer()
    stage = fields.String(allow_none=True)
    stats = fields.Dict()
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    routes = fields.List(fields.Dict(), metadata={"description": "per technician: stops with ETAs, LineString"})
    unassigned = fields.List(fields.Dict(), metadata={"description": "orders left out, each with its reason"})
    published = fields.List(fields.Dict())
    skipped = fields.List(fields.Dict())


class PlanPage(Schema):
    items = fields.List(fields.Nested(PlanOut))
    next_cursor = fields.String(allow_none=True)


@console.post("/plans")
@requires("orders:dispatch")
@console.input(PlanIn, arg_name="body")
@console.output(PlanOut, status_code=202)
@console.doc(summary="Plan routes for a region (runs as a job)", tags=["planning"], security=SECURITY)
def create_plan(body):
    """Queue a planning job for a region; follow it by GET or the console's plan_progress event."""
    if db.session.get(Region, body["region_id"]) is None:
        not_found("region")
    previous = body["previous_plan_id"] and db.session.get(RoutePlan, body["previous_plan_id"])
    if body["previous_plan_id"] and (previous is None or previous.region_id != body["region_id"]):
        fail(
            422, "re-plan from a plan of the same region", errors=[field_error("previous_plan_id", "no such plan here")]
        )
    plan = RoutePlan(**body, status="queued", stats={}, created_by_id=current_actor().user_id)
    db.session.add(plan)
    db.session.commit()
    plan.rq_job_id = run_plan.enqueue(plan.id).id
    report(plan, "queued")
    return plan_out(plan)


@console.get("/plans")
@requires("orders:dispatch")
@console.input(PlanQuery, location="query", arg_name="query")
@console.output(PlanPage)
@console.doc(summary="Plans, newest last", tags=["planning"], security=SECURITY)
def list_plans(query):
    """Plans, optionally of one region."""
    stmt = select(RoutePlan)
    if "region_id" in query:
        stmt = stmt.where(RoutePlan.region_id == query["region_id"])
    items, cursor = paginate(stmt, RoutePlan.id, limit=query["limit"], cursor=query["cursor"])
    return {"items": [plan_out(p, detail=False) for p in items], "next_cursor": cursor}


@console.get("/plans/<int:plan_id>")
@requires("orders:dispatch")
@console.output(PlanOut)
@console.doc(summary="A plan with routes, stops, ETAs and unassigned reasons", tags=["planning"], security=SECURITY)
def get_plan(plan_id):
    """A plan with its routes (stops, ETAs, slack, lateness, geometry) and unassigned orders."""
    return plan_out(_plan_or_404(plan_id))


@console.post("/plans/<int:plan_id>/cancel")
@requires("orders:dispatch")
@console.output(PlanOut)
@console.doc(summary="Cancel a queued or running plan", tags=["planning"], security=SECURITY)
def cancel_plan(plan_id):
    """Cancel a queued plan, or stop the solver of a running one."""
    plan = _plan_or_404(plan_id, lock=True)
    if plan.status not in ("queued", "running"):
        fail(409, f"a {plan.status} plan cannot be cancelled", kind="conflict", allowed=[])
    _stop_job(plan.rq_job_id)
    plan.status, plan.finished_at = "cancelled", now_utc()
    report(plan, "cancelled")
    return plan_out(plan)


def _stop_job(job_id):
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
            pass  # it finished in between; the job sees the cancelled row and stores nothing
    else:
        job.cancel()


@console.post("/plans/<int:plan_id>/publish")
@requires("orders:dispatch")
@console.output(PlanOut)
@console.doc(summary="Turn a solved plan into assignments", tags=["planning"], security=SECURITY)
def publish_plan(plan_id):
    """Assign each planned stop to its technician through the order lifecycle; each is told."""
    plan = _plan_or_404(plan_id, lock=True)
    if plan.status != "solved":
        fail(409, f"only a solved plan can be published; this one is {plan.status}", kind="conflict")
    actor = ("user", current_actor().user_id)
    published, skipped = [], []
    for route in plan.routes:
        for stop in route.stops:
            if not stop.pinned:
                _publish_stop(stop.order_id, route.technician_id, actor, published, skipped)
    plan.status, plan.published_by_id = "published", current_actor().user_id
    report(plan, f"published: {len(published)} assigned, {len(skipped)} skipped")
    return {**plan_out(plan), "published": published, "skipped": skipped}


def _publish_stop(order_id, technician_id, actor, published, skipped):
    # Each assignment in its own savepoint: an order taken meanwhile is skipped, not fatal.
    status = db.session.scalar(select(Order.status).where(Order.id == order_id).with_for_update())
    if status not in OPEN_STATES:
        skipped.append({"order_id": order_id, "reason": f"order is {status} now"})
        return
    savepoint = db.session.begin_nested()
    try:
        assign_order(order_id, technician_id, actor)
        savepoint.commit()
        published.append({"order_id": order_id, "technician_id": technician_id})
    except Exception as exc:  # HTTPError from the lifecycle: ineligible, at capacity, conflict
        savepoint.rollback()
        skipped.append({"order_id": order_id, "reason": getattr(exc, "message", None) or str(exc)})


def _plan_or_404(plan_id, *, lock=False):
    stmt = select(RoutePlan).where(RoutePlan.id == plan_id)
    plan = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if plan is None:
        not_found("plan")
    return plan
