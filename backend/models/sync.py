"""Writes a phone made offline, as received: each is applied once, by its client id."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import check_in, utcnow

OFFLINE_WRITE_TYPES = ("check_in", "check_out", "deliver", "readings")


class OfflineWrite(db.Model):
    __tablename__ = "offline_writes"
    __table_args__ = (
        check_in("type", OFFLINE_WRITE_TYPES, "ck_offline_writes_type"),
        check_in("outcome", ("accepted", "refused"), "ck_offline_writes_outcome"),
    )

    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[int] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(16))
    result: Mapped[dict] = mapped_column(JSONB)  # the order's state after it, or the refusal (a problem)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
