"""A technician's daily work records: list and read them, confirm or dispute one in the app; and
asking to join a leader's team or to leave one.

Only the technician's own records are visible; any other id answers 404."""

from sqlalchemy import select

from backend.accounts.auth import requires
from backend.errors import NotFound
from backend.extensions import db
from backend.models import DailyWorkRecord
from backend.money import confirmations, teams
from backend.money.confirmations import Decision
from backend.money.record_routes import filtered, page_of
from backend.money.record_schemas import (
    DisputeIn,
    MobileRecordQuery,
    MobileTeamChangeIn,
    RecordOut,
    RecordPage,
    TeamChangeOut,
)
from mobile_api import mobile, my_technician

SECURITY = [{"BearerAuth": []}]
TAGS = ["mobile: work records"]


def _mine(record_id) -> DailyWorkRecord:
    record = db.session.get(DailyWorkRecord, record_id)
    if record is None or record.technician_id != my_technician().id:
        raise NotFound("work record")
    return record


def _me() -> Decision:
    technician_id = my_technician().id
    return Decision("technician", "app", ("technician", technician_id))


@mobile.get("/work-records")
@requires("orders:work")
@mobile.input(MobileRecordQuery, location="query", arg_name="query")
@mobile.output(RecordPage)
@mobile.doc(summary="My daily work records", tags=TAGS, security=SECURITY)
def my_records(query):
    """My records, oldest first, every version (a superseded one names its successor)."""
    stmt = filtered(select(DailyWorkRecord), query).where(DailyWorkRecord.technician_id == my_technician().id)
    return page_of(stmt, query)


@mobile.get("/work-records/<int:record_id>")
@requires("orders:work")
@mobile.output(RecordOut)
@mobile.doc(summary="One of my daily work records, with the breakdown of every figure", tags=TAGS, security=SECURITY)
def my_record(record_id):
    """Orders and work items with points, price of a point, pay, fee and shares; the confirmations."""
    return confirmations.view(_mine(record_id))


@mobile.post("/work-records/<int:record_id>/confirm")
@requires("orders:work")
@mobile.output(RecordOut)
@mobile.doc(summary="Confirm my daily work record", tags=TAGS, security=SECURITY)
def confirm_mine(record_id):
    """I confirm this version (once); with the client's confirmation the platform finalizes it."""
    record = _mine(record_id)
    outcome = confirmations.confirm(record, _me())
    db.session.commit()
    return confirmations.view(record, outcome)


@mobile.post("/work-records/<int:record_id>/dispute")
@requires("orders:work")
@mobile.input(DisputeIn, arg_name="body")
@mobile.output(RecordOut)
@mobile.doc(summary="Dispute my daily work record", tags=TAGS, security=SECURITY)
def dispute_mine(record_id, body):
    """I dispute this version with a reason, naming the orders I dispute; a platform admin resolves it."""
    record = _mine(record_id)
    confirmations.dispute(record, _me(), body["reason"], body["order_ids"])
    db.session.commit()
    return confirmations.view(record)


@mobile.post("/team-change-requests")
@requires("orders:work")
@mobile.input(MobileTeamChangeIn, arg_name="body")
@mobile.output(TeamChangeOut, status_code=201)
@mobile.doc(summary="Ask to join a leader's team, or to leave mine", tags=TAGS, security=SECURITY)
def request_team_change(body):
    """A pending request; a platform admin approves or rejects it (no fee to join, nothing for recruiting)."""
    technician = my_technician()
    request = teams.request_change(technician.id, body["change"], body["leader_id"], technician.user_id, body["reason"])
    db.session.commit()
    return request
