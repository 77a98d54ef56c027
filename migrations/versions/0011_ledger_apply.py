"""ledger_apply: the ledger's rules as one server-side function (one round trip per call)

Until now a call held the hot account's row lock across three client-server round trips (lock and
read the accounts, read the stored transfers, write). `ledger_apply(transfers, now, expiry)` does
it all inside the server: it locks the accounts in id order, decides every transfer (replay,
two-phase resolution and time-out, the flagged accounts' limits, linked chains all or nothing),
writes the transfers and moves the account totals, and answers one row per transfer. It is the
only implementation of those rules; `backend/money/ledger.py` shapes the input (checks what needs
no database, numbers the linked chains) and maps the rows to records and MoneyErrors.

The input is a jsonb array of `ledger_transfer_input` objects (one per transfer, in order). The
function decides in memory against the locked rows (row-at-a-time writes cost far more than the
decisions), then writes set-based: one UPDATE moves the totals by their deltas, one INSERT adds
the new transfers. The guards of 0006 (immutability, the deferred balance check, the CHECKs) stay
as they were and still catch what this function would get wrong.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# A database whose tables were dropped and migrated again (the tests' reset) still has the types.
TYPES = """
DROP TYPE IF EXISTS ledger_outcome CASCADE;
DROP TYPE IF EXISTS ledger_transfer_input CASCADE;
CREATE TYPE ledger_transfer_input AS (
    i integer, chain integer, shape_error text, id text, debit_account_id bigint, credit_account_id bigint,
    amount bigint, code text, pending_id text, pending boolean, post_pending boolean, void_pending boolean,
    linked boolean, timeout_s integer, reference text, user_data jsonb
);
CREATE TYPE ledger_outcome AS (i integer, id text, result text, kind text, detail text, field text, context jsonb);
"""

FUNCTIONS = r"""
-- The outcome of the k-th transfer (1-based here, 0-based in the answer) that failed with `code`.
CREATE OR REPLACE FUNCTION ledger_error(
    k integer, id text, kind text, code text, detail text, field text, context jsonb DEFAULT NULL
) RETURNS ledger_outcome LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN ROW(k - 1, id, code, kind, detail, field, context)::ledger_outcome;
END $$;

-- A replayed id: NULL when it asks for what was stored, else exists_with_different_<field>, in
-- TigerBeetle's order. A post or void may leave out what it takes from its pending transfer.
CREATE OR REPLACE FUNCTION ledger_compare(k integer, x ledger_transfer_input, s ledger_transfers)
RETURNS ledger_outcome
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    resolving boolean := x.post_pending OR x.void_pending;
    name text;
BEGIN
    name := CASE
        WHEN (x.pending, x.post_pending, x.void_pending, x.linked)
             IS DISTINCT FROM (s.pending, s.post_pending, s.void_pending, s.linked) THEN 'flags'
        WHEN x.pending_id IS DISTINCT FROM s.pending_id THEN 'pending_id'
        WHEN x.timeout_s IS DISTINCT FROM s.timeout_s THEN 'timeout'
        WHEN NOT (resolving AND x.debit_account_id IS NULL)
             AND x.debit_account_id IS DISTINCT FROM s.debit_account_id THEN 'debit_account_id'
        WHEN NOT (resolving AND x.credit_account_id IS NULL)
             AND x.credit_account_id IS DISTINCT FROM s.credit_account_id THEN 'credit_account_id'
        WHEN NOT (resolving AND x.amount IS NULL) AND x.amount IS DISTINCT FROM s.amount THEN 'amount'
        WHEN x.reference IS DISTINCT FROM s.reference THEN 'reference'
        WHEN x.user_data IS DISTINCT FROM s.user_data THEN 'user_data'
        WHEN NOT (resolving AND x.code IS NULL) AND x.code IS DISTINCT FROM s.code THEN 'code'
    END;
    IF name IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN ledger_error(k, x.id, 'idempotency-conflict', 'exists_with_different_' || name,
                        format('transfer %s exists with another %s', x.id, name), name);
END $$;

-- Decide every transfer of the batch against the locked rows, in memory (the accounts' totals in
-- arrays, the known transfers by id), then write: the totals moved in one UPDATE and the new
-- transfers in one INSERT, in the order decided (seq follows it). A failed linked chain puts the
-- totals, the known transfers and the resolutions back as they were before it.
CREATE OR REPLACE FUNCTION ledger_apply(transfers jsonb, now timestamptz, expiry boolean)
RETURNS TABLE (
    r_i integer, r_result text, r_kind text, r_detail text, r_field text, r_context jsonb,
    r_id text, r_debit_account_id bigint, r_credit_account_id bigint, r_amount bigint, r_code text,
    r_pending_id text, r_pending boolean, r_post_pending boolean, r_void_pending boolean, r_expiry boolean,
    r_linked boolean, r_timeout_s integer, r_expires_at timestamptz, r_journal_id uuid, r_reference text,
    r_user_data jsonb, r_created_at timestamptz, r_seq bigint
) LANGUAGE plpgsql AS $$
DECLARE
    items ledger_transfer_input[];
    x ledger_transfer_input;
    n integer;
    -- the locked accounts, by position
    acc bigint[]; cur text[]; dmnec boolean[]; cmned boolean[];
    dp bigint[]; dq bigint[]; cp bigint[]; cq bigint[];
    dp0 bigint[]; dq0 bigint[]; cp0 bigint[]; cq0 bigint[];
    -- the transfers stored and decided so far, and which pending transfers are resolved
    known ledger_transfers[];
    known_at jsonb;
    known_n integer;
    resolved jsonb;
    first_new integer;
    -- a linked chain's saved state
    s_dp bigint[]; s_dq bigint[]; s_cp bigint[]; s_cq bigint[];
    s_known_n integer; s_known_at jsonb; s_resolved jsonb;
    outs ledger_outcome[] := '{}';
    o ledger_outcome;
    p ledger_transfers;
    journal uuid;
    lo integer := 1;
    hi integer;
    k integer;
    failed_at integer;
    replayed integer;
    chained boolean;
    da integer;
    ca integer;
    room bigint;
    amount bigint;
    name text;
    timed_out boolean;
BEGIN
    items := ARRAY(SELECT j FROM jsonb_populate_recordset(NULL::ledger_transfer_input, transfers) AS j);
    n := coalesce(array_length(items, 1), 0);
    -- Lock every account the batch can touch, in id order (two calls never deadlock).
    WITH named AS (
        SELECT i.debit_account_id AS a FROM unnest(items) AS i
        UNION SELECT i.credit_account_id FROM unnest(items) AS i
        UNION SELECT unnest(ARRAY[t.debit_account_id, t.credit_account_id])
        FROM ledger_transfers t WHERE t.id IN (SELECT i.pending_id FROM unnest(items) AS i)
    ), locked AS (
        SELECT a.* FROM ledger_accounts a WHERE a.id IN (SELECT named.a FROM named) ORDER BY a.id FOR UPDATE
    )
    SELECT coalesce(array_agg(l.id), '{}'), array_agg(l.currency::text), array_agg(l.debits_must_not_exceed_credits),
        array_agg(l.credits_must_not_exceed_debits), array_agg(l.debits_posted), array_agg(l.debits_pending),
        array_agg(l.credits_posted), array_agg(l.credits_pending)
    INTO acc, cur, dmnec, cmned, dp, dq, cp, cq FROM locked l;
    dp0 := dp; dq0 := dq; cp0 := cp; cq0 := cq;
    -- After the locks: the transfers the batch names (replays, pending) and their resolutions.
    known := ARRAY(
        SELECT t FROM ledger_transfers t
        WHERE t.id IN (SELECT i.id FROM unnest(items) AS i UNION SELECT i.pending_id FROM unnest(items) AS i)
    );
    known_n := coalesce(array_length(known, 1), 0);
    SELECT coalesce(jsonb_object_agg(t.id, t.ordinality), '{}') INTO known_at
    FROM unnest(known) WITH ORDINALITY AS t;
    SELECT coalesce(jsonb_object_agg(t.pending_id, CASE WHEN t.post_pending THEN 'posted' WHEN t.expiry THEN 'expired'
                                                        ELSE 'voided' END), '{}')
    INTO resolved FROM ledger_transfers t
    WHERE t.pending_id IN (SELECT i.pending_id FROM unnest(items) AS i);
    first_new := known_n + 1;

    WHILE lo <= n LOOP
        hi := lo;
        WHILE hi < n AND (items[hi + 1]).chain = (items[lo]).chain LOOP
            hi := hi + 1;
        END LOOP;
        chained := hi > lo OR (items[hi]).linked;
        IF chained THEN
            s_dp := dp; s_dq := dq; s_cp := cp; s_cq := cq;
            s_known_n := known_n; s_known_at := known_at; s_resolved := resolved;
        END IF;
        journal := gen_random_uuid();
        failed_at := NULL;
        replayed := 0;
        FOR k IN lo .. hi LOOP
            x := items[k];
            o := ROW(k - 1, x.id, 'ok', NULL, NULL, NULL, NULL)::ledger_outcome;
            IF x.shape_error IS NOT NULL THEN
                o := ledger_error(k, x.id, 'shape', x.shape_error, NULL, NULL);
            ELSIF known_at ? x.id THEN
                o := coalesce(ledger_compare(k, x, known[(known_at ->> x.id)::int]),
                              ROW(k - 1, x.id, 'exists', NULL, NULL, NULL, NULL)::ledger_outcome);
                replayed := replayed + (o.result = 'exists')::int;
            ELSIF x.post_pending OR x.void_pending THEN
                -- post (all or part; the rest is released) or void/expire a pending transfer, once
                p := CASE WHEN known_at ? x.pending_id THEN known[(known_at ->> x.pending_id)::int] END;
                IF p.id IS NULL THEN
                    o := ledger_error(k, x.id, 'transfer-invalid', 'pending_transfer_not_found',
                                      'no such pending transfer', 'pending_id');
                ELSIF NOT p.pending THEN
                    o := ledger_error(k, x.id, 'transfer-invalid', 'pending_transfer_not_pending',
                                      'that transfer is not pending', 'pending_id');
                ELSE
                    name := CASE WHEN x.debit_account_id <> p.debit_account_id THEN 'debit_account_id'
                                 WHEN x.credit_account_id <> p.credit_account_id THEN 'credit_account_id'
                                 WHEN x.code <> p.code THEN 'code' END;
                    timed_out := p.expires_at IS NOT NULL AND p.expires_at <= now;
                    da := array_position(acc, p.debit_account_id);
                    ca := array_position(acc, p.credit_account_id);
                    IF name IS NOT NULL THEN
                        o := ledger_error(k, x.id, 'transfer-invalid', 'pending_transfer_has_different_' || name,
                                          format('%s differs from the pending', name), name);
                    ELSIF x.amount > p.amount THEN
                        o := ledger_error(k, x.id, 'transfer-invalid', 'exceeds_pending_transfer_amount',
                                          format('at most %s fen can be posted', p.amount), 'amount');
                    ELSIF x.void_pending AND x.amount <> p.amount THEN
                        o := ledger_error(k, x.id, 'transfer-invalid', 'pending_transfer_has_different_amount',
                                          'a void releases the whole pending amount', 'amount');
                    ELSIF resolved ? p.id THEN
                        o := ledger_error(k, x.id, 'pending-transfer-closed',
                                          'pending_transfer_already_' || (resolved ->> p.id),
                                          format('the pending transfer was already %s', resolved ->> p.id),
                                          'pending_id');
                    ELSIF expiry AND NOT timed_out THEN
                        o := ledger_error(k, x.id, 'pending-transfer-closed', 'pending_transfer_not_expired',
                                          'not timed out yet', 'pending_id');
                    ELSIF timed_out AND NOT expiry THEN
                        o := ledger_error(k, x.id, 'pending-transfer-closed', 'pending_transfer_expired',
                                          'the pending transfer timed out', 'pending_id');
                    ELSIF da IS NULL OR ca IS NULL THEN
                        -- written by a transaction that had not committed when the accounts were locked
                        o := ledger_error(k, x.id, 'transfer-invalid', 'pending_transfer_not_found',
                                          'the pending transfer is not committed yet', 'pending_id');
                    ELSE
                        amount := CASE WHEN x.void_pending OR x.amount IS NULL THEN p.amount ELSE x.amount END;
                        dq[da] := dq[da] - p.amount;
                        cq[ca] := cq[ca] - p.amount;
                        IF x.post_pending THEN
                            dp[da] := dp[da] + amount;
                            cp[ca] := cp[ca] + amount;
                        END IF;
                        resolved := resolved || jsonb_build_object(p.id,
                            CASE WHEN x.post_pending THEN 'posted' WHEN expiry THEN 'expired' ELSE 'voided' END);
                        known_n := known_n + 1;
                        known[known_n] := ROW(x.id, NULL, p.debit_account_id, p.credit_account_id, amount,
                            x.pending_id, x.pending, x.post_pending, x.void_pending, expiry, x.linked, x.timeout_s,
                            NULL, journal, coalesce(x.code, p.code), x.reference, x.user_data, now)::ledger_transfers;
                        known_at := known_at || jsonb_build_object(x.id, known_n);
                    END IF;
                END IF;
            ELSE
                -- a single or pending transfer: both accounts locked, one currency, within the flags
                da := array_position(acc, x.debit_account_id);
                ca := array_position(acc, x.credit_account_id);
                IF da IS NULL THEN
                    o := ledger_error(k, x.id, 'transfer-invalid', 'debit_account_not_found',
                                      'no such debit account', 'debit_account_id');
                ELSIF ca IS NULL THEN
                    o := ledger_error(k, x.id, 'transfer-invalid', 'credit_account_not_found',
                                      'no such credit account', 'credit_account_id');
                ELSIF cur[da] <> cur[ca] THEN
                    o := ledger_error(k, x.id, 'transfer-invalid', 'accounts_must_have_the_same_ledger',
                                      'the accounts hold different currencies', 'credit_account_id');
                ELSIF dmnec[da] AND x.amount > cp[da] - dp[da] - dq[da] THEN
                    room := cp[da] - dp[da] - dq[da];
                    o := ledger_error(k, x.id, 'insufficient-funds', 'exceeds_credits',
                        format('the debit account has %s fen available, %s fen short', room, x.amount - room),
                        'amount', jsonb_build_object('account_id', x.debit_account_id, 'available_fen', room,
                                                     'shortfall_fen', x.amount - room));
                ELSIF cmned[ca] AND x.amount > dp[ca] - cp[ca] - cq[ca] THEN
                    room := dp[ca] - cp[ca] - cq[ca];
                    o := ledger_error(k, x.id, 'insufficient-funds', 'exceeds_debits',
                        format('the credit account can take %s fen, %s fen too many', room, x.amount - room),
                        'amount', jsonb_build_object('account_id', x.credit_account_id, 'available_fen', room,
                                                     'shortfall_fen', x.amount - room));
                ELSE
                    IF x.pending THEN
                        dq[da] := dq[da] + x.amount;
                        cq[ca] := cq[ca] + x.amount;
                    ELSE
                        dp[da] := dp[da] + x.amount;
                        cp[ca] := cp[ca] + x.amount;
                    END IF;
                    known_n := known_n + 1;
                    known[known_n] := ROW(x.id, NULL, x.debit_account_id, x.credit_account_id, x.amount, NULL,
                        x.pending, false, false, false, x.linked, x.timeout_s,
                        CASE WHEN x.timeout_s > 0 THEN now + make_interval(secs => x.timeout_s) END,
                        journal, x.code, x.reference, x.user_data, now)::ledger_transfers;
                    known_at := known_at || jsonb_build_object(x.id, known_n);
                END IF;
            END IF;
            outs[k] := o;
            IF o.kind IS NOT NULL THEN
                failed_at := k;
                EXIT;
            END IF;
        END LOOP;
        -- A linked chain succeeds or fails as one: closed, and all replayed or all new.
        IF failed_at IS NULL AND (items[hi]).linked THEN
            failed_at := hi;
            outs[hi] := ledger_error(hi, (items[hi]).id, 'transfer-invalid', 'linked_event_chain_open',
                                     'the last transfer of the batch must not be linked', 'linked');
        END IF;
        IF failed_at IS NULL AND replayed > 0 AND replayed <= hi - lo THEN
            failed_at := lo;
            WHILE (outs[failed_at]).result <> 'exists' LOOP
                failed_at := failed_at + 1;
            END LOOP;
            outs[failed_at] := ledger_error(failed_at, (items[failed_at]).id, 'idempotency-conflict',
                'exists_with_different_chain', 'this id was written in another linked chain', 'id');
        END IF;
        IF failed_at IS NOT NULL THEN
            FOR k IN lo .. hi LOOP
                IF k <> failed_at THEN
                    outs[k] := ledger_error(k, (items[k]).id, 'linked-event-failed', 'linked_event_failed',
                                            'another transfer of the linked chain failed', 'id');
                END IF;
            END LOOP;
            IF chained THEN
                dp := s_dp; dq := s_dq; cp := s_cp; cq := s_cq;
                known_n := s_known_n; known_at := s_known_at; resolved := s_resolved;
                known := known[1:known_n];
            END IF;
        END IF;
        lo := hi + 1;
    END LOOP;

    -- Write: the totals by how much each moved (deltas), then the new transfers in order.
    UPDATE ledger_accounts AS a SET debits_posted = a.debits_posted + m.ddp,
        debits_pending = a.debits_pending + m.ddq, credits_posted = a.credits_posted + m.dcp,
        credits_pending = a.credits_pending + m.dcq, updated_at = now
    FROM (
        SELECT u.id, u.ndp - u.odp AS ddp, u.ndq - u.odq AS ddq, u.ncp - u.ocp AS dcp, u.ncq - u.ocq AS dcq
        FROM unnest(acc, dp, dq, cp, cq, dp0, dq0, cp0, cq0) AS u(id, ndp, ndq, ncp, ncq, odp, odq, ocp, ocq)
        WHERE (u.ndp, u.ndq, u.ncp, u.ncq) IS DISTINCT FROM (u.odp, u.odq, u.ocp, u.ocq)
    ) AS m
    WHERE a.id = m.id;
    IF known_n >= first_new THEN
        INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, pending_id, pending,
            post_pending, void_pending, expiry, linked, timeout_s, expires_at, journal_id, code, reference,
            user_data, created_at)
        SELECT t.id, t.debit_account_id, t.credit_account_id, t.amount, t.pending_id, t.pending, t.post_pending,
            t.void_pending, t.expiry, t.linked, t.timeout_s, t.expires_at, t.journal_id, t.code, t.reference,
            t.user_data, t.created_at
        FROM unnest(known[first_new:known_n]) WITH ORDINALITY AS t ORDER BY t.ordinality;
    END IF;
    RETURN QUERY
        SELECT r.i, r.result, r.kind, r.detail, r.field, r.context, r.id,
            t.debit_account_id, t.credit_account_id, t.amount, t.code::text, t.pending_id::text, t.pending,
            t.post_pending, t.void_pending, t.expiry, t.linked, t.timeout_s, t.expires_at, t.journal_id,
            t.reference::text, t.user_data, t.created_at, t.seq
        FROM unnest(outs) AS r LEFT JOIN ledger_transfers t ON r.kind IS NULL AND t.id = r.id
        ORDER BY r.i;
END $$;
"""

DROPS = """
DROP FUNCTION IF EXISTS ledger_apply(jsonb, timestamptz, boolean);
DROP FUNCTION IF EXISTS ledger_compare(integer, ledger_transfer_input, ledger_transfers);
DROP FUNCTION IF EXISTS ledger_error(integer, text, text, text, text, text, jsonb);
DROP TYPE IF EXISTS ledger_outcome;
DROP TYPE IF EXISTS ledger_transfer_input;
"""


def upgrade():
    op.execute(TYPES)
    op.execute(FUNCTIONS)


def downgrade():
    op.execute(DROPS)
