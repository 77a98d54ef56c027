"""The ledger's rules that need no database: shapes and chains (replays: tests/integration/money)."""

from backend.money.transfers import Transfer, chains, shape_error


def test_a_batch_splits_into_linked_chains():
    batch = [Transfer(str(i), linked=link) for i, link in enumerate([True, False, False, True, True, False, True])]
    assert [[t.id for _, t in chain] for chain in chains(batch)] == [["0", "1"], ["2"], ["3", "4", "5"], ["6"]]


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
