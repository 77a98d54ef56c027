"""Sales teams: a member's leader, and that leader's leader, share in the member's pay for the
work types a rate card names (backend/money/terms.py). At most two levels above any member, no
cycles. A change (join a leader's team, leave one) is a request that a platform admin approves or
rejects; the request row records who asked, who decided, when and why.

Shares come only from verified work: there is no fee to join and nothing for recruiting as such.
"""

from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from backend.errors import Conflict, NotFound, ValidationFailed, field_error
from backend.extensions import db
from backend.models import Team, TeamChangeRequest, TeamMembership, Technician
from backend.models.base import utcnow
from backend.money.pay import MAX_SHARE_LEVELS

TEAMS_LOCK = 11_010  # one team change at a time: the depth and cycle checks read the whole chain


def uplines(technician_ids: Iterable[int]) -> dict[int, tuple[int, ...]]:
    """Each technician's leaders, nearest first (at most two); absent ids have none."""
    ids = list(set(technician_ids))
    if not ids:
        return {}
    first = dict(db.session.execute(_leader_of(ids)).all())
    second = dict(db.session.execute(_leader_of(set(first.values()))).all()) if first else {}
    return {member: (leader, second[leader]) if leader in second else (leader,) for member, leader in first.items()}


def _leader_of(technician_ids):
    return (
        select(TeamMembership.technician_id, Team.leader_id)
        .join(Team, Team.id == TeamMembership.team_id)
        .where(TeamMembership.technician_id.in_(list(technician_ids)))
    )


def request_change(technician_id: int, change: str, leader_id: int | None, requested_by_id: int, reason=None):
    """A pending request; 404 naming the technician or leader that does not exist."""
    _require_technician(technician_id, "technician_id")
    if leader_id is not None:
        _require_technician(leader_id, "leader_id")
        if leader_id == technician_id:
            raise ValidationFailed(
                "a technician cannot lead themself", errors=[field_error("leader_id", "is yourself")]
            )
    if change == "leave" and db.session.get(TeamMembership, technician_id) is None:
        raise Conflict("the technician is in no team", errors=[field_error("technician_id", "not in a team")])
    if db.session.scalar(select(TeamChangeRequest.id).where(_pending(technician_id))):
        raise Conflict(
            "the technician already has a pending team change",
            errors=[field_error("technician_id", "has a pending request")],
        )
    request = TeamChangeRequest(
        technician_id=technician_id,
        change=change,
        leader_id=leader_id,
        reason=reason,
        state="pending",
        requested_by_id=requested_by_id,
    )
    db.session.add(request)
    db.session.flush()
    return request


def decide(request: TeamChangeRequest, approve: bool, admin_id: int, note=None) -> TeamChangeRequest:
    """Approve (apply the change) or reject a pending request."""
    db.session.execute(select(func.pg_advisory_xact_lock(TEAMS_LOCK)))
    db.session.refresh(request, with_for_update=True)
    if request.state != "pending":
        raise Conflict(f"the request was already {request.state}", state=request.state)
    if approve:
        _apply(request)
    request.state = "approved" if approve else "rejected"
    request.decided_by_id, request.decided_at, request.decision_note = admin_id, utcnow(), note
    db.session.flush()
    return request


def _apply(request: TeamChangeRequest):
    if request.change == "leave":
        db.session.execute(delete(TeamMembership).where(TeamMembership.technician_id == request.technician_id))
        return
    _check_depth(request.technician_id, request.leader_id)
    team_id = _team_of(request.leader_id)
    stmt = insert(TeamMembership).values(
        technician_id=request.technician_id, team_id=team_id, request_id=request.id, created_at=utcnow()
    )
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[TeamMembership.technician_id],
            set_={"team_id": team_id, "request_id": request.id, "created_at": utcnow()},
        )
    )


def _check_depth(member_id: int, leader_id: int):
    """Refuse a cycle, or a member anywhere below ending up more than two levels under a leader."""
    below = _downline_depths(member_id)
    if leader_id in below:
        raise ValidationFailed(
            "the leader is in the technician's own team tree",
            errors=[field_error("leader_id", "would make a cycle")],
        )
    above_leader = len(uplines([leader_id]).get(leader_id, ()))
    deepest = max(below.values())
    if above_leader + 1 + deepest > MAX_SHARE_LEVELS:
        raise ValidationFailed(
            f"at most {MAX_SHARE_LEVELS} levels above any member",
            errors=[field_error("leader_id", f"would put a member {above_leader + 1 + deepest} levels below a leader")],
        )


def _downline_depths(technician_id: int) -> dict[int, int]:
    """The technician (depth 0) and everyone in the teams below, with their depth."""
    depths, frontier = {technician_id: 0}, [technician_id]
    for depth in range(1, MAX_SHARE_LEVELS + 2):
        members = db.session.scalars(
            select(TeamMembership.technician_id)
            .join(Team, Team.id == TeamMembership.team_id)
            .where(Team.leader_id.in_(frontier))
        ).all()
        frontier = [m for m in members if m not in depths]
        depths.update(dict.fromkeys(frontier, depth))
        if not frontier:
            break
    return depths


def _team_of(leader_id: int) -> int:
    team_id = db.session.scalar(select(Team.id).where(Team.leader_id == leader_id))
    if team_id is None:
        team = Team(leader_id=leader_id)
        db.session.add(team)
        db.session.flush()
        team_id = team.id
    return team_id


def _pending(technician_id):
    return (TeamChangeRequest.technician_id == technician_id) & (TeamChangeRequest.state == "pending")


def _require_technician(technician_id: int, field: str):
    if db.session.get(Technician, technician_id) is None:
        raise NotFound("technician", errors=[field_error(field, "no such technician")])
