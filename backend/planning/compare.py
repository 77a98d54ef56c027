"""What a dispatcher reads before publishing a plan: each technician's day in it (stops, travel,
lateness, waiting, utilisation), and what publishing it would change against the plan it
replaces ("compare with current"): orders moved to another technician, newly assigned or
dropped, each with why (a dropped order carries the solver's stored explanation), and each
technician's figures before and after with the deltas. Reads only; nothing here commits.
"""

from sqlalchemy import select

from backend.extensions import db
from backend.models import Order, PlanRoute, PlanStop, RoutePlan


def route_figures(route: PlanRoute, shift_s: int) -> dict:
    """One technician's day in a plan: stops, travel, lateness, waiting and utilisation (busy
    time, travelling or working, over the shift the planner gave them)."""
    work_s = sum(int((s.end_at - s.eta).total_seconds()) for s in route.stops)
    return {
        "technician_id": route.technician_id,
        "stops": len(route.stops),
        "order_ids": [s.order_id for s in route.stops],
        "travel_m": route.travel_m,
        "travel_s": route.travel_s,
        "work_s": work_s,
        "wait_s": sum(s.wait_s for s in route.stops),
        "lateness_s": sum(s.lateness_s for s in route.stops),
        "late_stops": sum(1 for s in route.stops if s.lateness_s > 0),
        "utilisation": round((route.travel_s + work_s) / shift_s, 4) if shift_s else None,
        "start_at": route.start_at,
        "end_at": route.end_at,
    }


def plan_figures(plan: RoutePlan) -> list[dict]:
    """route_figures of every technician with a route in the plan, by technician."""
    shift_s = plan.horizon_hours * 3600
    return sorted((route_figures(r, shift_s) for r in plan.routes), key=lambda f: f["technician_id"])


def current_plan_for(plan: RoutePlan) -> RoutePlan | None:
    """The plan publishing this one would replace: the one it re-plans, else the region's newest
    published plan made before it."""
    if plan.previous_plan_id:
        return db.session.get(RoutePlan, plan.previous_plan_id)
    return db.session.scalar(
        select(RoutePlan)
        .where(RoutePlan.region_id == plan.region_id, RoutePlan.status == "published", RoutePlan.id < plan.id)
        .order_by(RoutePlan.id.desc())
        .limit(1)
    )


def _stops(plan: RoutePlan) -> dict[int, tuple[int, PlanStop]]:
    return {s.order_id: (r.technician_id, s) for r in plan.routes for s in r.stops}


def compare_plans(new: RoutePlan, current: RoutePlan | None) -> dict:
    """What publishing `new` changes against `current` (None: nothing published yet)."""
    before, after = (_stops(current) if current else {}), _stops(new)
    was_left_out = {u.order_id: u for u in current.unassigned} if current else {}
    left_out = {u.order_id: u for u in new.unassigned}
    figures_before = {f["technician_id"]: f for f in plan_figures(current)} if current else {}
    figures_after = {f["technician_id"]: f for f in plan_figures(new)}
    kept = [o for o in sorted(after) if o in before]
    return {
        "plan_id": new.id,
        "current_plan_id": current.id if current else None,
        "moved": [
            _moved(o, before[o], after[o], new.trigger, figures_after, before)
            for o in kept
            if before[o][0] != after[o][0]
        ],
        "newly_assigned": [_newly(o, after[o], was_left_out.get(o)) for o in sorted(after) if o not in before],
        "dropped": [_dropped(o, before[o], left_out.get(o)) for o in sorted(before) if o not in after],
        "technicians": _technician_deltas(figures_before, figures_after),
        "totals": _totals(figures_before, figures_after, current, new),
    }


def _moved(order_id, was, now, trigger, figures_after, before) -> dict:
    (from_tech, old_stop), (to_tech, new_stop) = was, now
    code, detail = _why_moved(from_tech, old_stop, new_stop, trigger, figures_after, before)
    return {
        "order_id": order_id,
        "from_technician_id": from_tech,
        "to_technician_id": to_tech,
        "eta_before": old_stop.eta,
        "eta_after": new_stop.eta,
        "lateness_before_s": old_stop.lateness_s,
        "lateness_after_s": new_stop.lateness_s,
        "why": code,
        "detail": detail,
    }


def _why_moved(from_tech, old_stop, new_stop, trigger, figures_after, before) -> tuple[str, str]:
    """The plainest true reason: the technician is gone, the order was late and is less late now,
    new work took the technician's time, or the day was rebalanced."""
    if from_tech not in figures_after:
        if trigger == "technician_offline":
            return "technician_offline", f"technician #{from_tech} went offline and has no route in this plan"
        return "technician_unavailable", f"technician #{from_tech} has no route in this plan"
    if old_stop.lateness_s > new_stop.lateness_s:
        return "less_late", f"late by {old_stop.lateness_s // 60} min before, {new_stop.lateness_s // 60} min now"
    arrived = [o for o in figures_after[from_tech]["order_ids"] if o not in before]
    if arrived:
        return "new_work", f"technician #{from_tech} takes new orders {', '.join(f'#{o}' for o in arrived)}"
    return "rebalanced", "the day was rebalanced for less travel or lateness overall"


def _newly(order_id, now, was_left_out) -> dict:
    technician_id, stop = now
    if stop.pinned:  # assigned since the current plan (by hand, or a claim): the plan keeps it
        why, detail = "already_held", f"technician #{technician_id} already holds it"
    elif was_left_out is not None:
        why, detail = "was_unassigned", f"left out before: {was_left_out.reason} ({was_left_out.detail})"
    else:
        why, detail = "new_order", "not in the current plan"
    return {"order_id": order_id, "technician_id": technician_id, "eta": stop.eta, "why": why, "detail": detail}


def _dropped(order_id, was, left_out) -> dict:
    technician_id, _stop = was
    if left_out is not None:  # the solver's own explanation, as stored with the plan
        why, detail = left_out.reason, left_out.detail
    else:
        status = db.session.scalar(select(Order.status).where(Order.id == order_id))
        why, detail = "not_open", f"the order is {status} now: nothing left to plan"
    return {"order_id": order_id, "from_technician_id": technician_id, "why": why, "detail": detail}


DELTA_KEYS = ("stops", "travel_m", "travel_s", "lateness_s", "wait_s", "utilisation")


def _technician_deltas(before: dict, after: dict) -> list[dict]:
    rows = []
    for tech in sorted(set(before) | set(after)):
        old, new = before.get(tech), after.get(tech)
        delta = {k: _delta(old, new, k) for k in DELTA_KEYS}
        rows.append({"technician_id": tech, "before": old, "after": new, "delta": delta})
    return rows


def _delta(old, new, key):
    value = (new or {}).get(key, 0) - (old or {}).get(key, 0)
    return round(value, 4) if isinstance(value, float) else value


def _totals(before: dict, after: dict, current, new) -> dict:
    def total(figures, key):
        return sum(f[key] for f in figures.values())

    sums = {k: (total(before, k), total(after, k)) for k in ("stops", "travel_m", "lateness_s")}
    sums["unassigned"] = (len(current.unassigned) if current else 0, len(new.unassigned))
    return {k: {"before": b, "after": a, "delta": a - b} for k, (b, a) in sums.items()}
