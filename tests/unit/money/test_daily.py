"""Money terms of a rate card and the priced content of a daily work record."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.money import daily
from backend.money.digest import canonical_json
from backend.money.terms import money_terms, problems

CARD = daily.CardRef(id=4, org_id=9, version=2)
TERMS = {
    "fen_per_point": "150",
    "fee_bps": 800,
    "insurance_premium_fen": 120,
    "sharing": {"work_types": ["sales"], "level1_bps": 500, "level2_bps": 250},
    "work_item_points": {"reading": {"unit": "piece", "points_per_unit": "0.25"}},
    "confirm_window_hours": 48,
}
VERIFIED = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


def order(order_id, work_type="repair", points="20.00"):
    return daily.OrderWork(order_id, work_type, Decimal(points), VERIFIED, CARD)


def test_valid_money_terms_have_no_problems_and_read_back():
    assert problems(TERMS) == []
    terms = money_terms(TERMS)
    assert terms.fen_per_point == Decimal("150") and terms.fee_bps == 800 and terms.confirm_window_hours == 48
    assert terms.work_item_points["reading"].points_per_unit == Decimal("0.25")
    assert money_terms({}).fen_per_point is None and money_terms({}).confirm_window_hours == 72


def test_each_bad_money_term_is_named():
    bad = {
        "fen_per_point": 1.5,
        "fee_bps": 10_001,
        "insurance_premium_fen": -1,
        "sharing": {"work_types": [], "level1_bps": "5"},
        "work_item_points": {"reading": {"unit": "litre", "points_per_unit": "x"}},
        "confirm_window_hours": 0,
    }
    fields = {path for path, _ in problems(bad)}
    assert fields == {
        "terms.fen_per_point",
        "terms.fee_bps",
        "terms.insurance_premium_fen",
        "terms.sharing.work_types",
        "terms.sharing.level1_bps",
        "terms.sharing.level2_bps",
        "terms.work_item_points.reading.unit",
        "terms.work_item_points.reading.points_per_unit",
        "terms.confirm_window_hours",
    }


def test_a_record_prices_orders_and_items_and_sums_them():
    terms = money_terms(TERMS)
    uplines = (7, 3)
    item = daily.ItemWork(
        11,
        "r-1",
        "reading",
        Decimal("10"),
        "piece",
        Decimal("0.25"),
        daily.item_points(Decimal("10"), Decimal("0.25")),
        CARD,
    )
    lines = [
        daily.order_line(order(2, "sales"), terms, uplines),
        daily.order_line(order(1), terms, uplines),
        daily.item_line(item, terms, uplines),
    ]
    body = daily.content(org_id=9, technician_id=5, work_date=date(2026, 12, 1), version=1, lines=lines)
    assert [line.get("order_id", line.get("item_id")) for line in body["lines"]] == [1, 2, 11]
    assert body["points"] == Decimal("42.50")
    assert body["pay_fen"] == 3000 + 3000 + 375
    assert body["fee_fen"] == 240 + 240 + 30
    assert body["insurance_fen"] == 240  # per order, not per item
    # only the sales order shares: 5% and 2.5% of its 3,000 fen pay, on top of pay
    assert body["shares"] == [
        {"technician_id": 3, "level": 2, "amount_fen": 75, "order_ids": [2], "item_ids": []},
        {"technician_id": 7, "level": 1, "amount_fen": 150, "order_ids": [2], "item_ids": []},
    ]
    assert body["shares_fen"] == 225
    assert body["rate_card_versions"] == [{"id": 4, "org_id": 9, "version": 2}]


def test_a_card_without_a_price_pays_nothing_but_keeps_the_points():
    line = daily.order_line(order(1), money_terms({}), ())
    assert (line["points"], line["pay_fen"], line["fee_fen"], line["insurance_fen"]) == (Decimal("20.00"), 0, 0, 0)


def test_rerating_a_stored_line_uses_its_own_terms():
    line = daily.order_line(order(1, "sales"), money_terms(TERMS), (7,))
    stored = json.loads(canonical_json(line))  # as JSONB gives it back
    again = daily.rerated(stored, Decimal("10.00"))
    assert (again["pay_fen"], again["fee_fen"], again["shares"][0]["amount_fen"]) == (1500, 120, 75)
    assert again["rerated_from"] == "20.00"


def test_the_digest_covers_every_figure_and_the_version():
    lines = [daily.order_line(order(1), money_terms(TERMS), ())]
    first = daily.content(org_id=9, technician_id=5, work_date=date(2026, 12, 1), version=1, lines=lines)
    second = daily.content(org_id=9, technician_id=5, work_date=date(2026, 12, 1), version=2, lines=lines)
    assert daily.sealed(first) != daily.sealed(second)
    assert daily.sealed(first) == daily.sealed(json.loads(canonical_json(first)))


@given(
    points=st.lists(st.decimals(min_value=0, max_value=10_000, places=2), min_size=0, max_size=6),
    fen_per_point=st.decimals(min_value=0, max_value=1_000, places=4),
    fee_bps=st.integers(0, 10_000),
    note=st.text(max_size=20),
    minute=st.integers(0, 10_000),
)
def test_the_fast_seal_writes_the_same_bytes_as_the_reference(points, fen_per_point, fee_bps, note, minute):
    terms = money_terms(TERMS | {"fen_per_point": str(fen_per_point), "fee_bps": fee_bps})
    lines = [
        daily.order_line(daily.OrderWork(i + 1, "sales", p, VERIFIED + timedelta(minutes=minute), CARD), terms, (7, 3))
        for i, p in enumerate(points)
    ]
    body = daily.content(
        org_id=9, technician_id=5, work_date=date(2026, 12, 1), version=2, lines=lines, supersedes_id=4,
        adjustment={"reason": note, "at": VERIFIED},
    )  # fmt: skip
    fast_digest, plain = daily.seal(body)
    assert fast_digest == daily.sealed(body)
    assert plain == json.loads(canonical_json(body))


def test_the_fast_seal_refuses_what_the_reference_refuses():
    for bad in ({"x": 0.5}, {"x": 2**60}, {"x": datetime(2026, 12, 1)}, {"x": object()}):
        with pytest.raises((TypeError, ValueError)):
            daily.seal(bad)


def test_the_fast_seal_checks_integers_near_the_safe_limit_exactly():
    safe = {"largest": 2**53 - 1, "id_number": "1101011990030712345678", "small": 15}
    digest_, plain = daily.seal(safe)
    assert digest_ == daily.sealed(safe) and plain == safe
    with pytest.raises(ValueError):
        daily.seal({"just_over": 2**53, "small": 15})
