"""Money jobs: closing each client's day once its 23:59 has passed, and recording a client's
silence past its confirmation window as its confirmation. Both are idempotent and catch up after
a missed run; each client day and each record is its own transaction."""

import logging
from datetime import datetime

from backend.extensions import db
from backend.jobs import job
from backend.models.base import utcnow
from backend.money import confirmations, records

log = logging.getLogger(__name__)


@job("default", timeout=1800)
def close_days(at: str | None = None) -> int:
    """Close every client day whose cut-off has passed and that is not closed; returns records written."""
    now = datetime.fromisoformat(at) if at else utcnow()
    written = 0
    for org_id, work_date in records.due_closes(now):
        written += records.close_day(org_id, work_date, now).records
        db.session.commit()
    return written


@job("default", timeout=600)
def confirm_windows(at: str | None = None) -> int:
    """Confirm for the client every record whose window passed in silence, and finalize the records
    both sides confirmed whose posting was refused before (e.g. funds arrived since); returns how
    many records moved on."""
    now = datetime.fromisoformat(at) if at else utcnow()
    done = 0
    for record_id in confirmations.confirm_overdue(now):
        outcome = confirmations.confirm_by_window(record_id, now)
        done += outcome is not None
        db.session.commit()
    for record_id in confirmations.ready_to_finalize():
        finalized, refused = confirmations.retry_finalize(record_id, now)
        db.session.commit()
        done += finalized
        if refused is not None:
            log.info("work record %s still not finalized: %s", record_id, refused.detail)
    return done
