"""Many transactions at once against one hot account: nothing lost, nothing overdrawn, no double effect."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from backend.extensions import db
from backend.money import ledger
from backend.money.accounts import Kind, Owner
from backend.money.errors import InsufficientFunds, MoneyError, PendingTransferClosed
from backend.money.ledger import Transfer

THREADS = 50


@pytest.fixture
def engine(app):
    with app.app_context():
        engine = create_engine(db.engine.url, poolclass=NullPool)  # one connection per session
        yield engine
        engine.dispose()


def run_at_once(engine, specs_per_thread):
    """Each thread applies its transfers in its own session and commits; returns (records or error)."""
    barrier = threading.Barrier(len(specs_per_thread))

    def work(specs):
        with Session(engine) as session:
            session.connection()  # connect before the start line
            barrier.wait()
            try:
                records = ledger.apply_transfers(session, specs)
                session.commit()
                return records
            except MoneyError as error:
                session.rollback()
                return error

    with ThreadPoolExecutor(len(specs_per_thread)) as pool:
        return list(pool.map(work, specs_per_thread))


def test_fifty_payments_from_one_client_never_overdraw_it(session, books, engine):
    books.fund(books.client, 30_500)
    payables = [ledger.open_account(session, Kind.PAYABLE, Owner.TECHNICIAN, 100 + i).id for i in range(THREADS)]
    session.commit()
    outcomes = run_at_once(
        engine, [[Transfer(f"pay-{i}", books.client, payables[i], 1_000, "pay")] for i in range(THREADS)]
    )
    paid = [o for o in outcomes if isinstance(o, list)]
    refused = [o for o in outcomes if not isinstance(o, list)]
    assert len(paid) == 30
    assert len(refused) == 20
    assert all(isinstance(e, InsufficientFunds) and e.code == "exceeds_credits" for e in refused)
    assert all(e.context["available_fen"] == 500 and e.context["shortfall_fen"] == 500 for e in refused)
    session.expire_all()
    client = ledger.get_account(session, books.client)
    assert (client.posted, client.available) == (500, 500)
    assert sum(ledger.get_account(session, p).posted for p in payables) == 30_000


def test_concurrent_reservations_and_payments_on_one_hot_account(session, books, engine):
    """Half reserve (pending), half pay at once; the sum of what got through fits the funds exactly."""
    books.fund(books.client, 20_000)
    session.commit()
    specs = [[Transfer(f"t-{i}", books.client, books.payable, 700, "pay", pending=bool(i % 2))] for i in range(THREADS)]
    outcomes = run_at_once(engine, specs)
    through = [o[0] for o in outcomes if isinstance(o, list)]
    assert len(through) == 20_000 // 700  # 28 of 50
    session.expire_all()
    client = ledger.get_account(session, books.client)
    held = sum(t.amount for t in through if t.pending)
    assert client.pending == held
    assert client.posted == 20_000 - (len(through) * 700 - held)
    assert client.available == 20_000 - len(through) * 700 >= 0


def test_the_same_id_sent_fifty_times_at_once_moves_money_once(session, books, engine):
    books.fund(books.client, 10_000)
    session.commit()
    outcomes = run_at_once(engine, [[Transfer("once", books.client, books.payable, 100, "pay")]] * THREADS)
    # the accounts' locks serialize them: the first writes, the others find it and answer it
    records = [o[0] for o in outcomes]
    assert len({(r.id, r.seq, r.journal_id) for r in records}) == 1  # every answer is the first transfer
    session.expire_all()
    assert ledger.get_account(session, books.payable).posted == 100


def test_a_reservation_posted_and_voided_at_once_resolves_once(session, books, engine):
    books.fund(books.client, 10_000)
    ledger.apply_transfers(session, [Transfer("hold", books.client, books.payable, 4_000, "reservation", pending=True)])
    session.commit()
    specs = [
        [Transfer(f"r-{i}", pending_id="hold", post_pending=i % 2 == 0, void_pending=i % 2 == 1)] for i in range(20)
    ]
    outcomes = run_at_once(engine, specs)
    won = [o for o in outcomes if isinstance(o, list)]
    lost = [o for o in outcomes if not isinstance(o, list)]
    assert len(won) == 1
    assert all(isinstance(e, PendingTransferClosed) for e in lost)
    session.expire_all()
    client = ledger.get_account(session, books.client)
    assert client.pending == 0
    assert client.posted == (6_000 if won[0][0].post_pending else 10_000)
