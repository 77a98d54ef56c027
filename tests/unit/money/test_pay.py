"""Pay from points, the service fee and team shares: integer fen, half-up, pay never reduced."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.money.pay import charge_order, part_of, pay_fen, points_from_centi, shares_of


def test_pay_is_points_times_price_rounded_half_up():
    assert pay_fen(Decimal("12.34"), 150) == 1851  # 1,851.0
    assert pay_fen(Decimal("0.01"), 50) == 1  # 0.5 fen -> 1
    assert pay_fen(Decimal("0.01"), Decimal("49.9")) == 0  # 0.499 -> 0
    assert pay_fen(Decimal("10.125"), 100) == 1013  # three decimals: 1,012.5 -> 1,013


def test_points_as_orders_store_them():
    assert points_from_centi(1234) == Decimal("12.34")
    assert pay_fen(points_from_centi(1234), 100) == 1234


def test_fee_and_shares_are_on_top_of_pay():
    charge = charge_order(Decimal("20.00"), 150, fee_basis_points=800, uplines=[(7, 500), (3, 250)])
    assert charge.pay_fen == 3000
    assert charge.fee_fen == 240  # 8%
    assert [(s.level, s.recipient_id, s.fen) for s in charge.shares] == [(1, 7, 150), (2, 3, 75)]
    assert charge.client_total_fen == 3000 + 240 + 150 + 75


def test_basis_points_round_half_up():
    assert part_of(5, 1000) == 1  # 0.5 -> 1
    assert part_of(4, 1000) == 0  # 0.4 -> 0
    assert part_of(15, 1000) == 2  # 1.5 -> 2
    assert part_of(12345, 10_000) == 12345


def test_at_most_two_levels_share():
    with pytest.raises(ValueError, match="at most 2"):
        shares_of(1000, [(1, 100), (2, 100), (3, 100)])


def test_a_zero_share_is_left_out():
    assert [s.level for s in shares_of(1000, [(1, 0), (2, 100)])] == [2]


@pytest.mark.parametrize(
    "call",
    [
        lambda: pay_fen(1.5, 100),
        lambda: pay_fen(Decimal("-1"), 100),
        lambda: part_of(100, 10_001),
        lambda: part_of(100, -1),
        lambda: part_of(-5, 100),
        lambda: pay_fen(Decimal("NaN"), 100),
    ],
)
def test_bad_inputs_are_refused(call):
    with pytest.raises((TypeError, ValueError)):
        call()


points = st.decimals(min_value=0, max_value=10_000, places=2)
bps = st.integers(0, 10_000)


@given(points, st.integers(0, 100_000), bps, bps, bps)
def test_member_pay_is_never_reduced_by_fee_or_shares(pts, price, fee, first, second):
    charge = charge_order(pts, price, fee, uplines=[(1, first), (2, second)])
    assert charge.pay_fen == pay_fen(pts, price)
    assert charge.client_total_fen == charge.pay_fen + charge.fee_fen + charge.shares_fen
    assert 0 <= charge.fee_fen <= charge.pay_fen
    assert all(0 <= s.fen <= charge.pay_fen for s in charge.shares)
    # rounding is never off by more than half a fen
    assert abs(Decimal(charge.fee_fen) - Decimal(charge.pay_fen) * fee / 10_000) <= Decimal("0.5")
