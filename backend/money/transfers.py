"""Transfers and the rules they obey, without the database: the shapes TigerBeetle allows, the
balance limits of flagged accounts, how a replayed id is compared with what was stored, and how
a batch splits into linked chains. `backend/money/ledger.py` applies them under row locks."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from backend.money.errors import (
    IdempotencyConflict,
    InsufficientFunds,
    LinkedEventFailed,
    MoneyError,
    TransferInvalid,
)

MAX_ID_LENGTH = 128
SYSTEM_PREFIX = "sys:"
EXPIRY_PREFIX = "sys:expiry:"
MAX_BIGINT = 2**63 - 1
MAX_TIMEOUT_S = 2**31 - 1


@dataclass(frozen=True)
class Transfer:
    """What a caller asks for. Post and void may leave accounts, amount and code empty: they
    default to the pending transfer's (amount: the whole pending amount)."""

    id: str
    debit_account_id: int | None = None
    credit_account_id: int | None = None
    amount: int | None = None
    code: str | None = None
    pending_id: str | None = None
    pending: bool = False
    post_pending: bool = False
    void_pending: bool = False
    linked: bool = False
    timeout_s: int = 0
    reference: str | None = None
    user_data: dict | None = None


@dataclass(frozen=True)
class TransferRecord:
    """A transfer as stored."""

    id: str
    debit_account_id: int
    credit_account_id: int
    amount: int
    code: str
    pending_id: str | None
    pending: bool
    post_pending: bool
    void_pending: bool
    expiry: bool
    linked: bool
    timeout_s: int
    expires_at: datetime | None
    journal_id: uuid.UUID
    reference: str | None
    user_data: dict | None
    created_at: datetime
    seq: int | None = None  # order of creation, given by the database


@dataclass(frozen=True)
class TransferResult:
    index: int
    id: str
    result: str  # "ok", "exists", or the error's code
    transfer: TransferRecord | None = None
    error: MoneyError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Totals:
    """A locked account's totals as they stand in this batch, and as they were read."""

    currency: str
    debits_must_not_exceed_credits: bool
    credits_must_not_exceed_debits: bool
    debits_posted: int
    debits_pending: int
    credits_posted: int
    credits_pending: int
    read: tuple[int, int, int, int] = field(default=(0, 0, 0, 0))

    def now(self) -> tuple[int, int, int, int]:
        return (self.debits_posted, self.debits_pending, self.credits_posted, self.credits_pending)


def resolution_name(post_pending: bool, expiry: bool) -> str:
    return "posted" if post_pending else ("expired" if expiry else "voided")


def chains(transfers: Sequence[Transfer]) -> list[list[tuple[int, Transfer]]]:
    """Split the batch into linked chains (a transfer without `linked` closes its chain)."""
    chains, current = [], []
    for index, transfer in enumerate(transfers):
        current.append((index, transfer))
        if not transfer.linked:
            chains.append(current)
            current = []
    if current:
        chains.append(current)  # left open: chain_failure reports it
    return chains


def chain_failure(chain, outcomes) -> tuple[int, MoneyError] | None:
    """(position, error) of what makes the chain fail, or None."""
    for position, outcome in enumerate(outcomes):
        if isinstance(outcome, MoneyError):
            return position, outcome
    if chain[-1][1].linked:
        return len(chain) - 1, TransferInvalid(
            "linked_event_chain_open", "the last transfer of the batch must not be linked", field="linked"
        )
    replayed = [outcome[0] == "exists" for outcome in outcomes]
    if any(replayed) and not all(replayed):
        position = replayed.index(True)
        return position, IdempotencyConflict(
            "exists_with_different_chain", "this id was written in another linked chain", field="id"
        )
    return None


def failed_chain(chain, failure) -> list[TransferResult]:
    position, error = failure
    results = []
    for offset, (index, transfer) in enumerate(chain):
        if offset == position:
            results.append(TransferResult(index, transfer.id, error.code, error=error))
        else:
            other = LinkedEventFailed("linked_event_failed", "another transfer of the linked chain failed", field="id")
            results.append(TransferResult(index, transfer.id, other.code, error=other))
    return results


def _is_int(value, limit=MAX_BIGINT) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value <= limit


def shape_error(t: Transfer, expiry: bool) -> MoneyError | None:
    if not isinstance(t.id, str) or not t.id or len(t.id) > MAX_ID_LENGTH + len(EXPIRY_PREFIX):
        return TransferInvalid("id_invalid", f"id must be a string of 1-{MAX_ID_LENGTH} characters", field="id")
    if t.id.startswith(SYSTEM_PREFIX) != expiry or (not expiry and len(t.id) > MAX_ID_LENGTH):
        return TransferInvalid("id_invalid", f"id must be 1-{MAX_ID_LENGTH} characters, not sys:…", field="id")
    if t.pending + t.post_pending + t.void_pending > 1:
        return TransferInvalid(
            "flags_are_mutually_exclusive", "pending, post and void exclude each other", field="flags"
        )
    if t.reference is not None and (not isinstance(t.reference, str) or len(t.reference) > 200):
        return TransferInvalid("reference_invalid", "reference must be a string of at most 200", field="reference")
    if t.user_data is not None and not isinstance(t.user_data, dict):
        return TransferInvalid("user_data_invalid", "user_data must be an object", field="user_data")
    if t.code is not None and (not isinstance(t.code, str) or not 1 <= len(t.code) <= 32):
        return TransferInvalid("code_invalid", "code must be a string of 1-32 characters", field="code")
    if t.amount is not None and (not _is_int(t.amount) or t.amount <= 0):
        return TransferInvalid("amount_must_be_positive", "amount must be a positive integer of fen", field="amount")
    if t.post_pending or t.void_pending:
        return _resolution_shape_error(t)
    return _movement_shape_error(t)


def _resolution_shape_error(t: Transfer) -> MoneyError | None:
    if not isinstance(t.pending_id, str) or not t.pending_id:
        return TransferInvalid("pending_id_must_not_be_zero", "post and void name a pending_id", field="pending_id")
    if t.pending_id == t.id:
        return TransferInvalid("pending_id_must_be_different", "pending_id must differ from id", field="pending_id")
    if t.timeout_s:
        return TransferInvalid(
            "timeout_reserved_for_pending_transfer", "only a pending transfer has a timeout", field="timeout_s"
        )
    return None


def _movement_shape_error(t: Transfer) -> MoneyError | None:
    if t.pending_id is not None:
        return TransferInvalid("pending_id_must_be_zero", "only post and void name a pending_id", field="pending_id")
    if not _is_int(t.timeout_s, MAX_TIMEOUT_S) or t.timeout_s < 0 or (t.timeout_s and not t.pending):
        return TransferInvalid(
            "timeout_reserved_for_pending_transfer",
            "timeout_s is a non-negative integer, for pending only",
            field="timeout_s",
        )
    for name in ("debit_account_id", "credit_account_id"):
        if not _is_int(getattr(t, name)) or getattr(t, name) <= 0:
            return TransferInvalid(f"{name}_must_not_be_zero", f"{name} is required", field=name)
    if t.debit_account_id == t.credit_account_id:
        return TransferInvalid(
            "accounts_must_be_different", "debit and credit accounts must differ", field="credit_account_id"
        )
    if t.amount is None:
        return TransferInvalid("amount_must_be_positive", "amount must be a positive integer of fen", field="amount")
    if t.code is None:
        return TransferInvalid("code_must_not_be_zero", "code is required", field="code")
    return None


def funds_error(t: Transfer, debit: Totals, credit: Totals) -> MoneyError | None:
    if debit.debits_must_not_exceed_credits:
        room = debit.credits_posted - debit.debits_posted - debit.debits_pending
        if t.amount > room:
            return InsufficientFunds(
                "exceeds_credits",
                f"the debit account has {room} fen available, {t.amount - room} fen short",
                field="amount",
                account_id=t.debit_account_id,
                available_fen=room,
                shortfall_fen=t.amount - room,
            )
    if credit.credits_must_not_exceed_debits:
        room = credit.debits_posted - credit.credits_posted - credit.credits_pending
        if t.amount > room:
            return InsufficientFunds(
                "exceeds_debits",
                f"the credit account can take {room} fen, {t.amount - room} fen too many",
                field="amount",
                account_id=t.credit_account_id,
                available_fen=room,
                shortfall_fen=t.amount - room,
            )
    return None


def pending_mismatch(t: Transfer, pending: TransferRecord) -> MoneyError | None:
    for name in ("debit_account_id", "credit_account_id", "code"):
        given = getattr(t, name)
        if given is not None and given != getattr(pending, name):
            return TransferInvalid(
                f"pending_transfer_has_different_{name}", f"{name} differs from the pending", field=name
            )
    if t.amount is not None and t.amount > pending.amount:
        return TransferInvalid(
            "exceeds_pending_transfer_amount", f"at most {pending.amount} fen can be posted", field="amount"
        )
    if t.void_pending and t.amount is not None and t.amount != pending.amount:
        return TransferInvalid(
            "pending_transfer_has_different_amount", "a void releases the whole pending amount", field="amount"
        )
    return None


# The order TigerBeetle reports differences in: flags, pending id, timeout, accounts, amount, data, code.
_COMPARED = (
    ("flags", lambda t: (t.pending, t.post_pending, t.void_pending, t.linked)),
    ("pending_id", lambda t: t.pending_id),
    ("timeout", lambda t: t.timeout_s),
    ("debit_account_id", lambda t: t.debit_account_id),
    ("credit_account_id", lambda t: t.credit_account_id),
    ("amount", lambda t: t.amount),
    ("reference", lambda t: t.reference),
    ("user_data", lambda t: t.user_data),
    ("code", lambda t: t.code),
)
_DEFAULTED = {"debit_account_id", "credit_account_id", "amount", "code"}  # post/void may leave them out


def compare(t: Transfer, stored: TransferRecord) -> MoneyError | None:
    """None when the replay asks for what was stored; else exists_with_different_<field>."""
    resolving = t.post_pending or t.void_pending
    for name, value in _COMPARED:
        given = value(t)
        if resolving and name in _DEFAULTED and given is None:
            continue
        if given != value(stored):
            return IdempotencyConflict(
                f"exists_with_different_{name}", f"transfer {t.id} exists with another {name}", field=name
            )
    return None
