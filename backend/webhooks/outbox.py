"""The webhook outbox for events that are not about one order (e.g. `work_record.ready`): one
row per active endpoint of the organization or its parents that wants the event, written in the
caller's transaction; the periodic sweep (backend/webhooks/jobs.py) delivers them, and a sweep is
enqueued once after the transaction commits so they leave at once.

(Order events go through backend/orders/notify.queue_webhooks, which could delegate here.)
"""

import secrets
from collections.abc import Iterable

from sqlalchemy import any_, insert, literal, select

from backend.accounts.tenancy import org_ancestor_ids
from backend.extensions import db
from backend.models import WebhookDelivery, WebhookEndpoint
from backend.models.base import utcnow
from backend.orders.notify import after_commit
from backend.webhooks.jobs import sweep


def queue_events(org_id: int, event_name: str, payloads: Iterable[dict]) -> int:
    """Outbox rows for each payload and each endpoint wanting `event_name`; returns how many."""
    endpoints = db.session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.org_id).where(
            WebhookEndpoint.org_id.in_(org_ancestor_ids(org_id)),
            WebhookEndpoint.disabled_at.is_(None),
            (literal(event_name) == any_(WebhookEndpoint.events)) | (literal("*") == any_(WebhookEndpoint.events)),
        )
    ).all()
    if not endpoints:
        return 0
    now = utcnow()
    rows = [
        {
            "message_id": f"msg_{secrets.token_hex(12)}",
            "endpoint_id": endpoint_id,
            "org_id": endpoint_org_id,
            "event": event_name,
            "payload": {"type": event_name, "timestamp": now.isoformat(), "data": data},
            "state": "pending",
            "next_attempt_at": now,
            "created_at": now,
        }
        for data in payloads
        for endpoint_id, endpoint_org_id in endpoints
    ]
    if rows:
        db.session.execute(insert(WebhookDelivery), rows)
        after_commit(sweep.enqueue)
    return len(rows)
