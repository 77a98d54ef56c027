"""Transfers without the database: what a caller asks for, what is stored, the shapes TigerBeetle
allows (checked before anything is locked) and how a batch splits into linked chains. The rules
that need the stored state (replays, pending resolutions, balance limits, chains all or nothing)
are the database function ledger_apply (migration 0013); `backend/money/ledger.py` calls it."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from backend.money.errors import (
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


def chains(transfers: Sequence[Transfer]) -> list[list[tuple[int, Transfer]]]:
    """Split the batch into linked chains (a transfer without `linked` closes its chain)."""
    chains, current = [], []
    for index, transfer in enumerate(transfers):
        current.append((index, transfer))
        if not transfer.linked:
            chains.append(current)
            current = []
    if current:
        chains.append(current)  # left open: ledger_apply reports it
    return chains


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
