"""Work hints: per work type, what a client (or the platform, org_id NULL) tells technicians —
numbered procedure steps, tools, spare parts, safety notes. Every edit is a new version."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import utcnow


class WorkHint(db.Model):
    __tablename__ = "work_hints"
    __table_args__ = (
        # One version number per owner and work type (NULL org = the platform's own hints).
        Index(
            "uq_work_hints_version",
            text("coalesce(org_id, 0)"),
            "work_type",
            "version",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    work_type: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    procedure: Mapped[list] = mapped_column(JSONB)  # ["step one", "step two", ...] in order
    tools: Mapped[list] = mapped_column(JSONB)  # ["OTDR", ...]
    spare_parts: Mapped[list] = mapped_column(JSONB)  # [{"name": ..., "quantity": n}]
    safety_notes: Mapped[list] = mapped_column(JSONB)  # ["..."]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
