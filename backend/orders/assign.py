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
from sqlalchemy import Integer, all_, any_, bindparam, func, select, true, union_all, update
from sqlalchemy.dialects.postgresql import ARRAY, insert

from backend.errors import AtCapacity, NotEligible, NotFound
from backend.extensions import db
from backend.models import Order, OrderOffer, Region, Technician, TechnicianRegion
from backend.models.base import utcnow
from backend.orders import matching
from backend.orders.notify import offers_made, to_technician
from backend.orders.service import order_point
from backend.orders.state import record, transition
from backend.places.tree import region_ancestor_ids, region_descendant_ids
from backend.tracking.presence import online_among
from backend.workforce.eligibility import (
    Requirements,
    Shape,
    check_names,
    checks_query,
    id_array,
    requirement_params,
    shape_of,
    statement,
)
from geo.distance import haversine_m

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
    best = next((c["technician_id"] for c in ranked(order) if c["technician_id"] not in asked), None)
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


CANDIDATE_PHASES = ("fit", "rank", "explain")  # candidates() in three steps (bench/candidates.py times each)
EXPLAINED_AT_MOST = 100  # technicians of the order's city whose exclusion is explained


def candidates(order: Order) -> dict:
    """Eligible, online technicians with room, ranked; and why up to EXPLAINED_AT_MOST other
    technicians of the order's city are left out. A few statements whatever the province's
    size: eligibility with load, rating and feed position in one (indexes of migration 0012),
    presence and live positions from Redis for those only, the reasons in one more."""
    fit = _fit(order)
    return {"order_id": order.id, "candidates": _rank(order, fit), "excluded": _explain(order, fit)}


def ranked(order: Order) -> list[dict]:
    """`candidates(order)["candidates"]` without the reasons of the others: what auto-assign
    picks from (one statement and two Redis calls)."""
    return _rank(order, _fit(order))


def _fit(order: Order) -> dict[int, tuple]:
    """{technician_id: (load, rating, feed position)} of everyone eligible (workforce's rule,
    whole province), online and under their limit of orders in hand. Presence is asked before
    the standing: about half the eligible are online, and the standing is read per technician."""
    limit = current_app.config["ORDER_MAX_ACTIVE_PER_TECHNICIAN"]
    online = matching.eligible_ids(order, online_only=True)
    return {tid: standing for tid, standing in matching.standing(online).items() if standing[0] < limit}


def _rank(order: Order, fit: dict[int, tuple]) -> list[dict]:
    point = order_point(order)
    where = matching.position_now(list(fit), {tid: s[2] for tid, s in fit.items() if s[2]}) if point else {}
    ranked = [
        _candidate(tid, haversine_m(*where[tid], *point) if tid in where else None, load, rating)
        for tid, (load, rating, _) in fit.items()
    ]
    ranked.sort(key=lambda c: (_score(c), c["technician_id"]))
    return ranked


def _candidate(tid, metres, load, rating):
    rating = float(rating) if rating is not None else None
    return {"technician_id": tid, "distance_m": metres, "load": load, "rating": rating, "online": True}


def _score(c):
    km = c["distance_m"] / 1000 if c["distance_m"] is not None else 1000.0  # unknown position: last
    return km + matching.LOAD_PENALTY_KM * c["load"] - matching.RATING_BONUS_KM * ((c["rating"] or 3) - 3)


def _explain(order: Order, fit: dict[int, tuple]) -> list[dict]:
    """Why the others of the order's city are not candidates: one statement for every requirement
    and their load, then presence."""
    req = matching.requirements_for(order)
    if req is None:
        return []
    params = {**requirement_params(req), "region_id": order.region_id, "fit": list(fit)}
    rows = db.session.execute(_reasons(shape_of(req)), params).all()
    online = online_among([row[0] for row in rows])
    names, limit = check_names(req), current_app.config["ORDER_MAX_ACTIVE_PER_TECHNICIAN"]
    explained = []
    for tid, load, *flags in rows:
        missing = [name for name, ok in zip(names, flags, strict=True) if not ok]
        if "approved" in missing:
            reasons = ["profile not approved or account inactive"]
        else:
            reasons = [_reason(name, req) for name in missing]
            reasons += ["offline (no heartbeat in 90 s)"] if tid not in online else []
            reasons += [f"at capacity ({load} orders)"] if load >= limit else []
        if reasons:  # none: they became fit since _fit looked (presence moves)
            explained.append({"technician_id": tid, "reasons": reasons})
    return explained


@statement
def _reasons(shape: Shape):
    """Up to EXPLAINED_AT_MOST of the pool (`_pool`) but the fit (parameter `fit`), with their
    load and one flag per requirement. PostgreSQL evaluates the per-row checks after the LIMIT:
    only for the rows shown."""
    pool = id_array(_pool(bindparam("region_id", type_=Integer)))
    stmt = checks_query(shape, pool, matching.load_of(Technician.id))
    fit = bindparam("fit", type_=ARRAY(Integer))
    return stmt.where(Technician.id != all_(fit)).order_by(Technician.id).limit(EXPLAINED_AT_MOST)


def _reason(requirement: str, req: Requirements) -> str:
    if requirement == "region":
        return "not serving the order's region"
    if requirement == "role":
        return f"role is not {req.role_code}"
    code = requirement.removeprefix("skill:")
    level = next(s.min_level for s in req.skills if s.code == code)
    return f"no valid verified {code} at level {level}+"


def _pool(region_id):
    """A select (column `id`) of technicians with a membership (any state) in the region's city:
    up to 2 x EXPLAINED_AT_MOST members of the region and its ancestors (the ones a dispatcher
    asks about first) and as many of the whole city, region by region of the city's tree until
    that many are found, so a city of 10,000 technicians costs what a few hundred do (one scan of
    the whole city's memberships cannot stop early: a bitmap scan reads all of them first)."""
    own = id_array(region_ancestor_ids(region_id, nested=True))
    root = select(Region.id).where(Region.id == any_(own), Region.parent_id.is_(None)).scalar_subquery()
    city = (
        func.unnest(id_array(region_descendant_ids(root, nested=True)))
        .table_valued("id")
        .render_derived(name="city_region")
    )
    cap = 2 * EXPLAINED_AT_MOST  # the fit are dropped afterwards
    member = TechnicianRegion.technician_id.label("id")
    near = select(member).where(TechnicianRegion.region_id == any_(own)).limit(cap)
    in_region = select(member).where(TechnicianRegion.region_id == city.c.id).limit(cap).lateral("in_region")
    rest = select(in_region.c.id).select_from(city).join(in_region, true()).limit(cap)
    return union_all(near, rest)
