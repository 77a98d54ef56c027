"""Sending the outbox: one job per notification, and a periodic sweep for quiet hours that
ended, enqueues lost after a commit, and the SMS fallback of urgent work.

A send locks its row (FOR UPDATE SKIP LOCKED) and acts only on a pending row, or a held one
whose quiet hours are over, so a duplicate job does nothing: each notification is pushed once.
Every device's answer is kept on the row; a token the provider calls dead is dropped.
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from backend import sms
from backend.extensions import db
from backend.jobs import job
from backend.models import Device, Notification, OrderOffer, Technician
from backend.models.base import utcnow
from backend.notifications.kinds import SMS_TEXT, render
from backend.notifications.preferences import decide, preferences_of
from backend.notifications.push import PushMessage, adapter_for

LOST_AFTER_S = 30  # a pending row older than this lost its enqueue (or waits for its retry)
MAX_ATTEMPTS = 3  # pushes that failed on every device (provider down) are retried by the sweep
SWEEP_BATCH = 200
log = logging.getLogger(__name__)


@job("high", timeout=60)
def send(notification_id: int, now: datetime | None = None) -> str:
    """Push one notification to every device of its technician (or hold / mute it)."""
    now = now or utcnow()
    row = db.session.scalar(
        select(Notification).where(Notification.id == notification_id).with_for_update(skip_locked=True)
    )
    if row is None or not _due(row, now):
        db.session.rollback()
        return row.state if row else "missing"
    decision = decide(preferences_of(row.technician_id), row.kind, row.urgent, now)
    if decision.action == "hold":
        row.state, row.held_until = "held", decision.until
    elif decision.action == "mute":
        row.state = "muted"
    else:
        push_to_devices(row, now)
    db.session.commit()
    return row.state


@job("high", timeout=600)
def send_many(notification_ids: list[int]) -> dict:
    """`send` for a chunk of notifications queued together (a day close's daily records)."""
    states = {}
    for notification_id in notification_ids:
        state = send(notification_id)
        states[state] = states.get(state, 0) + 1
    return states


def _due(row: Notification, now: datetime) -> bool:
    return row.state == "pending" or (row.state == "held" and row.held_until is not None and row.held_until <= now)


def push_to_devices(row: Notification, now: datetime):
    devices = db.session.scalars(select(Device).where(Device.technician_id == row.technician_id)).all()
    message = message_for(row)
    results = list(row.results)
    for device in devices:
        result = adapter_for(device.provider).send(device.token, message)
        results.append(
            {
                "channel": "push",
                "device_id": device.id,
                "provider": device.provider,
                "platform": device.platform,
                "outcome": result.outcome,
                "status": result.status,
                "provider_id": result.provider_id,
                "error": result.error,
                "at": now.isoformat(),
            }
        )
        if result.outcome == "dead_token":
            db.session.delete(device)
    outcomes = {r["outcome"] for r in results[len(row.results) :]}
    row.results = results
    row.attempts += 1
    row.sent_at = now
    if "delivered" in outcomes:
        row.state = "sent"
    elif "failed" in outcomes and row.attempts < MAX_ATTEMPTS:
        row.state = "pending"  # the provider did not answer well: the sweep tries again
    else:
        row.state = "failed" if devices else "no_device"


def message_for(row: Notification) -> PushMessage:
    title, body = render(row.kind, row.data)
    data = {k: "" if v is None else str(v) for k, v in row.data.items()}
    data |= {"notification_id": str(row.id), "notification_kind": row.kind}
    order_id = row.data.get("order_id")
    return PushMessage(title, body, data, urgent=row.urgent, collapse_key=f"order-{order_id}" if order_id else None)


# --- periodic ------------------------------------------------------------------------------------


@job("high", timeout=120)
def sweep(now: datetime | None = None) -> dict:
    """Enqueue held rows whose quiet hours ended and pending rows whose enqueue was lost;
    send the SMS fallback of urgent notifications nobody acknowledged."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Notification.id)
        .where(
            ((Notification.state == "held") & (Notification.held_until <= now))
            | ((Notification.state == "pending") & (Notification.created_at <= now - timedelta(seconds=LOST_AFTER_S)))
        )
        .limit(SWEEP_BATCH)
    ).all()
    db.session.rollback()
    for notification_id in due:
        send.enqueue(notification_id)
    return {"enqueued": len(due), "sms": sms_fallback(now)}


def sms_fallback(now: datetime) -> int:
    """Text the technician of each urgent notification past its SMS time that is unanswered."""
    ids = db.session.scalars(
        select(Notification.id)
        .where(
            Notification.sms_due_at <= now,
            Notification.sms_sent_at.is_(None),
            Notification.acknowledged_at.is_(None),
        )
        .limit(SWEEP_BATCH)
    ).all()
    db.session.rollback()
    return sum(_text_one(notification_id, now) for notification_id in ids)


def _text_one(notification_id: int, now: datetime) -> int:
    row = db.session.scalar(
        select(Notification).where(Notification.id == notification_id).with_for_update(skip_locked=True)
    )
    if row is None or row.sms_sent_at or row.acknowledged_at or row.sms_due_at is None:
        db.session.rollback()
        return 0
    answer = _offer_answer(row)
    if answer is not None:  # answered (or taken away) in the app meanwhile: nothing to text
        row.sms_due_at = None
        if answer in ("accepted", "declined", "claimed"):
            row.acknowledged_at = now
        db.session.commit()
        return 0
    phone = db.session.get(Technician, row.technician_id).user.phone
    outcome = "no_phone"
    if phone:
        sms.provider().send(phone, SMS_TEXT.format(order_id=row.data.get("order_id", "")))
        outcome = "sent"
    row.sms_sent_at = now
    row.results = [*row.results, {"channel": "sms", "outcome": outcome, "at": now.isoformat()}]
    db.session.commit()
    return 1 if outcome == "sent" else 0


def _offer_answer(row: Notification) -> str | None:
    """The offer's state once it is no longer open (None while it waits for an answer)."""
    offer_id = row.data.get("offer_id")
    if offer_id is None:
        return None
    offer = db.session.get(OrderOffer, offer_id)
    return None if offer is None or offer.state == "open" else offer.state
