"""The planning job: one RQ job per plan, on the dispatch queue.

Progress is written to the plan row and pushed to consoles through the Socket.IO
Redis queue; cancellation is RQ's own (cancel a queued job, stop a running one).
"""

import dataclasses
import logging

import dispatch
from backend.extensions import db
from backend.jobs import job
from backend.models import RoutePlan
from backend.planning.service import (
    build_day,
    note_stage,
    now_utc,
    planning_params,
    previous_routes,
    regions_needing_replan,
    start_replan,
    store_plan,
    travel_provider,
)

log = logging.getLogger(__name__)


@job("dispatch", timeout=900)
def run_plan(plan_id: int):
    plan = db.session.get(RoutePlan, plan_id)
    if plan is None or plan.status != "queued":
        return  # cancelled before it started, or already run
    origin = now_utc()
    plan.status, plan.started_at, plan.origin_at = "running", origin, origin
    report(plan, "building the problem")
    try:
        _solve_and_store(plan, origin)
    except Exception as exc:  # the plan row must say what went wrong; RQ keeps the traceback
        db.session.rollback()
        _fail(plan_id, f"{type(exc).__name__}: {exc}")
        raise


def _solve_and_store(plan, origin):
    technicians, orders, late = build_day(plan, origin)
    report(plan, f"solving {len(orders)} orders for {len(technicians)} technicians")
    result = solve(technicians, orders, plan, origin)
    result = dataclasses.replace(result, unassigned=result.unassigned + tuple(late))
    db.session.refresh(plan)
    if plan.status != "running":
        return  # a dispatcher cancelled it while the solver ran
    store_plan(plan, result, origin, technicians, orders)
    plan.status, plan.finished_at = "solved", now_utc()
    report(plan, "solved")


def solve(technicians: list, orders: list, plan: RoutePlan, origin) -> dispatch.Plan:
    """The production settings the benchmarks measure: one travel matrix for the day, or, for a
    day with more technicians than ``params.region_size``, region by region
    (`dispatch.solve_coords`, as `bench/city_day.py --production` plans a province); a re-plan
    starts from the plan it replaces, the same way."""
    params = planning_params(len(orders), len(technicians), plan)
    previous = previous_routes(plan.previous_plan_id) if plan.previous_plan_id else None
    return dispatch.solve_coords(
        technicians, orders, travel_provider(), params, depart_at=origin, seed=plan.seed, previous=previous
    )


def report(plan: RoutePlan, stage: str):
    """Save the stage and tell the consoles: the job commits at each step of its progress."""
    note_stage(plan, stage)
    db.session.commit()


def start(plan: RoutePlan, stage: str = "queued"):
    """Enqueue a committed plan's job and note it (its row must be committed first: the job reads it)."""
    plan.rq_job_id = run_plan.enqueue(plan.id).id
    report(plan, stage)


def _fail(plan_id, message):
    plan = db.session.get(RoutePlan, plan_id)
    plan.status, plan.error, plan.finished_at = "failed", message[:2000], now_utc()
    report(plan, "failed")


@job("dispatch", timeout=120)
def replan_changed_regions():
    """Periodic: re-plan a region whose published plan was overtaken by events (an urgent
    order arrived, a planned technician went offline), with a short time limit."""
    for previous, trigger in regions_needing_replan():
        plan = start_replan(previous, trigger)
        db.session.commit()
        start(plan, f"queued: re-plan after {trigger.replace('_', ' ')}")
