"""work records: daily work records, their confirmations, client work items, closed days, teams

- daily_work_records: immutable versions; a trigger lets only `state` (along the allowed
  transitions) and `finalized_at` change, and refuses DELETE;
- record_confirmations: never updated or deleted (trigger), one per party and record version;
- rate_cards: versions never change once written (trigger refuses UPDATE and DELETE);
- work_items, work_day_closes, teams, team_memberships, team_change_requests.

Revision ID: 0008
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

RECORD_STATES = "('pending_confirmation', 'disputed', 'finalized', 'superseded')"

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are immutable (% refused); write a new version instead', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE OR REPLACE FUNCTION daily_work_records_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (to_jsonb(NEW) - 'state' - 'finalized_at') IS DISTINCT FROM (to_jsonb(OLD) - 'state' - 'finalized_at') THEN
        RAISE EXCEPTION 'daily work record % is immutable: only its state may change', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.state <> OLD.state AND NOT (
        (OLD.state = 'pending_confirmation' AND NEW.state IN ('disputed', 'finalized', 'superseded'))
        OR (OLD.state = 'disputed' AND NEW.state = 'superseded')
    ) THEN
        RAISE EXCEPTION 'daily work record % cannot go from % to %', OLD.id, OLD.state, NEW.state
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.state = OLD.state AND NEW.finalized_at IS DISTINCT FROM OLD.finalized_at THEN
        RAISE EXCEPTION 'daily work record %: finalized_at changes only with the state', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER daily_work_records_guard BEFORE UPDATE ON daily_work_records
    FOR EACH ROW EXECUTE FUNCTION daily_work_records_guard();
CREATE TRIGGER daily_work_records_no_delete BEFORE DELETE ON daily_work_records
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER record_confirmations_immutable BEFORE UPDATE OR DELETE ON record_confirmations
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER rate_cards_immutable BEFORE UPDATE OR DELETE ON rate_cards
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
"""


def upgrade():
    op.create_table(
        "daily_work_records",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("technician_id", sa.Integer(), sa.ForeignKey("technicians.id"), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.BigInteger(), sa.ForeignKey("daily_work_records.id"), unique=True),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("lines", postgresql.JSONB(), nullable=False),
        sa.Column("points", sa.Numeric(14, 2), nullable=False),
        sa.Column("pay_fen", sa.BigInteger(), nullable=False),
        sa.Column("fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("shares_fen", sa.BigInteger(), nullable=False),
        sa.Column("insurance_fen", sa.BigInteger(), nullable=False),
        sa.Column("shares", postgresql.JSONB(), nullable=False),
        sa.Column("rate_card_versions", postgresql.JSONB(), nullable=False),
        sa.Column("adjustment", postgresql.JSONB()),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finalized_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(f"state IN {RECORD_STATES}", name="ck_daily_work_records_state"),
        sa.CheckConstraint("version >= 1", name="ck_daily_work_records_version"),
        sa.CheckConstraint("(version = 1) = (supersedes_id IS NULL)", name="ck_daily_work_records_supersedes"),
        sa.CheckConstraint(
            "points >= 0 AND pay_fen >= 0 AND fee_fen >= 0 AND shares_fen >= 0 AND insurance_fen >= 0",
            name="ck_daily_work_records_amounts",
        ),
        sa.CheckConstraint("digest ~ '^[0-9a-f]{64}$'", name="ck_daily_work_records_digest"),
        sa.CheckConstraint(
            "(state = 'finalized') = (finalized_at IS NOT NULL)", name="ck_daily_work_records_finalized"
        ),
        sa.UniqueConstraint("org_id", "technician_id", "work_date", "version", name="uq_daily_work_records_version"),
    )
    op.create_index(
        "uq_daily_work_records_live",
        "daily_work_records",
        ["org_id", "technician_id", "work_date"],
        unique=True,
        postgresql_where="state <> 'superseded'",
    )
    op.create_index("ix_daily_work_records_technician_date", "daily_work_records", ["technician_id", "work_date"])
    op.create_index("ix_daily_work_records_org_date", "daily_work_records", ["org_id", "work_date"])
    op.create_index("ix_daily_work_records_state_deadline", "daily_work_records", ["state", "client_deadline"])

    op.create_table(
        "record_confirmations",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("record_id", sa.BigInteger(), sa.ForeignKey("daily_work_records.id"), nullable=False),
        sa.Column("party", sa.String(16), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(1000)),
        sa.Column("disputed_order_ids", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.Integer()),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_digest", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.CheckConstraint("party IN ('technician', 'client', 'platform')", name="ck_record_confirmations_party"),
        sa.CheckConstraint("decision IN ('confirm', 'dispute')", name="ck_record_confirmations_decision"),
        sa.CheckConstraint(
            "channel IN ('app', 'api', 'console', 'auto_window', 'auto')", name="ck_record_confirmations_channel"
        ),
        sa.CheckConstraint(
            "decision = 'confirm' OR (reason IS NOT NULL AND party <> 'platform')",
            name="ck_record_confirmations_dispute_reason",
        ),
        sa.UniqueConstraint("record_id", "party", name="uq_record_confirmations_once"),
    )

    op.create_table(
        "work_items",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("technician_id", sa.Integer(), sa.ForeignKey("technicians.id"), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("work_type", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Numeric(12, 3), nullable=False),
        sa.Column("unit", sa.String(8), nullable=False),
        sa.Column("points_per_unit", sa.Numeric(12, 2), nullable=False),
        sa.Column("points", sa.Numeric(14, 2), nullable=False),
        sa.Column("rate_card_id", sa.Integer(), sa.ForeignKey("rate_cards.id")),
        sa.Column("client_ref", sa.String(64), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("unit IN ('hour', 'piece')", name="ck_work_items_unit"),
        sa.CheckConstraint("quantity > 0", name="ck_work_items_quantity"),
        sa.CheckConstraint("points >= 0 AND points_per_unit >= 0", name="ck_work_items_points"),
        sa.UniqueConstraint("org_id", "client_ref", name="uq_work_items_org_client_ref"),
    )
    op.create_index("ix_work_items_day", "work_items", ["org_id", "technician_id", "work_date"])

    op.create_table(
        "work_day_closes",
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organizations.id"), primary_key=True),
        sa.Column("work_date", sa.Date(), primary_key=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
    )

    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("leader_id", sa.Integer(), sa.ForeignKey("technicians.id"), nullable=False, unique=True),
        sa.Column("name", sa.String(120)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "team_change_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("technician_id", sa.Integer(), sa.ForeignKey("technicians.id"), nullable=False, index=True),
        sa.Column("change", sa.String(8), nullable=False),
        sa.Column("leader_id", sa.Integer(), sa.ForeignKey("technicians.id")),
        sa.Column("reason", sa.String(500)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decision_note", sa.String(500)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("change IN ('join', 'leave')", name="ck_team_change_requests_change"),
        sa.CheckConstraint("state IN ('pending', 'approved', 'rejected')", name="ck_team_change_requests_state"),
        sa.CheckConstraint("(change = 'join') = (leader_id IS NOT NULL)", name="ck_team_change_requests_leader"),
        sa.CheckConstraint("leader_id IS NULL OR leader_id <> technician_id", name="ck_team_change_requests_self"),
    )
    op.create_index(
        "uq_team_change_requests_one_pending",
        "team_change_requests",
        ["technician_id"],
        unique=True,
        postgresql_where="state = 'pending'",
    )
    op.create_table(
        "team_memberships",
        sa.Column("technician_id", sa.Integer(), sa.ForeignKey("technicians.id"), primary_key=True),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), nullable=False, index=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("team_change_requests.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )

    op.execute(FUNCTIONS)
    op.execute(TRIGGERS)


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS rate_cards_immutable ON rate_cards")
    for table in (
        "team_memberships",
        "team_change_requests",
        "teams",
        "work_day_closes",
        "work_items",
        "record_confirmations",
        "daily_work_records",
    ):
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS daily_work_records_guard()")
    op.execute("DROP FUNCTION IF EXISTS refuse_change()")
