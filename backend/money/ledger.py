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

Where the rules live: in the database function `ledger_apply` (migrations 0013, 0014; a lone
plain transfer takes its short path), the one implementation of replays, resolutions, time-outs,
the flagged accounts' limits and linked chains.
A call is one round trip: the function locks the account rows it touches (in id order, so two
calls never deadlock on each other), decides each transfer against the locked rows, writes the
transfers and moves the totals; a hot account's lock is held for that one statement and the commit.
Here the input is shaped (`transfers.shape_error`: what needs no database; `transfers.chains`:
the linked chains numbered) and the answer mapped to records and MoneyErrors. The service never
commits: the caller owns the transaction. `create_transfers` answers per transfer, as TigerBeetle does;
`apply_transfers` is all-or-nothing and raises the first failure as a typed error.
"""

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta

from sqlalchemy import column, exists, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.models.money import LedgerAccount, LedgerTransfer
from backend.money.accounts import CHART, CURRENCY, PLATFORM_OWNER_ID, Kind, Owner, rule_for
from backend.money.errors import (
    AccountInvalid,
    IdempotencyConflict,
    InsufficientFunds,
    LinkedEventFailed,
    MoneyError,
    PendingTransferClosed,
    TransferInvalid,
)
from backend.money.transfers import EXPIRY_PREFIX, Transfer, TransferRecord, TransferResult, chains, shape_error

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
    return _run(session, transfers, now or datetime.now(UTC))


def apply_transfers(
    session: Session, transfers: Sequence[Transfer], *, now: datetime | None = None
) -> list[TransferRecord]:
    """All or nothing: the transfers as stored (replays answer their first record), or the first
    failure raised as a typed MoneyError with nothing written."""
    results = _run(session, transfers, now or datetime.now(UTC))
    failed = next((r for r in results if r.error and not isinstance(r.error, LinkedEventFailed)), None)
    failed = failed or next((r for r in results if r.error), None)
    if failed:
        raise failed.error
    return [r.transfer for r in results]


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
    results = _run(session, voids, now, expiry=True)
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


# The rules live in the database function ledger_apply (migrations 0013, 0014), applied in one round
# trip under the accounts' row locks; here the input is shaped and the answer mapped.
_ANSWER = (
    "r_i r_result r_kind r_detail r_field r_context r_id r_debit_account_id r_credit_account_id r_amount r_code"
    " r_pending_id r_pending r_post_pending r_void_pending r_expiry r_linked r_timeout_s r_expires_at r_journal_id"
    " r_reference r_user_data r_created_at r_seq"
).split()
# The answer's columns named up front, so SQLAlchemy maps them once, not on every call.
_APPLY = text("SELECT * FROM ledger_apply(CAST(:transfers AS jsonb), :now, :expiry)").columns(
    *(column(name) for name in _ANSWER)
)

_ERRORS = {
    "transfer-invalid": TransferInvalid,
    "insufficient-funds": InsufficientFunds,
    "idempotency-conflict": IdempotencyConflict,
    "pending-transfer-closed": PendingTransferClosed,
    "linked-event-failed": LinkedEventFailed,
}


def _run(session: Session, transfers: Sequence[Transfer], now: datetime, *, expiry: bool = False):
    """One result per transfer, in order; the successful ones written, failed chains leave nothing."""
    transfers = list(transfers)
    if not transfers:
        return []
    shape_errors = {i: e for i, t in enumerate(transfers) if (e := shape_error(t, expiry))}
    items = [_item(i, chain, t, shape_errors.get(i)) for chain, links in enumerate(chains(transfers)) for i, t in links]
    params = {"transfers": json.dumps(items), "now": now, "expiry": expiry}
    try:
        rows = session.execute(_APPLY, params).all()
    except IntegrityError as exc:
        if "ledger_transfers_pkey" in str(exc.orig):
            raise IdempotencyConflict(
                "id_in_flight", "another transaction wrote a transfer with this id at the same time; retry"
            ) from exc
        raise
    return [_result(row, transfers[row.r_i], shape_errors.get(row.r_i)) for row in rows]


def _item(index: int, chain: int, t: Transfer, error: MoneyError | None) -> dict:
    """A transfer as ledger_apply takes it (a malformed one only carries its shape error)."""
    item = {"i": index, "chain": chain, "linked": bool(t.linked)}
    if error is not None:
        return item | {"shape_error": error.code, "id": t.id if isinstance(t.id, str) else None}
    return item | {
        "id": t.id,
        "debit_account_id": t.debit_account_id,
        "credit_account_id": t.credit_account_id,
        "amount": t.amount,
        "code": t.code,
        "pending_id": t.pending_id,
        "pending": t.pending,
        "post_pending": t.post_pending,
        "void_pending": t.void_pending,
        "timeout_s": t.timeout_s,
        "reference": t.reference,
        "user_data": t.user_data,
    }


def _result(row, transfer: Transfer, shape: MoneyError | None) -> TransferResult:
    if row.r_kind is None:
        return TransferResult(row.r_i, row.r_id, row.r_result, transfer=_returned(row))
    if row.r_kind == "shape":
        error = shape
    else:
        context = row.r_context or {}
        error = _ERRORS[row.r_kind](row.r_result, row.r_detail, field=row.r_field, **context)
    return TransferResult(row.r_i, transfer.id, error.code, error=error)


# The answer ends with the stored transfer's columns in TransferRecord's order: a row maps by position
# (a day close maps 160,000 of them).
_RECORD_AT = _ANSWER.index("r_id")
assert _ANSWER[_RECORD_AT:] == ["r_" + f.name for f in fields(TransferRecord)]
_JOURNAL_AT = [f.name for f in fields(TransferRecord)].index("journal_id")


def _returned(row) -> TransferRecord:
    values = row[_RECORD_AT:]
    if not isinstance(values[_JOURNAL_AT], uuid.UUID):
        values = values[:_JOURNAL_AT] + (uuid.UUID(values[_JOURNAL_AT]),) + values[_JOURNAL_AT + 1 :]
    return TransferRecord(*values)
