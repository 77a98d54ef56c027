"""The crash matrix and the hot-account race of record posting.

Two identical days are set up side by side: one posts uninterrupted, the other is interrupted
(an injected failure after each step, or its worker process killed mid-posting) and then posted
again. Both must end with the same transfers and balances, nothing paid twice. Then 50 postings
race on one client's funds."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import DailyWorkRecord, LedgerTransfer
from backend.models.settlement import RecordPosting
from backend.money import ledger, settlement
from backend.money.accounts import Kind, Owner
from tests.integration.flows.books import NOW, fund, ledger_view, make_record, money_card, wait_until
from tests.integration.orders.helpers import create

PAY, FEE, SHARE, PREMIUM = 800_000, 80_000, 40_000, 50


class Injected(Exception):
    pass


def a_day(app, client, world, org, technician, leader):
    """A funded client with one published order and the technician's finalized record naming it."""
    fund(client, world["admin"], world[org], 2_000_000, f"BANK-{org}")
    admin = world[f"{org}_admin"]
    site = "X1-SITE" if org == "x1" else "Y-SITE"
    order = create(client, admin, publish=True, site_code=site)
    record = make_record(
        app,
        world[org],
        world[technician],
        pay=PAY,
        fee=FEE,
        insurance=PREMIUM,
        shares=[(world[leader], SHARE)],
        order_ids=[order["id"]],
    )
    owners = {
        ("organization", world[org]): "client",
        ("technician", world[technician]): "member",
        ("technician", world[leader]): "leader",
    }
    return record, owners


@pytest.fixture
def two_days(app, client, world):
    money_card(app, world["x"])
    money_card(app, world["y"])
    baseline = a_day(app, client, world, "x1", "tech_a", "tech_b")
    crashed = a_day(app, client, world, "y", "tech_city", "tech_a_low")
    return baseline, crashed


def post(app, record_id):
    with app.app_context():
        settlement.post_record(db.session.get(DailyWorkRecord, record_id), now=NOW)
        db.session.commit()


def view(app, day):
    record, owners = day
    with app.app_context():
        return ledger_view([record], owners)


@pytest.mark.parametrize("step", settlement.POST_STEPS)
def test_an_interrupted_posting_run_again_ends_as_an_uninterrupted_one(app, two_days, monkeypatch, step):
    baseline, crashed = two_days
    post(app, baseline[0])

    def fail_at(name):
        if name == step:
            raise Injected(name)

    monkeypatch.setattr(settlement, "FAULT_HOOK", fail_at)
    with app.app_context():
        with pytest.raises(Injected):
            settlement.post_record(db.session.get(DailyWorkRecord, crashed[0]), now=NOW)
        db.session.rollback()
    monkeypatch.setattr(settlement, "FAULT_HOOK", None)
    post(app, crashed[0])
    post(app, crashed[0])  # and once more: nothing twice
    assert view(app, crashed) == view(app, baseline)
    assert len(view(app, baseline)[0]) == 6  # release, pay, fee, premium, share, tax


WORKER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    from backend.app import create_app
    from backend.extensions import db
    from backend.models import DailyWorkRecord
    from backend.money import settlement

    def pause(step):
        if step == sys.argv[2]:
            print("PAUSED", flush=True)
            time.sleep(120)

    app = create_app({"GRIDWORK_ENV": "testing", "SOCKETIO_MESSAGE_QUEUE": False})
    with app.app_context():
        settlement.FAULT_HOOK = pause
        record = db.session.get(DailyWorkRecord, int(sys.argv[1]))
        settlement.post_record(record, now=datetime(2026, 12, 1, 16, 30, tzinfo=UTC))
        db.session.commit()
    """
)


@pytest.mark.parametrize("step", ["taxed", "recorded"])
def test_a_worker_killed_mid_posting_leaves_nothing_and_the_rerun_matches(app, two_days, step, tmp_path):
    baseline, crashed = two_days
    post(app, baseline[0])
    out = tmp_path / "worker.out"
    with open(out, "w") as sink:
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(crashed[0]), step],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "GRIDWORK_ENV": "testing"},
        )
    try:
        wait_until(lambda: "PAUSED" in out.read_text() or worker.poll() is not None, timeout=60)
        assert "PAUSED" in out.read_text(), out.read_text()
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    with app.app_context():
        assert db.session.get(RecordPosting, crashed[0]) is None
    post(app, crashed[0])  # waits for PostgreSQL to drop the killed session's locks
    assert view(app, crashed) == view(app, baseline)


def test_fifty_concurrent_postings_never_overdraw_and_refuse_the_unfundable(app, client, world):
    money_card(app, world["x"])
    cost = 10_000 + 1_000  # pay + fee of each record
    fund(client, world["admin"], world["x1"], 30 * cost + 5_000)
    technicians = [world[t] for t in ("tech_a", "tech_b", "tech_a_low", "tech_city")]
    records = [
        make_record(
            app, world["x1"], technicians[i % 4], pay=10_000, fee=1_000, work_date=date(2026, 11, 1) + timedelta(i // 4)
        )
        for i in range(50)
    ]
    outcomes, start = [], threading.Barrier(50)

    def finalize(record_id):
        with app.app_context():
            start.wait()
            try:
                settlement.post_record(db.session.get(DailyWorkRecord, record_id), now=NOW)
                db.session.commit()
                outcomes.append("posted")
            except settlement.RecordUnfunded as exc:
                db.session.rollback()
                outcomes.append(exc.problem()["detail"])
            finally:
                db.session.remove()

    threads = [threading.Thread(target=finalize, args=(r,)) for r in records]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert outcomes.count("posted") == 30
    refusals = [o for o in outcomes if o != "posted"]
    assert len(refusals) == 20 and all("6000 fen short" in r for r in refusals)
    with app.app_context():
        funds = ledger.open_account(db.session, Kind.FUNDS, Owner.ORGANIZATION, world["x1"])
        assert (funds.posted, funds.available) == (5_000, 5_000)
        assert db.session.scalar(select(func.count()).select_from(RecordPosting)) == 30
        pays = select(func.count()).select_from(LedgerTransfer).where(LedgerTransfer.code == "pay")
        assert db.session.scalar(pays) == 30
