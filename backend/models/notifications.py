"""Technicians' phones (push tokens), the notification outbox and notification preferences."""

from datetime import datetime, time

from sqlalchemy import ARRAY, Boolean, DateTime, ForeignKey, Index, String, Time, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import Timestamped, check_in, utcnow

DEVICE_PLATFORMS = ("android", "ios", "web")
PUSH_PROVIDERS = ("jpush", "fcm")
# pending: to send; held: quiet hours, sent when they end; muted: the technician turned the kind
# off; no_device: nothing to push to; sent / failed: every device answered.
NOTIFICATION_STATES = ("pending", "held", "sent", "failed", "no_device", "muted")


class Device(db.Model):
    """One app install that can receive pushes; the token is the provider's registration id."""

    __tablename__ = "devices"
    __table_args__ = (
        check_in("platform", DEVICE_PLATFORMS, "ck_devices_platform"),
        check_in("provider", PUSH_PROVIDERS, "ck_devices_provider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(512), unique=True)
    app_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Notification(Timestamped, db.Model):
    """An outbox row: what to tell a technician, and what each of their devices answered."""

    __tablename__ = "notifications"
    __table_args__ = (
        check_in("state", NOTIFICATION_STATES, "ck_notifications_state"),
        Index("ix_notifications_technician", "technician_id", "id"),
        # The sweep's two questions: held rows now due, urgent rows due for their SMS.
        Index("ix_notifications_held", "held_until", postgresql_where=text("state = 'held'")),
        Index(
            "ix_notifications_sms_due",
            "sms_due_at",
            postgresql_where=text("sms_due_at IS NOT NULL AND sms_sent_at IS NULL AND acknowledged_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"))
    kind: Mapped[str] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict] = mapped_column(JSONB)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    results: Mapped[list] = mapped_column(JSONB, default=list)
    held_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sms_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sms_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationPreference(db.Model):
    """Quiet hours (local wall-clock times in `time_zone`) and kinds turned off."""

    __tablename__ = "notification_preferences"

    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    muted_kinds: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
