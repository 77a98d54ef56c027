"""ledger_apply: one plain transfer takes a short path

A call with one transfer that resolves nothing (no pending_id, not linked: a payment, a top-up, a
reservation) spent ~3.5 ms of server CPU in the batch machinery of 0013 (a dozen set-based
statements over arrays, each planned again for its batch size). `ledger_apply` now sends such a
call to `ledger_apply_one`: lock the two accounts in id order, look the id up, decide, one UPDATE
and one INSERT, all with scalar parameters whose plans are cached. Everything else goes to the
batch function of 0013, renamed `ledger_apply_batch`.

The batch function always plans its statements for the call's sizes (plan_cache_mode): the generic
plans PL/pgSQL falls back to after five calls joined a day close's 4,000 items to its 2,500
releases as nested loops. The rules of a new transfer (both accounts exist, one currency, within
the accounts' flags) move into `ledger_refuse_new`, which both paths call, so they stay defined once; replays are compared by
`ledger_compare` on both paths, as before.

Revision ID: 0014
Revises: 0013
"""

import importlib.util
import re
from pathlib import Path

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _previous():
    spec = importlib.util.spec_from_file_location("ledger_0013", Path(__file__).with_name("0013_ledger_apply.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PREVIOUS = _previous()

# What ledger_apply answers (one row per transfer), as 0013 declared it.
ANSWER = re.search(r"RETURNS TABLE \(.*?\n\)", PREVIOUS.FUNCTIONS, re.S).group(0)

# 0013's checks of a new transfer, inline in the batch loop, which the shared function replaces.
INLINE_CHECKS = re.compile(
    r"(?P<indent> +)IF da IS NULL THEN\n.*?'shortfall_fen', x\.amount - room\)\);\n +ELSE\n",
    re.S,
)
SHARED_CHECKS = (
    "{indent}o := coalesce(ledger_refuse_new(k, x, da IS NOT NULL, ca IS NOT NULL, cur[da], cur[ca], dmnec[da],\n"
    "{indent}    cp[da] - dp[da] - dq[da], cmned[ca], dp[ca] - cp[ca] - cq[ca]), o);\n"
    "{indent}IF o.kind IS NULL THEN\n"
)


def _batch_function() -> str:
    """0013's ledger_apply, renamed ledger_apply_batch, calling ledger_refuse_new."""
    functions, replaced = INLINE_CHECKS.subn(lambda m: SHARED_CHECKS.format(indent=m["indent"]), PREVIOUS.FUNCTIONS)
    assert replaced == 1, "0013's checks of a new transfer were not found"
    renamed = functions.replace("FUNCTION ledger_apply(", "FUNCTION ledger_apply_batch(")
    assert renamed.count("FUNCTION ledger_apply_batch(") == 1
    return renamed


REFUSE_NEW = r"""
-- Why a new (single or pending) transfer cannot be made, or NULL when it can: both accounts exist,
-- hold one currency, and the amount fits the room their flags leave.
CREATE OR REPLACE FUNCTION ledger_refuse_new(
    k integer, x ledger_transfer_input, debit_found boolean, credit_found boolean,
    debit_currency text, credit_currency text,
    debit_limited boolean, debit_room bigint, credit_limited boolean, credit_room bigint
) RETURNS ledger_outcome LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF NOT debit_found THEN
        RETURN ledger_error(k, x.id, 'transfer-invalid', 'debit_account_not_found',
                            'no such debit account', 'debit_account_id');
    ELSIF NOT credit_found THEN
        RETURN ledger_error(k, x.id, 'transfer-invalid', 'credit_account_not_found',
                            'no such credit account', 'credit_account_id');
    ELSIF debit_currency <> credit_currency THEN
        RETURN ledger_error(k, x.id, 'transfer-invalid', 'accounts_must_have_the_same_ledger',
                            'the accounts hold different currencies', 'credit_account_id');
    ELSIF debit_limited AND x.amount > debit_room THEN
        RETURN ledger_error(k, x.id, 'insufficient-funds', 'exceeds_credits',
            format('the debit account has %s fen available, %s fen short', debit_room, x.amount - debit_room),
            'amount', jsonb_build_object('account_id', x.debit_account_id, 'available_fen', debit_room,
                                         'shortfall_fen', x.amount - debit_room));
    ELSIF credit_limited AND x.amount > credit_room THEN
        RETURN ledger_error(k, x.id, 'insufficient-funds', 'exceeds_debits',
            format('the credit account can take %s fen, %s fen too many', credit_room, x.amount - credit_room),
            'amount', jsonb_build_object('account_id', x.credit_account_id, 'available_fen', credit_room,
                                         'shortfall_fen', x.amount - credit_room));
    END IF;
    RETURN NULL;
END $$;
"""

ONE_AND_ENTRY = rf"""
-- One plain transfer (single or pending, not linked): the batch's rules with scalar statements.
CREATE OR REPLACE FUNCTION ledger_apply_one(x ledger_transfer_input, now timestamptz)
{ANSWER} LANGUAGE plpgsql AS $$
DECLARE
    locked ledger_accounts;
    d ledger_accounts;
    c ledger_accounts;
    t ledger_transfers;
    o ledger_outcome;
    posted bigint := CASE WHEN x.pending THEN 0 ELSE x.amount END;
    held bigint := CASE WHEN x.pending THEN x.amount ELSE 0 END;
BEGIN
    -- locked in id order, as the batch locks (two calls never deadlock)
    FOR locked IN SELECT * FROM ledger_accounts l WHERE l.id IN (x.debit_account_id, x.credit_account_id)
             ORDER BY l.id FOR UPDATE LOOP
        IF locked.id = x.debit_account_id THEN
            d := locked;
        ELSE
            c := locked;
        END IF;
    END LOOP;
    SELECT * INTO t FROM ledger_transfers s WHERE s.id = x.id;
    IF t.id IS NOT NULL THEN  -- a replay
        o := coalesce(ledger_compare(1, x, t), ROW(0, x.id, 'exists', NULL, NULL, NULL, NULL)::ledger_outcome);
    ELSE
        o := ledger_refuse_new(1, x, d.id IS NOT NULL, c.id IS NOT NULL, d.currency::text, c.currency::text,
            d.debits_must_not_exceed_credits, d.credits_posted - d.debits_posted - d.debits_pending,
            c.credits_must_not_exceed_debits, c.debits_posted - c.credits_posted - c.credits_pending);
        IF o IS NULL THEN  -- made: both accounts move in one statement, then the transfer is written
            o := ROW(0, x.id, 'ok', NULL, NULL, NULL, NULL)::ledger_outcome;
            UPDATE ledger_accounts a SET
                debits_posted = a.debits_posted + CASE WHEN a.id = x.debit_account_id THEN posted ELSE 0 END,
                debits_pending = a.debits_pending + CASE WHEN a.id = x.debit_account_id THEN held ELSE 0 END,
                credits_posted = a.credits_posted + CASE WHEN a.id = x.credit_account_id THEN posted ELSE 0 END,
                credits_pending = a.credits_pending + CASE WHEN a.id = x.credit_account_id THEN held ELSE 0 END,
                updated_at = now
            WHERE a.id IN (x.debit_account_id, x.credit_account_id);
            INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, pending_id, pending,
                post_pending, void_pending, expiry, linked, timeout_s, expires_at, journal_id, code, reference,
                user_data, created_at)
            VALUES (x.id, x.debit_account_id, x.credit_account_id, x.amount, NULL, x.pending, false, false, false,
                false, x.timeout_s, CASE WHEN x.timeout_s > 0 THEN now + make_interval(secs => x.timeout_s) END,
                gen_random_uuid(), x.code, x.reference, x.user_data, now)
            RETURNING * INTO t;
        END IF;
    END IF;
    IF o.kind IS NOT NULL THEN  -- refused: the answer carries no transfer
        t := NULL;
    END IF;
    RETURN QUERY SELECT o.i, o.result, o.kind, o.detail, o.field, o.context, o.id,
        t.debit_account_id, t.credit_account_id, t.amount, t.code::text, t.pending_id::text, t.pending,
        t.post_pending, t.void_pending, t.expiry, t.linked, t.timeout_s, t.expires_at, t.journal_id,
        t.reference::text, t.user_data, t.created_at, t.seq;
END $$;

-- The ledger's one entry point: a lone plain transfer takes the short path, the rest the batch.
CREATE OR REPLACE FUNCTION ledger_apply(transfers jsonb, now timestamptz, expiry boolean)
{ANSWER} LANGUAGE plpgsql AS $$
DECLARE
    x ledger_transfer_input;
BEGIN
    IF NOT expiry AND jsonb_array_length(transfers) = 1 THEN
        x := jsonb_populate_record(NULL::ledger_transfer_input, transfers -> 0);
        IF x.shape_error IS NULL AND x.pending_id IS NULL AND NOT x.linked THEN
            RETURN QUERY SELECT * FROM ledger_apply_one(x, now);
            RETURN;
        END IF;
    END IF;
    RETURN QUERY SELECT * FROM ledger_apply_batch(transfers, now, expiry);
END $$;
"""

DROPS = """
DROP FUNCTION IF EXISTS ledger_apply(jsonb, timestamptz, boolean);
DROP FUNCTION IF EXISTS ledger_apply_one(ledger_transfer_input, timestamptz);
DROP FUNCTION IF EXISTS ledger_apply_batch(jsonb, timestamptz, boolean);
DROP FUNCTION IF EXISTS ledger_refuse_new(integer, ledger_transfer_input, boolean, boolean, text, text, boolean,
    bigint, boolean, bigint);
"""


# After five calls in a session PL/pgSQL may switch a statement to a generic plan, which sizes every
# array at 10 rows: the batch's per-item joins then ran as nested loops, 4,000 x 2,500 comparisons
# (2.3 s) for a day close's batch of releases. Custom plans see each call's sizes and hash.
CUSTOM_PLANS = "ALTER FUNCTION ledger_apply_batch(jsonb, timestamptz, boolean) SET plan_cache_mode = force_custom_plan"


def upgrade():
    op.execute("DROP FUNCTION IF EXISTS ledger_apply(jsonb, timestamptz, boolean)")
    op.execute(REFUSE_NEW)
    op.execute(_batch_function())
    op.execute(CUSTOM_PLANS)
    op.execute(ONE_AND_ENTRY)


def downgrade():
    op.execute(DROPS)
    op.execute(PREVIOUS.FUNCTIONS)
