"""The replay of one order for its client: the technician's track, but only while they worked on
that order (PIPL: a client must never see where a technician was outside their order).

The window opens when the technician who holds the order claimed or accepted it (the latest
`accepted` event: after a reassignment, the current holder's) and closes when they delivered it
(the latest `delivered` event), when it was cancelled, or now while the work goes on. Outside it
nothing is shown; an order never accepted shows an empty track. The line itself comes from
tracking (backend/tracking/views.py), its one owner; the events shown are the order's own, not
the technician's status changes (which may concern other work).
"""

from dataclasses import dataclass
from datetime import datetime

from geoalchemy2.shape import to_shape
from sqlalchemy import select

from backend.extensions import db
from backend.models import Order, OrderEvent
from backend.models.base import utcnow
from backend.tracking.views import empty_feature, track_feature

WORKING = ("accepted", "en_route", "on_site", "rejected")  # the window is still open
DONE = ("delivered", "verified")


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def _latest(order_id: int, to_status: str) -> datetime | None:
    return db.session.scalar(
        select(OrderEvent.created_at)
        .where(OrderEvent.order_id == order_id, OrderEvent.to_status == to_status)
        .order_by(OrderEvent.id.desc())
        .limit(1)
    )


def order_window(order: Order, now: datetime | None = None) -> Window | None:
    """[claim or acceptance, delivery] of the current holder, or None when there is none."""
    if order.technician_id is None or order.kind == "project":  # online work: nothing travels
        return None
    start = _latest(order.id, "accepted")
    if start is None:
        return None
    if order.status in DONE:
        end = _latest(order.id, "delivered")
    elif order.status in WORKING:
        end = now or utcnow()
    else:  # cancelled (or any other end): the window closed when the order did
        end = _latest(order.id, order.status)
    return Window(start, end) if end is not None and end > start else None


def _events(order_id: int, window: Window) -> list[dict]:
    """The order's status changes inside the window, where they happened (when known)."""
    rows = db.session.scalars(
        select(OrderEvent)
        .where(
            OrderEvent.order_id == order_id,
            OrderEvent.to_status.is_not(None),
            OrderEvent.created_at.between(window.start, window.end),
        )
        .order_by(OrderEvent.id)
    )
    return [_event(e) for e in rows]


def _event(event: OrderEvent) -> dict:
    point = to_shape(event.location) if event.location is not None else None
    return {
        "kind": "status",
        "value": event.to_status,
        "t": event.created_at.timestamp(),
        "lon": point.x if point else None,
        "lat": point.y if point else None,
    }


def order_track(order: Order, tolerance_m: float, now: datetime | None = None) -> dict:
    """A GeoJSON Feature of the holder's track within the order's window, with the order's events."""
    window = order_window(order, now)
    if window is None:
        feature = empty_feature()
    else:
        feature = track_feature(order.technician_id, window.start, window.end, tolerance_m)
    feature["properties"].update(
        order_id=order.id,
        technician_id=order.technician_id if window else None,
        start=window.start.isoformat() if window else None,
        end=window.end.isoformat() if window else None,
        events=_events(order.id, window) if window else [],
    )
    return feature
