"""The workforce audit trail: who did what to which technician record, before → after.

Every console decision (profile review, role change, skill verification, region
assignment, certification) and the daily expiry job write one row, in the same
transaction as the change itself.
"""

from datetime import date, datetime

from sqlalchemy import select

from backend.extensions import db
from backend.models import WorkforceAudit


def jsonable(value):
    """Dates become ISO strings so before/after snapshots fit in JSONB."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def record(action, *, actor_id, technician_id, subject_type, subject_id=None, before=None, after=None, note=None):
    """Add one audit row to the current transaction (the caller commits)."""
    row = WorkforceAudit(
        actor_id=actor_id,
        action=action,
        technician_id=technician_id,
        subject_type=subject_type,
        subject_id=subject_id,
        before=jsonable(before),
        after=jsonable(after),
        note=note,
    )
    db.session.add(row)
    return row


def audit_query(filters: dict):
    """A select of audit rows narrowed by technician, actor, action and time range."""
    stmt = select(WorkforceAudit)
    for key in ("technician_id", "actor_id", "action", "subject_type"):
        if filters.get(key) is not None:
            stmt = stmt.where(getattr(WorkforceAudit, key) == filters[key])
    if filters.get("since"):
        stmt = stmt.where(WorkforceAudit.created_at >= filters["since"])
    if filters.get("until"):
        stmt = stmt.where(WorkforceAudit.created_at < filters["until"])
    return stmt
