"""The ledger's transfer semantics (TigerBeetle's), against the real tables."""

from datetime import UTC, datetime, timedelta

import pytest

from backend.money import ledger
from backend.money.accounts import Kind, Owner
from backend.money.errors import (
    AccountInvalid,
    IdempotencyConflict,
    InsufficientFunds,
    PendingTransferClosed,
    TransferInvalid,
)
from backend.money.ledger import Transfer

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def balance(session, account_id):
    return ledger.get_account(session, account_id)


def test_funding_credits_the_client_and_debits_the_bank(session, books):
    books.fund(books.client, 10_000)
    session.commit()
    client, bank = balance(session, books.client), balance(session, books.bank)
    assert (client.posted, client.available) == (10_000, 10_000)
    assert bank.posted == 10_000  # an asset: debit-normal
    assert bank.debits_posted == client.credits_posted == 10_000


def test_open_account_is_get_or_create_with_the_charts_flags(session, books):
    again = ledger.open_account(session, Kind.FUNDS, Owner.ORGANIZATION, 1)
    assert again.id == books.client
    assert again.debits_must_not_exceed_credits and not again.credits_must_not_exceed_debits
    assert ledger.platform_account(session, Kind.CUSTODY_BANK).credits_must_not_exceed_debits
    with pytest.raises(AccountInvalid):
        ledger.open_account(session, Kind.PAYABLE, Owner.ORGANIZATION, 1)
    with pytest.raises(AccountInvalid):
        ledger.open_account(session, Kind.FEE_REVENUE, Owner.PLATFORM, 5)


def test_a_client_cannot_spend_more_than_it_has(session, books):
    books.fund(books.client, 1_000)
    with pytest.raises(InsufficientFunds) as refused:
        ledger.apply_transfers(session, [Transfer("pay-1", books.client, books.payable, 1_500, "pay")])
    assert refused.value.code == "exceeds_credits"
    assert refused.value.context["shortfall_fen"] == 500
    assert refused.value.problem()["errors"][0]["field"] == "amount"
    session.commit()
    assert balance(session, books.client).posted == 1_000
    assert ledger.lookup_transfers(session, ["pay-1"]) == {}


def test_a_reservation_holds_funds_until_posted_in_part(session, books):
    books.fund(books.client, 10_000)
    ledger.apply_transfers(
        session, [Transfer("hold-1", books.client, books.payable, 6_000, "reservation", pending=True)]
    )
    client = balance(session, books.client)
    assert (client.posted, client.pending, client.available) == (10_000, 6_000, 4_000)
    assert balance(session, books.payable).incoming == 6_000
    with pytest.raises(InsufficientFunds):  # the hold is not spendable twice
        ledger.apply_transfers(session, [Transfer("pay-2", books.client, books.payable, 4_001, "pay")])
    ledger.apply_transfers(session, [Transfer("post-1", pending_id="hold-1", post_pending=True, amount=5_000)])
    session.commit()
    client, payable = balance(session, books.client), balance(session, books.payable)
    assert (client.posted, client.pending, client.available) == (5_000, 0, 5_000)  # 1,000 released
    assert (payable.posted, payable.incoming) == (5_000, 0)
    post = ledger.lookup_transfers(session, ["post-1"])["post-1"]
    assert (post.debit_account_id, post.credit_account_id, post.code) == (books.client, books.payable, "reservation")


def test_a_pending_transfer_resolves_at_most_once(session, books):
    books.fund(books.client, 10_000)
    ledger.apply_transfers(session, [Transfer("hold", books.client, books.payable, 3_000, "reservation", pending=True)])
    ledger.apply_transfers(session, [Transfer("void", pending_id="hold", void_pending=True)])
    with pytest.raises(PendingTransferClosed) as closed:
        ledger.apply_transfers(session, [Transfer("post", pending_id="hold", post_pending=True)])
    assert closed.value.code == "pending_transfer_already_voided"
    session.commit()
    assert balance(session, books.client).available == 10_000


def test_posting_more_than_reserved_is_refused(session, books):
    books.fund(books.client, 10_000)
    ledger.apply_transfers(session, [Transfer("hold", books.client, books.payable, 3_000, "reservation", pending=True)])
    with pytest.raises(TransferInvalid) as refused:
        ledger.apply_transfers(session, [Transfer("post", pending_id="hold", post_pending=True, amount=3_001)])
    assert refused.value.code == "exceeds_pending_transfer_amount"


def test_timed_out_reservations_are_voided_by_the_expiry_job(session, books):
    books.fund(books.client, 10_000)
    hold = Transfer("hold", books.client, books.payable, 4_000, "reservation", pending=True, timeout_s=3600)
    ledger.apply_transfers(session, [hold], now=T0)
    assert ledger.expire_pending_transfers(session, now=T0 + timedelta(minutes=59)) == []
    with pytest.raises(PendingTransferClosed) as late:
        ledger.apply_transfers(
            session, [Transfer("post", pending_id="hold", post_pending=True)], now=T0 + timedelta(hours=2)
        )
    assert late.value.code == "pending_transfer_expired"
    expired = ledger.expire_pending_transfers(session, now=T0 + timedelta(hours=2))
    assert [(e.id, e.expiry, e.void_pending, e.amount) for e in expired] == [("sys:expiry:hold", True, True, 4_000)]
    assert ledger.expire_pending_transfers(session, now=T0 + timedelta(hours=3)) == []  # once
    session.commit()
    assert balance(session, books.client).available == 10_000
    with pytest.raises(PendingTransferClosed) as closed:
        ledger.apply_transfers(session, [Transfer("void", pending_id="hold", void_pending=True)], now=T0)
    assert closed.value.code == "pending_transfer_already_expired"


def test_a_replayed_id_answers_the_first_transfer_and_moves_nothing(session, books):
    first = books.fund(books.client, 10_000, "bank-ref-778")
    session.commit()
    again = books.fund(books.client, 10_000, "bank-ref-778")
    assert again == first
    results = ledger.create_transfers(session, [Transfer("bank-ref-778", books.bank, books.client, 10_000, "funding")])
    assert results[0].result == "exists" and results[0].transfer == first
    session.commit()
    assert balance(session, books.client).posted == 10_000


def test_a_replayed_id_with_other_fields_is_a_conflict(session, books):
    books.fund(books.client, 10_000, "bank-ref-1")
    with pytest.raises(IdempotencyConflict) as conflict:
        books.fund(books.client, 9_000, "bank-ref-1")
    assert conflict.value.code == "exists_with_different_amount"
    assert conflict.value.status == 409
    results = ledger.create_transfers(
        session, [Transfer("bank-ref-1", books.bank, books.other_client, 10_000, "funding")]
    )
    assert results[0].result == "exists_with_different_credit_account_id"


def test_a_linked_chain_succeeds_or_fails_as_one(session, books):
    books.fund(books.client, 1_000)
    session.commit()
    chain = [
        Transfer("pay", books.client, books.payable, 800, "pay", linked=True),
        Transfer("fee", books.client, books.fees, 300, "fee"),  # 1,100 > 1,000
    ]
    results = ledger.create_transfers(session, chain)
    assert [r.result for r in results] == ["linked_event_failed", "exceeds_credits"]
    assert balance(session, books.client).posted == 1_000
    assert ledger.lookup_transfers(session, ["pay", "fee"]) == {}
    chain[1] = Transfer("fee", books.client, books.fees, 200, "fee")
    results = ledger.create_transfers(session, chain)
    assert [r.result for r in results] == ["ok", "ok"]
    assert results[0].transfer.journal_id == results[1].transfer.journal_id
    session.commit()
    assert balance(session, books.client).posted == 0
    # replaying the whole chain answers its first results
    assert [r.result for r in ledger.create_transfers(session, chain)] == ["exists", "exists"]


def test_independent_transfers_of_a_batch_fail_alone(session, books):
    books.fund(books.client, 1_000)
    results = ledger.create_transfers(
        session,
        [
            Transfer("a", books.client, books.payable, 600, "pay"),
            Transfer("b", books.client, books.payable, 600, "pay"),
            Transfer("c", books.client, books.fees, 400, "fee"),
        ],
    )
    assert [r.result for r in results] == ["ok", "exceeds_credits", "ok"]
    session.commit()
    assert balance(session, books.client).posted == 0


def test_an_open_chain_is_refused(session, books):
    books.fund(books.client, 1_000)
    results = ledger.create_transfers(session, [Transfer("a", books.client, books.payable, 10, "pay", linked=True)])
    assert results[0].result == "linked_event_chain_open"


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        (dict(amount=0), "amount_must_be_positive"),
        (dict(amount=-5), "amount_must_be_positive"),
        (dict(amount=1.5), "amount_must_be_positive"),
        (dict(credit_account_id=None), "credit_account_id_must_not_be_zero"),
        (dict(credit_account_id=999_999), "credit_account_not_found"),
        (dict(timeout_s=60), "timeout_reserved_for_pending_transfer"),
        (dict(pending=True, post_pending=True), "flags_are_mutually_exclusive"),
        (dict(id=""), "id_invalid"),
        (dict(id="sys:mine"), "id_invalid"),
        (dict(code=None), "code_must_not_be_zero"),
        (dict(amount=2**63), "amount_must_be_positive"),
        (dict(debit_account_id=2**64), "debit_account_id_must_not_be_zero"),
        (dict(pending=True, timeout_s=2**40), "timeout_reserved_for_pending_transfer"),
        (dict(post_pending=True, pending_id=123, debit_account_id=None), "pending_id_must_not_be_zero"),
    ],
)
def test_bad_transfers_are_refused_with_the_field_named(session, books, spec, code):
    books.fund(books.client, 1_000)
    fields = dict(id="t", debit_account_id=books.client, credit_account_id=books.payable, amount=10, code="pay")
    with pytest.raises(TransferInvalid) as refused:
        ledger.apply_transfers(session, [Transfer(**(fields | spec))])
    assert refused.value.code == code
    assert refused.value.status == 422
    assert refused.value.field


def test_the_same_account_on_both_sides_is_refused(session, books):
    with pytest.raises(TransferInvalid) as refused:
        ledger.apply_transfers(session, [Transfer("t", books.client, books.client, 10, "pay")])
    assert refused.value.code == "accounts_must_be_different"


def test_an_account_statement_lists_transfers_in_order(session, books):
    books.fund(books.client, 1_000, "f1")
    ledger.apply_transfers(session, [Transfer("p1", books.client, books.payable, 300, "pay")])
    session.commit()
    assert [t.id for t in ledger.account_transfers(session, books.client)] == ["f1", "p1"]
    assert [t.id for t in ledger.account_transfers(session, books.payable)] == ["p1"]


def test_reference_and_user_data_are_kept_and_compared_on_replay(session, books):
    data = {"bank": "ICBC", "lines": [1, 2], "note": "季度预付"}
    spec = Transfer("ref-1", books.bank, books.client, 500, "funding", reference="ICBC-778", user_data=data)
    first = ledger.apply_transfers(session, [spec])[0]
    session.commit()
    assert (first.reference, first.user_data) == ("ICBC-778", data)
    assert ledger.lookup_transfers(session, ["ref-1"])["ref-1"] == first
    again = ledger.create_transfers(session, [spec])[0]
    assert (again.result, again.transfer) == ("exists", first)
    other = Transfer(**(spec.__dict__ | {"user_data": {"bank": "ABC"}}))
    assert ledger.create_transfers(session, [other])[0].result == "exists_with_different_user_data"


def test_a_batch_keeps_its_order_of_creation(session, books):
    books.fund(books.client, 10_000, "f")
    records = ledger.apply_transfers(
        session, [Transfer(f"o{i}", books.client, books.payable, 10, "pay") for i in range(5)]
    )
    assert [r.seq for r in records] == sorted(r.seq for r in records)
    assert len({r.seq for r in records}) == 5


def test_a_replay_is_compared_field_by_field_in_tigerbeetles_order(session, books):
    books.fund(books.client, 10_000)
    ledger.apply_transfers(session, [Transfer("t1", books.client, books.payable, 100, "pay")])

    def replay(spec):
        return ledger.create_transfers(session, [spec])[0].result

    assert replay(Transfer("t1", books.client, books.payable, 100, "pay")) == "exists"
    assert replay(Transfer("t1", books.client, books.payable, 101, "pay")) == "exists_with_different_amount"
    assert replay(Transfer("t1", books.client, books.other_client, 101, "pay")) == (
        "exists_with_different_credit_account_id"
    )
    assert replay(Transfer("t1", books.client, books.payable, 100, "pay", pending=True)) == (
        "exists_with_different_flags"
    )
    assert replay(Transfer("t1", books.client, books.payable, 100, "fee")) == "exists_with_different_code"


def test_a_replayed_post_may_leave_out_what_it_took_from_the_pending_transfer(session, books):
    books.fund(books.client, 10_000)
    ledger.apply_transfers(session, [Transfer("h1", books.client, books.payable, 100, "pay", pending=True)])
    ledger.apply_transfers(session, [Transfer("p1", pending_id="h1", post_pending=True, amount=70)])

    def replay(spec):
        return ledger.create_transfers(session, [spec])[0].result

    assert replay(Transfer("p1", pending_id="h1", post_pending=True)) == "exists"
    assert replay(Transfer("p1", pending_id="h1", post_pending=True, amount=70)) == "exists"
    assert replay(Transfer("p1", pending_id="h1", post_pending=True, amount=60)) == "exists_with_different_amount"


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        (dict(), "ok"),
        (dict(pending=True, timeout_s=60), "ok"),
        (dict(amount=1_500), "exceeds_credits"),
        (dict(debit_account_id=999_999), "debit_account_not_found"),
        (dict(credit_account_id=999_999), "credit_account_not_found"),
        (dict(id="fund-seed"), "exists_with_different_debit_account_id"),
        (dict(id="paid-before"), "exists"),
    ],
)
def test_a_lone_transfer_and_the_same_in_a_batch_are_decided_alike(session, books, spec, code):
    """A lone plain transfer takes ledger_apply's short path, a batch the general one: same rules."""
    books.fund(books.client, 1_000, transfer_id="fund-seed")
    ledger.apply_transfers(session, [Transfer("paid-before", books.client, books.payable, 10, "pay")])
    session.commit()
    fields = dict(id="t", debit_account_id=books.client, credit_account_id=books.payable, amount=10, code="pay")
    lone = Transfer(**(fields | spec))
    neighbour = Transfer("neighbour", books.bank, books.other_client, 1, "funding")  # other accounts

    alone = ledger.create_transfers(session, [lone], now=T0)
    session.rollback()
    batched = ledger.create_transfers(session, [neighbour, lone], now=T0)[1]
    session.rollback()

    assert alone[0].result == batched.result == code
    if code == "ok":
        assert alone[0].transfer.amount == batched.transfer.amount == lone.amount
        assert alone[0].transfer.expires_at == batched.transfer.expires_at
    elif code == "exists":
        assert alone[0].transfer.id == batched.transfer.id == "paid-before"
    else:
        assert type(alone[0].error) is type(batched.error)
        assert alone[0].error.context == batched.error.context
