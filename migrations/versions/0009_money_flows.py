"""money flows: credit lines, order reservations, cumulative tax per technician and year, tax
withheld per payment, and the marker of each daily work record posted to the ledger

The chart of accounts gains `credit_line` (a client's unused credit) and `credit_extended` (the
platform's side of the credit it grants).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "('funds', 'reserved', 'payable', 'tax_withheld', 'custody_bank', 'fee_revenue', 'iit_payable', "
    "'insurance_payable', 'payout_clearing')"
)
NEW_KINDS = OLD_KINDS[:-1] + ", 'credit_line', 'credit_extended')"


def _amounts(*names):
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in names]


def upgrade():
    op.drop_constraint("ck_ledger_accounts_kind", "ledger_accounts", type_="check")
    op.create_check_constraint("ck_ledger_accounts_kind", "ledger_accounts", f"kind IN {NEW_KINDS}")
    op.create_table(
        "credit_limits",
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organizations.id"), primary_key=True),
        sa.Column("limit_fen", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("updated_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("limit_fen >= 0", name="ck_credit_limits_non_negative"),
    )
    op.create_table(
        "order_reservations",
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.String(160), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("estimate", postgresql.JSONB(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('open', 'voided', 'released')", name="ck_order_reservations_state"),
        sa.CheckConstraint("amount_fen > 0", name="ck_order_reservations_amount"),
    )
    op.create_index(
        "ix_order_reservations_org_open", "order_reservations", ["org_id"], postgresql_where="state = 'open'"
    )
    op.create_table(
        "tax_years",
        sa.Column("technician_id", sa.Integer(), sa.ForeignKey("technicians.id"), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        *_amounts("income_fen"),
        sa.Column("months_paid", sa.Integer(), nullable=False),
        sa.Column("first_month", sa.Integer(), nullable=False),
        sa.Column("last_month", sa.Integer(), nullable=False),
        *_amounts("other_deductions_fen", "withheld_fen"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "tax_withholdings",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("record_id", sa.BigInteger(), sa.ForeignKey("daily_work_records.id"), nullable=False),
        sa.Column("technician_id", sa.Integer(), sa.ForeignKey("technicians.id"), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        *_amounts("income_fen", "tax_fen"),
        sa.Column("cumulative", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("record_id", "technician_id", name="uq_tax_withholdings_record_technician"),
        sa.CheckConstraint("income_fen >= 0 AND tax_fen >= 0", name="ck_tax_withholdings_amounts"),
    )
    op.create_index("ix_tax_withholdings_technician_month", "tax_withholdings", ["technician_id", "year", "month"])
    op.create_table(
        "record_postings",
        sa.Column("record_id", sa.BigInteger(), sa.ForeignKey("daily_work_records.id"), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("technician_id", sa.Integer(), sa.ForeignKey("technicians.id"), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("journal_id", sa.Uuid(), nullable=False),
        *_amounts("pay_fen", "fee_fen", "shares_fen", "insurance_fen", "tax_fen", "credit_drawn_fen", "released_fen"),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_record_postings_technician", "record_postings", ["technician_id", "work_date"])
    op.create_index("ix_record_postings_org", "record_postings", ["org_id", "work_date"])


def downgrade():
    for table in ("record_postings", "tax_withholdings", "tax_years", "order_reservations", "credit_limits"):
        op.drop_table(table)
    op.execute("DELETE FROM ledger_accounts WHERE kind IN ('credit_line', 'credit_extended')")
    op.drop_constraint("ck_ledger_accounts_kind", "ledger_accounts", type_="check")
    op.create_check_constraint("ck_ledger_accounts_kind", "ledger_accounts", f"kind IN {OLD_KINDS}")
