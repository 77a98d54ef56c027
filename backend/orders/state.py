"""The order state machine: explicit allowed transitions per kind, applied with a
conditional UPDATE so that two concurrent changes cannot both win.

dispatch  created → published → (offered →) assigned → accepted → en_route → on_site → delivered → verified
checkin   the same walk; check-out of the site is what delivers (the on-site duration is recorded)
project   online work: accepted → delivered (files only) → verified; no travel, no site
Any open or running order can be cancelled; unassigned ones expire when their window passes;
a rejected delivery returns to the technician (who delivers again).
"""

from sqlalchemy import update

from backend.errors import IllegalTransition, fail
from backend.extensions import db
from backend.models import Order, OrderEvent
from backend.models.base import utcnow

OPEN = ("published", "offered")  # visible to eligible technicians, claimable
UNASSIGNED = ("created", "published", "offered", "assigned")
ACTIVE = ("assigned", "accepted", "en_route", "on_site", "rejected")  # count toward a technician's load
FINAL = ("verified", "cancelled", "expired")

_COMMON = {
    "created": {"published", "cancelled", "expired"},
    "published": {"offered", "assigned", "accepted", "cancelled", "expired"},
    "offered": {"published", "assigned", "accepted", "cancelled", "expired"},
    "assigned": {"accepted", "published", "assigned", "cancelled", "expired"},
    "delivered": {"verified", "rejected"},
    "verified": set(),
    "cancelled": set(),
    "expired": set(),
}
_ON_SITE_KINDS = {
    "accepted": {"en_route", "cancelled"},
    "en_route": {"on_site", "cancelled"},
    "on_site": {"delivered", "cancelled"},
    "rejected": {"en_route", "on_site", "delivered", "cancelled"},
}
TRANSITIONS = {
    "dispatch": {**_COMMON, **_ON_SITE_KINDS},
    "checkin": {**_COMMON, **_ON_SITE_KINDS, "rejected": {"en_route", "on_site", "cancelled"}},
    "project": {
        **_COMMON,
        "accepted": {"delivered", "cancelled"},
        "rejected": {"delivered", "cancelled"},
        "en_route": set(),
        "on_site": set(),
    },  # online work never travels
}


def allowed_from(kind: str, status: str) -> list[str]:
    """The states an order of this kind may move to from `status`."""
    return sorted(TRANSITIONS[kind].get(status, set()))


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
        fail(
            409,
            f"the order changed meanwhile: it is now {order.status}",
            kind="conflict",
            status_now=order.status,
            allowed=allowed_from(order.kind, order.status),
        )
    record(order.id, action or to_status, actor, from_status, to_status, reason=reason, location=location, data=data)
    db.session.refresh(order)
    from backend.orders.notify import status_changed  # late: notify imports this module's users

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
