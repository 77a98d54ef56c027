"""Money flows on the ledger: client funding and allocations, credit limits, order reservations,
and the posting of a finalized daily work record (pay, fee, shares, insurance, tax withheld).

Every flow is a list of ledger transfers with ids derived from what caused them, so a replay
posts nothing twice:

| flow | transfers (debit -> credit) | ids |
|---|---|---|
| funding | custody_bank -> funds; funds -> credit_line (repays drawn credit first) | `fund:<bank ref>`, `…:repay` |
| allocation | funds(parent) -> funds(child) | `alloc:<parent>:<reference>` |
| credit limit | credit_extended <-> credit_line (the change) | `credit:<org>:<n>` |
| reservation | funds -> reserved, pending (credit_line -> funds first when short) | `res:<order>:<version>` |
| release | void of the pending reservation | `res:<order>:<version>:void` |
| record | one linked chain: voids of its orders' reservations; funds -> payable (pay), fee_revenue (fee), |
|  | leaders' payables (shares), insurance_payable (premium); payable -> iit_payable (tax) | `rec:<rec>:<v>:<leg>` |

A client may spend its funds plus the unused part of its credit limit: when its funds fall short,
the missing amount is drawn from its credit line in the same linked chain; a later top-up repays
drawn credit first. Services never commit; the request or job owns the transaction.

Orders of a client whose rate card has no `fen_per_point` are not priced in money: publishing
them reserves nothing (decided here, see README "Money").
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from backend.errors import NotFound, ValidationFailed, field_error
from backend.extensions import db
from backend.models import Organization, RateCard, Region
from backend.models.money import LedgerAccount
from backend.models.settlement import CreditLimit, OrderReservation, RecordPosting, TaxWithholding, TaxYear
from backend.money import ledger, tax
from backend.money.accounts import CHART, CURRENCY, Kind, Owner
from backend.money.errors import IdempotencyConflict, InsufficientFunds
from backend.money.ledger import Transfer
from backend.money.pay import charge_order, points_from_centi
from backend.money.terms import MoneyTerms
from backend.money.terms import money_terms as read_terms
from backend.orders import points

log = logging.getLogger(__name__)
TAX_ZONE = ZoneInfo("Asia/Shanghai")  # the tax month is the month of payment in China
MAX_FEN = 10**15  # a sanity bound on one amount (10 trillion yuan)

# Fault injection for the crash-matrix tests: called with the name of each step of post_record.
FAULT_HOOK: Callable[[str], None] | None = None
POST_STEPS = ("locked", "taxed", "posted", "recorded")


def _step(name: str):
    if FAULT_HOOK is not None:
        FAULT_HOOK(name)


class FundsShortfall(InsufficientFunds):
    """The client's funds plus unused credit do not cover what is asked (422, names the shortfall)."""

    def __init__(self, org_id: int, required: int, available: int, what: str, field: str = "funds"):
        short = required - available
        super().__init__(
            "insufficient_funds",
            f"{what} needs {required} fen; organization {org_id} has {available} fen available "
            f"(funds plus unused credit): {short} fen short",
            field=field,
            org_id=org_id,
            required_fen=required,
            available_fen=available,
            shortfall_fen=short,
        )


# ---------------------------------------------------------------- accounts of one client


def funds_account(org_id: int) -> ledger.Account:
    return ledger.open_account(db.session, Kind.FUNDS, Owner.ORGANIZATION, org_id)


def _account(kind: Kind, owner: Owner, owner_id: int) -> ledger.Account:
    return ledger.open_account(db.session, kind, owner, owner_id)


def _platform(kind: Kind) -> ledger.Account:
    return ledger.platform_account(db.session, kind)


def _lock_funds(org_id: int) -> tuple[ledger.Account, ledger.Account]:
    """The client's funds and credit line, read under a lock on the funds row: decisions about
    drawing credit are made on balances no one else can move meanwhile."""
    funds = funds_account(org_id)
    line = _account(Kind.CREDIT_LINE, Owner.ORGANIZATION, org_id)
    db.session.execute(select(LedgerAccount.id).where(LedgerAccount.id == funds.id).with_for_update())
    accounts = ledger.get_accounts(db.session, [funds.id, line.id])
    return accounts[funds.id], accounts[line.id]


def _draw(org_id, funds, line, need: int, transfer_id: str, what: str, *, freed: int = 0) -> list[Transfer]:
    """The credit draw (linked) that lets funds cover `need`, counting `freed` fen released
    earlier in the same chain; [] when funds suffice; FundsShortfall when credit does not either."""
    short = need - (funds.available + freed)
    if short <= 0:
        return []
    if short > line.available:
        raise FundsShortfall(org_id, need, funds.available + freed + line.available, what)
    return [Transfer(transfer_id, line.id, funds.id, short, "credit_draw", linked=True)]


def client_org(org_id, field="org_id") -> Organization:
    org = db.session.get(Organization, org_id) if isinstance(org_id, int) else None
    if org is None or org.kind != "client":
        raise NotFound("organization", errors=[field_error(field, "no such client organization")])
    return org


def _check_amount(amount, field="amount_fen"):
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0 or amount > MAX_FEN:
        raise ValidationFailed(
            "amounts are positive integers of fen", errors=[field_error(field, "must be a positive integer of fen")]
        )


# ---------------------------------------------------------------- funding, allocations, credit


@dataclass(frozen=True)
class Funding:
    transfer: ledger.TransferRecord
    created: bool
    repaid_fen: int


def record_funding(org_id: int, amount_fen: int, bank_reference: str, note: str | None = None) -> Funding:
    """A received bank transfer credited to a client (custody_bank -> funds); the bank reference
    is the idempotency key: the same reference again answers the first funding, with another
    amount or organization it is refused (409)."""
    client_org(org_id)
    _check_amount(amount_fen)
    if not isinstance(bank_reference, str) or not 1 <= len(bank_reference.strip()) <= 100:
        raise ValidationFailed(
            "a bank reference is required", errors=[field_error("bank_reference", "1-100 characters")]
        )
    transfer_id = f"fund:{bank_reference}"
    funds, line = _lock_funds(org_id)
    first = ledger.lookup_transfers(db.session, [transfer_id]).get(transfer_id)
    if first is not None:
        return Funding(_same_funding(first, funds.id, amount_fen, bank_reference), False, 0)
    repay = min(amount_fen, _credit_drawn(org_id, line))
    bank = _platform(Kind.CUSTODY_BANK)
    data = {"org_id": org_id, "note": note} if note else {"org_id": org_id}
    transfers = [
        Transfer(
            transfer_id,
            bank.id,
            funds.id,
            amount_fen,
            "funding",
            linked=bool(repay),
            reference=bank_reference,
            user_data=data,
        )
    ]
    if repay:
        transfers.append(
            Transfer(f"{transfer_id}:repay", funds.id, line.id, repay, "credit_repay", reference=bank_reference)
        )
    records = ledger.apply_transfers(db.session, transfers)
    return Funding(records[0], True, repay)


def _same_funding(first, funds_id, amount_fen, bank_reference):
    if first.credit_account_id != funds_id or first.amount != amount_fen:
        raise IdempotencyConflict(
            "bank_reference_reused",
            f"bank reference {bank_reference!r} was already recorded with {first.amount} fen "
            f"for another funding; a reference names one bank transfer",
            field="bank_reference",
            recorded_amount_fen=first.amount,
        )
    return first


def allocate(from_org_id: int, to_org_id: int, amount_fen: int, reference: str) -> tuple[ledger.TransferRecord, bool]:
    """A parent client moves funds to one of its sub-accounts (funds -> funds). The reference is
    the idempotency key per parent. Only posted, available funds move (credit is not lent on)."""
    _check_amount(amount_fen)
    if not _is_descendant(to_org_id, from_org_id):
        raise NotFound("organization", errors=[field_error("to_org_id", "not a sub-account of from_org_id")])
    if not isinstance(reference, str) or not 1 <= len(reference) <= 100:
        raise ValidationFailed("a reference is required", errors=[field_error("reference", "1-100 characters")])
    transfer_id = f"alloc:{from_org_id}:{reference}"
    source, _ = _lock_funds(from_org_id)
    target = funds_account(to_org_id)
    first = ledger.lookup_transfers(db.session, [transfer_id]).get(transfer_id)
    if first is not None:
        if first.credit_account_id != target.id or first.amount != amount_fen:
            raise IdempotencyConflict(
                "reference_reused", f"reference {reference!r} was used for another allocation", field="reference"
            )
        return first, False
    if amount_fen > source.available:
        raise FundsShortfall(from_org_id, amount_fen, source.available, "the allocation", field="amount_fen")
    spec = Transfer(
        transfer_id,
        source.id,
        target.id,
        amount_fen,
        "allocation",
        reference=reference,
        user_data={"from_org_id": from_org_id, "to_org_id": to_org_id},
    )
    return ledger.apply_transfers(db.session, [spec])[0], True


def _is_descendant(org_id, ancestor_id) -> bool:
    org = db.session.get(Organization, org_id) if isinstance(org_id, int) else None
    while org is not None and org.parent_id is not None:
        if org.parent_id == ancestor_id:
            return True
        org = db.session.get(Organization, org.parent_id)
    return False


def _credit_drawn(org_id: int, line: ledger.Account) -> int:
    return credit_limit(org_id) - line.posted


def credit_limit(org_id: int) -> int:
    return db.session.scalar(select(CreditLimit.limit_fen).where(CreditLimit.org_id == org_id)) or 0


def set_credit_limit(org_id: int, limit_fen: int, actor_user_id: int | None, note: str | None = None) -> CreditLimit:
    """Grant, raise or lower a client's credit limit; it cannot go below the credit in use."""
    client_org(org_id)
    if not isinstance(limit_fen, int) or isinstance(limit_fen, bool) or not 0 <= limit_fen <= MAX_FEN:
        raise ValidationFailed(
            "invalid credit limit", errors=[field_error("limit_fen", "a non-negative integer of fen")]
        )
    db.session.execute(
        pg_insert(CreditLimit).values(org_id=org_id, limit_fen=0, updated_at=datetime.now(UTC)).on_conflict_do_nothing()
    )
    row = db.session.scalar(select(CreditLimit).where(CreditLimit.org_id == org_id).with_for_update())
    _, line = _lock_funds(org_id)
    change = limit_fen - row.limit_fen
    if change < 0 and -change > line.available:
        in_use = row.limit_fen - line.available
        raise ValidationFailed(
            f"{in_use} fen of credit is in use; the limit cannot go below it",
            errors=[field_error("limit_fen", f"must be at least {in_use} fen (credit in use)")],
        )
    if change:
        memo = _platform(Kind.CREDIT_EXTENDED)
        count = db.session.scalar(
            select(func.count()).select_from(ledger.TRANSFERS).where(ledger.TRANSFERS.c.reference == f"credit:{org_id}")
        )
        debit, credit = (memo.id, line.id) if change > 0 else (line.id, memo.id)
        code = "credit_grant" if change > 0 else "credit_revoke"
        ledger.apply_transfers(
            db.session,
            [Transfer(f"credit:{org_id}:{count + 1}", debit, credit, abs(change), code, reference=f"credit:{org_id}")],
        )
    row.limit_fen, row.note, row.updated_by_id, row.updated_at = limit_fen, note, actor_user_id, datetime.now(UTC)
    return row


# ---------------------------------------------------------------- order reservations


def money_terms(card) -> MoneyTerms | None:
    """The rate card's money terms (backend/money/terms.py), or None when it prices no money."""
    found = read_terms(card.terms if card else None)
    return found if found.fen_per_point is not None else None


def estimate_order(order) -> tuple[int, dict] | None:
    """(pay + fee in fen, how) for the order done in its standard duration, unrated; None
    without money terms."""
    card = points.card_for(order.org_id)
    priced = money_terms(card)
    if priced is None:
        return None
    fen_per_point, fee_bps = priced.fen_per_point, priced.fee_bps
    region = db.session.get(Region, order.region_id) if order.region_id else None
    coefficient = Decimal(region.coefficient) if region else Decimal("1.000")
    standard = SimpleNamespace(
        work_type=order.work_type,
        standard_duration_min=order.standard_duration_min,
        on_site_minutes=None,
        quality_rating=None,
        priority=order.priority,
    )
    centi, _ = points.compute(standard, {**points.DEFAULT_TERMS, **card.terms}, coefficient)
    charge = charge_order(points_from_centi(centi), fen_per_point, fee_bps)
    how = {
        "points_centi": centi,
        "fen_per_point": str(fen_per_point),
        "pay_fen": charge.pay_fen,
        "fee_bps": fee_bps,
        "fee_fen": charge.fee_fen,
        "rate_card": {"id": card.id, "version": card.version},
        "basis": "standard duration, unrated",
    }
    return charge.pay_fen + charge.fee_fen, how


def reserve_order(order) -> OrderReservation | None:
    """Publishing reserves the order's estimated cost (a pending funds -> reserved transfer);
    FundsShortfall (422) when funds plus unused credit do not cover it. Idempotent."""
    row = db.session.get(OrderReservation, order.id, with_for_update=True)
    if row is not None and row.state == "open":
        return row
    estimate = estimate_order(order)
    if estimate is None or estimate[0] == 0:
        return None
    amount, how = estimate
    version = row.version + 1 if row else 1
    transfer_id = f"res:{order.id}:{version}"
    funds, line = _lock_funds(order.org_id)
    legs = _draw(order.org_id, funds, line, amount, f"{transfer_id}:draw", f"order {order.id}'s estimated cost")
    reserved = _account(Kind.RESERVED, Owner.ORGANIZATION, order.org_id)
    legs.append(
        Transfer(transfer_id, funds.id, reserved.id, amount, "reservation", pending=True, reference=f"order:{order.id}")
    )
    ledger.apply_transfers(db.session, legs)
    return _save_reservation(row, order, version, transfer_id, amount, how)


def _save_reservation(row, order, version, transfer_id, amount, how) -> OrderReservation:
    if row is None:
        row = OrderReservation(order_id=order.id, org_id=order.org_id)
        db.session.add(row)
    row.version, row.transfer_id, row.amount_fen, row.estimate = version, transfer_id, amount, how
    row.state, row.updated_at = "open", datetime.now(UTC)
    db.session.flush()
    return row


def release_order(order) -> OrderReservation | None:
    """Cancel or expiry: the order's open reservation is voided (nothing when there is none)."""
    row = db.session.get(OrderReservation, order.id, with_for_update=True)
    if row is None or row.state != "open":
        return row
    ledger.apply_transfers(
        db.session, [Transfer(f"{row.transfer_id}:void", pending_id=row.transfer_id, void_pending=True)]
    )
    row.state, row.updated_at = "voided", datetime.now(UTC)
    return row


def adjust_order(order) -> OrderReservation | None:
    """Verification re-prices the reservation at the order's actual points: void and re-reserve.
    When the client cannot cover a higher actual cost, the estimate stays reserved (the record's
    posting charges the actual cost anyway)."""
    row = db.session.get(OrderReservation, order.id, with_for_update=True)
    card_terms = money_terms(db.session.get(RateCard, order.rate_card_id)) if order.rate_card_id else None
    if row is None or row.state != "open" or card_terms is None or order.points_centi is None:
        return row
    fen_per_point, fee_bps = card_terms.fen_per_point, card_terms.fee_bps
    charge = charge_order(points_from_centi(order.points_centi), fen_per_point, fee_bps)
    actual = charge.pay_fen + charge.fee_fen
    if actual == row.amount_fen:
        return row
    legs = [Transfer(f"{row.transfer_id}:void", pending_id=row.transfer_id, void_pending=True, linked=bool(actual))]
    version, transfer_id = row.version + 1, f"res:{order.id}:{row.version + 1}"
    if actual:
        funds, line = _lock_funds(order.org_id)
        try:
            legs += _draw(
                order.org_id, funds, line, actual, f"{transfer_id}:draw", "the verified order", freed=row.amount_fen
            )
        except FundsShortfall:
            log.info("order %s: actual cost %s fen not coverable; the estimate stays reserved", order.id, actual)
            return row
        reserved = _account(Kind.RESERVED, Owner.ORGANIZATION, order.org_id)
        legs.append(
            Transfer(
                transfer_id, funds.id, reserved.id, actual, "reservation", pending=True, reference=f"order:{order.id}"
            )
        )
    ledger.apply_transfers(db.session, legs)
    if not actual:
        row.state = "voided"
        return row
    how = {
        **row.estimate,
        "points_centi": order.points_centi,
        "pay_fen": charge.pay_fen,
        "fee_fen": charge.fee_fen,
        "basis": "verified points",
    }
    return _save_reservation(row, order, version, transfer_id, actual, how)


# ---------------------------------------------------------------- posting a finalized record


class RecordUnfunded(FundsShortfall):
    kind = "record-unfunded"


def record_order_ids(record) -> list[int]:
    """The orders a record's lines name."""
    return sorted({int(line["order_id"]) for line in record.lines or () if line.get("order_id") is not None})


@dataclass(frozen=True)
class Posted:
    posted: list[int]  # record ids posted now or before
    refused: dict[int, RecordUnfunded]  # record id -> why it could not be funded (nothing written for it)


def post_record(record, *, now: datetime | None = None) -> RecordPosting:
    """Post a finalized daily work record's money in one linked chain (all or nothing) and
    release its orders' reservations; a second call answers the first posting. RecordUnfunded
    (422, naming the shortfall) when the client's funds and credit cannot pay it."""
    outcome = post_records([record], now=now)
    if record.id in outcome.refused:
        raise outcome.refused[record.id]
    return db.session.get(RecordPosting, record.id)


def post_records(records, *, now: datetime | None = None) -> Posted:
    """Post many finalized records with a few statements in all (the day close's bulk path):
    each record is its own linked chain; records the client cannot fund are refused (in the
    answer) and leave nothing, the others post. Replays post nothing twice."""
    now = now or datetime.now(UTC)
    with db.session.begin_nested():  # an error leaves nothing in the caller's transaction
        return _post_batch(list(records), now)


@dataclass
class _Plan:
    record: object
    reservations: list["_Held"]
    legs: list[Transfer]
    drawn: int
    withheld: list["_Withheld"] = field(default_factory=list)


def _post_batch(records, now) -> Posted:
    for record in records:
        if record.state in ("superseded", "disputed"):
            raise ValidationFailed(
                f"a {record.state} record moves no money", errors=[field_error("record_id", "not a finalized record")]
            )
    books = _Books(records)  # locks the clients' funds first: replays and races are decided after it
    done = set(
        db.session.scalars(select(RecordPosting.record_id).where(RecordPosting.record_id.in_([r.id for r in records])))
    )
    todo = [r for r in records if r.id not in done]
    if not todo:
        return Posted([r.id for r in records], {})
    reservations = _open_reservations([o for r in todo for o in record_order_ids(r)])
    _step("locked")
    plans, refused = [], {}
    for record in todo:
        held = [reservations[o] for o in record_order_ids(record) if o in reservations]
        try:
            legs, drawn = books.money_legs(record, held)
        except RecordUnfunded as exc:
            refused[record.id] = exc
            continue
        plans.append(_Plan(record, held, legs, drawn))
    _withhold(plans, now)
    _step("taxed")
    transfers = ledger.apply_transfers(db.session, [leg for plan in plans for leg in books.close(plan)], now=now)
    _step("posted")
    _save_postings(plans, transfers, now)
    _step("recorded")
    return Posted([r.id for r in records if r.id not in refused], refused)


class _Held(NamedTuple):
    """An open reservation as the posting needs it (plain rows: a day close locks 100,000)."""

    order_id: int
    transfer_id: str
    amount_fen: int


def _open_reservations(order_ids) -> dict[int, _Held]:
    if not order_ids:
        return {}
    stmt = (
        select(OrderReservation.order_id, OrderReservation.transfer_id, OrderReservation.amount_fen)
        .where(OrderReservation.order_id.in_(sorted(set(order_ids))), OrderReservation.state == "open")
        .order_by(OrderReservation.order_id)
        .with_for_update()
    )
    return {row.order_id: _Held(*row) for row in db.session.execute(stmt)}


def _open_many(kind: Kind, owner: Owner, owner_ids) -> dict[int, int]:
    """owner id -> account id, opening the missing accounts with one statement."""
    ids = sorted(set(owner_ids))
    if not ids:
        return {}
    rule, now = CHART[kind], datetime.now(UTC)
    rows = [
        dict(
            kind=kind.value,
            owner_type=owner.value,
            owner_id=i,
            currency=CURRENCY,
            created_at=now,
            updated_at=now,
            debits_must_not_exceed_credits=rule.debits_must_not_exceed_credits,
            credits_must_not_exceed_debits=rule.credits_must_not_exceed_debits,
            debits_posted=0,
            debits_pending=0,
            credits_posted=0,
            credits_pending=0,
        )
        for i in ids
    ]
    db.session.execute(
        pg_insert(ledger.ACCOUNTS).on_conflict_do_nothing(constraint="uq_ledger_accounts_owner_kind"), rows
    )
    found = db.session.execute(
        select(ledger.ACCOUNTS.c.owner_id, ledger.ACCOUNTS.c.id).where(
            ledger.ACCOUNTS.c.kind == kind.value,
            ledger.ACCOUNTS.c.owner_type == owner.value,
            ledger.ACCOUNTS.c.owner_id.in_(ids),
            ledger.ACCOUNTS.c.currency == CURRENCY,
        )
    )
    return dict(found.all())


class _Books:
    """The accounts a batch of records moves, with each client's spendable room tracked in
    memory as the batch's chains are planned (under the funds locks), so a chain that the ledger
    would refuse is refused before it is written."""

    def __init__(self, records):
        self.funds, self.lines = {}, {}
        for org_id in sorted({r.org_id for r in records}):
            self.funds[org_id], self.lines[org_id] = _lock_funds(org_id)
        self.room = {org_id: funds.available for org_id, funds in self.funds.items()}
        self.credit = {org_id: line.available for org_id, line in self.lines.items()}
        recipients = {r.technician_id for r in records} | {
            int(s["technician_id"]) for r in records for s in r.shares or ()
        }
        self.payable = _open_many(Kind.PAYABLE, Owner.TECHNICIAN, recipients)
        self.fee = _platform(Kind.FEE_REVENUE).id
        self.insurance = _platform(Kind.INSURANCE_PAYABLE).id
        self.iit = _platform(Kind.IIT_PAYABLE).id

    def money_legs(self, record, reservations) -> tuple[list[Transfer], int]:
        """The record's releases, credit draw and payments (not yet its tax), as linked legs."""
        org, prefix, ref = record.org_id, f"rec:{record.id}:{record.version}", f"record:{record.id}"
        freed = sum(r.amount_fen for r in reservations)
        total = record.pay_fen + record.fee_fen + record.shares_fen + record.insurance_fen
        short = total - (self.room[org] + freed)
        if short > self.credit[org]:
            available = self.room[org] + freed + self.credit[org]
            raise RecordUnfunded(org, total, available, f"record {record.id}", field="record_id")
        drawn = max(short, 0)
        self.credit[org] -= drawn
        self.room[org] += freed + drawn - total
        legs = [
            Transfer(
                f"{prefix}:release:{r.order_id}",
                pending_id=r.transfer_id,
                void_pending=True,
                linked=True,
                reference=ref,
            )
            for r in reservations
        ]
        funds = self.funds[org].id
        if drawn:
            legs.append(
                Transfer(f"{prefix}:draw", self.lines[org].id, funds, drawn, "credit_draw", linked=True, reference=ref)
            )
        data = {"record_id": record.id, "version": record.version, "work_date": record.work_date.isoformat()}
        movements = [
            ("pay", self.payable[record.technician_id], record.pay_fen, "pay"),
            ("fee", self.fee, record.fee_fen, "fee"),
            ("insurance", self.insurance, record.insurance_fen, "insurance_premium"),
        ] + [
            (
                f"share:{s['level']}:{s['technician_id']}",
                self.payable[int(s["technician_id"])],
                int(s["amount_fen"]),
                "share",
            )
            for s in record.shares or ()
        ]
        legs += [
            Transfer(f"{prefix}:{leg}", funds, credit, fen, code, linked=True, reference=ref, user_data=data)
            for leg, credit, fen, code in movements
            if fen > 0
        ]
        return legs, drawn

    def close(self, plan: _Plan) -> list[Transfer]:
        """The plan's legs with its tax withheld, the chain closed on its last leg."""
        record = plan.record
        prefix, ref = f"rec:{record.id}:{record.version}", f"record:{record.id}"
        legs = plan.legs + [
            Transfer(
                f"{prefix}:tax:{w.technician_id}",
                self.payable[w.technician_id],
                self.iit,
                w.result.tax_fen,
                "tax_withheld",
                linked=True,
                reference=ref,
                user_data={"record_id": record.id, "technician_id": w.technician_id},
            )
            for w in plan.withheld
            if w.result.tax_fen
        ]
        if legs:
            legs[-1] = replace(legs[-1], linked=False)
        return legs


@dataclass(frozen=True)
class _Withheld:
    technician_id: int
    source: str
    income_fen: int
    result: tax.Withholding


def _incomes(record) -> list[tuple[int, str, int]]:
    """(technician, pay|share, fen) for every recipient of the record, technician ids ascending."""
    incomes = {record.technician_id: ("pay", record.pay_fen)}
    for share in record.shares or ():
        recipient = int(share["technician_id"])
        source, fen = incomes.get(recipient, ("share", 0))
        incomes[recipient] = (source, fen + int(share["amount_fen"]))
    return [(tech, source, fen) for tech, (source, fen) in sorted(incomes.items()) if fen > 0]


def _withhold(plans: list[_Plan], now: datetime):
    """Tax on each recipient's income, from their cumulative figures (rows locked in id order),
    payment after payment in the plans' order."""
    paid = now.astimezone(TAX_ZONE)
    states = _tax_states({tech for plan in plans for tech, _, _ in _incomes(plan.record)}, paid.year)
    for plan in plans:
        for technician_id, source, income in _incomes(plan.record):
            result = tax.withhold(states[technician_id], year=paid.year, month=paid.month, income_fen=income)
            states[technician_id] = result.state
            plan.withheld.append(_Withheld(technician_id, source, income, result))


# A technician's cumulative tax figures as tax_years stores them (tax.CumulativeState without its year).
_TAX_FIGURES = ("income_fen", "months_paid", "first_month", "last_month", "other_deductions_fen", "withheld_fen")


def _tax_states(technician_ids, year: int) -> dict[int, tax.CumulativeState]:
    ids = sorted(technician_ids)
    if not ids:
        return {}
    now = datetime.now(UTC)
    fresh = dict(income_fen=0, months_paid=0, first_month=0, last_month=0, other_deductions_fen=0, withheld_fen=0)
    db.session.execute(
        pg_insert(TaxYear).on_conflict_do_nothing(),
        [dict(technician_id=t, year=year, updated_at=now, **fresh) for t in ids],
    )
    rows = db.session.execute(
        select(TaxYear.technician_id, *(getattr(TaxYear, name) for name in _TAX_FIGURES))
        .where(TaxYear.technician_id.in_(ids), TaxYear.year == year)
        .order_by(TaxYear.technician_id)
        .with_for_update()
    )
    return {
        technician_id: tax.CumulativeState(year, **dict(zip(_TAX_FIGURES, figures, strict=True)))
        for technician_id, *figures in rows
    }


def _save_postings(plans: list[_Plan], transfers, now: datetime):
    """Tax figures, withholdings, released reservations and the posting markers, a statement each."""
    if not plans:
        return
    paid_on = now.astimezone(TAX_ZONE).date()
    journals = {}
    for t in transfers:
        journals.setdefault(t.reference, t.journal_id)
    last_state = {w.technician_id: w.result.state for plan in plans for w in plan.withheld}
    if last_state:
        values = {c: [getattr(state, c) for state in last_state.values()] for c in _TAX_FIGURES}
        year = next(iter(last_state.values())).year
        db.session.execute(_SET_TAX_YEARS, {"ids": list(last_state), "year": year, "now": now, **values})
    withholdings = [
        dict(
            record_id=plan.record.id,
            technician_id=w.technician_id,
            source=w.source,
            year=w.result.state.year,
            month=paid_on.month,
            paid_on=paid_on,
            income_fen=w.income_fen,
            tax_fen=w.result.tax_fen,
            cumulative=_cumulative(w.result),
            created_at=now,
        )
        for plan in plans
        for w in plan.withheld
    ]
    if withholdings:
        db.session.execute(insert(TaxWithholding), withholdings)
    released = [r.order_id for plan in plans for r in plan.reservations]
    if released:
        db.session.execute(_RELEASE, {"ids": released, "now": now})
    db.session.execute(insert(RecordPosting), [_posting_row(plan, journals, now) for plan in plans])


# One statement each for every technician's tax figures and every released reservation of a batch.
_SET_TAX_YEARS = text(
    "UPDATE tax_years AS t SET income_fen = v.income_fen, months_paid = v.months_paid, "
    "first_month = v.first_month, last_month = v.last_month, other_deductions_fen = v.other_deductions_fen, "
    "withheld_fen = v.withheld_fen, updated_at = :now "
    "FROM unnest(CAST(:ids AS int[]), CAST(:income_fen AS bigint[]), CAST(:months_paid AS int[]), "
    "CAST(:first_month AS int[]), CAST(:last_month AS int[]), CAST(:other_deductions_fen AS bigint[]), "
    "CAST(:withheld_fen AS bigint[])) "
    "AS v(technician_id, income_fen, months_paid, first_month, last_month, other_deductions_fen, withheld_fen) "
    "WHERE t.technician_id = v.technician_id AND t.year = :year"
)
_RELEASE = text(
    "UPDATE order_reservations SET state = 'released', updated_at = :now "
    "WHERE order_id = ANY(CAST(:ids AS int[])) AND state = 'open'"
)


def _posting_row(plan: _Plan, journals, now) -> dict:
    record = plan.record
    own_tax = sum(w.result.tax_fen for w in plan.withheld if w.technician_id == record.technician_id)
    return dict(
        record_id=record.id,
        version=record.version,
        org_id=record.org_id,
        technician_id=record.technician_id,
        work_date=record.work_date,
        journal_id=journals.get(f"record:{record.id}", uuid.UUID(int=0)),
        pay_fen=record.pay_fen,
        fee_fen=record.fee_fen,
        shares_fen=record.shares_fen,
        insurance_fen=record.insurance_fen,
        tax_fen=own_tax,
        credit_drawn_fen=plan.drawn,
        released_fen=sum(r.amount_fen for r in plan.reservations),
        posted_at=now,
    )


def _cumulative(result: tax.Withholding) -> dict:
    s = result.state
    expenses = tax.round_half_up(s.income_fen * tax.DEFAULT_RULES.expense_rate)
    return {
        "income_fen": s.income_fen,
        "expenses_fen": expenses,
        "basic_deduction_fen": tax.DEFAULT_RULES.monthly_deduction_fen * s.months_paid,
        "months_counted": s.months_paid,
        "other_deductions_fen": s.other_deductions_fen,
        "taxable_fen": tax.round_half_up(result.taxable_fen) if result.taxable_fen > 0 else 0,
        "rate": str(result.rate),
        "quick_deduction_fen": result.quick_deduction_fen,
        "tax_due_fen": result.tax_due_fen,
        "withheld_fen": s.withheld_fen,
    }
