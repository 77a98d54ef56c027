"""The replay of one order for its client: the technician's track, but only while they worked on
that order (PIPL: a client must never see where a technician was outside their order).

The order's events say when that was. Work opens when the technician who holds the order claimed
or accepted it (an `accepted` event; a later one means a new holder, so what came before is
forgotten: it was someone else's work) and closes when they delivered it (or it was cancelled,
expired or released). A rejected delivery reopens it only when the technician sets off or checks
in again, so the time between a delivery and its rejection stays hidden. While the work goes on,
it runs to now. An order never accepted shows an empty track. The line itself comes from tracking
(backend/tracking/views.py), its one owner; the events shown are the order's own, not the
technician's status changes (which may concern other work).
"""

from datetime import datetime

from geoalchemy2.shape import to_shape
from sqlalchemy import select

from backend.extensions import db
from backend.models import Order, OrderEvent
from backend.models.base import utcnow
from backend.tracking.views import empty_feature, track_feature_within

RESUMES = ("en_route", "on_site")  # after a rejection, work on the order starts again
CLOSES = ("delivered", "cancelled", "expired", "published", "offered", "assigned")

Span = tuple[datetime, datetime]


def _status_events(order_id: int) -> list[OrderEvent]:
    return list(
        db.session.scalars(
            select(OrderEvent)
            .where(
                OrderEvent.order_id == order_id,
                OrderEvent.to_status.is_not(None),
                OrderEvent.from_status.is_distinct_from(OrderEvent.to_status),  # changes, not notes
            )
            .order_by(OrderEvent.id)
        )
    )


def work_spans(events: list[OrderEvent], now: datetime) -> list[Span]:
    """[start, end] of each stretch the current holder worked on the order, in time order."""
    spans: list[Span] = []
    opened = None
    for event in events:
        status, at = event.to_status, event.created_at
        if status == "accepted":  # a (new) holder: earlier stretches were not theirs
            spans, opened = [], at
        elif status in RESUMES and opened is None and spans:
            opened = at
        elif status in CLOSES and opened is not None:
            spans.append((opened, at))
            opened = None
    if opened is not None:
        spans.append((opened, now))
    return [(start, end) for start, end in spans if end > start]


def order_spans(order: Order, now: datetime | None = None) -> list[Span]:
    """The order's work spans, or none: nobody holds it, or it is online work (nothing travels)."""
    if order.technician_id is None or order.kind == "project":
        return []
    return work_spans(_status_events(order.id), now or utcnow())


def _event(event: OrderEvent) -> dict:
    point = to_shape(event.location) if event.location is not None else None
    return {
        "kind": "status",
        "value": event.to_status,
        "t": event.created_at.timestamp(),
        "lon": point.x if point else None,
        "lat": point.y if point else None,
    }


def _within(event: OrderEvent, spans: list[Span]) -> bool:
    return any(start <= event.created_at <= end for start, end in spans)


def order_track(order: Order, tolerance_m: float, now: datetime | None = None) -> dict:
    """A GeoJSON Feature of the holder's track within the order's work spans, with the order's
    status changes inside them."""
    spans = order_spans(order, now)
    if spans:
        feature = track_feature_within(order.technician_id, spans, tolerance_m)
        events = [_event(e) for e in _status_events(order.id) if _within(e, spans)]
    else:
        feature, events = empty_feature(), []
    feature["properties"].update(
        order_id=order.id,
        technician_id=order.technician_id if spans else None,
        start=spans[0][0].isoformat() if spans else None,
        end=spans[-1][1].isoformat() if spans else None,
        spans=[[start.isoformat(), end.isoformat()] for start, end in spans],
        events=events,
    )
    return feature
