"""Workforce jobs: the daily sweep that marks lapsed skill records expired.

Matching never depends on this job (queries compare dates), but the state makes
expiry visible in the console and in the technician's app, and audits it.
"""

from datetime import UTC, datetime

from sqlalchemy import select

from backend.extensions import db
from backend.jobs import job
from backend.models import TechnicianSkill
from backend.workforce import audit


@job("maintenance", timeout=600)
def expire_skills(on_date: str | None = None) -> int:
    """Mark verified or pending skill records whose valid_until has passed as expired; returns
    how many. Idempotent: a second run the same day finds nothing to change."""
    day = datetime.fromisoformat(on_date).date() if on_date else datetime.now(UTC).date()
    lapsed = db.session.scalars(
        select(TechnicianSkill)
        .where(TechnicianSkill.state.in_(("verified", "pending")), TechnicianSkill.valid_until < day)
        .with_for_update(skip_locked=True)
    ).all()
    for record in lapsed:
        audit.record(
            "skill.expired",
            actor_id=None,
            technician_id=record.technician_id,
            subject_type="technician_skill",
            subject_id=record.id,
            before={"state": record.state},
            after={"state": "expired"},
            note=f"valid until {record.valid_until.isoformat()}",
        )
        record.state = "expired"
    db.session.commit()
    return len(lapsed)
