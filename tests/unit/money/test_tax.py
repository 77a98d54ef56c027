"""Cumulative IIT withholding for platform workers: worked examples and properties."""

from fractions import Fraction
from itertools import pairwise

from hypothesis import assume, given
from hypothesis import strategies as st

from backend.money.tax import (
    BRACKETS,
    DEFAULT_RULES,
    CumulativeState,
    MonthCounting,
    TaxRules,
    start_year,
    tax_due,
    withhold,
)

YUAN = 100


def pay_months(months_and_income, year=2026, rules=DEFAULT_RULES):
    """Withhold month by month; returns the list of taxes and the final state."""
    state, taxes = start_year(year), []
    for month, income in months_and_income:
        result = withhold(state, year=year, month=month, income_fen=income, rules=rules)
        taxes.append(result.tax_fen)
        state = result.state
    return taxes, state


def test_8000_yuan_a_month_withholds_42_yuan_in_month_1_and_504_over_the_year():
    taxes, state = pay_months([(m, 8_000 * YUAN) for m in range(1, 13)])
    assert taxes[0] == 42 * YUAN
    assert taxes == [42 * YUAN] * 12
    assert state.withheld_fen == 504 * YUAN
    assert state.months_paid == 12


def test_daily_pay_in_one_month_counts_the_month_once():
    state, taxes = start_year(2026), []
    for _ in range(20):  # twenty working days of 400 yuan
        result = withhold(state, year=2026, month=3, income_fen=400 * YUAN)
        state, taxes = result.state, [*taxes, result.tax_fen]
    assert state.months_paid == 1
    assert sum(taxes) == 42 * YUAN  # the same as one 8,000 yuan payment


def test_a_month_without_pay_adds_no_deduction_under_the_paid_months_reading():
    # paid in January and March only: two months of deduction, not three
    taxes, state = pay_months([(1, 8_000 * YUAN), (3, 8_000 * YUAN)])
    assert state.months_paid == 2
    assert taxes == [42 * YUAN, 42 * YUAN]


def test_the_other_reading_counts_the_gap_month_and_carries_the_overpayment():
    rules = TaxRules(month_counting=MonthCounting.SINCE_FIRST_PAID)
    taxes, state = pay_months([(1, 8_000 * YUAN), (3, 8_000 * YUAN)], rules=rules)
    assert state.months_paid == 3
    # cumulative: 16,000 - 3,200 - 15,000 = -2,200 -> nothing due, nothing refunded, 42 withheld
    assert taxes == [42 * YUAN, 0]
    assert state.withheld_fen == 42 * YUAN


def test_a_small_month_withholds_nothing_and_the_credit_is_carried():
    # January 8,000 (42 withheld); February 1,000: cumulative taxable 9,000*0.8 - 10,000 < 0
    taxes, state = pay_months([(1, 8_000 * YUAN), (2, 1_000 * YUAN), (3, 10_000 * YUAN)])
    assert taxes[1] == 0
    # March: 19,000*0.8 - 15,000 = 200 yuan taxable -> 6 yuan due, 42 already withheld -> 0 again
    assert taxes[2] == 0
    assert state.withheld_fen == 42 * YUAN


def test_a_high_earner_crosses_brackets_mid_year():
    taxes, state = pay_months([(m, 60_000 * YUAN) for m in range(1, 13)])
    # month 1: 60,000*0.8 - 5,000 = 43,000 taxable -> 10% - 2,520 = 1,780
    assert taxes[0] == 1_780 * YUAN
    # month 3: 129,000 taxable -> 10,380 due; month 4: 172,000 -> 20% - 16,920 = 17,480 due
    assert taxes[3] == (17_480 - 10_380) * YUAN
    # year: 720,000 - 144,000 - 60,000 = 516,000 taxable -> 30% - 52,920 = 101,880
    assert state.withheld_fen == 101_880 * YUAN
    assert taxes[-1] > taxes[0]


def test_a_first_fen_in_an_empty_month_adds_a_deduction():
    # The reading's edge: a month counts once anything is paid in it.
    _, without = pay_months([(2, 100_000 * YUAN)])
    _, with_a_fen = pay_months([(1, 1), (2, 100_000 * YUAN)])
    assert with_a_fen.months_paid == 2
    assert with_a_fen.withheld_fen < without.withheld_fen


def test_tax_is_computed_to_the_fen_half_up():
    state = CumulativeState(year=2026, income_fen=625_617, months_paid=1)
    # taxable = 625,617*0.8 - 500,000 = 493.6 fen -> 3% = 14.808 fen -> 15 fen
    assert tax_due(state) == 15
    # taxable = 626,250*0.8 - 500,000 = 1,000 fen -> 30 fen
    assert tax_due(CumulativeState(year=2026, income_fen=626_250, months_paid=1)) == 30
    # 625,650*0.8 - 500,000 = 520 fen -> 15.6 -> 16; 625,642 -> 513.6 -> 15.408 -> 15
    assert tax_due(CumulativeState(year=2026, income_fen=625_650, months_paid=1)) == 16
    assert tax_due(CumulativeState(year=2026, income_fen=625_642, months_paid=1)) == 15
    # exactly half a fen rounds up: taxable 550 fen -> 16.5 -> 17
    half = CumulativeState(year=2026, income_fen=626_000, months_paid=1, other_deductions_fen=250)
    assert tax_due(half) == 17


def test_a_new_year_starts_from_zero():
    _, state = pay_months([(m, 8_000 * YUAN) for m in range(1, 13)], year=2026)
    result = withhold(state, year=2027, month=1, income_fen=8_000 * YUAN)
    assert result.tax_fen == 42 * YUAN
    assert result.state.year == 2027
    assert result.state.withheld_fen == 42 * YUAN


def test_the_breakdown_names_rate_and_quick_deduction():
    result = withhold(start_year(2026), year=2026, month=1, income_fen=60_000 * YUAN)
    assert result.rate == Fraction(10, 100)
    assert result.quick_deduction_fen == 2_520 * YUAN
    assert result.taxable_fen == 43_000 * YUAN


def test_the_table_is_the_comprehensive_income_table():
    assert [b[0] for b in BRACKETS[:-1]] == [y * YUAN for y in (36_000, 144_000, 300_000, 420_000, 660_000, 960_000)]
    # quick deductions make the tax continuous at every bound
    for (upper, rate, quick), (_, next_rate, next_quick) in pairwise(BRACKETS):
        assert upper * rate - quick == upper * next_rate - next_quick


# A year of payments: months in order (repeats allowed: several payments a month), fen amounts.
payments = st.lists(st.tuples(st.integers(1, 12), st.integers(0, 200_000 * YUAN)), min_size=1, max_size=30).map(sorted)
readings = st.sampled_from(list(MonthCounting))


@given(payments, readings)
def test_withheld_equals_the_formula_on_cumulative_figures(year_of_payments, reading):
    rules = TaxRules(month_counting=reading)
    state, highest_due = start_year(2026), 0
    for month, income in year_of_payments:
        result = withhold(state, year=2026, month=month, income_fen=income, rules=rules)
        state = result.state
        highest_due = max(highest_due, tax_due(state, rules))
        # withheld so far is the formula on cumulative figures, never refunded when it drops
        assert state.withheld_fen == highest_due
        assert state.withheld_fen >= tax_due(state, rules)


@given(payments, readings)
def test_tax_this_time_is_never_negative(year_of_payments, reading):
    taxes, _ = pay_months(year_of_payments, rules=TaxRules(month_counting=reading))
    assert all(tax >= 0 for tax in taxes)


@given(payments, st.data(), readings)
def test_more_income_never_means_less_tax(year_of_payments, data, reading):
    # More on a payment that was made; turning a month without pay into a paid one adds a month's
    # deduction instead (see test_a_first_fen_in_an_empty_month_adds_a_deduction).
    rules = TaxRules(month_counting=reading)
    paid = [i for i, (_, income) in enumerate(year_of_payments) if income > 0]
    assume(paid)
    index = data.draw(st.sampled_from(paid))
    extra = data.draw(st.integers(1, 100_000 * YUAN))
    richer = list(year_of_payments)
    month, income = richer[index]
    richer[index] = (month, income + extra)
    _, base = pay_months(year_of_payments, rules=rules)
    _, more = pay_months(richer, rules=rules)
    assert more.withheld_fen >= base.withheld_fen
