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
the new transfers. The guards of 0006 (immutability, the pending-match check, the deferred balance
check, the CHECKs) still catch what this function would get wrong.

Also: the balance counters' triggers of 0006 count per statement (transition tables), not per
row. And the account kind `tax_withheld` goes (no code posted to it: a payment's tax moves from the
technician's payable to iit_payable, and the tax rows say what was withheld from whom).

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
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
-- totals back from a log of its moves and forgets the transfers it made.
CREATE OR REPLACE FUNCTION ledger_apply(transfers jsonb, now timestamptz, expiry boolean)
RETURNS TABLE (
    r_i integer, r_result text, r_kind text, r_detail text, r_field text, r_context jsonb,
    r_id text, r_debit_account_id bigint, r_credit_account_id bigint, r_amount bigint, r_code text,
    r_pending_id text, r_pending boolean, r_post_pending boolean, r_void_pending boolean, r_expiry boolean,
    r_linked boolean, r_timeout_s integer, r_expires_at timestamptz, r_journal_id uuid, r_reference text,
    r_user_data jsonb, r_created_at timestamptz, r_seq bigint
) LANGUAGE plpgsql
-- The planner sizes the batch's arrays at 10 rows and a large batch's joins at millions: without
-- this, JIT compiles those statements for seconds on every call.
SET jit = off
AS $$
DECLARE
    items ledger_transfer_input[];
    x ledger_transfer_input;
    named_ids text[]; pending_ids text[]; account_ids bigint[];
    n integer;
    -- the locked accounts, by position
    acc bigint[]; cur text[]; dmnec boolean[]; cmned boolean[];
    dp bigint[]; dq bigint[]; cp bigint[]; cq bigint[];
    dp0 bigint[]; dq0 bigint[]; cp0 bigint[]; cq0 bigint[];
    -- the transfers stored (1 .. first_new - 1) and written by this batch so far (made[k]: where
    -- item k's new transfer is); per item, where its id / pending id / resolution was stored, and
    -- the nearest earlier item with the same id / whose id is its pending id / resolving the same
    -- pending id (a chain of earlier items to walk: a map without hashing, linear in the batch)
    known ledger_transfers[];
    known_n integer;
    first_new integer;
    made integer[];
    stored_at integer[]; pending_at integer[]; stored_resolution text[];
    same_before integer[]; pending_before integer[]; resolving_before integer[];
    -- per item, the positions of its accounts and of its stored pending transfer's accounts
    debit_at integer[]; credit_at integer[]; pending_debit_at integer[]; pending_credit_at integer[];
    pos integer;
    resolution text;
    b integer;
    -- a linked chain's saved state
    moved_debit integer[]; moved_credit integer[]; moved_posted bigint[]; moved_pending bigint[];
    s_known_n integer;
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
    named_ids := ARRAY(SELECT i.id FROM unnest(items) AS i UNION SELECT i.pending_id FROM unnest(items) AS i);
    pending_ids := ARRAY(SELECT DISTINCT i.pending_id FROM unnest(items) AS i WHERE i.pending_id IS NOT NULL);
    account_ids := ARRAY(
        SELECT i.debit_account_id FROM unnest(items) AS i
        UNION SELECT i.credit_account_id FROM unnest(items) AS i
        UNION SELECT unnest(ARRAY[t.debit_account_id, t.credit_account_id])
        FROM ledger_transfers t WHERE t.id = ANY (pending_ids)
    );
    WITH locked AS (
        SELECT a.* FROM ledger_accounts a WHERE a.id = ANY (account_ids) ORDER BY a.id FOR UPDATE
    )
    SELECT coalesce(array_agg(l.id), '{}'), array_agg(l.currency::text), array_agg(l.debits_must_not_exceed_credits),
        array_agg(l.credits_must_not_exceed_debits), array_agg(l.debits_posted), array_agg(l.debits_pending),
        array_agg(l.credits_posted), array_agg(l.credits_pending)
    INTO acc, cur, dmnec, cmned, dp, dq, cp, cq FROM locked l;
    dp0 := dp; dq0 := dq; cp0 := cp; cq0 := cq;
    -- After the locks: the transfers the batch names (replays, pending) and their resolutions.
    -- (one index probe per id: OFFSET 0 keeps the planner from hashing the whole table)
    known := ARRAY(
        SELECT z.t FROM unnest(named_ids) AS n(id)
        CROSS JOIN LATERAL (SELECT t FROM ledger_transfers t WHERE t.id = n.id OFFSET 0) AS z
    );
    known_n := coalesce(array_length(known, 1), 0);
    first_new := known_n + 1;
    made := array_fill(NULL::integer, ARRAY[n]);
    moved_debit := made; moved_credit := made;
    moved_posted := array_fill(NULL::bigint, ARRAY[n]); moved_pending := moved_posted;
    WITH it AS (
        SELECT i.id, i.pending_id, i.debit_account_id, i.credit_account_id, i.ordinality AS k
        FROM unnest(items) WITH ORDINALITY AS i
    ), stored AS (
        SELECT t.id, t.debit_account_id, t.credit_account_id, t.ordinality AS at
        FROM unnest(known) WITH ORDINALITY AS t
    ), accounts AS (
        SELECT a.id, a.at FROM unnest(acc) WITH ORDINALITY AS a(id, at)
    ), resolutions AS (
        SELECT t.pending_id, CASE WHEN t.post_pending THEN 'posted' WHEN t.expiry THEN 'expired' ELSE 'voided' END
            AS name
        FROM unnest(pending_ids) AS n(id)
        CROSS JOIN LATERAL (SELECT * FROM ledger_transfers l WHERE l.pending_id = n.id OFFSET 0) AS t
    ), keyed AS (  -- ids (defining, 0) and pending ids (referring, 1) in one order per key
        SELECT it.id AS key, it.k, 0 AS side FROM it WHERE it.id IS NOT NULL
        UNION ALL SELECT it.pending_id, it.k, 1 FROM it WHERE it.pending_id IS NOT NULL
    ), defined_before AS (
        SELECT keyed.k, keyed.side, max(keyed.k) FILTER (WHERE keyed.side = 0) OVER (
            PARTITION BY keyed.key ORDER BY keyed.k, keyed.side ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS before FROM keyed
    ), per_item AS (
        SELECT it.k, sa.at AS stored_at, pa.at AS pending_at, r.name AS resolution,
            CASE WHEN it.id IS NOT NULL THEN lag(it.k) OVER (PARTITION BY it.id ORDER BY it.k) END AS same_before,
            d.before AS pending_before, ad.at AS debit_at, ac.at AS credit_at, apd.at AS pending_debit_at,
            apc.at AS pending_credit_at,
            CASE WHEN it.pending_id IS NOT NULL THEN lag(it.k) OVER (PARTITION BY it.pending_id ORDER BY it.k) END
                AS resolving_before
        FROM it LEFT JOIN stored sa ON sa.id = it.id LEFT JOIN stored pa ON pa.id = it.pending_id
        LEFT JOIN resolutions r ON r.pending_id = it.pending_id
        LEFT JOIN defined_before d ON d.k = it.k AND d.side = 1
        LEFT JOIN accounts ad ON ad.id = it.debit_account_id LEFT JOIN accounts ac ON ac.id = it.credit_account_id
        LEFT JOIN accounts apd ON apd.id = pa.debit_account_id LEFT JOIN accounts apc ON apc.id = pa.credit_account_id
    )
    SELECT array_agg(per_item.stored_at ORDER BY per_item.k), array_agg(per_item.pending_at ORDER BY per_item.k),
        array_agg(per_item.resolution ORDER BY per_item.k), array_agg(per_item.same_before ORDER BY per_item.k),
        array_agg(per_item.pending_before ORDER BY per_item.k),
        array_agg(per_item.resolving_before ORDER BY per_item.k), array_agg(per_item.debit_at ORDER BY per_item.k),
        array_agg(per_item.credit_at ORDER BY per_item.k), array_agg(per_item.pending_debit_at ORDER BY per_item.k),
        array_agg(per_item.pending_credit_at ORDER BY per_item.k)
    INTO stored_at, pending_at, stored_resolution, same_before, pending_before, resolving_before, debit_at,
        credit_at, pending_debit_at, pending_credit_at
    FROM per_item;

    WHILE lo <= n LOOP
        hi := lo;
        WHILE hi < n AND (items[hi + 1]).chain = (items[lo]).chain LOOP
            hi := hi + 1;
        END LOOP;
        chained := hi > lo OR (items[hi]).linked;
        IF chained THEN
            s_known_n := known_n;
        END IF;
        journal := gen_random_uuid();
        failed_at := NULL;
        replayed := 0;
        FOR k IN lo .. hi LOOP
            x := items[k];
            o := ROW(k - 1, x.id, 'ok', NULL, NULL, NULL, NULL)::ledger_outcome;
            IF x.shape_error IS NOT NULL THEN
                o := ledger_error(k, x.id, 'shape', x.shape_error, NULL, NULL);
            ELSE
                pos := stored_at[k];
                b := same_before[k];
                WHILE pos IS NULL AND b IS NOT NULL LOOP
                    pos := made[b];
                    b := same_before[b];
                END LOOP;
            END IF;
            IF x.shape_error IS NOT NULL THEN
                NULL;
            ELSIF pos IS NOT NULL THEN
                o := coalesce(ledger_compare(k, x, known[pos]),
                              ROW(k - 1, x.id, 'exists', NULL, NULL, NULL, NULL)::ledger_outcome);
                replayed := replayed + (o.result = 'exists')::int;
            ELSIF x.post_pending OR x.void_pending THEN
                -- post (all or part; the rest is released) or void/expire a pending transfer, once
                pos := pending_at[k];
                da := pending_debit_at[k];
                ca := pending_credit_at[k];
                b := pending_before[k];
                WHILE pos IS NULL AND b IS NOT NULL LOOP
                    pos := made[b];
                    da := debit_at[b];  -- a pending transfer made by this batch: item b's accounts
                    ca := credit_at[b];
                    b := same_before[b];
                END LOOP;
                p := CASE WHEN pos IS NOT NULL THEN known[pos] END;
                resolution := stored_resolution[k];
                b := resolving_before[k];
                WHILE resolution IS NULL AND b IS NOT NULL LOOP
                    IF made[b] IS NOT NULL THEN
                        resolution := CASE WHEN (known[made[b]]).post_pending THEN 'posted'
                                           WHEN (known[made[b]]).expiry THEN 'expired' ELSE 'voided' END;
                    END IF;
                    b := resolving_before[b];
                END LOOP;
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
                    IF name IS NOT NULL THEN
                        o := ledger_error(k, x.id, 'transfer-invalid', 'pending_transfer_has_different_' || name,
                                          format('%s differs from the pending', name), name);
                    ELSIF x.amount > p.amount THEN
                        o := ledger_error(k, x.id, 'transfer-invalid', 'exceeds_pending_transfer_amount',
                                          format('at most %s fen can be posted', p.amount), 'amount');
                    ELSIF x.void_pending AND x.amount <> p.amount THEN
                        o := ledger_error(k, x.id, 'transfer-invalid', 'pending_transfer_has_different_amount',
                                          'a void releases the whole pending amount', 'amount');
                    ELSIF resolution IS NOT NULL THEN
                        o := ledger_error(k, x.id, 'pending-transfer-closed', 'pending_transfer_already_' || resolution,
                                          format('the pending transfer was already %s', resolution), 'pending_id');
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
                        moved_posted[k] := CASE WHEN x.post_pending THEN amount ELSE 0 END;
                        moved_pending[k] := -p.amount;
                        known_n := known_n + 1;
                        known[known_n] := ROW(x.id, NULL, p.debit_account_id, p.credit_account_id, amount,
                            x.pending_id, x.pending, x.post_pending, x.void_pending, expiry, x.linked, x.timeout_s,
                            NULL, journal, coalesce(x.code, p.code), x.reference, x.user_data, now)::ledger_transfers;
                        made[k] := known_n;
                    END IF;
                END IF;
            ELSE
                -- a single or pending transfer: both accounts locked, one currency, within the flags
                da := debit_at[k];
                ca := credit_at[k];
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
                    moved_posted[k] := CASE WHEN x.pending THEN 0 ELSE x.amount END;
                    moved_pending[k] := CASE WHEN x.pending THEN x.amount ELSE 0 END;
                    known_n := known_n + 1;
                    known[known_n] := ROW(x.id, NULL, x.debit_account_id, x.credit_account_id, x.amount, NULL,
                        x.pending, false, false, false, x.linked, x.timeout_s,
                        CASE WHEN x.timeout_s > 0 THEN now + make_interval(secs => x.timeout_s) END,
                        journal, x.code, x.reference, x.user_data, now)::ledger_transfers;
                    made[k] := known_n;
                END IF;
            END IF;
            outs[k] := o;
            IF made[k] IS NOT NULL THEN
                -- a transfer moves its debit account's debits and its credit account's credits alike
                moved_debit[k] := da;
                moved_credit[k] := ca;
                dp[da] := dp[da] + moved_posted[k];
                dq[da] := dq[da] + moved_pending[k];
                cp[ca] := cp[ca] + moved_posted[k];
                cq[ca] := cq[ca] + moved_pending[k];
            END IF;
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
            IF chained THEN  -- undo what the chain's earlier transfers moved and made
                FOR k IN lo .. hi LOOP
                    IF made[k] IS NOT NULL THEN
                        da := moved_debit[k];
                        ca := moved_credit[k];
                        dp[da] := dp[da] - moved_posted[k];
                        dq[da] := dq[da] - moved_pending[k];
                        cp[ca] := cp[ca] - moved_posted[k];
                        cq[ca] := cq[ca] - moved_pending[k];
                        made[k] := NULL;
                    END IF;
                END LOOP;
                known_n := s_known_n;
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


# The balance counters of 0006, counted per statement instead of per row (a day close's batch moves
# thousands of rows: one call per statement instead of five per row); the deferred check at
# commit, the pending-match guard and the counters' meaning stay as 0006 defines them.
COUNTING = r"""
CREATE OR REPLACE FUNCTION ledger_account_moves_set() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    dp bigint;
    dq bigint;
    cp bigint;
    cq bigint;
BEGIN
    SELECT coalesce(sum(n.debits_posted), 0), coalesce(sum(n.debits_pending), 0),
           coalesce(sum(n.credits_posted), 0), coalesce(sum(n.credits_pending), 0)
    INTO dp, dq, cp, cq FROM moved_new n;
    IF TG_OP = 'UPDATE' THEN
        SELECT dp - coalesce(sum(o.debits_posted), 0), dq - coalesce(sum(o.debits_pending), 0),
               cp - coalesce(sum(o.credits_posted), 0), cq - coalesce(sum(o.credits_pending), 0)
        INTO dp, dq, cp, cq FROM moved_old o;
    END IF;
    PERFORM ledger_count('gridwork.ledger_debits_posted', dp), ledger_count('gridwork.ledger_debits_pending', dq),
            ledger_count('gridwork.ledger_credits_posted', cp), ledger_count('gridwork.ledger_credits_pending', cq);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ledger_transfer_moves_set() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    bad_id text;
    bad_pending text;
    posted bigint;
    pending bigint;
BEGIN
    WITH checked AS (
        SELECT n.id, n.pending_id, n.amount, n.pending, n.post_pending, p.amount AS pending_amount,
            n.pending_id IS NOT NULL AND (p.id IS NULL OR NOT p.pending OR p.debit_account_id <> n.debit_account_id
                OR p.credit_account_id <> n.credit_account_id OR n.amount > p.amount
                OR (n.void_pending AND n.amount <> p.amount)) AS mismatch
        FROM inserted n
        -- one index probe per post/void (OFFSET 0: never a hash of the whole table)
        LEFT JOIN LATERAL (SELECT * FROM ledger_transfers t WHERE t.id = n.pending_id OFFSET 0) AS p ON true
    )
    SELECT min(c.id) FILTER (WHERE c.mismatch), min(c.pending_id) FILTER (WHERE c.mismatch),
        coalesce(sum(CASE WHEN c.pending_id IS NULL AND NOT c.pending THEN c.amount
                          WHEN c.post_pending THEN c.amount ELSE 0 END), 0),
        coalesce(sum(CASE WHEN c.pending_id IS NULL AND c.pending THEN c.amount
                          WHEN c.pending_id IS NOT NULL THEN -c.pending_amount ELSE 0 END), 0)
    INTO bad_id, bad_pending, posted, pending FROM checked c;
    IF bad_id IS NOT NULL THEN
        RAISE EXCEPTION 'transfer % does not match its pending transfer %', bad_id, bad_pending
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    PERFORM ledger_count('gridwork.ledger_transfers_posted', posted),
            ledger_count('gridwork.ledger_transfers_pending', pending);
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS ledger_transfers_moves ON ledger_transfers;
DROP TRIGGER IF EXISTS ledger_accounts_moves ON ledger_accounts;
CREATE TRIGGER ledger_transfers_moves AFTER INSERT ON ledger_transfers REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_transfer_moves_set();
CREATE TRIGGER ledger_accounts_inserted AFTER INSERT ON ledger_accounts REFERENCING NEW TABLE AS moved_new
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_account_moves_set();
CREATE TRIGGER ledger_accounts_moves AFTER UPDATE ON ledger_accounts
    REFERENCING OLD TABLE AS moved_old NEW TABLE AS moved_new
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_account_moves_set();
"""

ROW_COUNTING = """
DROP TRIGGER IF EXISTS ledger_transfers_moves ON ledger_transfers;
DROP TRIGGER IF EXISTS ledger_accounts_inserted ON ledger_accounts;
DROP TRIGGER IF EXISTS ledger_accounts_moves ON ledger_accounts;
CREATE TRIGGER ledger_transfers_moves AFTER INSERT ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_transfer_moves();
CREATE TRIGGER ledger_accounts_moves AFTER INSERT OR UPDATE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_account_moves();
DROP FUNCTION IF EXISTS ledger_transfer_moves_set();
DROP FUNCTION IF EXISTS ledger_account_moves_set();
"""

KINDS = (
    "('funds', 'reserved', 'payable', 'custody_bank', 'fee_revenue', 'iit_payable', 'insurance_payable', "
    "'payout_clearing', 'credit_line', 'credit_extended')"
)
KINDS_0009 = KINDS[:-1] + ", 'tax_withheld')"


def upgrade():
    op.execute(TYPES)
    op.execute(FUNCTIONS)
    op.execute(COUNTING)
    op.drop_constraint("ck_ledger_accounts_kind", "ledger_accounts", type_="check")
    op.create_check_constraint("ck_ledger_accounts_kind", "ledger_accounts", f"kind IN {KINDS}")


def downgrade():
    op.execute(ROW_COUNTING)
    op.drop_constraint("ck_ledger_accounts_kind", "ledger_accounts", type_="check")
    op.create_check_constraint("ck_ledger_accounts_kind", "ledger_accounts", f"kind IN {KINDS_0009}")
    op.execute(DROPS)
