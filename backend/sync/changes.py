"""What changed for a technician since a cursor: their orders, their offers (open ones, and
those closed since, so the app drops them), and the hints of the orders in hand.

The cursor is the server time of the previous answer. Rows are read from a little before it
(OVERLAP_S) because a transaction stamps `updated_at` before it commits; the app merges by id,
so seeing a row twice is harmless and missing one is not.
"""

import base64
import binascii
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select

from backend.errors import ValidationFailed, field_error
from backend.extensions import db
from backend.hints.service import current_hint
from backend.models import Order, OrderOffer
from backend.orders.matching import technician_can_see
from backend.orders.schemas import With
from backend.orders.transitions import ACTIVE

OVERLAP_S = 120


def encode_cursor(at: datetime) -> str:
    return base64.urlsafe_b64encode(f"v1:{int(at.timestamp() * 1_000_000)}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> datetime:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _, micros = text.partition(":")
        if version != "v1":
            raise ValueError(version)
        return datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError) as exc:
        raise ValidationFailed(
            "the sync cursor is not one this server gave",
            errors=[field_error("since", "must be a cursor from an earlier sync", "query")],
        ) from exc


def changes(technician_id: int, since: datetime | None, now: datetime) -> dict:
    after = since - timedelta(seconds=OVERLAP_S) if since else None
    orders = _orders(technician_id, after)
    return {
        "orders": orders,
        "offers": _offers(technician_id, after),
        "hints": _hints(technician_id, after),
        "cursor": encode_cursor(now),
        "full": since is None,
    }


def _orders(technician_id, after):
    stmt = select(Order).where(Order.technician_id == technician_id)
    if after is None:  # first sync: what is in hand
        stmt = stmt.where(Order.status.in_((*ACTIVE, "delivered")))
    else:  # later: every change, cancellations and verdicts included
        stmt = stmt.where(Order.updated_at > after)
    return list(db.session.scalars(stmt.order_by(Order.id)))


def _offers(technician_id, after):
    stmt = select(OrderOffer).where(OrderOffer.technician_id == technician_id)
    if after is None:
        stmt = stmt.where(OrderOffer.state == "open")
    else:
        stmt = stmt.where(
            or_(OrderOffer.state == "open", OrderOffer.created_at > after, OrderOffer.responded_at > after)
        )
    items = []
    for offer in db.session.scalars(stmt.order_by(OrderOffer.id)):
        if offer.state != "open":  # closed since: the app drops it
            items.append(With(offer, order=None))
            continue
        order = db.session.get(Order, offer.order_id)
        if technician_can_see(order, technician_id):
            items.append(With(offer, order=order))
    return items


def _hints(technician_id, after):
    in_hand = db.session.execute(
        select(Order.org_id, Order.work_type)
        .where(Order.technician_id == technician_id, Order.status.in_(ACTIVE))
        .distinct()
    ).all()
    hints = {}
    for org_id, work_type in in_hand:
        hint = current_hint(org_id, work_type)
        if hint is not None and (after is None or hint.created_at > after):
            hints[hint.id] = hint
    return list(hints.values())
