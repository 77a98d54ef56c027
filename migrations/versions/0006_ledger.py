"""ledger: accounts and immutable transfers (TigerBeetle's model), guarded by the database

- CHECKs: positive amounts, two different accounts, one mode per transfer, a flagged account
  never below zero (debits_posted + debits_pending <= credits_posted, or the mirror);
- a unique index: a pending transfer is posted, voided or expired at most once;
- triggers: no UPDATE or DELETE on transfers; a post/void must match its pending transfer;
- balance: each row trigger adds what a transfer should move (posted, pending) and what an account
  row did move (debits, credits) to transaction-local counters; a deferred constraint trigger
  checks at commit that debits = credits = what the transfers say, posted and pending apart.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KINDS = (
    "('funds', 'reserved', 'payable', 'tax_withheld', 'custody_bank', 'fee_revenue', 'iit_payable', "
    "'insurance_payable', 'payout_clearing')"
)
OWNERS = "('organization', 'technician', 'platform')"

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION ledger_counter(name text) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting(name, true), ''), '0')::bigint
$$;

CREATE OR REPLACE FUNCTION ledger_count(name text, delta bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF delta <> 0 THEN
        PERFORM set_config(name, (ledger_counter(name) + delta)::text, true);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION ledger_transfers_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger transfers are immutable (% refused); correct with a new transfer', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE OR REPLACE FUNCTION ledger_transfer_moves() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p ledger_transfers%ROWTYPE;
BEGIN
    IF NEW.pending_id IS NULL THEN
        IF NEW.pending THEN
            PERFORM ledger_count('gridwork.ledger_transfers_pending', NEW.amount);
        ELSE
            PERFORM ledger_count('gridwork.ledger_transfers_posted', NEW.amount);
        END IF;
        RETURN NULL;
    END IF;
    SELECT * INTO p FROM ledger_transfers WHERE id = NEW.pending_id;
    IF NOT FOUND OR NOT p.pending OR p.debit_account_id <> NEW.debit_account_id OR p.credit_account_id <> NEW.credit_account_id
       OR NEW.amount > p.amount OR (NEW.void_pending AND NEW.amount <> p.amount) THEN
        RAISE EXCEPTION 'transfer % does not match its pending transfer %', NEW.id, NEW.pending_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    PERFORM ledger_count('gridwork.ledger_transfers_pending', -p.amount);
    IF NEW.post_pending THEN
        PERFORM ledger_count('gridwork.ledger_transfers_posted', NEW.amount);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ledger_account_moves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM ledger_count('gridwork.ledger_debits_posted', NEW.debits_posted);
        PERFORM ledger_count('gridwork.ledger_debits_pending', NEW.debits_pending);
        PERFORM ledger_count('gridwork.ledger_credits_posted', NEW.credits_posted);
        PERFORM ledger_count('gridwork.ledger_credits_pending', NEW.credits_pending);
    ELSE
        PERFORM ledger_count('gridwork.ledger_debits_posted', NEW.debits_posted - OLD.debits_posted);
        PERFORM ledger_count('gridwork.ledger_debits_pending', NEW.debits_pending - OLD.debits_pending);
        PERFORM ledger_count('gridwork.ledger_credits_posted', NEW.credits_posted - OLD.credits_posted);
        PERFORM ledger_count('gridwork.ledger_credits_pending', NEW.credits_pending - OLD.credits_pending);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    debits_posted bigint := ledger_counter('gridwork.ledger_debits_posted');
    credits_posted bigint := ledger_counter('gridwork.ledger_credits_posted');
    debits_pending bigint := ledger_counter('gridwork.ledger_debits_pending');
    credits_pending bigint := ledger_counter('gridwork.ledger_credits_pending');
    moved_posted bigint := ledger_counter('gridwork.ledger_transfers_posted');
    moved_pending bigint := ledger_counter('gridwork.ledger_transfers_pending');
BEGIN
    IF debits_posted <> credits_posted OR debits_posted <> moved_posted
       OR debits_pending <> credits_pending OR debits_pending <> moved_pending THEN
        RAISE EXCEPTION 'unbalanced ledger journal: accounts moved debits %/% and credits %/% '
            '(posted/pending) but transfers say %/%',
            debits_posted, debits_pending, credits_posted, credits_pending, moved_posted, moved_pending
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE OR DELETE ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_transfers_immutable();
CREATE TRIGGER ledger_transfers_moves AFTER INSERT ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_transfer_moves();
CREATE TRIGGER ledger_accounts_moves AFTER INSERT OR UPDATE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_account_moves();
CREATE CONSTRAINT TRIGGER ledger_transfers_balanced AFTER INSERT ON ledger_transfers
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
CREATE CONSTRAINT TRIGGER ledger_accounts_balanced AFTER INSERT OR UPDATE ON ledger_accounts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
"""

FUNCTION_NAMES = (
    "ledger_check_balanced()",
    "ledger_account_moves()",
    "ledger_transfer_moves()",
    "ledger_transfers_immutable()",
    "ledger_count(text, bigint)",
    "ledger_counter(text)",
)


def upgrade():
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("owner_type", sa.String(16), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("debits_must_not_exceed_credits", sa.Boolean(), nullable=False),
        sa.Column("credits_must_not_exceed_debits", sa.Boolean(), nullable=False),
        sa.Column("debits_posted", sa.BigInteger(), nullable=False),
        sa.Column("debits_pending", sa.BigInteger(), nullable=False),
        sa.Column("credits_posted", sa.BigInteger(), nullable=False),
        sa.Column("credits_pending", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"kind IN {KINDS}", name="ck_ledger_accounts_kind"),
        sa.CheckConstraint(f"owner_type IN {OWNERS}", name="ck_ledger_accounts_owner_type"),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name="ck_ledger_accounts_currency"),
        sa.CheckConstraint(
            "debits_posted >= 0 AND debits_pending >= 0 AND credits_posted >= 0 AND credits_pending >= 0",
            name="ck_ledger_accounts_totals_non_negative",
        ),
        sa.CheckConstraint(
            "NOT (debits_must_not_exceed_credits AND credits_must_not_exceed_debits)",
            name="ck_ledger_accounts_one_flag",
        ),
        sa.CheckConstraint(
            "NOT debits_must_not_exceed_credits OR debits_posted + debits_pending <= credits_posted",
            name="ck_ledger_accounts_debits_within_credits",
        ),
        sa.CheckConstraint(
            "NOT credits_must_not_exceed_debits OR credits_posted + credits_pending <= debits_posted",
            name="ck_ledger_accounts_credits_within_debits",
        ),
        sa.UniqueConstraint("owner_type", "owner_id", "kind", "currency", name="uq_ledger_accounts_owner_kind"),
    )
    op.create_table(
        "ledger_transfers",
        sa.Column("id", sa.String(160), primary_key=True),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False, unique=True),
        sa.Column("debit_account_id", sa.BigInteger(), sa.ForeignKey("ledger_accounts.id"), nullable=False),
        sa.Column("credit_account_id", sa.BigInteger(), sa.ForeignKey("ledger_accounts.id"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("pending_id", sa.String(160), sa.ForeignKey("ledger_transfers.id")),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("post_pending", sa.Boolean(), nullable=False),
        sa.Column("void_pending", sa.Boolean(), nullable=False),
        sa.Column("expiry", sa.Boolean(), nullable=False),
        sa.Column("linked", sa.Boolean(), nullable=False),
        sa.Column("timeout_s", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("journal_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(200)),
        sa.Column("user_data", postgresql.JSONB()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_ledger_transfers_amount_positive"),
        sa.CheckConstraint("debit_account_id <> credit_account_id", name="ck_ledger_transfers_two_accounts"),
        sa.CheckConstraint(
            "pending::int + post_pending::int + void_pending::int <= 1", name="ck_ledger_transfers_one_mode"
        ),
        sa.CheckConstraint(
            "(post_pending OR void_pending) = (pending_id IS NOT NULL)", name="ck_ledger_transfers_pending_id"
        ),
        sa.CheckConstraint(
            "timeout_s >= 0 AND (timeout_s = 0 OR pending) AND (timeout_s > 0) = (expires_at IS NOT NULL)",
            name="ck_ledger_transfers_timeout",
        ),
        sa.CheckConstraint("NOT expiry OR void_pending", name="ck_ledger_transfers_expiry_voids"),
    )
    op.create_index(
        "uq_ledger_transfers_one_resolution",
        "ledger_transfers",
        ["pending_id"],
        unique=True,
        postgresql_where="pending_id IS NOT NULL",
    )
    op.create_index("ix_ledger_transfers_debit", "ledger_transfers", ["debit_account_id", "seq"])
    op.create_index("ix_ledger_transfers_credit", "ledger_transfers", ["credit_account_id", "seq"])
    op.create_index(
        "ix_ledger_transfers_expiring", "ledger_transfers", ["expires_at"], postgresql_where="expires_at IS NOT NULL"
    )
    op.execute(FUNCTIONS)
    op.execute(TRIGGERS)


def downgrade():
    op.drop_table("ledger_transfers")
    op.drop_table("ledger_accounts")
    for name in FUNCTION_NAMES:
        op.execute(f"DROP FUNCTION IF EXISTS {name}")
