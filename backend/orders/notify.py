"""Side effects of order changes: webhook outbox rows written in the same transaction,
and socket emits and job enqueues run only after that transaction commits.

Nothing is lost: if the process dies between commit and enqueue, the periodic
webhook sweep picks the pending outbox rows up (backend/jobs/webhooks.py).
"""

import logging
import secrets

from flask import has_request_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from backend.accounts.tenancy import org_ancestor_ids
from backend.extensions import db, socketio
from backend.models import WebhookDelivery, WebhookEndpoint
from backend.models.base import utcnow
from backend.notifications.outbox import order_event
from backend.orders.schemas import OrderOut
from backend.realtime import CONSOLE, TECHNICIAN, external_emitter, region_rooms
from backend.webhooks.jobs import deliver

_KEY = "gridwork_after_commit"
_ENDPOINTS = "gridwork_webhook_endpoints"  # per-transaction cache of endpoints wanting an event
log = logging.getLogger(__name__)


def after_commit(fn, *args, **kwargs):
    """Run fn(*args, **kwargs) once the current transaction commits (dropped if it rolls back)."""
    db.session.info.setdefault(_KEY, []).append((fn, args, kwargs))


@event.listens_for(Session, "after_commit")
def _run_after_commit(session):
    session.info.pop(_ENDPOINTS, None)
    for fn, args, kwargs in session.info.pop(_KEY, []):
        try:
            fn(*args, **kwargs)
        except Exception:  # a lost emit must not undo a committed change; REST can refetch it
            log.exception("after-commit action %s failed", getattr(fn, "__name__", fn))


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session):
    session.info.pop(_KEY, None)
    session.info.pop(_ENDPOINTS, None)


def emit(event_name, data, *, room, namespace):
    """Emit in a request through the server; elsewhere (jobs) through the Redis queue."""
    if has_request_context():
        socketio.emit(event_name, data, to=room, namespace=namespace)
    else:
        external_emitter().emit(event_name, data, to=room, namespace=namespace)


def to_technician(technician_id, event_name, data):
    after_commit(emit, event_name, data, room=f"tech:{technician_id}", namespace=TECHNICIAN)
    order_event(technician_id, event_name, data)  # pushed too: the app may be closed


def to_region_consoles(event_name, data, region_id):
    """A console event for the dispatchers of that region (and the regions around it that
    contain it) and platform admins; an order without a region reaches admins only."""
    rooms = region_rooms([region_id] if region_id is not None else [])
    after_commit(emit, event_name, data, room=rooms, namespace=CONSOLE)


def offers_made(order, mode, technician_ids):
    """Tell the region's consoles who was offered (grab) or assigned (auto) an order."""
    data = {"order_id": order.id, "region_id": order.region_id, "mode": mode, "technician_ids": list(technician_ids)}
    to_region_consoles("order_offered", data, order.region_id)


def status_changed(order, from_status):
    """Tell the console and the client's webhook endpoints that an order changed state."""
    data = {
        "order_id": order.id,
        "org_id": order.org_id,
        "region_id": order.region_id,
        "from": from_status,
        "to": order.status,
        "technician_id": order.technician_id,
    }
    to_region_consoles("order_status", data, order.region_id)
    queue_webhooks(order, f"order.{order.status}")


def queue_webhooks(order, event_name, extra=None):
    """Write one outbox row per endpoint of the client (or its parents) that wants this event."""
    endpoints = _endpoints(order.org_id, event_name)
    if not endpoints:
        return
    payload = {
        "type": event_name,
        "timestamp": utcnow().isoformat(),
        "data": {**OrderOut().dump(order), **(extra or {})},
    }
    for endpoint in endpoints:
        delivery = WebhookDelivery(
            message_id=f"msg_{secrets.token_hex(12)}",
            endpoint_id=endpoint.id,
            org_id=endpoint.org_id,
            event=event_name,
            payload=payload,
            state="pending",
            next_attempt_at=utcnow(),
        )
        db.session.add(delivery)
        db.session.flush()
        after_commit(_enqueue_delivery, delivery.id)


def _endpoints(org_id, event_name) -> list[WebhookEndpoint]:
    """Active endpoints of the organization or its parents wanting the event (cached for the
    current transaction only: a batch of orders asks once, a later transaction sees changes)."""
    cache = db.session.info.setdefault(_ENDPOINTS, {})
    if (org_id, event_name) not in cache:
        cache[org_id, event_name] = db.session.scalars(
            select(WebhookEndpoint).where(
                WebhookEndpoint.org_id.in_(org_ancestor_ids(org_id)),
                WebhookEndpoint.disabled_at.is_(None),
                WebhookEndpoint.events.any(event_name) | WebhookEndpoint.events.any("*"),
            )
        ).all()
    return cache[org_id, event_name]


def _enqueue_delivery(delivery_id):
    deliver.enqueue(delivery_id)
