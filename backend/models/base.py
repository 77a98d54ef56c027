from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime
from sqlalchemy.orm import Mapped, mapped_column


def utcnow():
    return datetime.now(UTC)


class Timestamped:
    """Creation time, stored in UTC."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)


def check_in(column, values, name):
    """A CHECK that a column holds one of the values (the database guards the vocabulary)."""
    return CheckConstraint(f"{column} IN {values}", name=name)
