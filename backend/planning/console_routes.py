"""Route plans for a region: start, follow, cancel, publish (dispatchers). Thin views: the
planning service decides, these load, authorize, call, commit and serialize."""

from backend.accounts.auth import current_actor, requires
from backend.blueprints import console
from backend.errors import NotFound, ValidationFailed, field_error
from backend.extensions import db
from backend.models import RoutePlan
from backend.orders.schemas import With
from backend.pagination import paginate
from backend.planning import compare, jobs
from backend.planning import service as planning
from backend.planning.schemas import CompareQuery, PlanComparisonOut, PlanIn, PlanOut, PlanPage, PlanQuery

SECURITY = [{"BearerAuth": []}]


@console.post("/plans")
@requires("orders:dispatch")
@console.input(PlanIn, arg_name="body")
@console.output(PlanOut, status_code=202)
@console.doc(summary="Plan routes for a region (runs as a job)", tags=["planning"], security=SECURITY)
def create_plan(body):
    """Queue a planning job for a region; follow it by GET or the console's plan_progress event."""
    plan = planning.create_plan(current_actor(), body)
    db.session.commit()
    jobs.start(plan)
    return plan


@console.get("/plans")
@requires("orders:dispatch")
@console.input(PlanQuery, location="query", arg_name="query")
@console.output(PlanPage)
@console.doc(summary="Plans, newest last", tags=["planning"], security=SECURITY)
def list_plans(query):
    """Plans of my regions (all, for platform admins), optionally of one region."""
    stmt = planning.visible_plans(current_actor())
    if "region_id" in query:
        stmt = stmt.where(RoutePlan.region_id == query["region_id"])
    items, cursor = paginate(stmt, RoutePlan.id, limit=query["limit"], cursor=query["cursor"])
    return {"items": items, "next_cursor": cursor}


@console.get("/plans/<int:plan_id>")
@requires("orders:dispatch")
@console.output(PlanOut)
@console.doc(summary="A plan with routes, stops, ETAs and unassigned reasons", tags=["planning"], security=SECURITY)
def get_plan(plan_id):
    """A plan with its routes (stops, ETAs, slack, lateness, geometry) and unassigned orders."""
    return _plan_or_404(plan_id)


@console.post("/plans/<int:plan_id>/cancel")
@requires("orders:dispatch")
@console.output(PlanOut)
@console.doc(summary="Cancel a queued or running plan", tags=["planning"], security=SECURITY)
def cancel_plan(plan_id):
    """Cancel a queued plan, or stop the solver of a running one."""
    plan = planning.cancel_plan(_plan_or_404(plan_id, lock=True))
    db.session.commit()
    return plan


@console.post("/plans/<int:plan_id>/publish")
@requires("orders:dispatch")
@console.output(PlanOut)
@console.doc(summary="Turn a solved plan into assignments", tags=["planning"], security=SECURITY)
def publish_plan(plan_id):
    """Assign each planned stop to its technician through the order lifecycle; each is told."""
    plan = _plan_or_404(plan_id, lock=True)
    published, skipped = planning.publish_plan(plan, current_actor())
    db.session.commit()
    return With(plan, published=published, skipped=skipped)


@console.get("/plans/<int:plan_id>/compare")
@requires("orders:dispatch")
@console.input(CompareQuery, location="query", arg_name="query")
@console.output(PlanComparisonOut)
@console.doc(summary="Compare a plan with the current one", tags=["planning"], security=SECURITY)
def compare_plan(plan_id, query):
    """What publishing this plan would change against the plan it replaces (or `against`): orders
    moved to another technician, newly assigned or dropped, each with why, and every technician's
    travel, lateness and utilisation before and after."""
    plan = _plan_or_404(plan_id)
    current = _plan_or_404(query["against"]) if query["against"] else compare.current_plan_for(plan)
    if current is not None and current.region_id != plan.region_id:
        raise ValidationFailed(
            "compare plans of one region", errors=[field_error("against", "a plan of another region", "query")]
        )
    return compare.compare_plans(plan, current)


def _plan_or_404(plan_id, *, lock=False):
    """A plan of the caller's regions (any, for platform admins), else 404."""
    stmt = planning.visible_plans(current_actor()).where(RoutePlan.id == plan_id)
    plan = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if plan is None:
        raise NotFound("plan")
    return plan
