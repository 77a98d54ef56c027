"""The notification outbox: `notify_technician` writes one row in the caller's transaction;
once that transaction commits, a job sends it (backend/notifications/jobs.py).

Idempotent: a row's `dedupe_key` is unique. Callers with a natural key (a daily record and its
version) pass it; otherwise the key is the content plus the current transaction, so the same
event emitted twice in one change is stored once while a later re-offer is a new row.
"""

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy import event, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from backend.extensions import db
from backend.models import Notification
from backend.models.base import utcnow
from backend.notifications.jobs import send, send_many
from backend.notifications.kinds import KINDS, is_urgent
from backend.notifications.settings import int_setting

_PENDING = "gridwork_notifications_to_send"
SEND_ONE_BY_ONE = 100  # up to this many new rows in a commit are enqueued one job each
SEND_CHUNK = 200
_XACT = "gridwork_notifications_xact"
log = logging.getLogger(__name__)


def notify_technician(technician_id: int, kind: str, data: dict, *, dedupe_key: str | None = None) -> int | None:
    """Queue a notification for a technician; returns its id (None when it already exists).

    `data` carries the ids the app needs to fetch the current state (order_id, offer_id,
    record_id ...); it is not the state itself.
    """
    key = dedupe_key or _default_key(technician_id, kind, data)
    ids = notify_technicians(kind, [(technician_id, data, key)])
    return ids[0] if ids else None


def notify_technicians(kind: str, notices: Sequence[tuple[int, dict, str]]) -> list[int]:
    """notify_technician for many at once, in one INSERT (a day close writes ~20,000 daily
    records): each notice is (technician id, data, dedupe key), the key natural (a record version)
    so that writing the same thing again queues nothing. Returns the ids of the new rows, which are
    sent after the commit like notify_technician's; preferences and quiet hours apply at sending."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if not notices:
        return []
    now = utcnow()
    sms_due_at = now + timedelta(seconds=int_setting("NOTIFY_URGENT_SMS_AFTER_S"))
    rows = []
    for technician_id, data, key in notices:
        urgent = is_urgent(kind, data)
        sms_due = sms_due_at if urgent else None
        rows.append(
            dict(
                technician_id=technician_id,
                kind=kind,
                urgent=urgent,
                data=data,
                dedupe_key=key,
                state="pending",
                attempts=0,
                results=[],
                created_at=now,
                sms_due_at=sms_due,
            )
        )
    table = Notification.__table__  # Core, not the ORM's per-row bulk path: 20,000 rows in a few statements
    stmt = insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)
    ids = list(db.session.scalars(stmt, rows))
    db.session.info.setdefault(_PENDING, []).extend(ids)
    return ids


def _default_key(technician_id, kind, data) -> str:
    transaction = db.session.info.get(_XACT)
    if transaction is None:  # asked once per transaction (an offer to 100 technicians asks once)
        transaction = db.session.info[_XACT] = db.session.execute(select(func.pg_current_xact_id())).scalar_one()
    content = json.dumps([technician_id, kind, data, str(transaction)], sort_keys=True, default=str)
    return f"{kind}:{technician_id}:{hashlib.sha256(content.encode()).hexdigest()[:32]}"


@event.listens_for(Session, "after_commit")
def _send_after_commit(session):
    session.info.pop(_XACT, None)
    pending = session.info.pop(_PENDING, [])
    try:
        if len(pending) <= SEND_ONE_BY_ONE:
            for notification_id in pending:
                send.enqueue(notification_id)
        else:  # thousands (a day close): a job per chunk, not a Redis round trip per row
            for start in range(0, len(pending), SEND_CHUNK):
                send_many.enqueue(pending[start : start + SEND_CHUNK])
    except RedisError:  # a lost enqueue is picked up by the periodic jobs.sweep
        log.exception("enqueueing %s notifications failed", len(pending))


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    session.info.pop(_PENDING, None)
    session.info.pop(_XACT, None)


# Order events the phones get over the socket, and the kind each one is pushed as.
ORDER_EVENT_KINDS = {"offer": "offer", "assignment": "assignment", "cancellation": "cancellation"}


def order_event(technician_id: int, event_name: str, data: dict) -> int | None:
    """The push twin of a socket event to a technician (backend/orders/notify.to_technician)."""
    kind = "rework" if data.get("mode") == "rejected" else ORDER_EVENT_KINDS.get(event_name)
    return notify_technician(technician_id, kind, data) if kind else None
