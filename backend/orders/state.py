"""Applying the order state machine (backend/orders/transitions.py): each change is a
conditional UPDATE, so that two concurrent changes cannot both win, plus its event row and
its notifications."""

from sqlalchemy import update

from backend.errors import Conflict, IllegalTransition
from backend.extensions import db
from backend.models import Order, OrderEvent
from backend.models.base import utcnow
from backend.orders.notify import status_changed
from backend.orders.transitions import allowed_from


def check_allowed(order: Order, to_status: str):
    """409 naming what is allowed now, unless from → to is a legal step for the order's kind."""
    allowed = allowed_from(order.kind, order.status)
    if to_status not in allowed:
        raise IllegalTransition(
            f"a {order.kind} order cannot go from {order.status} to {to_status}",
            status_now=order.status,
            allowed=allowed,
        )


def transition(order: Order, to_status: str, actor, *, action=None, reason=None, location=None, data=None, **values):
    """Move the order from its loaded status to `to_status`, with an event row.

    The UPDATE is conditional on the status we read, so a concurrent change makes this one
    fail with 409 instead of silently overwriting it.
    """
    check_allowed(order, to_status)
    from_status = order.status
    stmt = (
        update(Order)
        .where(Order.id == order.id, Order.status == from_status)
        .values(status=to_status, updated_at=utcnow(), **values)
        .returning(Order.id)
    )
    if db.session.execute(stmt, execution_options={"synchronize_session": False}).first() is None:
        db.session.refresh(order)
        raise Conflict(
            f"the order changed meanwhile: it is now {order.status}",
            status_now=order.status,
            allowed=allowed_from(order.kind, order.status),
        )
    record(order.id, action or to_status, actor, from_status, to_status, reason=reason, location=location, data=data)
    db.session.refresh(order)
    status_changed(order, from_status)
    return order


def record(order_id, action, actor, from_status=None, to_status=None, *, reason=None, location=None, data=None):
    """Append one event row; `actor` is (kind, id) e.g. ("user", 7) or ("system", None)."""
    event = OrderEvent(
        order_id=order_id,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor_kind=actor[0],
        actor_id=actor[1],
        reason=reason,
        location=location,
        data=data,
    )
    db.session.add(event)
    return event
