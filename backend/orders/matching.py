"""Who may see and take an order, the technicians' feed, and the console's candidates.

One rule, from workforce/eligibility.py: a technician serves the regions they are active
members of and everything inside them; their role must equal the order's (when it names
one); every required skill must be held verified, valid today, at the level asked.
The per-order direction uses `eligible_query`; the feed runs the same rule the other way
(which orders does this technician satisfy) — a test keeps the two in agreement.

Ranking (documented here because the console and the feed show it):
- feed: distance in km + a priority handicap (urgent 0, high 3, normal 6, low 10 km);
- candidates: great-circle distance in km from the newest known position (tracking's live fix,
  else the last one reported to the feed or a check-in) + 2 km per order in hand - 1 km per
  rating star above 3.
"""

from datetime import UTC, datetime

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import Integer, any_, bindparam, case, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert

from backend.extensions import db
from backend.models import (
    MatchingPosition,
    Order,
    OrderSkill,
    Region,
    Role,
    Site,
    Skill,
    Technician,
    TechnicianProfile,
    TechnicianRegion,
    TechnicianSkill,
    User,
)
from backend.models.base import utcnow
from backend.orders.transitions import ACTIVE, OPEN
from backend.tracking.positions import lon_lats
from backend.workforce.eligibility import (
    IDS,
    Requirements,
    Shape,
    SkillRequirement,
    eligible_query,
    keep_online,
    requirement_params,
    shape_of,
    skill_valid_on,
    statement,
)

PRIORITY_HANDICAP_KM = {"urgent": 0, "high": 3, "normal": 6, "low": 10}
LOAD_PENALTY_KM = 2.0
RATING_BONUS_KM = 1.0


def requirements_for(order: Order, *, online_only=False) -> Requirements | None:
    """The order's needs as workforce Requirements; None when it has no region (no one may see it)."""
    if order.region_id is None:
        return None
    skills = tuple(SkillRequirement(s.skill_code, s.min_level) for s in order.skills)
    return Requirements(region_id=order.region_id, role_code=order.role_code, skills=skills, online_only=online_only)


@statement
def _eligible_ids(shape: Shape):
    query = eligible_query(shape)
    return query.order_by(query.selected_columns.id)


@statement
def _eligible_one(shape: Shape):
    query = eligible_query(shape)
    return query.where(query.selected_columns.id == bindparam("technician_id", type_=Integer))


def eligible_ids(order: Order, *, online_only=False) -> list[int]:
    req = requirements_for(order, online_only=online_only)
    if req is None:
        return []
    return keep_online(list(db.session.scalars(_eligible_ids(shape_of(req)), requirement_params(req))), req)


def is_eligible(order: Order, technician_id: int) -> bool:
    req = requirements_for(order)
    params = {**requirement_params(req), "technician_id": technician_id} if req else {}
    return bool(req and db.session.scalar(_eligible_one(shape_of(req)), params))


def technician_can_see(order: Order | None, technician_id: int) -> bool:
    """Their own order, or an open one they are eligible for; anything else is a 404 to them."""
    if order is None:
        return False
    if order.technician_id == technician_id and order.status not in OPEN:
        return True
    return order.status in OPEN and is_eligible(order, technician_id)


# --- the feed: the same rule, from the technician's side --------------------------------------


def served_region_ids(technician_id: int):
    """A select of every region the technician serves: their active regions and all inside them."""
    tree = (
        select(TechnicianRegion.region_id.label("id"))
        .where(TechnicianRegion.technician_id == technician_id, TechnicianRegion.state == "active")
        .cte("served", recursive=True)
    )
    tree = tree.union_all(select(Region.id).where(Region.parent_id == tree.c.id))
    return select(tree.c.id)


def _unmet_skill(technician_id: int, today):
    held = exists().where(
        TechnicianSkill.technician_id == technician_id,
        TechnicianSkill.skill_id == Skill.id,
        Skill.code == OrderSkill.skill_code,
        skill_valid_on(today, OrderSkill.min_level),
    )
    return exists().where(OrderSkill.order_id == Order.id, ~held)


def open_orders_for(technician_id: int):
    """A select of open orders this technician may see (nothing unless approved and active)."""
    today = datetime.now(UTC).date()
    profile = db.session.execute(
        select(TechnicianProfile.status, Role.code, User.is_active)
        .join(Technician, Technician.id == TechnicianProfile.technician_id)
        .join(User, User.id == Technician.user_id)
        .outerjoin(Role, Role.id == TechnicianProfile.role_id)
        .where(TechnicianProfile.technician_id == technician_id)
    ).first()
    stmt = select(Order).where(Order.status.in_(OPEN))
    if profile is None or profile.status != "approved" or not profile.is_active:
        return stmt.where(literal(False))
    return stmt.where(
        Order.region_id.in_(served_region_ids(technician_id)),
        or_(Order.role_code.is_(None), Order.role_code == profile.code),
        ~_unmet_skill(technician_id, today),
    )


def work_point():
    """SQL: the point where an order's work is done (its site's, else its own)."""
    site_point = select(Site.location).where(Site.id == Order.site_id).scalar_subquery()
    return func.coalesce(site_point, Order.location)


def feed(technician_id: int, lon_lat, limit: int):
    """Open orders for the technician ranked by distance from lon_lat and urgency: [(order, metres)]."""
    if lon_lat is None:
        refresh_positions([technician_id])
        lon_lat = last_position(technician_id)
    distance = _metres_from(lon_lat)
    handicap = case(PRIORITY_HANDICAP_KM, value=Order.priority, else_=6)
    score = func.coalesce(distance, 0) / 1000.0 + handicap
    stmt = open_orders_for(technician_id).add_columns(distance).order_by(score, Order.id).limit(limit)
    return [(row[0], row[1]) for row in db.session.execute(stmt)]


def _metres_from(lon_lat):
    if lon_lat is None:
        return literal(None)
    here = func.ST_GeogFromWKB(func.ST_AsBinary(from_shape(Point(*lon_lat), srid=4326)))
    return func.ST_Distance(func.geography(work_point()), here)


def refresh_positions(technician_ids):
    """Copy the newest live fixes (read from tracking) into matching_positions for KNN."""
    for technician_id, lon_lat in lon_lats(list(technician_ids)).items():
        remember_position(technician_id, lon_lat)


def last_position(technician_id: int):
    geom = db.session.scalar(select(MatchingPosition.location).where(MatchingPosition.technician_id == technician_id))
    if geom is None:
        return None
    point = to_shape(geom)
    return (point.x, point.y)


def remember_position(technician_id: int, lon_lat):
    """Keep the newest position the technician reported (feed query, check-in) for matching."""
    geom = from_shape(Point(*lon_lat), srid=4326)
    stmt = insert(MatchingPosition).values(technician_id=technician_id, location=geom, updated_at=utcnow())
    db.session.execute(
        stmt.on_conflict_do_update(index_elements=["technician_id"], set_={"location": geom, "updated_at": utcnow()})
    )


# --- load, rating and position: what ranking reads ----------------------------------------------


def _in_hand():
    return Order.status.in_(ACTIVE)


def loads(technician_ids) -> dict[int, int]:
    """Orders in hand (assigned … on site, or a rejected delivery to redo) per technician."""
    rows = db.session.execute(
        select(Order.technician_id, func.count())
        .where(Order.technician_id.in_(list(technician_ids)), _in_hand())
        .group_by(Order.technician_id)
    )
    return dict(rows.all())


def load_of(technician_id_column):
    """SQL: the technician's orders in hand (as `loads`), for one row of a larger select."""
    return (
        select(func.count())
        .where(Order.technician_id == technician_id_column, _in_hand())
        .scalar_subquery()
        .label("load")
    )


def _per_technician(value, *conditions):
    """A select of (technician_id, value) over the orders of the technicians in `ids`, grouped:
    one index scan for the whole list (a correlated subquery per technician costs a rescan each)."""
    return (
        select(Order.technician_id, value.label("value"))
        .where(Order.technician_id == any_(IDS), *conditions)
        .group_by(Order.technician_id)
        .subquery()
    )


def _standing_statement():
    asked = func.unnest(IDS).table_valued("id").render_derived(name="asked")
    in_hand = _per_technician(func.count(), _in_hand())
    rating = _per_technician(func.avg(Order.quality_rating), Order.quality_rating.is_not(None))
    # The asked ids' rows only (one index scan), not a hash of the whole table.
    feed = (
        select(MatchingPosition.technician_id, MatchingPosition.location)
        .where(MatchingPosition.technician_id == any_(IDS))
        .subquery()
    )
    return (
        select(
            asked.c.id,
            func.coalesce(in_hand.c.value, 0),
            rating.c.value,
            func.ST_X(feed.c.location),
            func.ST_Y(feed.c.location),
        )
        .select_from(asked)
        .outerjoin(in_hand, in_hand.c.technician_id == asked.c.id)
        .outerjoin(rating, rating.c.technician_id == asked.c.id)
        .outerjoin(feed, feed.c.technician_id == asked.c.id)
    )


_STANDING = _standing_statement()


def standing(technician_ids: list[int]) -> dict[int, tuple]:
    """What ranking needs of each technician, in one statement: {technician_id: (load, rating,
    feed position)}, where the feed position is the (lon, lat) they last reported to the feed or
    a check-in (None if never). Asked for the online eligible only: presence halves the list
    before these per-technician reads."""
    if not technician_ids:
        return {}
    rows = db.session.execute(_STANDING, {"ids": list(technician_ids)})
    return {tid: (load, rating, (x, y) if x is not None else None) for tid, load, rating, x, y in rows}


def position_now(technician_ids, feed: dict) -> dict[int, tuple[float, float]]:
    """(lon, lat) per technician: tracking's newest live fix, else `feed` (technician id ->
    the last position they reported to the feed or a check-in). Ranking writes nothing."""
    found = lon_lats(list(technician_ids)) if technician_ids else {}
    return {tid: found.get(tid) or feed[tid] for tid in technician_ids if found.get(tid) or feed.get(tid)}
