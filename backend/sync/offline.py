"""Writes made offline (check-in, check-out, delivery, readings), applied once each.

Each write carries the phone's client id and the time and fix it was recorded with. The
rules are those of the live routes, applied to the recorded fix and time, not the upload:
the order's time windows, the geofence, accuracy and mock checks (the live track cross-check
is skipped: the track now says nothing about where the phone was then). A write is accepted
or refused on its own; either answer is stored, so uploading it again answers the same.
"""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from backend.errors import DomainError, IllegalTransition, NotFound, ValidationFailed, field_error
from backend.extensions import db
from backend.models import OfflineWrite, Order
from backend.orders import lifecycle as life
from backend.orders.state import record
from backend.orders.transitions import ACTIVE
from geo.shapes import GeometryError, parse_point

SYNC_LOCK = 4016  # advisory-lock namespace: one upload at a time per technician
CLOCK_SKEW_S = 120  # a phone clock this far ahead is still believed
MAX_AGE_H = 72  # older offline work is for the dispatcher to settle, not the sync


def apply_writes(technician_id: int, writes: list[dict], now: datetime) -> list[dict]:
    db.session.execute(select(func.pg_advisory_xact_lock(SYNC_LOCK, technician_id)))
    return [_apply_once(technician_id, write, now) for write in writes]


def _apply_once(technician_id: int, write: dict, now: datetime) -> dict:
    seen = db.session.get(OfflineWrite, (technician_id, write["client_id"]))
    if seen is not None:
        return {"client_id": seen.client_id, "outcome": seen.outcome, "duplicate": True, **seen.result}
    savepoint = db.session.begin_nested()
    try:
        result, outcome = _apply(technician_id, write, now), "accepted"
        savepoint.commit()
    except DomainError as exc:
        savepoint.rollback()
        result, outcome = {"problem": exc.problem()}, "refused"
    db.session.add(
        OfflineWrite(
            technician_id=technician_id,
            client_id=write["client_id"],
            type=write["type"],
            order_id=write["order_id"],
            recorded_at=write["recorded_at"],
            outcome=outcome,
            result=result,
            received_at=now,
        )
    )
    db.session.flush()
    return {"client_id": write["client_id"], "outcome": outcome, "duplicate": False, **result}


def _apply(technician_id: int, write: dict, now: datetime) -> dict:
    order = db.session.get(Order, write["order_id"])
    if order is None or order.technician_id != technician_id:
        raise NotFound("order")
    at = write["recorded_at"]
    _check_recorded_time(order, write["type"], at, now)
    kind = write["type"]
    if kind in ("check_in", "check_out"):
        apply = life.check_in if kind == "check_in" else life.check_out
        apply(order, technician_id, *_fix(write), at=at)
    elif kind == "deliver":
        lon_lat, accuracy_m, is_mock = _fix(write)
        life.check_window(order, at)
        life.check_fix(order, technician_id, lon_lat, accuracy_m, is_mock, live=False)
        life.deliver(order, technician_id, write["delivery"], at=at)
    else:
        _readings(order, technician_id, write)
    return {"order_id": order.id, "order_status": order.status, "recorded_at": at.isoformat()}


def _check_recorded_time(order: Order, kind: str, at: datetime, now: datetime):
    problem = None
    if at > now + timedelta(seconds=CLOCK_SKEW_S):
        problem = "is in the future"
    elif at < now - timedelta(hours=MAX_AGE_H):
        problem = f"is more than {MAX_AGE_H} hours old"
    elif kind != "check_in" and order.on_site_at is not None and at < order.on_site_at:
        problem = "is before the check-in"
    if problem:
        raise ValidationFailed(
            f"the recorded time {problem}", errors=[field_error("recorded_at", f"the recorded time {problem}")]
        )


def _fix(write: dict):
    fix = write["fix"]
    try:
        lon_lat = parse_point(fix["location"], coord_sys=fix["coord_sys"])
    except GeometryError as exc:
        raise ValidationFailed(
            f"invalid fix: {exc.message}", errors=[field_error("fix.location", exc.message)]
        ) from exc
    return lon_lat, fix["accuracy_m"], fix["is_mock"]


def _readings(order: Order, technician_id: int, write: dict):
    if order.status not in (*ACTIVE, "delivered"):
        raise IllegalTransition("readings are recorded on an order in hand", status_now=order.status, allowed=[])
    data = {"readings": write["readings"], "recorded_at": write["recorded_at"].isoformat()}
    record(order.id, "readings_recorded", ("technician", technician_id), order.status, order.status, data=data)
