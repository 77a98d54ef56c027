"""A finalized daily work record posts its money in one linked chain: pay, fee, shares,
insurance, tax withheld; its orders' reservations are released; a replay posts nothing twice;
an unfundable record is refused naming the shortfall and leaves nothing."""

from datetime import date

import pytest
from sqlalchemy import func, select

from backend import pii
from backend.extensions import db
from backend.models import DailyWorkRecord, LedgerTransfer, TechnicianProfile
from backend.models.settlement import OrderReservation, RecordPosting, TaxWithholding, TaxYear
from backend.money import ledger, settlement
from backend.money.accounts import Kind, Owner
from tests.integration.flows.books import CONSOLE, MOBILE, NOW, fund, make_record, money_card
from tests.integration.orders.helpers import create

PAY, FEE, SHARE, PREMIUM = 800_000, 80_000, 40_000, 50  # 8,000 yuan of pay; 5% to the leader
TOTAL = PAY + FEE + SHARE + PREMIUM
TAX = 4_200  # (8,000 - 20% - 5,000) x 3% = 42 yuan in the first month


def balance(kind, owner, owner_id):
    return ledger.open_account(db.session, kind, owner, owner_id).posted


def post(app, record_id, **kwargs):
    with app.app_context():
        posting = settlement.post_record(db.session.get(DailyWorkRecord, record_id), now=NOW, **kwargs)
        db.session.commit()
        return posting.record_id


@pytest.fixture
def day(app, client, world):
    """X1 funded, one published order of tech_a, and tech_a's finalized record naming it."""
    money_card(app, world["x"])
    fund(client, world["admin"], world["x1"], 1_000_000)
    order = create(client, world["x1_admin"], publish=True)
    record = make_record(
        app,
        world["x1"],
        world["tech_a"],
        pay=PAY,
        fee=FEE,
        insurance=PREMIUM,
        shares=[(world["tech_b"], SHARE)],
        order_ids=[order["id"]],
    )
    return {**world, "order": order["id"], "record": record}


def test_a_finalized_record_posts_pay_fee_shares_premium_and_tax(app, day):
    post(app, day["record"])
    with app.app_context():
        assert balance(Kind.FUNDS, Owner.ORGANIZATION, day["x1"]) == 1_000_000 - TOTAL
        assert ledger.open_account(db.session, Kind.FUNDS, Owner.ORGANIZATION, day["x1"]).pending == 0
        assert balance(Kind.PAYABLE, Owner.TECHNICIAN, day["tech_a"]) == PAY - TAX
        assert balance(Kind.PAYABLE, Owner.TECHNICIAN, day["tech_b"]) == SHARE  # below the threshold: no tax
        assert ledger.platform_account(db.session, Kind.FEE_REVENUE).posted == FEE
        assert ledger.platform_account(db.session, Kind.INSURANCE_PAYABLE).posted == PREMIUM
        assert ledger.platform_account(db.session, Kind.IIT_PAYABLE).posted == TAX
        assert db.session.get(OrderReservation, day["order"]).state == "released"
        posting = db.session.get(RecordPosting, day["record"])
        assert (posting.tax_fen, posting.released_fen) == (TAX, 1_320)
        journal = {
            t.journal_id
            for t in db.session.scalars(
                select(LedgerTransfer).where(LedgerTransfer.reference == f"record:{day['record']}")
            )
        }
        assert len(journal) == 1  # one linked chain


def test_posting_twice_posts_nothing_twice(app, day):
    post(app, day["record"])
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(LedgerTransfer))
        withheld = db.session.scalar(select(TaxYear.withheld_fen).where(TaxYear.technician_id == day["tech_a"]))
    post(app, day["record"])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LedgerTransfer)) == count
        assert db.session.scalar(select(TaxYear.withheld_fen).where(TaxYear.technician_id == day["tech_a"])) == withheld
        assert balance(Kind.PAYABLE, Owner.TECHNICIAN, day["tech_a"]) == PAY - TAX


def test_an_unfundable_record_is_refused_naming_the_shortfall_and_leaves_nothing(app, client, world):
    money_card(app, world["x"])
    fund(client, world["admin"], world["x1"], 500_000)
    record = make_record(app, world["x1"], world["tech_a"], pay=PAY, fee=FEE)
    with app.app_context():
        transfers = db.session.scalar(select(func.count()).select_from(LedgerTransfer))
        with pytest.raises(settlement.RecordUnfunded) as refused:
            settlement.post_record(db.session.get(DailyWorkRecord, record), now=NOW)
        problem = refused.value.problem()
        assert problem["shortfall_fen"] == PAY + FEE - 500_000 and problem["errors"][0]["field"] == "record_id"
        db.session.commit()  # what the caller's transaction still holds: nothing of the posting
        assert db.session.scalar(select(func.count()).select_from(LedgerTransfer)) == transfers
        assert db.session.scalar(select(func.count()).select_from(TaxWithholding)) == 0
        assert db.session.get(RecordPosting, record) is None
        assert balance(Kind.FUNDS, Owner.ORGANIZATION, world["x1"]) == 500_000


def test_earnings_show_gross_tax_net_and_shares_received(app, client, day):
    post(app, day["record"])
    mine = client.get(f"{MOBILE}/earnings?month=2026-12", headers=day["tech_a_h"]).get_json()
    assert mine["totals"] == {
        "pay_fen": PAY,
        "shares_received_fen": 0,
        "gross_fen": PAY,
        "tax_withheld_fen": TAX,
        "net_fen": PAY - TAX,
    }
    (only_day,) = mine["days"]
    assert only_day["date"] == "2026-12-01" and only_day["records"][0]["tax"]["withheld_fen"] == TAX
    leader = client.get(f"{MOBILE}/earnings?month=2026-12", headers=day["tech_b_h"]).get_json()
    assert leader["totals"]["shares_received_fen"] == SHARE and leader["days"][0]["records"][0]["source"] == "share"
    bad = client.get(f"{MOBILE}/earnings?month=2026-1", headers=day["tech_a_h"])
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "month"


def test_tax_files_carry_the_full_id_inside_and_the_masked_one_in_the_name(app, client, day):
    with app.app_context():
        profile = db.session.get(TechnicianProfile, day["tech_a"])
        profile.legal_name = "张三"
        profile.id_number_enc = pii.encrypt("11010519900101002X", "id_number")
        profile.id_number_masked = pii.mask_id_number("11010519900101002X")
        db.session.commit()
    post(app, day["record"])
    listing = client.get(f"{CONSOLE}/tax/withholding/2026-12", headers=day["admin"]).get_json()
    files = {f["technician_id"]: f for f in listing["files"]}
    assert files[day["tech_a"]]["file_name"] == "withholding_2026-12_110105********002X.csv"
    response = client.get(files[day["tech_a"]]["url"], headers=day["admin"])
    assert "110105********002X" in response.headers["Content-Disposition"]
    header, row = [line.split(",") for line in response.get_data(as_text=True).strip().splitlines()]
    figures = dict(zip(header, row, strict=True))
    assert (figures["name"], figures["id_number"]) == ("张三", "11010519900101002X")
    assert (figures["income_fen"], figures["expenses_fen"], figures["basic_deduction_fen"]) == (
        "800000",
        "160000",
        "500000",
    )
    assert (figures["tax_withheld_fen"], figures["cumulative_withheld_fen"]) == (str(TAX), str(TAX))
    quarterly = client.get(f"{CONSOLE}/tax/identity-income/2026-Q4", headers=day["admin"])
    rows = [line.split(",") for line in quarterly.get_data(as_text=True).strip().splitlines()]
    by_tech = {int(r[1]): dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_tech[day["tech_a"]]["id_number"] == "11010519900101002X"
    assert (by_tech[day["tech_a"]]["income_fen"], by_tech[day["tech_a"]]["orders"]) == (str(PAY), "1")
    assert by_tech[day["tech_b"]]["shares_fen"] == str(SHARE)
    assert client.get(files[day["tech_a"]]["url"], headers=day["x_admin"]).status_code == 403
    bad = client.get(f"{CONSOLE}/tax/identity-income/2026-Q5", headers=day["admin"])
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "period"


def test_the_console_reads_any_account_and_the_journal(app, client, day):
    post(app, day["record"])
    journal = client.get(f"{CONSOLE}/journal?reference=record:{day['record']}", headers=day["admin"]).get_json()
    codes = sorted(t["code"] for t in journal["items"])
    assert codes == ["fee", "insurance_premium", "pay", "reservation", "share", "tax_withheld"]
    with app.app_context():
        payable = ledger.open_account(db.session, Kind.PAYABLE, Owner.TECHNICIAN, day["tech_a"]).id
    account = client.get(f"{CONSOLE}/accounts/{payable}", headers=day["admin"]).get_json()
    assert account["balance_fen"] == PAY - TAX and [t["code"] for t in account["transfers"]] == ["pay", "tax_withheld"]
    assert client.get(f"{CONSOLE}/accounts/999999", headers=day["admin"]).status_code == 404


def test_a_batch_posts_what_the_client_can_fund_and_refuses_the_rest(app, client, world):
    money_card(app, world["x"])
    fund(client, world["admin"], world["x1"], 25_000)
    days = [date(2026, 11, d) for d in range(1, 6)]
    records = [make_record(app, world["x1"], world["tech_a"], pay=10_000, fee=1_000, work_date=d) for d in days]
    with app.app_context():
        rows = [db.session.get(DailyWorkRecord, r) for r in records]
        outcome = settlement.post_records(rows, now=NOW)
        db.session.commit()
        assert outcome.posted == records[:2] and set(outcome.refused) == set(records[2:])
        assert outcome.refused[records[2]].problem()["shortfall_fen"] == 8_000
        assert balance(Kind.FUNDS, Owner.ORGANIZATION, world["x1"]) == 3_000
        again = settlement.post_records(rows[:2], now=NOW)
        assert again.posted == records[:2] and not again.refused
        assert db.session.scalar(select(func.count()).select_from(RecordPosting)) == 2
