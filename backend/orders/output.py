"""Orders, their points and their events as the API and webhooks show them (JSON-ready)."""

from decimal import Decimal

from geoalchemy2.shape import to_shape

from backend.models import Order
from backend.orders.transitions import allowed_from


def order_out(order: Order, *, distance_m=None) -> dict:
    """An order as the API shows it (JSON-ready)."""
    return {
        "id": order.id,
        "org_id": order.org_id,
        "client_ref": order.client_ref,
        "kind": order.kind,
        "status": order.status,
        "dispatch_mode": order.dispatch_mode,
        "site_id": order.site_id,
        "location": _point(order.location),
        "region_id": order.region_id,
        "role": order.role_code,
        "skills": [{"code": s.skill_code, "min_level": s.min_level} for s in order.skills],
        "priority": order.priority,
        "time_windows": order.time_windows or [],
        "sla_deadline": iso(order.sla_deadline),
        "sla_breached_at": iso(order.sla_breached_at),
        "standard_duration_min": order.standard_duration_min,
        "work_type": order.work_type,
        "description": order.description,
        "attachments": order.attachments or [],
        "technician_id": order.technician_id,
        "on_site_at": iso(order.on_site_at),
        "on_site_minutes": order.on_site_minutes,
        "delivery": order.delivery,
        "quality_rating": order.quality_rating,
        "points": points_out(order),
        "allowed_transitions": allowed_from(order.kind, order.status),
        "created_at": iso(order.created_at),
        "updated_at": iso(order.updated_at),
        "distance_m": distance_m,
    }


def points_out(order: Order) -> dict:
    centi = order.points_centi
    points = None if centi is None else str((Decimal(centi) / 100).quantize(Decimal("0.01")))
    breakdown = order.points_breakdown or {}
    return {
        "points": points,
        "points_centi": centi,
        "rate_card": breakdown.get("rate_card"),
        "breakdown": breakdown or None,
    }


def event_out(event) -> dict:
    return {
        "id": event.id,
        "action": event.action,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "reason": event.reason,
        "location": _point(event.location),
        "data": event.data,
        "created_at": iso(event.created_at),
    }


def _point(geom):
    if geom is None:
        return None
    lon, lat = lon_lat(geom)
    return {"type": "Point", "coordinates": [lon, lat]}


def lon_lat(geom):
    """(lon, lat) of a stored point."""
    point = to_shape(geom)
    return (point.x, point.y)


def iso(value):
    return value.isoformat() if value is not None else None
