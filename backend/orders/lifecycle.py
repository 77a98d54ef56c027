"""The acts that move an order: publish, cancel, travel, check in and out, deliver, and the
client's verdict (accept with points, or reject back to the technician), and the rating."""

from datetime import datetime

from flask import current_app
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import func, select

from backend import storage
from backend.errors import (
    IllegalTransition,
    OutsideGeofence,
    OutsideTimeWindow,
    PlainProblem,
    ValidationFailed,
    field_error,
)
from backend.extensions import db
from backend.models import Order, OrderEvent, Site
from backend.models.base import utcnow
from backend.money import settlement
from backend.orders import assign, points
from backend.orders.matching import remember_position
from backend.orders.notify import queue_webhooks, to_technician
from backend.orders.state import check_allowed, record, transition
from backend.tracking.positions import checkin_position

# A technician streaming positions is where the stream says: a check-in (or out) must agree
# with their newest valid streamed fix when it is younger than this.
TRACK_AGREEMENT_S = 300


def publish(order: Order, actor) -> Order:
    """Open the order: offered to online technicians (grab) or assigned to the best one (auto)."""
    transition(order, "published", actor)
    settlement.reserve_order(order)  # its estimated cost, or 422 naming the shortfall
    if order.dispatch_mode == "auto":
        assign.auto_assign(order, actor)
    else:
        assign.offer_to_online(order, actor)
    return order


def cancel(order: Order, actor, reason: str) -> Order:
    transition(order, "cancelled", actor, reason=reason)
    settlement.release_order(order)
    assign.close_offers(order.id, -1, "withdrawn")
    if order.technician_id is not None:
        to_technician(order.technician_id, "cancellation", {"order_id": order.id, "reason": reason})
    return order


def en_route(order: Order, technician_id: int) -> Order:
    return transition(order, "en_route", ("technician", technician_id))


# --- on site -----------------------------------------------------------------------------------


def check_fix(order: Order, technician_id: int, lon_lat, accuracy_m: float, is_mock: bool, *, live=True) -> float:
    """422 unless the fix is honest, precise enough and inside the site's geofence, and the
    technician's own recent track (if they stream one) agrees; returns metres from the site.
    A fix recorded offline (`live=False`) is not compared with the track as it is now."""
    site = db.session.get(Site, order.site_id) if order.site_id else None
    radius = (
        site.geofence_radius_m if site and site.geofence_radius_m else current_app.config["CHECKIN_DEFAULT_RADIUS_M"]
    )
    metres = _distance_m(order, lon_lat)
    max_accuracy = current_app.config["CHECKIN_MAX_ACCURACY_M"]
    problems = []
    if is_mock:
        problems.append(field_error("is_mock", "a mock location cannot check in"))
    if accuracy_m > max_accuracy:
        problems.append(field_error("accuracy_m", f"accuracy {accuracy_m:.0f} m is worse than {max_accuracy} m"))
    if metres > radius:
        problems.append(field_error("location", f"{metres:.0f} m from the site; the geofence is {radius} m"))
    tracked = _tracked_distance_m(order, technician_id) if live else None
    if tracked is not None and tracked > radius:
        problems.append(
            field_error(
                "location",
                f"your tracked position is {tracked:.0f} m from the site; the geofence is {radius} m",
                source="track",
            )
        )
    if problems:
        extra = {} if tracked is None else {"track_distance_m": round(tracked, 1)}
        raise OutsideGeofence(
            "; ".join(p["message"] for p in problems),
            errors=problems,
            distance_m=round(max(metres, tracked or 0), 1),
            radius_m=radius,
            max_accuracy_m=max_accuracy,
            **extra,
        )
    return metres


def _tracked_distance_m(order: Order, technician_id: int) -> float | None:
    """Metres from the site to the technician's newest valid streamed fix, if it is recent.
    The phone's own claim (is_mock, accuracy) can lie; the server's track is a second witness."""
    streamed = checkin_position(technician_id, max_age_s=TRACK_AGREEMENT_S)
    return None if streamed is None else _distance_m(order, (streamed["lon"], streamed["lat"]))


def _distance_m(order: Order, lon_lat) -> float:
    # Geodesic distance on the spheroid (geography), from the work point to the fix.
    site_point = select(Site.location).where(Site.id == Order.site_id).scalar_subquery()
    fix = func.ST_SetSRID(func.ST_MakePoint(*lon_lat), 4326)
    stmt = select(
        func.ST_Distance(func.geography(func.coalesce(site_point, Order.location)), func.geography(fix))
    ).where(Order.id == order.id)
    return float(db.session.scalar(stmt))


def check_window(order: Order, now):
    """Attendance (checkin orders) counts only inside one of the order's time windows."""
    if order.kind != "checkin" or not order.time_windows:
        return
    inside = any(
        datetime.fromisoformat(w["start"]) <= now <= datetime.fromisoformat(w["end"]) for w in order.time_windows
    )
    if not inside:
        raise OutsideTimeWindow(
            "outside the order's time windows",
            time_windows=order.time_windows,
            errors=[field_error("time", "check in and out only inside a time window of the order")],
        )


def check_in(order: Order, technician_id: int, lon_lat, accuracy_m, is_mock, *, at=None) -> Order:
    """`at`: the time a fix was recorded offline; the window and fence rules apply to it."""
    check_allowed(order, "on_site")
    now = at or utcnow()
    metres, location = _inside_fence(order, technician_id, now, lon_lat, accuracy_m, is_mock, live=at is None)
    if at is None:  # an offline fix is history, not where the technician is now
        remember_position(technician_id, lon_lat)
    return transition(
        order,
        "on_site",
        ("technician", technician_id),
        action="checked_in",
        location=location,
        data={"distance_m": metres, "accuracy_m": accuracy_m},
        on_site_at=now,
    )


def check_out(order: Order, technician_id: int, lon_lat, accuracy_m, is_mock, *, at=None) -> Order:
    """A checkin order's delivery: leave the site inside the fence; the duration is recorded."""
    if order.kind != "checkin":
        raise IllegalTransition(
            "only checkin orders check out; deliver this order instead",
            status_now=order.status,
            allowed=["delivered"],
        )
    check_allowed(order, "delivered")
    now = at or utcnow()
    metres, location = _inside_fence(order, technician_id, now, lon_lat, accuracy_m, is_mock, live=at is None)
    minutes = _minutes(order.on_site_at, now)
    return transition(
        order,
        "delivered",
        ("technician", technician_id),
        action="checked_out",
        location=location,
        data={"distance_m": metres, "on_site_minutes": minutes},
        checked_out_at=now,
        on_site_minutes=minutes,
    )


def _inside_fence(order: Order, technician_id: int, now, lon_lat, accuracy_m, is_mock, live=True):
    """The window and geofence checks of a check-in or check-out: (metres from the site, the fix as a point)."""
    check_window(order, now)
    metres = check_fix(order, technician_id, lon_lat, accuracy_m, is_mock, live=live)
    return round(metres, 1), from_shape(Point(*lon_lat), srid=4326)


def _minutes(start, end):
    return max(1, round((end - start).total_seconds() / 60)) if start else None


# --- delivery ----------------------------------------------------------------------------------


def add_evidence(order: Order, technician_id: int, data: bytes) -> storage.StoredFile:
    """Store one evidence file for this order (content-addressed) and note it on the order."""
    try:
        stored = storage.save(data)
    except storage.StorageError as exc:
        raise PlainProblem(str(exc), errors=[field_error("file", str(exc), "files")]) from exc
    record(
        order.id,
        "evidence_uploaded",
        ("technician", technician_id),
        order.status,
        order.status,
        data={"sha256": stored.sha256, "size": stored.size, "content_type": stored.content_type},
    )
    return stored


def _uploaded_for(order: Order) -> set[str]:
    rows = db.session.scalars(
        select(OrderEvent.data["sha256"].astext).where(
            OrderEvent.order_id == order.id, OrderEvent.action == "evidence_uploaded"
        )
    )
    return set(rows)


def deliver(order: Order, technician_id: int, body: dict, *, at=None) -> Order:
    """Hand the work over: evidence uploaded for this order, notes and readings (project: files only)."""
    if order.kind == "checkin":
        raise IllegalTransition(
            "a checkin order is delivered by checking out",
            status_now=order.status,
            allowed=["check-out"],
        )
    check_allowed(order, "delivered")
    _check_delivery(order, body)
    now = at or utcnow()  # `at`: recorded offline
    minutes = _minutes(order.on_site_at, now) if order.kind == "dispatch" else None
    delivery = {
        "evidence": body["evidence"],
        "notes": body["notes"],
        "readings": body["readings"],
        "delivered_at": now.isoformat(),
    }
    return transition(
        order,
        "delivered",
        ("technician", technician_id),
        data={"evidence": len(body["evidence"])},
        delivery=delivery,
        on_site_minutes=minutes,
    )


def _check_delivery(order, body):
    errors = []
    uploaded = _uploaded_for(order)
    errors += [
        field_error(f"evidence.{i}", "not uploaded for this order")
        for i, sha in enumerate(body["evidence"])
        if sha not in uploaded
    ]
    if order.kind == "project":
        if not body["evidence"]:
            errors.append(field_error("evidence", "a project order is delivered as files"))
        if body["readings"]:
            errors.append(field_error("readings", "a project order delivers files only"))
    elif not body["evidence"] and not body["notes"]:
        errors.append(field_error("evidence", "give evidence files or notes"))
    if errors:
        raise ValidationFailed("the delivery is incomplete", errors=errors)


# --- the client's verdict --------------------------------------------------------------------


def verify(order: Order, actor, rating=None, reason=None) -> Order:
    """Accept the delivery; points follow under the client's rate card."""
    check_allowed(order, "verified")
    if rating is not None:
        order.quality_rating = rating
    points.award(order)
    transition(
        order,
        "verified",
        actor,
        reason=reason,
        data={"points_centi": order.points_centi},
        quality_rating=order.quality_rating,
        points_centi=order.points_centi,
        points_breakdown=order.points_breakdown,
        rate_card_id=order.rate_card_id,
    )
    settlement.adjust_order(order)  # the reservation follows the actual points
    return order


def reject(order: Order, actor, reason: str) -> Order:
    """Send the delivery back to the technician, with the reason."""
    transition(order, "rejected", actor, reason=reason)
    to_technician(
        order.technician_id,
        "assignment",
        {"order_id": order.id, "offer_id": None, "mode": "rejected", "reason": reason},
    )
    return order


def rate(order: Order, actor, rating: int) -> Order:
    """Rate quality 1-5 once delivered; a verified order's points are recomputed."""
    if order.status not in ("delivered", "verified"):
        raise IllegalTransition(
            "only a delivered or verified order can be rated",
            status_now=order.status,
            allowed=[],
        )
    order.quality_rating = rating
    record(order.id, "rated", actor, order.status, order.status, data={"rating": rating})
    if order.status == "verified":
        points.award(order)
        queue_webhooks(order, "order.points_updated")
    return order
