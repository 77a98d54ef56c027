"""What the database itself refuses, whatever code runs against it."""

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend.money import ledger
from backend.money.ledger import Transfer

INSERT = text(
    "INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, pending_id, pending, post_pending,"
    " void_pending, expiry, linked, timeout_s, journal_id, code, created_at)"
    " VALUES (:id, :debit, :credit, :amount, :pending_id, :pending, :post, :void, false, false, 0, :journal, 'raw',"
    " now())"
)


def raw_transfer(session, id, debit, credit, amount, pending_id=None, pending=False, post=False, void=False):
    session.execute(
        INSERT,
        dict(
            id=id, debit=debit, credit=credit, amount=amount, pending_id=pending_id, pending=pending,
            post=post, void=void, journal=uuid.uuid4(),
        ),
    )  # fmt: skip


def move(session, account_id, column, amount):
    session.execute(
        text(f"UPDATE ledger_accounts SET {column} = {column} + :a WHERE id = :id"), dict(a=amount, id=account_id)
    )


@pytest.fixture
def funded(session, books):
    books.fund(books.client, 10_000, "f1")
    session.commit()
    return books


def refused(session, statement, params=None, match=None):
    with pytest.raises(DBAPIError, match=match):
        session.execute(text(statement), params or {})
        session.commit()
    session.rollback()


def test_transfers_cannot_be_updated_or_deleted(session, funded):
    refused(session, "UPDATE ledger_transfers SET amount = 1 WHERE id = 'f1'", match="immutable")
    refused(session, "DELETE FROM ledger_transfers WHERE id = 'f1'", match="immutable")
    assert ledger.lookup_transfers(session, ["f1"])["f1"].amount == 10_000


def test_amounts_are_positive(session, funded):
    with pytest.raises(DBAPIError, match="ck_ledger_transfers_amount_positive"):
        raw_transfer(session, "neg", funded.client, funded.payable, -100)
    session.rollback()
    with pytest.raises(DBAPIError, match="ck_ledger_transfers_amount_positive"):
        raw_transfer(session, "zero", funded.client, funded.payable, 0)
    session.rollback()


def test_a_transfer_without_its_account_movements_fails_at_commit(session, funded):
    raw_transfer(session, "ghost", funded.client, funded.payable, 500)  # accepted until commit
    with pytest.raises(DBAPIError, match="unbalanced ledger journal"):
        session.commit()
    session.rollback()
    assert ledger.lookup_transfers(session, ["ghost"]) == {}


def test_an_account_moved_without_a_transfer_fails_at_commit(session, funded):
    move(session, funded.payable, "credits_posted", 500)
    with pytest.raises(DBAPIError, match="unbalanced ledger journal"):
        session.commit()
    session.rollback()
    # both sides moved, but no transfer says so
    move(session, funded.client, "debits_posted", 500)
    move(session, funded.payable, "credits_posted", 500)
    with pytest.raises(DBAPIError, match="unbalanced ledger journal"):
        session.commit()
    session.rollback()
    assert ledger.get_account(session, funded.payable).credits_posted == 0


def test_a_balanced_hand_written_journal_commits(session, funded):
    raw_transfer(session, "by-hand", funded.client, funded.payable, 500)
    move(session, funded.client, "debits_posted", 500)
    move(session, funded.payable, "credits_posted", 500)
    session.commit()
    assert ledger.get_account(session, funded.payable).posted == 500


def test_a_flagged_account_never_goes_below_zero(session, funded):
    raw_transfer(session, "overdraw", funded.client, funded.payable, 10_001)
    with pytest.raises(DBAPIError, match="ck_ledger_accounts_debits_within_credits"):
        move(session, funded.client, "debits_posted", 10_001)
    session.rollback()


def test_a_pending_transfer_resolves_once_even_by_hand(session, funded):
    ledger.apply_transfers(session, [Transfer("hold", funded.client, funded.payable, 1_000, "r", pending=True)])
    ledger.apply_transfers(session, [Transfer("post", pending_id="hold", post_pending=True)])
    session.commit()
    with pytest.raises(DBAPIError, match="uq_ledger_transfers_one_resolution"):
        raw_transfer(session, "void-too", funded.client, funded.payable, 1_000, pending_id="hold", void=True)
    session.rollback()


def test_a_post_must_match_its_pending_transfer(session, funded):
    ledger.apply_transfers(session, [Transfer("hold", funded.client, funded.payable, 1_000, "r", pending=True)])
    session.commit()
    with pytest.raises(DBAPIError, match="does not match its pending transfer"):
        raw_transfer(session, "big-post", funded.client, funded.payable, 2_000, pending_id="hold", post=True)
    session.rollback()
    with pytest.raises(DBAPIError, match="does not match its pending transfer"):
        raw_transfer(session, "other-side", funded.client, funded.fees, 1_000, pending_id="hold", post=True)
    session.rollback()


def test_a_rolled_back_savepoint_leaves_the_journal_balanced(session, funded):
    """Callers may use savepoints: what a rolled-back savepoint moved is forgotten by the check too."""
    savepoint = session.begin_nested()
    ledger.apply_transfers(session, [Transfer("inner", funded.client, funded.payable, 700, "pay")])
    savepoint.rollback()
    ledger.apply_transfers(session, [Transfer("outer", funded.client, funded.payable, 300, "pay")])
    session.commit()
    assert ledger.get_account(session, funded.payable).posted == 300
    assert set(ledger.lookup_transfers(session, ["inner", "outer"])) == {"outer"}
