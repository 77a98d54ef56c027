"""The double-entry ledger, on TigerBeetle's model, in our own PostgreSQL tables.

Accounts carry four running totals (debits/credits, posted/pending). A transfer moves a positive
number of fen from its debit account to its credit account and never changes afterwards:

- single: posted at once;
- pending (`pending=True`, optional `timeout_s`): reserves the amount (pending totals) until it
  is posted, voided or times out;
- post (`post_pending=True, pending_id=...`): posts the whole pending amount or, with `amount`,
  a part of it; the rest is released;
- void (`void_pending=True, pending_id=...`): releases it all;
- expiry: `expire_pending_transfers` (a scheduled job calls it) voids timed-out pending transfers
  with a transfer of its own (id `sys:expiry:<pending id>`, `expiry=True`);
- linked (`linked=True` on every transfer of a chain but the last): the chain succeeds or fails
  as one; a failed chain leaves nothing behind, its other transfers answer linked_event_failed.

The id is the idempotency key: replaying an id with the same fields answers `exists` with the
transfer first written (never a second transfer); with different fields it answers
`exists_with_different_<field>`. Failures write nothing, so a failed id may be tried again.

Concurrency: every call locks the account rows it touches (SELECT ... FOR UPDATE, in id order, so
two calls never deadlock on each other) and checks balances, replays and pending resolutions after
taking the locks; a hot account is serialized, never overdrawn, and no update is lost.

Each call validates everything in memory against the locked rows before writing (so a failed
linked chain needs no savepoint), then writes the new transfers and moves the account totals in
one statement. The service never commits:
the caller owns the transaction. `create_transfers` answers per transfer, as TigerBeetle does;
`apply_transfers` is all-or-nothing and raises the first failure as a typed error.
"""

import copy
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.models.money import LedgerAccount, LedgerTransfer
from backend.money.accounts import CHART, CURRENCY, PLATFORM_OWNER_ID, Kind, Owner, rule_for
from backend.money.errors import (
    AccountInvalid,
    IdempotencyConflict,
    LinkedEventFailed,
    MoneyError,
    PendingTransferClosed,
    TransferInvalid,
)
from backend.money.transfers import (
    EXPIRY_PREFIX,
    Totals,
    Transfer,
    TransferRecord,
    TransferResult,
    chain_failure,
    chains,
    compare,
    failed_chain,
    funds_error,
    pending_mismatch,
    resolution_name,
    shape_error,
)

__all__ = [
    "Account",
    "Transfer",
    "TransferRecord",
    "TransferResult",
    "account_transfers",
    "apply_transfers",
    "create_transfers",
    "expire_pending_transfers",
    "get_account",
    "get_accounts",
    "lookup_transfers",
    "open_account",
    "platform_account",
]

ACCOUNTS = LedgerAccount.__table__
TRANSFERS = LedgerTransfer.__table__


@dataclass(frozen=True)
class Account:
    """An account and its balance, read from the normal side of its kind."""

    id: int
    kind: str
    owner_type: str
    owner_id: int
    currency: str
    debits_must_not_exceed_credits: bool
    credits_must_not_exceed_debits: bool
    debits_posted: int
    debits_pending: int
    credits_posted: int
    credits_pending: int

    @property
    def credit_normal(self) -> bool:
        return CHART[Kind(self.kind)].credit_normal

    @property
    def posted(self) -> int:
        """The posted balance (credits - debits on a credit-normal account)."""
        net = self.credits_posted - self.debits_posted
        return net if self.credit_normal else -net

    @property
    def pending(self) -> int:
        """Reserved: pending transfers out of the account, not yet posted or released."""
        return self.debits_pending if self.credit_normal else self.credits_pending

    @property
    def incoming(self) -> int:
        """Pending transfers into the account (not spendable until posted)."""
        return self.credits_pending if self.credit_normal else self.debits_pending

    @property
    def available(self) -> int:
        return self.posted - self.pending


# ---------------------------------------------------------------- accounts


def open_account(session: Session, kind: Kind | str, owner_type: Owner | str, owner_id: int) -> Account:
    """The owner's account of this kind, opened with the chart's flags if it does not exist yet."""
    try:
        rule = rule_for(kind, owner_type)
    except ValueError as exc:
        raise AccountInvalid("account_kind_not_for_owner", str(exc), field="kind") from None
    if not isinstance(owner_id, int) or owner_id < 0 or (Owner(owner_type) is Owner.PLATFORM) != (owner_id == 0):
        raise AccountInvalid(
            "owner_id_invalid", "owner_id must be the owner's id (0 for the platform)", field="owner_id"
        )
    now = datetime.now(UTC)
    row = dict(kind=str(Kind(kind)), owner_type=str(Owner(owner_type)), owner_id=owner_id, currency=CURRENCY)
    session.execute(
        pg_insert(ACCOUNTS)
        .values(
            **row,
            debits_must_not_exceed_credits=rule.debits_must_not_exceed_credits,
            credits_must_not_exceed_debits=rule.credits_must_not_exceed_debits,
            debits_posted=0,
            debits_pending=0,
            credits_posted=0,
            credits_pending=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(constraint="uq_ledger_accounts_owner_kind")
    )
    found = session.execute(select(ACCOUNTS).where(*(ACCOUNTS.c[k] == v for k, v in row.items()))).one()
    return _account(found)


def platform_account(session: Session, kind: Kind | str) -> Account:
    return open_account(session, kind, Owner.PLATFORM, PLATFORM_OWNER_ID)


def get_account(session: Session, account_id: int) -> Account | None:
    row = session.execute(select(ACCOUNTS).where(ACCOUNTS.c.id == account_id)).first()
    return _account(row) if row else None


def get_accounts(session: Session, account_ids: Iterable[int]) -> dict[int, Account]:
    rows = session.execute(select(ACCOUNTS).where(ACCOUNTS.c.id.in_(list(account_ids)))).all()
    return {row.id: _account(row) for row in rows}


def _account(row) -> Account:
    return Account(**{f.name: getattr(row, f.name) for f in fields(Account)})


# ---------------------------------------------------------------- transfers


def create_transfers(session: Session, transfers: Sequence[Transfer], *, now: datetime | None = None):
    """Create the transfers in order; one result per transfer (TigerBeetle's create_transfers).
    The successful ones are written; failed ones and failed chains leave nothing."""
    batch = _Batch(session, transfers, now or datetime.now(UTC))
    results = batch.run()
    return batch.write(results)


def apply_transfers(
    session: Session, transfers: Sequence[Transfer], *, now: datetime | None = None
) -> list[TransferRecord]:
    """All or nothing: the transfers as stored (replays answer their first record), or the first
    failure raised as a typed MoneyError with nothing written."""
    batch = _Batch(session, transfers, now or datetime.now(UTC))
    results = batch.run()
    failed = next((r for r in results if r.error and not isinstance(r.error, LinkedEventFailed)), None)
    failed = failed or next((r for r in results if r.error), None)
    if failed:
        raise failed.error
    return [r.transfer for r in batch.write(results)]


def expire_pending_transfers(
    session: Session, *, now: datetime | None = None, limit: int = 500, lookback: timedelta = timedelta(days=30)
):
    """Void pending transfers whose timeout has passed (for a scheduled job); their expiry records.
    Only time-outs within `lookback` are looked at, so the scan does not grow with history (the
    job runs far more often than that)."""
    now = now or datetime.now(UTC)
    pending, resolution = TRANSFERS.alias("p"), TRANSFERS.alias("r")
    due = session.scalars(
        select(pending.c.id)
        .where(pending.c.expires_at <= now, pending.c.expires_at > now - lookback)
        .where(~exists().where(resolution.c.pending_id == pending.c.id))
        .order_by(pending.c.expires_at)
        .limit(limit)
    ).all()
    voids = [Transfer(id=EXPIRY_PREFIX + pending_id, pending_id=pending_id, void_pending=True) for pending_id in due]
    batch = _Batch(session, voids, now, expiry=True)
    results = batch.write(batch.run())
    return [r.transfer for r in results if r.result == "ok"]


def lookup_transfers(session: Session, ids: Iterable[str]) -> dict[str, TransferRecord]:
    rows = session.execute(select(TRANSFERS).where(TRANSFERS.c.id.in_(list(ids)))).all()
    return {row.id: _record(row) for row in rows}


def account_transfers(session: Session, account_id: int, *, after_seq: int = 0, limit: int = 100):
    """The account's transfers in order of creation (a statement page)."""
    rows = session.execute(
        select(TRANSFERS)
        .where((TRANSFERS.c.debit_account_id == account_id) | (TRANSFERS.c.credit_account_id == account_id))
        .where(TRANSFERS.c.seq > after_seq)
        .order_by(TRANSFERS.c.seq)
        .limit(limit)
    ).all()
    return [_record(row) for row in rows]


def _record(row) -> TransferRecord:
    return TransferRecord(**{f.name: getattr(row, f.name) for f in fields(TransferRecord)})


# ---------------------------------------------------------------- the batch


@dataclass
class _State:
    """What the batch has done so far (undone when a linked chain fails)."""

    totals: dict[int, Totals]
    records: dict[str, TransferRecord]  # stored and new, by id
    resolutions: dict[str, str]  # pending id -> posted / voided / expired
    new: list[TransferRecord]


class _Batch:
    def __init__(self, session, transfers, now, *, expiry=False):
        self.session, self.transfers, self.now, self.expiry = session, list(transfers), now, expiry

    # -- reading, under locks

    def _load(self) -> _State:
        pending_ids = {t.pending_id for t in self.transfers if isinstance(t.pending_id, str) and t.pending_id}
        pendings = self._select_transfers(TRANSFERS.c.id.in_(pending_ids)) if pending_ids else []
        account_ids = {a for t in self.transfers for a in (t.debit_account_id, t.credit_account_id)}
        account_ids |= {a for p in pendings for a in (p.debit_account_id, p.credit_account_id)}
        totals = self._lock(sorted(a for a in account_ids if isinstance(a, int) and not isinstance(a, bool)))
        ids = {t.id for t in self.transfers if isinstance(t.id, str)} | pending_ids
        records = {r.id: r for r in self._select_transfers(TRANSFERS.c.id.in_(ids))}
        resolutions = self._resolutions(pending_ids) if pending_ids else {}
        return _State(totals, records, resolutions, [])

    def _select_transfers(self, condition) -> list[TransferRecord]:
        return [_record(row) for row in self.session.execute(select(TRANSFERS).where(condition)).all()]

    def _lock(self, account_ids) -> dict[int, Totals]:
        if not account_ids:
            return {}
        rows = self.session.execute(
            select(ACCOUNTS).where(ACCOUNTS.c.id.in_(account_ids)).order_by(ACCOUNTS.c.id).with_for_update()
        ).all()
        totals = {}
        for row in rows:
            values = (row.debits_posted, row.debits_pending, row.credits_posted, row.credits_pending)
            totals[row.id] = Totals(
                row.currency, row.debits_must_not_exceed_credits, row.credits_must_not_exceed_debits, *values, values
            )
        return totals

    def _resolutions(self, pending_ids) -> dict[str, str]:
        rows = self.session.execute(
            select(TRANSFERS.c.pending_id, TRANSFERS.c.post_pending, TRANSFERS.c.expiry).where(
                TRANSFERS.c.pending_id.in_(pending_ids)
            )
        ).all()
        return {r.pending_id: resolution_name(r.post_pending, r.expiry) for r in rows}

    # -- deciding, in memory

    def run(self) -> list[TransferResult]:
        self.state = self._load()
        results = []
        for chain in chains(self.transfers):
            results += self._chain(chain)
        return results

    def _chain(self, chain: list[tuple[int, Transfer]]) -> list[TransferResult]:
        saved = self._save(chain) if len(chain) > 1 else None
        saved_new = len(self.state.new)
        journal_id = uuid.uuid4()
        outcomes = [self._one(t, journal_id) for _, t in chain]
        failure = chain_failure(chain, outcomes)
        if failure is None:
            return [
                TransferResult(i, t.id, outcome[0], outcome[1]) for (i, t), outcome in zip(chain, outcomes, strict=True)
            ]
        self._undo(saved, saved_new)
        return failed_chain(chain, failure)

    def _save(self, chain) -> tuple[dict, dict]:
        """What a failed chain must put back: the totals of the accounts it can touch and the
        resolutions of the pending transfers it names (not the whole batch's: a batch of many
        chains would copy everything once per chain)."""
        pending_ids = {t.pending_id for _, t in chain if isinstance(t.pending_id, str)}
        account_ids = {a for _, t in chain for a in (t.debit_account_id, t.credit_account_id)}
        for pending_id in pending_ids:
            pending = self.state.records.get(pending_id)
            if pending is not None:
                account_ids |= {pending.debit_account_id, pending.credit_account_id}
        known = [a for a in account_ids if isinstance(a, int) and a in self.state.totals]
        totals = {a: copy.copy(self.state.totals[a]) for a in known}
        return totals, {pending_id: self.state.resolutions.get(pending_id) for pending_id in pending_ids}

    def _undo(self, saved, saved_new):
        for record in self.state.new[saved_new:]:
            del self.state.records[record.id]
        del self.state.new[saved_new:]
        if saved is not None:
            totals, resolutions = saved
            self.state.totals.update(totals)
            for pending_id, resolution in resolutions.items():
                if resolution is None:
                    self.state.resolutions.pop(pending_id, None)
                else:
                    self.state.resolutions[pending_id] = resolution

    def _one(self, transfer: Transfer, journal_id) -> tuple[str, TransferRecord | None] | MoneyError:
        """("ok" | "exists", record), or the error."""
        error = shape_error(transfer, self.expiry)
        if error:
            return error
        stored = self.state.records.get(transfer.id)
        if stored is not None:
            return compare(transfer, stored) or ("exists", stored)
        if transfer.post_pending or transfer.void_pending:
            return self._resolve(transfer, journal_id)
        return self._move(transfer, journal_id)

    def _move(self, t: Transfer, journal_id):
        debit, credit = self.state.totals.get(t.debit_account_id), self.state.totals.get(t.credit_account_id)
        if debit is None:
            return TransferInvalid("debit_account_not_found", "no such debit account", field="debit_account_id")
        if credit is None:
            return TransferInvalid("credit_account_not_found", "no such credit account", field="credit_account_id")
        if debit.currency != credit.currency:
            return TransferInvalid(
                "accounts_must_have_the_same_ledger",
                "the accounts hold different currencies",
                field="credit_account_id",
            )
        error = funds_error(t, debit, credit)
        if error:
            return error
        if t.pending:
            debit.debits_pending += t.amount
            credit.credits_pending += t.amount
        else:
            debit.debits_posted += t.amount
            credit.credits_posted += t.amount
        expires_at = self.now + timedelta(seconds=t.timeout_s) if t.timeout_s else None
        return "ok", self._add(t, t.debit_account_id, t.credit_account_id, t.amount, t.code, journal_id, expires_at)

    def _resolve(self, t: Transfer, journal_id):
        pending = self.state.records.get(t.pending_id)
        error = self._resolve_error(t, pending)
        if error:
            return error
        amount = pending.amount if t.void_pending or t.amount is None else t.amount
        debit, credit = self.state.totals[pending.debit_account_id], self.state.totals[pending.credit_account_id]
        debit.debits_pending -= pending.amount
        credit.credits_pending -= pending.amount
        if t.post_pending:
            debit.debits_posted += amount
            credit.credits_posted += amount
        self.state.resolutions[pending.id] = "posted" if t.post_pending else ("expired" if self.expiry else "voided")
        code = t.code or pending.code
        return "ok", self._add(t, pending.debit_account_id, pending.credit_account_id, amount, code, journal_id, None)

    def _resolve_error(self, t: Transfer, pending: TransferRecord | None) -> MoneyError | None:
        if pending is None:
            return TransferInvalid("pending_transfer_not_found", "no such pending transfer", field="pending_id")
        if not pending.pending:
            return TransferInvalid("pending_transfer_not_pending", "that transfer is not pending", field="pending_id")
        mismatch = pending_mismatch(t, pending)
        if mismatch:
            return mismatch
        resolution = self.state.resolutions.get(pending.id)
        if resolution:
            return PendingTransferClosed(
                f"pending_transfer_already_{resolution}",
                f"the pending transfer was already {resolution}",
                field="pending_id",
            )
        timed_out = pending.expires_at is not None and pending.expires_at <= self.now
        if self.expiry and not timed_out:
            return PendingTransferClosed("pending_transfer_not_expired", "not timed out yet", field="pending_id")
        if timed_out and not self.expiry:
            return PendingTransferClosed(
                "pending_transfer_expired", "the pending transfer timed out", field="pending_id"
            )
        if not {pending.debit_account_id, pending.credit_account_id} <= self.state.totals.keys():
            return TransferInvalid(
                "pending_transfer_not_found", "the pending transfer is not committed yet", field="pending_id"
            )
        return None

    def _add(self, t: Transfer, debit_id, credit_id, amount, code, journal_id, expires_at) -> TransferRecord:
        record = TransferRecord(
            id=t.id,
            debit_account_id=debit_id,
            credit_account_id=credit_id,
            amount=amount,
            code=code,
            pending_id=t.pending_id,
            pending=t.pending,
            post_pending=t.post_pending,
            void_pending=t.void_pending,
            expiry=self.expiry,
            linked=t.linked,
            timeout_s=t.timeout_s,
            expires_at=expires_at,
            journal_id=journal_id,
            reference=t.reference,
            user_data=t.user_data,
            created_at=self.now,
        )
        self.state.records[t.id] = record
        self.state.new.append(record)
        return record

    # -- writing

    def write(self, results: list[TransferResult]) -> list[TransferResult]:
        """One statement writes the new transfers and moves the account totals."""
        if not self.state.new:
            return results
        params = _transfer_columns(self.state.new) | self._deltas() | {"now": self.now}
        try:
            seqs = {row.id: row.seq for row in self.session.execute(_WRITE, params)}
        except IntegrityError as exc:
            if "ledger_transfers_pkey" in str(exc.orig):
                raise IdempotencyConflict(
                    "id_in_flight", "another transaction wrote a transfer with this id at the same time; retry"
                ) from exc
            raise
        for totals in self.state.totals.values():
            totals.read = totals.now()
        return [
            replace(r, transfer=replace(r.transfer, seq=seqs[r.id])) if r.transfer and r.transfer.seq is None else r
            for r in results
        ]

    def _deltas(self) -> dict[str, list[int]]:
        """Per moved account, how much each total moved (deltas: a forgotten lock could not lose an update)."""
        deltas = {name: [] for name in ("ids", "dp", "dq", "cp", "cq")}
        for account_id, totals in self.state.totals.items():
            if totals.now() == totals.read:
                continue
            deltas["ids"].append(account_id)
            for name, now, read in zip(("dp", "dq", "cp", "cq"), totals.now(), totals.read, strict=True):
                deltas[name].append(now - read)
        return deltas


_COLUMNS = (  # (column, SQL array type) in TransferRecord order, seq left to the database
    ("id", "text"),
    ("debit_account_id", "bigint"),
    ("credit_account_id", "bigint"),
    ("amount", "bigint"),
    ("code", "text"),
    ("pending_id", "text"),
    ("pending", "boolean"),
    ("post_pending", "boolean"),
    ("void_pending", "boolean"),
    ("expiry", "boolean"),
    ("linked", "boolean"),
    ("timeout_s", "integer"),
    ("expires_at", "timestamptz"),
    ("journal_id", "uuid"),
    ("reference", "text"),
    ("user_data", "jsonb"),
    ("created_at", "timestamptz"),
)


def _transfer_columns(records: list[TransferRecord]) -> dict[str, list]:
    columns = {f"t_{name}": [getattr(r, name) for r in records] for name, _ in _COLUMNS}
    columns["t_journal_id"] = [str(j) for j in columns["t_journal_id"]]
    columns["t_user_data"] = [None if d is None else json.dumps(d) for d in columns["t_user_data"]]
    return columns


# Account totals and transfers in one round trip: the UPDATE runs as a data-modifying CTE (always
# executed in full), the new transfers are inserted in the order they were decided (seq follows it).
_WRITE = text(
    "WITH moved AS (UPDATE ledger_accounts AS a SET debits_posted = a.debits_posted + m.dp, "
    "debits_pending = a.debits_pending + m.dq, credits_posted = a.credits_posted + m.cp, "
    "credits_pending = a.credits_pending + m.cq, updated_at = :now "
    "FROM unnest(CAST(:ids AS bigint[]), CAST(:dp AS bigint[]), CAST(:dq AS bigint[]), "
    "CAST(:cp AS bigint[]), CAST(:cq AS bigint[])) AS m(id, dp, dq, cp, cq) WHERE a.id = m.id RETURNING a.id) "
    f"INSERT INTO ledger_transfers ({', '.join(name for name, _ in _COLUMNS)}) "
    f"SELECT {', '.join(name for name, _ in _COLUMNS)} FROM unnest("
    + ", ".join(f"CAST(:t_{name} AS {kind}[])" for name, kind in _COLUMNS)
    + f") WITH ORDINALITY AS n({', '.join(name for name, _ in _COLUMNS)}, ord) "
    "ORDER BY ord RETURNING id, seq"
)
