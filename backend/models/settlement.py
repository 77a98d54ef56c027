"""Money flows around the ledger (migration 0009_money_flows): clients' credit limits, the open
reservation of each published order, each technician's cumulative income-tax figures per tax
year, the tax withheld from each payment, and one row per daily work record posted to the ledger.

The ledger rows (backend/models/money.py) hold the money; these rows say why it moved and let a
replay find what was already done. Amounts are integer fen."""

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import check_in, utcnow

RESERVATION_STATES = ("open", "voided", "released")


class CreditLimit(db.Model):
    """The credit a platform admin grants a client: it may reserve and pay beyond its funds up to this."""

    __tablename__ = "credit_limits"
    __table_args__ = (CheckConstraint("limit_fen >= 0", name="ck_credit_limits_non_negative"),)

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    limit_fen: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(500))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OrderReservation(db.Model):
    """The pending ledger transfer (funds -> reserved) holding a published order's estimated cost.
    `version` counts re-reservations (verification re-prices the order)."""

    __tablename__ = "order_reservations"
    __table_args__ = (
        check_in("state", RESERVATION_STATES, "ck_order_reservations_state"),
        CheckConstraint("amount_fen > 0", name="ck_order_reservations_amount"),
        Index("ix_order_reservations_org_open", "org_id", postgresql_where="state = 'open'"),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    transfer_id: Mapped[str] = mapped_column(String(160))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), default="open")
    estimate: Mapped[dict] = mapped_column(JSONB)  # how the amount was priced
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TaxYear(db.Model):
    """One technician's cumulative income-tax figures for one tax year (backend/money/tax.py's
    CumulativeState), updated under a row lock with each payment."""

    __tablename__ = "tax_years"

    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    income_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    months_paid: Mapped[int] = mapped_column(Integer, default=0)
    first_month: Mapped[int] = mapped_column(Integer, default=0)
    last_month: Mapped[int] = mapped_column(Integer, default=0)
    other_deductions_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    withheld_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TaxWithholding(db.Model):
    """The tax withheld from one payment (a finalized record's pay or share) and the cumulative
    figures behind it: the rows of the monthly withholding declaration."""

    __tablename__ = "tax_withholdings"
    __table_args__ = (
        UniqueConstraint("record_id", "technician_id", name="uq_tax_withholdings_record_technician"),
        Index("ix_tax_withholdings_technician_month", "technician_id", "year", "month"),
        CheckConstraint("income_fen >= 0 AND tax_fen >= 0", name="ck_tax_withholdings_amounts"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("daily_work_records.id"))
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"))
    source: Mapped[str] = mapped_column(String(8))  # "pay" (own work) or "share" (a member's work)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)  # the month paid (China Standard Time)
    paid_on: Mapped[date] = mapped_column(Date)
    income_fen: Mapped[int] = mapped_column(BigInteger)
    tax_fen: Mapped[int] = mapped_column(BigInteger)
    cumulative: Mapped[dict] = mapped_column(JSONB)  # income, expenses, deduction, taxable, due, withheld
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RecordPosting(db.Model):
    """A finalized daily work record's money, posted once (the marker a replay finds)."""

    __tablename__ = "record_postings"
    __table_args__ = (
        Index("ix_record_postings_technician", "technician_id", "work_date"),
        Index("ix_record_postings_org", "org_id", "work_date"),
    )

    record_id: Mapped[int] = mapped_column(ForeignKey("daily_work_records.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"))
    work_date: Mapped[date] = mapped_column(Date)
    journal_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    pay_fen: Mapped[int] = mapped_column(BigInteger)
    fee_fen: Mapped[int] = mapped_column(BigInteger)
    shares_fen: Mapped[int] = mapped_column(BigInteger)
    insurance_fen: Mapped[int] = mapped_column(BigInteger)
    tax_fen: Mapped[int] = mapped_column(BigInteger)  # withheld from the technician's own pay
    credit_drawn_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    released_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # reservations released
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
