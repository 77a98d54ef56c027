"""Builders for the money-flow tests: client rate cards with money terms, daily work records
written directly (the records helper's close-day writes them in production), and a normalized
view of the ledger to compare two runs."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from backend.extensions import db
from backend.models import DailyWorkRecord, LedgerAccount, LedgerTransfer, RateCard
from backend.orders.points import DEFAULT_TERMS

API = "/api/v1"
CONSOLE = "/api/console/v1"
MOBILE = "/api/mobile/v1"
NOW = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)  # 2026-12-02 00:30 in Beijing
MONEY_TERMS = {"fen_per_point": "100", "fee_bps": 1000, "insurance_premium_fen": 50}


def money_card(app, org_id, **terms):
    """A rate card whose points are worth 1 yuan and whose fee is 10%."""
    with app.app_context():
        card = RateCard(org_id=org_id, version=1, terms={**DEFAULT_TERMS, **MONEY_TERMS, **terms})
        db.session.add(card)
        db.session.commit()
        return card.id


def make_record(app, org_id, technician_id, *, pay, fee=0, insurance=0, shares=(), order_ids=(), work_date=None):
    """A finalized daily work record, as close-day and the confirmations leave it."""
    work_date = work_date or date(2026, 12, 1)
    lines = [{"kind": "order", "order_id": order_id} for order_id in order_ids]
    shares = [
        {"technician_id": leader, "level": level, "amount_fen": fen, "order_ids": list(order_ids)}
        for level, (leader, fen) in enumerate(shares, start=1)
    ]
    with app.app_context():
        record = DailyWorkRecord(
            org_id=org_id,
            technician_id=technician_id,
            work_date=work_date,
            version=1,
            state="finalized",
            lines=lines,
            points=0,
            pay_fen=pay,
            fee_fen=fee,
            shares_fen=sum(s["amount_fen"] for s in shares),
            insurance_fen=insurance,
            shares=shares,
            rate_card_versions=[],
            digest="0" * 64,
            created_at=NOW - timedelta(hours=1),
            client_deadline=NOW + timedelta(hours=72),
            finalized_at=NOW,
        )
        db.session.add(record)
        db.session.commit()
        return record.id


def fund(client, admin, org_id, amount, reference=None, expect=201):
    response = client.post(
        f"{CONSOLE}/funding",
        headers=admin,
        json={"org_id": org_id, "amount_fen": amount, "bank_reference": reference or f"BANK-{org_id}-{amount}"},
    )
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def ledger_view(record_ids, owners):
    """The transfers of these records and the balances of the owners' accounts, with database
    ids replaced by names, so runs on different rows compare equal. `owners` maps
    (owner_type, owner_id) -> a name."""
    accounts = {a.id: a for a in db.session.scalars(select(LedgerAccount))}

    def name(account_id):
        a = accounts[account_id]
        return f"{owners.get((a.owner_type, a.owner_id), a.owner_type)}.{a.kind}"

    references = [f"record:{r}" for r in record_ids]
    transfers = db.session.scalars(
        select(LedgerTransfer).where(LedgerTransfer.reference.in_(references)).order_by(LedgerTransfer.seq)
    )
    moves = sorted(
        (t.id.split(":")[3], t.code, t.amount, name(t.debit_account_id), name(t.credit_account_id)) for t in transfers
    )
    balances = sorted(
        (name(a.id), a.debits_posted, a.debits_pending, a.credits_posted, a.credits_pending)
        for a in accounts.values()
        if (a.owner_type, a.owner_id) in owners
    )
    return moves, balances


def wait_until(predicate, timeout: float, interval: float = 0.05):
    """Wait for a condition (tests/waiting.py from the "rooms" branch does the same; use it after merging)."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
