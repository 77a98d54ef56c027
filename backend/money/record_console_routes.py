"""Platform admins in the console: every client's daily work records (disputes first of all:
`?state=disputed`), resolving a dispute by adjusting the record (a new version), and the team
change requests they approve or reject."""

from sqlalchemy import select

from backend.accounts.auth import current_actor, requires
from backend.blueprints import console
from backend.errors import NotFound
from backend.extensions import db
from backend.models import DailyWorkRecord, TeamChangeRequest
from backend.money import confirmations, teams
from backend.money.confirmations import Adjustment
from backend.money.record_routes import filtered, page_of
from backend.money.record_schemas import (
    AdjustIn,
    RecordOut,
    RecordPage,
    RecordQuery,
    TeamChangeIn,
    TeamChangeOut,
    TeamChangePage,
    TeamChangeQuery,
    TeamDecisionIn,
)
from backend.pagination import paginate

SECURITY = [{"BearerAuth": []}]
TAGS = ["console: work records"]


def _record(record_id) -> DailyWorkRecord:
    record = db.session.get(DailyWorkRecord, record_id)
    if record is None:
        raise NotFound("work record")
    return record


def _request(request_id) -> TeamChangeRequest:
    request = db.session.get(TeamChangeRequest, request_id)
    if request is None:
        raise NotFound("team change request")
    return request


@console.get("/work-records")
@requires("platform:manage")
@console.input(RecordQuery, location="query", arg_name="query")
@console.output(RecordPage)
@console.doc(summary="Every client's daily work records (?state=disputed for disputes)", tags=TAGS, security=SECURITY)
def list_records(query):
    """Records of all clients, filtered by state, day, client and technician."""
    return page_of(filtered(select(DailyWorkRecord), query), query)


@console.get("/work-records/<int:record_id>")
@requires("platform:manage")
@console.output(RecordOut)
@console.doc(summary="One daily work record with its confirmations", tags=TAGS, security=SECURITY)
def get_record(record_id):
    """The record, the signed decisions on it (with each dispute's reason and orders)."""
    return confirmations.view(_record(record_id))


@console.post("/work-records/<int:record_id>/adjust")
@requires("platform:manage")
@console.input(AdjustIn, arg_name="body")
@console.output(RecordOut, status_code=201)
@console.doc(summary="Resolve a dispute: a new version without or re-rating orders", tags=TAGS, security=SECURITY)
def adjust_record(record_id, body):
    """Write version n+1 of a disputed record (removing orders or items, re-rating orders under the
    same terms); it supersedes version n and both sides confirm it again."""
    change = Adjustment(body["reason"], body["remove_order_ids"], body["remove_item_ids"], body["rerate"])
    new = confirmations.adjust(_record(record_id), change, current_actor().id)
    db.session.commit()
    return confirmations.view(new)


@console.get("/team-change-requests")
@requires("technicians:read")
@console.input(TeamChangeQuery, location="query", arg_name="query")
@console.output(TeamChangePage)
@console.doc(summary="Team change requests", tags=TAGS, security=SECURITY)
def list_team_changes(query):
    stmt = select(TeamChangeRequest)
    if query["state"]:
        stmt = stmt.where(TeamChangeRequest.state == query["state"])
    rows, cursor = paginate(stmt, TeamChangeRequest.id, limit=query["limit"], cursor=query["cursor"])
    return {"items": rows, "next_cursor": cursor}


@console.post("/team-change-requests")
@requires("technicians:manage")
@console.input(TeamChangeIn, arg_name="body")
@console.output(TeamChangeOut, status_code=201)
@console.doc(summary="Ask for a technician to join a leader's team or leave one", tags=TAGS, security=SECURITY)
def request_team_change(body):
    """A pending request; it takes effect only when a platform admin approves it."""
    request = teams.request_change(
        body["technician_id"], body["change"], body["leader_id"], current_actor().id, body["reason"]
    )
    db.session.commit()
    return request


@console.post("/team-change-requests/<int:request_id>/approve")
@requires("technicians:approve")
@console.input(TeamDecisionIn, arg_name="body")
@console.output(TeamChangeOut)
@console.doc(summary="Approve a team change (applies it)", tags=TAGS, security=SECURITY)
def approve_team_change(request_id, body):
    """Applies the change; refused if it would make a cycle or put anyone more than two levels down."""
    request = teams.decide(_request(request_id), True, current_actor().id, body["note"])
    db.session.commit()
    return request


@console.post("/team-change-requests/<int:request_id>/reject")
@requires("technicians:approve")
@console.input(TeamDecisionIn, arg_name="body")
@console.output(TeamChangeOut)
@console.doc(summary="Reject a team change", tags=TAGS, security=SECURITY)
def reject_team_change(request_id, body):
    request = teams.decide(_request(request_id), False, current_actor().id, body["note"])
    db.session.commit()
    return request
