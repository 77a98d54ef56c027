"""Order sweeps: assignment time-outs (auto mode moves on), expiry of unassigned orders whose
window has passed, SLA breach flags, and the purge of old idempotency keys.

Each sweep handles one order per transaction (row locked, SKIP LOCKED), so a conflict with
a request only skips that order until the next run.
"""

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from backend.extensions import db
from backend.jobs import job
from backend.models import IdempotencyKey, Order, OrderOffer
from backend.models.base import utcnow
from backend.money import settlement
from backend.orders import assign
from backend.orders.notify import queue_webhooks, to_region_consoles
from backend.orders.state import record, transition
from backend.orders.transitions import FINAL, UNASSIGNED

SYSTEM = ("system", None)
log = logging.getLogger(__name__)


def _each_locked(stmt, fn) -> int:
    """Run fn(row) for each row id of stmt, one locked row per transaction; returns how many ran."""
    done = 0
    for row_id in list(db.session.scalars(stmt)):
        entity = stmt.column_descriptions[0]["entity"]
        row = db.session.scalar(select(entity).where(entity.id == row_id).with_for_update(skip_locked=True))
        try:
            if row is not None and fn(row):
                done += 1
            db.session.commit()
        except Exception:  # one bad order must not stop the sweep
            db.session.rollback()
            log.exception("order sweep failed on %s %s", entity.__name__, row_id)
    return done


@job("high", timeout=120)
def assignment_timeouts() -> int:
    """Auto-mode assignments left unanswered past their time-out go to the next candidate."""
    stmt = select(OrderOffer.id).where(
        OrderOffer.mode == "auto", OrderOffer.state == "open", OrderOffer.expires_at < utcnow()
    )
    return _each_locked(stmt, _time_out)


def _time_out(offer: OrderOffer) -> bool:
    order = db.session.scalar(select(Order).where(Order.id == offer.order_id).with_for_update())
    if order.status != "assigned" or order.technician_id != offer.technician_id:
        offer.state = "expired"
        return False
    assign.decline_assignment(order, offer.technician_id, "no answer in time", state="expired")
    return True


@job("maintenance", timeout=300)
def expire_orders() -> int:
    """Orders nobody took before their last window closed expire."""
    stmt = select(Order.id).where(Order.status.in_(UNASSIGNED), Order.window_end < utcnow())
    return _each_locked(stmt, _expire)


def _expire(order: Order) -> bool:
    if order.status not in UNASSIGNED:
        return False
    transition(order, "expired", SYSTEM, reason="the time window passed unassigned", technician_id=None)
    settlement.release_order(order)
    assign.close_offers(order.id, -1, "withdrawn")
    return True


@job("maintenance", timeout=300)
def flag_sla_breaches() -> int:
    """Mark orders past their SLA deadline that are not delivered yet (once), and tell the client."""
    stmt = select(Order.id).where(
        Order.sla_deadline < utcnow(), Order.sla_breached_at.is_(None), Order.status.notin_((*FINAL, "delivered"))
    )
    return _each_locked(stmt, _breach)


def _breach(order: Order) -> bool:
    order.sla_breached_at = utcnow()
    record(
        order.id,
        "sla_breached",
        SYSTEM,
        order.status,
        order.status,
        data={"sla_deadline": order.sla_deadline.isoformat()},
    )
    queue_webhooks(order, "order.sla_breached")
    to_region_consoles("order_sla_breached", {"order_id": order.id, "region_id": order.region_id}, order.region_id)
    return True


@job("maintenance", timeout=300)
def purge_idempotency_keys() -> int:
    """Forget idempotency keys older than IDEMPOTENCY_TTL_HOURS (never under 24 h)."""
    cutoff = utcnow() - timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    count = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)).rowcount
    db.session.commit()
    return count
