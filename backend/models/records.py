"""The daily work record: each (client organization, technician, local day) closed at 23:59 into an
immutable, versioned record of the day's verified orders and client-uploaded work items with their
points, pay, fee and team shares; the three parties' signed confirmations; the work items; the
closed days; and the sales teams whose leaders share in their members' pay.

Money is integer fen; points are exact Numerics (0.01 point). The database guards immutability
(see migration 0008_work_records): a record may only change its `state` (along the allowed
transitions) and `finalized_at`; confirmations are never updated or deleted; rate-card versions
never change once written.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import Timestamped, check_in, utcnow

RECORD_STATES = ("pending_confirmation", "disputed", "finalized", "superseded")
PARTIES = ("technician", "client", "platform")
DECISIONS = ("confirm", "dispute")
CHANNELS = ("app", "api", "console", "auto_window", "auto")
WORK_UNITS = ("hour", "piece")
TEAM_CHANGES = ("join", "leave")
TEAM_REQUEST_STATES = ("pending", "approved", "rejected")


class DailyWorkRecord(db.Model):
    """One version of a technician's work for one client on one local day.

    `lines` lists the orders and work items with their points, pay and shares; the totals repeat
    their sums; `digest` is the SHA-256 of the canonical JSON of the record's content (see
    backend/money/records.py). A correction writes version n+1 with `supersedes_id` pointing at
    version n, which becomes `superseded`."""

    __tablename__ = "daily_work_records"
    __table_args__ = (
        check_in("state", RECORD_STATES, "ck_daily_work_records_state"),
        CheckConstraint("version >= 1", name="ck_daily_work_records_version"),
        CheckConstraint("(version = 1) = (supersedes_id IS NULL)", name="ck_daily_work_records_supersedes"),
        CheckConstraint(
            "points >= 0 AND pay_fen >= 0 AND fee_fen >= 0 AND shares_fen >= 0 AND insurance_fen >= 0",
            name="ck_daily_work_records_amounts",
        ),
        CheckConstraint("digest ~ '^[0-9a-f]{64}$'", name="ck_daily_work_records_digest"),
        CheckConstraint("(state = 'finalized') = (finalized_at IS NOT NULL)", name="ck_daily_work_records_finalized"),
        UniqueConstraint("org_id", "technician_id", "work_date", "version", name="uq_daily_work_records_version"),
        # One live (not superseded) version per technician, client and day.
        Index(
            "uq_daily_work_records_live",
            "org_id",
            "technician_id",
            "work_date",
            unique=True,
            postgresql_where="state <> 'superseded'",
        ),
        Index("ix_daily_work_records_technician_date", "technician_id", "work_date"),
        Index("ix_daily_work_records_org_date", "org_id", "work_date"),
        Index("ix_daily_work_records_state_deadline", "state", "client_deadline"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"))
    work_date: Mapped[date] = mapped_column(Date)  # the client's local date
    version: Mapped[int] = mapped_column(Integer, default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("daily_work_records.id"), unique=True)
    state: Mapped[str] = mapped_column(String(24), default="pending_confirmation")
    lines: Mapped[list] = mapped_column(JSONB)
    points: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    pay_fen: Mapped[int] = mapped_column(BigInteger)
    fee_fen: Mapped[int] = mapped_column(BigInteger)
    shares_fen: Mapped[int] = mapped_column(BigInteger)
    insurance_fen: Mapped[int] = mapped_column(BigInteger)
    shares: Mapped[list] = mapped_column(JSONB)  # [{technician_id, level, amount_fen, order_ids}]
    rate_card_versions: Mapped[list] = mapped_column(JSONB)  # [{id, org_id, version}]
    adjustment: Mapped[dict | None] = mapped_column(JSONB)  # why this version exists, when it corrects one
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    client_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # created + confirm window
    finalized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def client_total_fen(self) -> int:
        """What the client pays for the record: pay, fee, shares and the insurance premium."""
        return self.pay_fen + self.fee_fen + self.shares_fen + self.insurance_fen


class RecordConfirmation(db.Model):
    """One party's decision on one record version, sealed by the platform (Ed25519 over the
    record's digest, the party, the decision and the time). Never updated or deleted."""

    __tablename__ = "record_confirmations"
    __table_args__ = (
        check_in("party", PARTIES, "ck_record_confirmations_party"),
        check_in("decision", DECISIONS, "ck_record_confirmations_decision"),
        check_in("channel", CHANNELS, "ck_record_confirmations_channel"),
        CheckConstraint(
            "decision = 'confirm' OR (reason IS NOT NULL AND party <> 'platform')",
            name="ck_record_confirmations_dispute_reason",
        ),
        UniqueConstraint("record_id", "party", name="uq_record_confirmations_once"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("daily_work_records.id"))
    party: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(1000))
    disputed_order_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    channel: Mapped[str] = mapped_column(String(16))
    actor_kind: Mapped[str] = mapped_column(String(16))  # user, api_key, technician, system
    actor_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    record_digest: Mapped[str] = mapped_column(String(64))  # what was signed, with party, decision, at
    provider: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(128))


class WorkItem(db.Model):
    """Work a client did outside orders, uploaded for a technician and a day before its cut-off,
    priced under the rate card (points per hour or per piece). `client_ref` is idempotent per org."""

    __tablename__ = "work_items"
    __table_args__ = (
        check_in("unit", WORK_UNITS, "ck_work_items_unit"),
        CheckConstraint("quantity > 0", name="ck_work_items_quantity"),
        CheckConstraint("points >= 0 AND points_per_unit >= 0", name="ck_work_items_points"),
        UniqueConstraint("org_id", "client_ref", name="uq_work_items_org_client_ref"),
        Index("ix_work_items_day", "org_id", "technician_id", "work_date"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"))
    work_date: Mapped[date] = mapped_column(Date)
    work_type: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit: Mapped[str] = mapped_column(String(8))
    points_per_unit: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    points: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    rate_card_id: Mapped[int | None] = mapped_column(ForeignKey("rate_cards.id"))
    client_ref: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WorkDayClose(db.Model):
    """A client's local day, closed: closing it again writes nothing."""

    __tablename__ = "work_day_closes"

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    work_date: Mapped[date] = mapped_column(Date, primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    record_count: Mapped[int] = mapped_column(Integer, default=0)


class Team(Timestamped, db.Model):
    """A leader technician's team. A leader's own leader is found through the leader's membership."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), unique=True)
    name: Mapped[str | None] = mapped_column(String(120))


class TeamMembership(Timestamped, db.Model):
    """A technician's team (at most one); changed only through an approved TeamChangeRequest."""

    __tablename__ = "team_memberships"

    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("team_change_requests.id"))


class TeamChangeRequest(Timestamped, db.Model):
    """A request to join a leader's team or leave one; a platform admin approves or rejects it.
    The row is the audit trail: who asked, who decided, when, why."""

    __tablename__ = "team_change_requests"
    __table_args__ = (
        check_in("change", TEAM_CHANGES, "ck_team_change_requests_change"),
        check_in("state", TEAM_REQUEST_STATES, "ck_team_change_requests_state"),
        CheckConstraint("(change = 'join') = (leader_id IS NOT NULL)", name="ck_team_change_requests_leader"),
        CheckConstraint("leader_id IS NULL OR leader_id <> technician_id", name="ck_team_change_requests_self"),
        Index(
            "uq_team_change_requests_one_pending", "technician_id", unique=True, postgresql_where="state = 'pending'"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), index=True)
    change: Mapped[str] = mapped_column(String(8))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"))
    reason: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(String(500))
