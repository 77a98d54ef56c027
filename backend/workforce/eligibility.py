"""Who may take a piece of work: the SQL side of matching, and the console's technician search.

Region rule (decided here, relied on by matching): a technician assigned to a
region serves that region and everything inside it. So for an order in grid G,
technicians assigned to G, to G's district or to G's city are all candidates;
one assigned only to a sibling grid is not. With a point instead of a region id,
the same rule is applied geometrically: any active region of the technician that
covers the point (PostGIS ST_Covers on the GiST-indexed region polygons).

Skill rule: `skill_valid_on` is the one SQL expression for "a verified skill valid on a
date at a level"; matching, planning, eligibility and the skill profile all use it.

Online status is owned by tracking (backend/tracking/presence.py).

Statements are built once per requirement *shape* (which requirements are given, how many
skills) with bound parameters, and reused: building and cache-keying a statement of this size
costs SQLAlchemy several milliseconds, more than PostgreSQL takes to answer it. `shape_of(req)`
picks the statement, `requirement_params(req)` fills it.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache

from sqlalchemy import Date, Float, Integer, String, and_, any_, bindparam, cast, exists, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY

from backend.extensions import db
from backend.models import Region, Role, Skill, Technician, TechnicianProfile, TechnicianRegion, TechnicianSkill, User
from backend.places.tree import region_ancestor_ids, region_descendant_ids
from backend.tracking.presence import online_among, online_technician_ids


@dataclass(frozen=True)
class SkillRequirement:
    """A skill (by catalogue code) held, verified and valid, at `min_level` or above."""

    code: str
    min_level: int = 1


@dataclass(frozen=True)
class Requirements:
    """What a piece of work needs. Every field given narrows the answer; none given means
    "every approved technician". Pass `region_id` or `point` (lon, lat WGS-84), or both."""

    region_id: int | None = None
    point: tuple[float, float] | None = None
    role_code: str | None = None
    skills: tuple[SkillRequirement, ...] = ()
    on_date: date | None = None  # skills must be valid on this day (default: today, UTC)
    online_only: bool = False
    limit: int | None = None


@dataclass(frozen=True)
class Shape:
    """Which requirements are given, not their values: one statement serves every requirement
    of the same shape."""

    region: bool = False
    point: bool = False
    role: bool = False
    skills: int = 0


def shape_of(req: Requirements) -> Shape:
    return Shape(req.region_id is not None, req.point is not None, req.role_code is not None, len(req.skills))


def requirement_params(req: Requirements) -> dict:
    """The bound values a statement of `shape_of(req)` reads (see `requirement_checks`)."""
    params = {}
    if req.region_id is not None:
        params["region_id"] = req.region_id
    if req.point is not None:
        params["lon"], params["lat"] = req.point
    if req.role_code is not None:
        params["role_code"] = req.role_code
    if req.skills:
        params["on_date"] = req.on_date or datetime.now(UTC).date()
    for i, skill in enumerate(req.skills):
        params[f"skill_code_{i}"], params[f"skill_level_{i}"] = skill.code, skill.min_level
    return params


IDS = bindparam("ids", type_=ARRAY(Integer))  # a list of technician ids, bound as one array


@dataclass(frozen=True)
class EligibleTechnician:
    technician_id: int
    user_id: int
    role_code: str | None
    skill_levels: dict[str, int] = field(default_factory=dict)  # the required skills' levels


def skill_valid_on(on_date: date, min_level=1):
    """SQL: this TechnicianSkill row is verified, at `min_level` or above (a number or a column,
    e.g. OrderSkill.min_level) and valid on `on_date` (valid_from <= on_date <= valid_until, open
    ended when valid_until is empty). Expired or pending records never count, whatever the daily
    job has marked yet."""
    return and_(
        TechnicianSkill.state == "verified",
        TechnicianSkill.level >= min_level,
        TechnicianSkill.valid_from <= on_date,
        or_(TechnicianSkill.valid_until.is_(None), TechnicianSkill.valid_until >= on_date),
    )


def id_array(ids_select):
    """A select of ids (a column named `id`) as one array value inside the same statement.
    `col = ANY(that array)` probes col's index per id with a sane row estimate, where
    `col IN (recursive CTE)` gets a guess that makes the planner read the whole table."""
    ids = ids_select.subquery()
    # The cast keeps it one value: bare `ANY (SELECT ...)` would compare with each row.
    return cast(select(func.array_agg(ids.c.id)).scalar_subquery(), ARRAY(Integer))


def _member_of(region_ids_select, *membership):
    return exists().where(
        TechnicianRegion.technician_id == Technician.id,
        TechnicianRegion.state == "active",
        TechnicianRegion.region_id == any_(id_array(region_ids_select)),
        *membership,
    )


def _covers_point(*membership):
    lon, lat = bindparam("lon", type_=Float), bindparam("lat", type_=Float)
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    return exists().where(
        TechnicianRegion.technician_id == Technician.id,
        TechnicianRegion.state == "active",
        TechnicianRegion.region_id == Region.id,
        func.ST_Covers(Region.geom, point),
        *membership,
    )


def _role_id(code):
    return select(Role.id).where(Role.code == code).scalar_subquery()


def _has_role(code):
    return TechnicianProfile.role_id == _role_id(code)


def valid_skill_condition(code, min_level, on_date, technician_id=Technician.id):
    """EXISTS a verified record of the skill at min_level+ whose validity spans on_date (values
    or bound parameters), for the technician of the enclosing select (`technician_id`: the
    column naming them there)."""
    return exists().where(
        TechnicianSkill.technician_id == technician_id,
        TechnicianSkill.skill_id == select(Skill.id).where(Skill.code == code).scalar_subquery(),
        skill_valid_on(on_date, min_level),
    )


def _approved():
    return and_(TechnicianProfile.status == "approved", User.is_active.is_(True))


def _technicians(*columns):
    return (
        select(*(columns or (Technician.id,)))
        .join(TechnicianProfile, TechnicianProfile.technician_id == Technician.id)
        .join(User, User.id == Technician.user_id)
    )


@lru_cache(maxsize=64)
def requirement_checks(shape: Shape) -> tuple[tuple[str, object], ...]:
    """Each requirement but approval and presence as its own SQL condition, named ("region",
    "point", "role", "skill:<i>"), reading bound parameters (`requirement_params`): together
    they are `eligible_query`; one by one they say which requirement a technician misses (the
    console's reasons). Built once per shape."""
    checks = []
    if shape.region:
        checks.append(("region", _member_of(region_ancestor_ids(bindparam("region_id", type_=Integer)))))
    if shape.point:
        checks.append(("point", _covers_point()))
    if shape.role:
        checks.append(("role", _has_role(bindparam("role_code", type_=String))))
    return (*checks, *_skill_checks(shape, Technician.id))


def _skill_checks(shape: Shape, technician_id) -> list[tuple[str, object]]:
    on_date = bindparam("on_date", type_=Date)
    checks = []
    for i in range(shape.skills):
        code, level = bindparam(f"skill_code_{i}", type_=String), bindparam(f"skill_level_{i}", type_=Integer)
        checks.append((f"skill:{i}", valid_skill_condition(code, level, on_date, technician_id)))
    return checks


def eligible_query(shape: Shape):
    """A select of technician ids (its one column, `id`) meeting requirements of this shape
    (execute it with `requirement_params(req)`), all but presence (`online_only`): presence lives
    in Redis and `keep_online` applies it to the answer, because handing SQL every online id (tens
    of thousands in a province) costs more than the query itself. Matching may add ordering or a
    filter on that column (and should keep what it builds, see `statement`).

    With a region or a point, approval and role are read from the memberships' copies
    (`_ready_membership`): one index gives region, role and approval, and no profile or user row
    is read; with a region alone, not even the technician's row. The same rule as
    `requirement_checks` (a test compares the two)."""
    if shape.region and not shape.point:
        member = TechnicianRegion.technician_id
        skills = [condition for _, condition in _skill_checks(shape, member)]
        return select(member.label("id")).where(*_ready_membership(shape, member), *skills).distinct()
    if shape.point:
        skills = [condition for _, condition in _skill_checks(shape, Technician.id)]
        return select(Technician.id.label("id")).where(*_ready_membership(shape), *skills)
    checks = (condition for _, condition in requirement_checks(shape))
    return _technicians(Technician.id.label("id")).where(_approved(), *checks)


def _ready_membership(shape: Shape, member=None) -> list:
    """The region / point requirement as memberships whose copies (migration 0015_candidates,
    kept by triggers) say approved with an active account (`ready`) and the role asked. With
    `member` (the region alone): conditions on the memberships the statement selects from."""
    copies = [TechnicianRegion.ready]  # bare, as the partial index's predicate says it
    if shape.role:
        copies.append(TechnicianRegion.role_id == _role_id(bindparam("role_code", type_=String)))
    regions = region_ancestor_ids(bindparam("region_id", type_=Integer))
    if member is not None:
        return [TechnicianRegion.state == "active", TechnicianRegion.region_id == any_(id_array(regions)), *copies]
    checks = []
    if shape.region:
        checks.append(_member_of(regions, *copies))
    if shape.point:
        checks.append(_covers_point(*copies))
    return checks


def statement(build):
    """Keep what `build(shape)` returns, per shape: a statement is built and cache-keyed once,
    then only executed with new parameters."""
    return lru_cache(maxsize=64)(build)


def keep_online(ids: list[int], req: Requirements) -> list[int]:
    """The ids (in their order) that are online, when the requirements ask for it."""
    if not req.online_only:
        return ids
    online = online_among(ids)
    return [i for i in ids if i in online]


def check_names(req: Requirements) -> list[str]:
    """The columns `checks_query` adds, in order: "approved", then one per requirement given
    ("region", "point", "role", "skill:<code>")."""
    skills = {f"skill:{i}": f"skill:{s.code}" for i, s in enumerate(req.skills)}
    return ["approved", *(skills.get(name, name) for name, _ in requirement_checks(shape_of(req)))]


def checks_query(shape: Shape, ids, *columns):
    """A select of (technician id, *columns, then one boolean per `check_names(req)`) for the ids
    (an array value such as `id_array(...)` or the `IDS` parameter): which requirement each one
    misses, in one statement; presence is not judged here."""
    checks = [_approved(), *(condition for _, condition in requirement_checks(shape))]
    flags = [func.coalesce(condition, False).label(f"check_{i}") for i, condition in enumerate(checks)]
    return _technicians(Technician.id, *columns, *flags).where(Technician.id == any_(ids))


@statement
def _checks_of_ids(shape: Shape):
    return checks_query(shape, IDS)


def unmet_requirements(req: Requirements, ids) -> dict[int, list[str]]:
    """For each technician id: the names of the requirements they miss (see `check_names`)."""
    names = check_names(req)
    rows = db.session.execute(_checks_of_ids(shape_of(req)), {**requirement_params(req), "ids": list(ids)})
    return {row[0]: [name for name, ok in zip(names, row[1:], strict=True) if not ok] for row in rows}


@statement
def _eligible_ids(shape: Shape):
    # LIMIT NULL is no limit.
    query = eligible_query(shape)
    return query.order_by(query.selected_columns.id).limit(bindparam("limit", type_=Integer))


def eligible_technicians(req: Requirements) -> list[EligibleTechnician]:
    """Technicians who may take work with these requirements, by ascending id.

    Eligible means all of: profile approved by a platform admin and the account active;
    an active membership in the region (or an ancestor of it) / in a region covering
    the point; the role asked (exactly); for each required skill, a *verified* record
    with level ≥ min_level and valid_from ≤ on_date ≤ valid_until (expired or pending
    records never count, whatever the daily job has marked yet); online if asked.
    """
    limit = req.limit if req.limit and not req.online_only else None
    found = db.session.scalars(_eligible_ids(shape_of(req)), {**requirement_params(req), "limit": limit})
    ids = keep_online(list(found), req)[: req.limit or None]
    return _describe(ids, req) if ids else []


_PEOPLE = (
    select(Technician.id, Technician.user_id, Role.code)
    .join(TechnicianProfile, TechnicianProfile.technician_id == Technician.id)
    .outerjoin(Role, Role.id == TechnicianProfile.role_id)
    .where(Technician.id == any_(IDS))
)
_SKILL_LEVELS = (
    select(TechnicianSkill.technician_id, Skill.code, func.max(TechnicianSkill.level))
    .join(Skill, Skill.id == TechnicianSkill.skill_id)
    .where(
        TechnicianSkill.technician_id == any_(IDS),
        Skill.code == any_(bindparam("codes", type_=ARRAY(String))),
        skill_valid_on(bindparam("on_date", type_=Date)),
    )
    .group_by(TechnicianSkill.technician_id, Skill.code)
)


def _describe(ids: list[int], req: Requirements) -> list[EligibleTechnician]:
    # Two queries for the whole answer, whatever its size (no per-technician round trips).
    about = {tid: (user_id, role) for tid, user_id, role in db.session.execute(_PEOPLE, {"ids": ids})}
    levels = _skill_levels(ids, [s.code for s in req.skills], req.on_date or datetime.now(UTC).date())
    return [EligibleTechnician(tid, *about[tid], levels.get(tid, {})) for tid in ids]


def _skill_levels(ids: list[int], codes: list[str], on_date: date) -> dict[int, dict[str, int]]:
    """The best valid, verified level of each required skill, per technician."""
    if not codes:
        return {}
    levels: dict[int, dict[str, int]] = {}
    for tid, code, level in db.session.execute(_SKILL_LEVELS, {"ids": ids, "codes": codes, "on_date": on_date}):
        levels.setdefault(tid, {})[code] = level
    return levels


def search_query(filters: dict):
    """The console's technician search: region (the region, anything inside it, or an
    ancestor covering it), role, skill with minimum level, profile state, online."""
    stmt = select(Technician).join(TechnicianProfile, TechnicianProfile.technician_id == Technician.id)
    if filters.get("region_id") is not None:
        related = region_ancestor_ids(filters["region_id"]).union(region_descendant_ids(filters["region_id"]))
        stmt = stmt.where(_member_of(related))
    if filters.get("role"):
        stmt = stmt.where(_has_role(filters["role"]))
    if filters.get("skill"):
        today = datetime.now(UTC).date()
        stmt = stmt.where(valid_skill_condition(filters["skill"], filters.get("min_level") or 1, today))
    if filters.get("state"):
        stmt = stmt.where(TechnicianProfile.status == filters["state"])
    if filters.get("online") is not None:
        online = Technician.id.in_(online_technician_ids() or [-1])
        stmt = stmt.where(online if filters["online"] else ~online)
    return stmt
