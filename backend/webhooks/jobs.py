"""Webhook delivery from the outbox: one attempt per job, exponential back-off between attempts
for WEBHOOK_RETRY_HOURS (24 h), then dead-lettered. A periodic sweep enqueues due rows, so a
row whose enqueue was lost after commit is still delivered.

An attempt locks its row (FOR UPDATE SKIP LOCKED) and only runs when the row is pending and
due, so a duplicate job does nothing. Receivers dedupe on webhook-id (stable across retries).
"""

import json
import logging
import time
from datetime import timedelta

import urllib3
from flask import current_app
from sqlalchemy import select

from backend import pii
from backend.extensions import db
from backend.jobs import job
from backend.models import WebhookDelivery
from backend.models.base import utcnow
from backend.webhooks.signing import UnsafeURL, check_url, headers_for, post_pinned

FIRST_DELAY_S = 30
MAX_DELAY_S = 3 * 3600
SECRET_CONTEXT = "webhook_endpoints.secret"
log = logging.getLogger(__name__)


def backoff(attempts: int) -> int:
    """Seconds before the next attempt after `attempts` failures: 30 s, 1 min, 2 min … 3 h."""
    return min(FIRST_DELAY_S * 2 ** (attempts - 1), MAX_DELAY_S)


@job("webhooks", timeout=60)
def deliver(delivery_id: int) -> str:
    """Make one attempt at a pending, due delivery; returns its state afterwards."""
    row = db.session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update(skip_locked=True)
    )
    if row is None or row.state != "pending" or (row.next_attempt_at and row.next_attempt_at > utcnow()):
        db.session.rollback()
        return row.state if row else "missing"
    status, error = attempt(row)
    _settle(row, status, error)
    db.session.commit()
    return row.state


def attempt(row: WebhookDelivery) -> tuple[int | None, str | None]:
    """POST the signed payload once: (HTTP status or None, error text or None)."""
    endpoint = row.endpoint
    body = json.dumps(row.payload, separators=(",", ":"), sort_keys=True).encode()
    try:
        addresses = check_url(endpoint.url, allow_private=current_app.config["WEBHOOKS_ALLOW_PRIVATE"])
        secret = pii.decrypt(endpoint.secret_enc, SECRET_CONTEXT)
        headers = headers_for(secret, row.message_id, int(time.time()), body)
        status = post_pinned(endpoint.url, addresses[0], body, headers, current_app.config["WEBHOOK_TIMEOUT_S"])
    except (UnsafeURL, urllib3.exceptions.HTTPError) as exc:
        return None, str(exc)[:500]
    return status, None if 200 <= status < 300 else f"HTTP {status}"


def _settle(row, status, error):
    now = utcnow()
    row.attempts += 1
    row.last_status, row.last_error = status, error
    if error is None:
        row.state, row.delivered_at, row.next_attempt_at = "delivered", now, None
        return
    next_at = now + timedelta(seconds=backoff(row.attempts))
    if next_at > row.created_at + timedelta(hours=current_app.config["WEBHOOK_RETRY_HOURS"]):
        row.state, row.next_attempt_at = "dead", None
        log.warning("webhook delivery %s dead-lettered after %s attempts: %s", row.id, row.attempts, error)
    else:
        row.next_attempt_at = next_at


@job("webhooks", timeout=120)
def sweep(limit: int = 500) -> int:
    """Enqueue pending deliveries that are due (retries, and any whose enqueue was lost)."""
    ids = list(
        db.session.scalars(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= utcnow())
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        )
    )
    db.session.rollback()
    for delivery_id in ids:
        deliver.enqueue(delivery_id)
    return len(ids)


def replay(row: WebhookDelivery):
    """Send a message again (same webhook-id): one more attempt, retried only inside its 24 h window."""
    row.state, row.next_attempt_at, row.last_error = "pending", utcnow(), None
