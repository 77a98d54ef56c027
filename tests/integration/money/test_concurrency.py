"""Many transactions at once against one hot account: nothing lost, nothing overdrawn, no double effect."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from backend.extensions import db
from backend.money import ledger
from backend.money.accounts import Kind, Owner
from backend.money.errors import InsufficientFunds, MoneyError, PendingTransferClosed
from backend.money.ledger import Transfer

THREADS = 50
CONNECT_WITHIN_S = 120


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
        try:
            with Session(engine) as session:
                _connect(session)  # connect before the start line
                barrier.wait(timeout=CONNECT_WITHIN_S)
                return _apply_and_commit(session, specs)
        except BaseException:
            barrier.abort()  # one thread that cannot start fails the test instead of hanging it
            raise

    with ThreadPoolExecutor(len(specs_per_thread)) as pool:
        futures = [pool.submit(work, specs) for specs in specs_per_thread]
        wait(futures)
    errors = [f.exception() for f in futures if f.exception()]
    root = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
    if errors:
        raise (root or errors)[0]
    return [f.result() for f in futures]


def _connect(session):
    """The database server is shared: wait (bounded) for a free connection slot."""
    deadline = time.monotonic() + CONNECT_WITHIN_S
    while True:
        try:
            session.connection()
            return
        except OperationalError as exc:
            if "too many clients" not in str(exc) or time.monotonic() > deadline:
                raise
            session.rollback()
            time.sleep(0.2)


def _apply_and_commit(session, specs):
    try:
        records = ledger.apply_transfers(session, specs)
        session.commit()
        return records
    except MoneyError as error:
        session.rollback()
        return error


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
