"""The ledger's pure rules: shapes, replays, chains (no database)."""

import uuid
from datetime import UTC, datetime

from backend.money.transfers import Transfer, TransferRecord, chains, compare, shape_error


def stored(**changes):
    fields = dict(
        id="t1", debit_account_id=1, credit_account_id=2, amount=100, code="pay", pending_id=None, pending=False,
        post_pending=False, void_pending=False, expiry=False, linked=False, timeout_s=0, expires_at=None,
        journal_id=uuid.uuid4(), reference=None, user_data=None, created_at=datetime(2026, 12, 1, tzinfo=UTC),
    )  # fmt: skip
    return TransferRecord(**(fields | changes))


def test_a_batch_splits_into_linked_chains():
    batch = [Transfer(str(i), linked=link) for i, link in enumerate([True, False, False, True, True, False, True])]
    assert [[t.id for _, t in chain] for chain in chains(batch)] == [["0", "1"], ["2"], ["3", "4", "5"], ["6"]]


def test_a_replay_is_compared_field_by_field_in_tigerbeetles_order():
    assert compare(Transfer("t1", 1, 2, 100, "pay"), stored()) is None
    assert compare(Transfer("t1", 1, 2, 101, "pay"), stored()).code == "exists_with_different_amount"
    assert compare(Transfer("t1", 1, 3, 101, "pay"), stored()).code == "exists_with_different_credit_account_id"
    assert compare(Transfer("t1", 1, 2, 100, "pay", pending=True), stored()).code == "exists_with_different_flags"
    assert compare(Transfer("t1", 1, 2, 100, "fee"), stored()).code == "exists_with_different_code"


def test_a_replayed_post_may_leave_out_what_it_took_from_the_pending_transfer():
    post = stored(id="p1", pending_id="h1", post_pending=True, amount=70)
    assert compare(Transfer("p1", pending_id="h1", post_pending=True), post) is None
    assert compare(Transfer("p1", pending_id="h1", post_pending=True, amount=70), post) is None
    assert compare(Transfer("p1", pending_id="h1", post_pending=True, amount=60), post).code == (
        "exists_with_different_amount"
    )


def test_shapes():
    assert shape_error(Transfer("t", 1, 2, 5, "pay"), expiry=False) is None
    assert shape_error(Transfer("t", 1, 2, 5, "pay", pending=True, timeout_s=60), expiry=False) is None
    assert shape_error(Transfer("t", pending_id="h", void_pending=True), expiry=False) is None
    assert shape_error(Transfer("t", pending_id="t", void_pending=True), expiry=False).code == (
        "pending_id_must_be_different"
    )
    assert shape_error(Transfer("x" * 129, 1, 2, 5, "pay"), expiry=False).code == "id_invalid"
    assert shape_error(Transfer("sys:expiry:h", pending_id="h", void_pending=True), expiry=True) is None
    assert shape_error(Transfer("t", 1, 2, True, "pay"), expiry=False).code == "amount_must_be_positive"
