"""Tracking jobs: partitions ahead and retention (daily), presence time-outs (every 30 s)."""

from flask import current_app

from backend.extensions import db
from backend.jobs import job
from backend.realtime import external_emitter
from backend.tracking import presence
from backend.tracking import store as tracking_store


@job("maintenance", timeout=600)
def maintain_partitions():
    """Create the next days' partitions and drop days older than TRACK_RETENTION_DAYS."""
    tracking_store.ensure_partitions_ahead(days_ahead=3)
    dropped = tracking_store.drop_expired_partitions(current_app.config["TRACK_RETENTION_DAYS"])
    db.session.commit()
    return [d.isoformat() for d in dropped]


@job("maintenance", timeout=60)
def expire_presence():
    """Record technicians whose heartbeat timed out as offline and tell their consoles."""
    gone = presence.expire()
    db.session.commit()
    emitter = external_emitter() if gone else None
    for technician_id in gone:
        presence.announce(technician_id, False, emitter)
    return gone
