"""The README's worked day, end to end through pay, tax and the ledger."""

from decimal import Decimal

from backend.money import ledger
from backend.money.accounts import Kind, Owner
from backend.money.ledger import Transfer
from backend.money.pay import charge_order
from backend.money.tax import CumulativeState, withhold

C, T, L = 31, 41, 42  # client organization, technician, team leader


def test_the_worked_day_of_the_readme(session):
    bank = ledger.platform_account(session, Kind.CUSTODY_BANK).id
    fees = ledger.platform_account(session, Kind.FEE_REVENUE).id
    funds = ledger.open_account(session, Kind.FUNDS, Owner.ORGANIZATION, C).id
    reserved = ledger.open_account(session, Kind.RESERVED, Owner.ORGANIZATION, C).id
    t_payable = ledger.open_account(session, Kind.PAYABLE, Owner.TECHNICIAN, T).id
    iit = ledger.platform_account(session, Kind.IIT_PAYABLE).id
    l_payable = ledger.open_account(session, Kind.PAYABLE, Owner.TECHNICIAN, L).id

    ledger.apply_transfers(session, [Transfer("BANK-20260105-001", bank, funds, 1_000_000, "funding")])
    holds = [Transfer(f"hold-{n}", funds, reserved, 10_800, "reservation", pending=True) for n in (1, 2)]
    ledger.apply_transfers(session, holds)
    assert ledger.get_account(session, funds).available == 1_000_000 - 21_600

    charges = [charge_order(Decimal(p), 1_000, 800, uplines=[(L, 500)]) for p in ("12.00", "8.50")]
    pay = sum(c.pay_fen for c in charges)
    fee = sum(c.fee_fen for c in charges)
    share = sum(c.shares_fen for c in charges)
    assert (pay, fee, share) == (20_500, 1_640, 1_025)

    before = CumulativeState(
        year=2026, income_fen=779_500, months_paid=1, first_month=1, last_month=1, withheld_fen=3_708
    )
    tax = withhold(before, year=2026, month=1, income_fen=pay).tax_fen
    assert tax == 492

    chain = [
        Transfer("void-1", pending_id="hold-1", void_pending=True),
        Transfer("void-2", pending_id="hold-2", void_pending=True),
        Transfer("pay", funds, t_payable, pay, "pay"),
        Transfer("fee", funds, fees, fee, "fee"),
        Transfer("share", funds, l_payable, share, "share"),
        Transfer("tax", t_payable, iit, tax, "tax_withheld"),
    ]
    ledger.apply_transfers(session, [Transfer(**(t.__dict__ | {"linked": True})) for t in chain[:-1]] + chain[-1:])
    session.commit()

    assert ledger.get_account(session, funds).available == 1_000_000 - 23_165
    assert ledger.get_account(session, reserved).incoming == 0
    assert ledger.get_account(session, t_payable).posted == 20_008
    assert ledger.get_account(session, iit).posted == 492  # owed to the tax office
    assert ledger.get_account(session, l_payable).posted == 1_025
    assert ledger.get_account(session, fees).posted == 1_640
