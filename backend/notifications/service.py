"""Devices and the notification history: what the phone and the console routes call."""

from sqlalchemy import select

from backend.errors import NotFound
from backend.extensions import db
from backend.models import Device, Notification
from backend.models.base import utcnow


def register_device(technician_id: int, body: dict) -> Device:
    """Add or refresh a device by its push token. A token seen under another technician moves
    to this one (the phone changed hands, or someone else signed in on it)."""
    device = db.session.scalar(select(Device).where(Device.token == body["push_token"]).with_for_update())
    now = utcnow()
    if device is None:
        device = Device(token=body["push_token"], created_at=now)
        db.session.add(device)
    device.technician_id = technician_id
    device.platform, device.provider, device.app_version = body["platform"], body["provider"], body["app_version"]
    device.last_seen_at = now
    db.session.flush()
    return device


def devices_of(technician_id: int) -> list[Device]:
    return list(db.session.scalars(select(Device).where(Device.technician_id == technician_id).order_by(Device.id)))


def remove_device(technician_id: int, device_id: int):
    device = db.session.get(Device, device_id)
    if device is None or device.technician_id != technician_id:
        raise NotFound("device")
    db.session.delete(device)


def history(technician_id: int, limit: int, cursor: str | None) -> tuple[list[Notification], str | None]:
    """A technician's notifications, newest first; the cursor is the last id seen."""
    stmt = select(Notification).where(Notification.technician_id == technician_id)
    if cursor:
        stmt = stmt.where(Notification.id < int(cursor))
    rows = list(db.session.scalars(stmt.order_by(Notification.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1].id) if more else None)


def acknowledge(technician_id: int, notification_id: int) -> Notification:
    """The app showed it to the technician: no SMS fallback any more."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.technician_id != technician_id:
        raise NotFound("notification")
    if row.acknowledged_at is None:
        row.acknowledged_at = utcnow()
    return row
