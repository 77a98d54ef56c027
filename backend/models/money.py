"""The ledger: accounts with posted and pending debits and credits, and immutable transfers
(TigerBeetle's model). Amounts are integer fen. The database guards what it can (see the
0006_ledger migration): balances never below zero on flagged accounts, transfers never updated
or deleted, a pending transfer resolved at most once, each transaction's movements balanced."""

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
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
from backend.money.accounts import KINDS, OWNERS

BALANCES = ("debits_posted", "debits_pending", "credits_posted", "credits_pending")


class LedgerAccount(db.Model):
    """One account of the chart (kind) held by one owner, with its four running totals."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        check_in("kind", KINDS, "ck_ledger_accounts_kind"),
        check_in("owner_type", OWNERS, "ck_ledger_accounts_owner_type"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="ck_ledger_accounts_currency"),
        CheckConstraint(
            "debits_posted >= 0 AND debits_pending >= 0 AND credits_posted >= 0 AND credits_pending >= 0",
            name="ck_ledger_accounts_totals_non_negative",
        ),
        CheckConstraint(
            "NOT (debits_must_not_exceed_credits AND credits_must_not_exceed_debits)",
            name="ck_ledger_accounts_one_flag",
        ),
        CheckConstraint(
            "NOT debits_must_not_exceed_credits OR debits_posted + debits_pending <= credits_posted",
            name="ck_ledger_accounts_debits_within_credits",
        ),
        CheckConstraint(
            "NOT credits_must_not_exceed_debits OR credits_posted + credits_pending <= debits_posted",
            name="ck_ledger_accounts_credits_within_debits",
        ),
        UniqueConstraint("owner_type", "owner_id", "kind", "currency", name="uq_ledger_accounts_owner_kind"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    owner_type: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int] = mapped_column(BigInteger)  # organization or technician id; 0 for the platform
    currency: Mapped[str] = mapped_column(String(3))
    debits_must_not_exceed_credits: Mapped[bool] = mapped_column(Boolean)
    credits_must_not_exceed_debits: Mapped[bool] = mapped_column(Boolean)
    debits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    debits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LedgerTransfer(db.Model):
    """An immutable movement of `amount` fen from the debit account to the credit account.

    `id` is the caller's idempotency key. A pending transfer reserves; a later transfer with
    `pending_id` posts (all or part) or voids it; the expiry job voids timed-out ones with a
    transfer of its own (`expiry`). Transfers of one linked chain share `journal_id`."""

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_ledger_transfers_amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="ck_ledger_transfers_two_accounts"),
        CheckConstraint(
            "pending::int + post_pending::int + void_pending::int <= 1", name="ck_ledger_transfers_one_mode"
        ),
        CheckConstraint(
            "(post_pending OR void_pending) = (pending_id IS NOT NULL)", name="ck_ledger_transfers_pending_id"
        ),
        CheckConstraint(
            "timeout_s >= 0 AND (timeout_s = 0 OR pending) AND (timeout_s > 0) = (expires_at IS NOT NULL)",
            name="ck_ledger_transfers_timeout",
        ),
        CheckConstraint("NOT expiry OR void_pending", name="ck_ledger_transfers_expiry_voids"),
        Index(
            "uq_ledger_transfers_one_resolution", "pending_id", unique=True, postgresql_where="pending_id IS NOT NULL"
        ),
        Index("ix_ledger_transfers_debit", "debit_account_id", "seq"),
        Index("ix_ledger_transfers_credit", "credit_account_id", "seq"),
        Index("ix_ledger_transfers_expiring", "expires_at", postgresql_where="expires_at IS NOT NULL"),
    )

    id: Mapped[str] = mapped_column(String(160), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)  # order of creation
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    credit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    pending_id: Mapped[str | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    post_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    void_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    expiry: Mapped[bool] = mapped_column(Boolean, default=False)  # a void written by the expiry job
    linked: Mapped[bool] = mapped_column(Boolean, default=False)
    timeout_s: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    journal_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    code: Mapped[str] = mapped_column(String(32))  # why the money moved: funding, reservation, pay, fee ...
    reference: Mapped[str | None] = mapped_column(String(200))  # bank reference, order or record id ...
    user_data: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
