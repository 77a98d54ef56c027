"""Getting an order to a technician: live offers and atomic claims (grab mode), the best
candidate assigned and notified with a time-out (auto mode), and `assign_order`, the one
interface the route optimizer and dispatchers use.

Exactly one claim wins: the claim is a conditional UPDATE on the order's status, so under
concurrent claims the row lock serialises them and every later one finds the order taken.
A technician's limit of concurrent orders holds because each claim or assignment first
takes a transaction-scoped advisory lock on that technician, then counts, then updates.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from backend.errors import AtCapacity, NotEligible, NotFound
from backend.extensions import db
from backend.models import Order, OrderOffer, Region, Technician, TechnicianRegion
from backend.models.base import utcnow
from backend.orders import matching
from backend.orders.notify import offers_made, to_technician
from backend.orders.service import order_point
from backend.orders.state import record, transition
from backend.places.tree import region_ancestor_ids, region_descendant_ids
from backend.workforce.eligibility import Requirements, SkillRequirement, eligible_query

SYSTEM = ("system", None)
TECHNICIAN_LOCK = 4004  # advisory-lock namespace for "one technician's workload"


def lock_technician(technician_id: int):
    db.session.execute(select(func.pg_advisory_xact_lock(TECHNICIAN_LOCK, technician_id)))


def check_capacity(technician_id: int):
    limit = current_app.config["ORDER_MAX_ACTIVE_PER_TECHNICIAN"]
    if matching.loads([technician_id]).get(technician_id, 0) >= limit:
        raise AtCapacity(f"the technician already has {limit} orders in hand", limit=limit)


def offer_ref(offer: OrderOffer, order: Order) -> dict:
    """What a live event carries: enough to fetch it again over REST."""
    return {
        "offer_id": offer.id,
        "order_id": order.id,
        "mode": offer.mode,
        "kind": order.kind,
        "priority": order.priority,
        "work_type": order.work_type,
        "expires_at": offer.expires_at.isoformat() if offer.expires_at else None,
    }


# --- grab mode -------------------------------------------------------------------------------


def offer_to_online(order: Order, actor=SYSTEM) -> int:
    """Offer a published order to every eligible technician online now; returns how many."""
    ids = matching.eligible_ids(order, online_only=True)
    if not ids:
        return 0
    transition(order, "offered", actor, data={"technicians": len(ids)})
    for technician_id in ids:
        offer = _upsert_offer(order.id, technician_id, "grab", None)
        to_technician(technician_id, "offer", offer_ref(offer, order))
    offers_made(order, "grab", ids)
    return len(ids)


def _upsert_offer(order_id, technician_id, mode, expires_at) -> OrderOffer:
    stmt = insert(OrderOffer).values(
        order_id=order_id,
        technician_id=technician_id,
        mode=mode,
        state="open",
        expires_at=expires_at,
        created_at=utcnow(),
    )
    stmt = stmt.on_conflict_do_update(
        constraint="uq_order_offers_once",
        set_={"mode": mode, "state": "open", "expires_at": expires_at, "responded_at": None},
    )
    offer_id = db.session.execute(stmt.returning(OrderOffer.id)).scalar_one()
    return db.session.get(OrderOffer, offer_id, populate_existing=True)


def claim(order: Order, technician_id: int) -> Order:
    """A technician takes an open order; one winner, the rest 409."""
    lock_technician(technician_id)
    check_capacity(technician_id)
    transition(order, "accepted", ("technician", technician_id), action="claimed", technician_id=technician_id)
    close_offers(order.id, technician_id, "claimed")
    return order


def close_offers(order_id, winner_id, winner_state):
    now = utcnow()
    db.session.execute(
        update(OrderOffer)
        .where(OrderOffer.order_id == order_id, OrderOffer.technician_id == winner_id)
        .values(state=winner_state, responded_at=now)
    )
    db.session.execute(
        update(OrderOffer)
        .where(OrderOffer.order_id == order_id, OrderOffer.state == "open")
        .values(state="withdrawn", responded_at=now)
    )


# --- auto mode and the optimizer's interface ---------------------------------------------------


def assign_order(order_id: int, technician_id: int, actor=SYSTEM, *, timeout_s=None) -> Order:
    """Assign an order to a technician (auto mode, a dispatcher, the route optimizer).

    The technician must be eligible and under their limit; they are notified and accept
    or decline; with no answer in ORDER_ASSIGN_TIMEOUT_S the sweep moves on to the next.
    """
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound("order")
    lock_technician(technician_id)
    if not matching.is_eligible(order, technician_id):
        raise NotEligible("the technician is not eligible for this order")
    check_capacity(technician_id)
    transition(order, "assigned", actor, technician_id=technician_id, data={"technician_id": technician_id})
    # Whoever else held an offer (grab, or an earlier assignee) no longer does.
    db.session.execute(
        update(OrderOffer)
        .where(OrderOffer.order_id == order.id, OrderOffer.state == "open", OrderOffer.technician_id != technician_id)
        .values(state="withdrawn", responded_at=utcnow())
    )
    timeout = timeout_s or current_app.config["ORDER_ASSIGN_TIMEOUT_S"]
    offer = _upsert_offer(order.id, technician_id, "auto", utcnow() + timedelta(seconds=timeout))
    to_technician(technician_id, "assignment", offer_ref(offer, order))
    offers_made(order, "auto", [technician_id])
    return order


def auto_assign(order: Order, actor=SYSTEM) -> int | None:
    """Assign the best candidate not yet asked; with none left, the order goes back to published."""
    asked = set(
        db.session.scalars(
            select(OrderOffer.technician_id).where(OrderOffer.order_id == order.id, OrderOffer.mode == "auto")
        )
    )
    best = next((c["technician_id"] for c in candidates(order)["candidates"] if c["technician_id"] not in asked), None)
    if best is None:
        if order.status == "assigned":
            transition(order, "published", actor, reason="no candidate left", technician_id=None)
        return None
    assign_order(order.id, best, actor)
    return best


def accept_assignment(order: Order, technician_id: int) -> Order:
    transition(order, "accepted", ("technician", technician_id))
    close_offers(order.id, technician_id, "accepted")
    return order


def decline_assignment(order: Order, technician_id: int, reason=None, *, state="declined") -> Order:
    """The technician says no (or the time-out does): record it and try the next candidate."""
    db.session.execute(
        update(OrderOffer)
        .where(OrderOffer.order_id == order.id, OrderOffer.technician_id == technician_id)
        .values(state=state, responded_at=utcnow())
    )
    actor = ("technician", technician_id) if state == "declined" else SYSTEM
    record(
        order.id,
        f"assignment_{state}",
        actor,
        order.status,
        order.status,
        reason=reason,
        data={"technician_id": technician_id},
    )
    auto_assign(order, actor)
    return order


# --- candidates (console) ----------------------------------------------------------------------


def candidates(order: Order) -> dict:
    """Eligible, online technicians with room, ranked; and the reason each other one is left out."""
    pool = _pool(order)
    reasons = _reasons(order, pool)
    fit = [tid for tid in pool if not reasons[tid]]
    point = order_point(order)
    matching.refresh_positions(fit)
    distances = matching.knn_order(fit, point)
    load, rating = matching.loads(fit), matching.ratings(fit)
    ranked = [_candidate(tid, distances.get(tid), load.get(tid, 0), rating.get(tid)) for tid in fit]
    ranked.sort(key=lambda c: (_score(c), c["technician_id"]))
    excluded = [{"technician_id": tid, "reasons": reasons[tid]} for tid in pool if reasons[tid]]
    return {"order_id": order.id, "candidates": ranked, "excluded": excluded}


def _candidate(tid, metres, load, rating):
    return {"technician_id": tid, "distance_m": metres, "load": load, "rating": rating, "online": True}


def _score(c):
    km = c["distance_m"] / 1000 if c["distance_m"] is not None else 1000.0  # unknown position: last
    return km + matching.LOAD_PENALTY_KM * c["load"] - matching.RATING_BONUS_KM * ((c["rating"] or 3) - 3)


def _pool(order: Order) -> list[int]:
    """Technicians with any membership in the order's city (so siblings are explained too)."""
    if order.region_id is None:
        return []
    root = db.session.scalar(
        select(Region.id).where(Region.id.in_(region_ancestor_ids(order.region_id)), Region.parent_id.is_(None))
    )
    family = region_descendant_ids(root or order.region_id)
    stmt = select(TechnicianRegion.technician_id).where(TechnicianRegion.region_id.in_(family)).distinct()
    return sorted(db.session.scalars(stmt.limit(500)))


def _reasons(order: Order, pool: list[int]) -> dict[int, list[str]]:

    def passing(req):
        return set(db.session.scalars(eligible_query(req).where(Technician.id.in_(pool))))

    approved = passing(Requirements())
    checks = [(passing(Requirements(region_id=order.region_id)), "not serving the order's region")]
    if order.role_code:
        checks.append((passing(Requirements(role_code=order.role_code)), f"role is not {order.role_code}"))
    for s in order.skills:
        checks.append(
            (
                passing(Requirements(skills=(SkillRequirement(s.skill_code, s.min_level),))),
                f"no valid verified {s.skill_code} at level {s.min_level}+",
            )
        )
    online = matching.online_ids()
    load = matching.loads(pool)
    limit = current_app.config["ORDER_MAX_ACTIVE_PER_TECHNICIAN"]
    out = {}
    for tid in pool:
        if tid not in approved:
            out[tid] = ["profile not approved or account inactive"]
            continue
        out[tid] = [why for ok, why in checks if tid not in ok]
        out[tid] += ["offline (no heartbeat in 90 s)"] if tid not in online else []
        out[tid] += [f"at capacity ({load[tid]} orders)"] if load.get(tid, 0) >= limit else []
    return out
