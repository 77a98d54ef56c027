"""Live tracking: track points (partitioned by day), location consent, status events, and
which regions each dispatcher manages.

`track_points` is declared here for queries; its daily partitions live in the
`tracking_parts` schema and are created by the writer and a daily job (see
backend/tracking/store.py), never by SQLAlchemy.
"""

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, CheckConstraint, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import Timestamped, utcnow

TRACK_FLAGS = ("invalid", "zero", "future", "too_old", "mock", "poor_accuracy", "duplicate", "impossible_speed")
STATUSES = ("off_shift", "on_shift", "idle", "en_route", "on_site")
PRESENCE = ("online", "offline")
EVENT_KINDS = ("status", "presence", "consent")


class TrackPoint(db.Model):
    """One fix as received. `t` is the device time when it is plausible, else the server time
    (the raw claim stays in `device_time`); flagged fixes keep their reason in `flag`."""

    __tablename__ = "track_points"
    __table_args__ = (
        CheckConstraint(f"flag IS NULL OR flag IN {TRACK_FLAGS}", name="ck_track_points_flag"),
        {"postgresql_partition_by": "RANGE (t)"},
    )

    # The key is the idempotency rule: a resent fix (same client id, same time) is stored once.
    technician_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    t: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    geom = mapped_column(Geometry(geometry_type="POINT", srid=4326, spatial_index=False), nullable=True)
    accuracy: Mapped[float | None] = mapped_column(Float)
    speed: Mapped[float | None] = mapped_column(Float)
    heading: Mapped[float | None] = mapped_column(Float)
    altitude: Mapped[float | None] = mapped_column(Float)
    battery: Mapped[float | None] = mapped_column(Float)
    is_mock: Mapped[bool] = mapped_column(Boolean, default=False)
    flag: Mapped[str | None] = mapped_column(String(20))


class LocationConsent(db.Model):
    """A technician's separate consent to location tracking (PIPL art. 29); withdrawal ends it.
    One row per grant; the open one (withdrawn_at null) is the consent in force."""

    __tablename__ = "location_consents"
    __table_args__ = (
        Index("uq_location_consents_open", "technician_id", unique=True, postgresql_where="withdrawn_at IS NULL"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"), index=True)
    notice_version: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    device: Mapped[str | None] = mapped_column(String(200))


class TechnicianEvent(db.Model):
    """A status change (shift, idle, en route, on site), a presence change or a consent change."""

    __tablename__ = "technician_events"
    __table_args__ = (
        CheckConstraint(f"kind IN {EVENT_KINDS}", name="ck_technician_events_kind"),
        Index("ix_technician_events_technician_at", "technician_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)


class DispatcherRegion(Timestamped, db.Model):
    """A region a dispatcher manages (and everything inside it). Platform admins see all regions."""

    __tablename__ = "dispatcher_regions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True, index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
