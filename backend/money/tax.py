"""Individual income tax withheld from platform workers' remuneration (劳务报酬).

Since 2025-10-01 (国家税务总局公告2025年第16号) an internet platform withholds with the
cumulative method of 公告2018年第61号:

    taxable = cumulative income
              - cumulative expenses (20% of cumulative income)
              - cumulative basic deduction (5,000 yuan x counted months)
              - cumulative other deductions
    tax due = taxable x rate - quick deduction        (comprehensive-income table below)
    tax this time = tax due - tax already withheld this tax year, never below 0

A negative "tax this time" withholds 0: what was withheld stays withheld and the difference is
carried, because the next payment's tax due is again compared with everything withheld so far.

Money is integer fen in and out. The cumulative tax due is computed exactly (fractions of a fen
kept) and rounded once, half-up, to the fen; "tax this time" is the difference of two whole-fen
figures, so the fen withheld over a year always add up to the year's rounded tax due.

Months counted (the reading taken where the rule leaves room): the basic deduction counts the
calendar months of this tax year in which the worker was actually paid through the platform
(`MonthCounting.PAID_MONTHS`, the default). A month without pay adds nothing, and several
payments in one month (daily pay) count that month once. The other reading, counting every
month from the first paid month of the year up to the current one with gaps included, as the
wage method counts months of employment, is `MonthCounting.SINCE_FIRST_PAID`. The reading is
chosen per call (`rules=`); `DEFAULT_RULES` in this module is the platform's setting.
A new tax year (calendar year) starts from zero. A consequence of the default reading: any pay at
all in a month, even one fen, counts that month, so more income can mean less tax only by turning
an unpaid month into a paid one (a tested edge); more pay in a month already paid never lowers it.
"""

from dataclasses import dataclass, replace
from enum import Enum
from fractions import Fraction

YUAN = 100  # fen per yuan

# (upper bound of cumulative taxable income in fen or None, rate, quick deduction in fen)
BRACKETS = (
    (36_000 * YUAN, Fraction(3, 100), 0),
    (144_000 * YUAN, Fraction(10, 100), 2_520 * YUAN),
    (300_000 * YUAN, Fraction(20, 100), 16_920 * YUAN),
    (420_000 * YUAN, Fraction(25, 100), 31_920 * YUAN),
    (660_000 * YUAN, Fraction(30, 100), 52_920 * YUAN),
    (960_000 * YUAN, Fraction(35, 100), 85_920 * YUAN),
    (None, Fraction(45, 100), 181_920 * YUAN),
)


class MonthCounting(Enum):
    PAID_MONTHS = "paid_months"  # months with pay through the platform (default)
    SINCE_FIRST_PAID = "since_first_paid"  # from the first paid month to now, gaps included


@dataclass(frozen=True)
class TaxRules:
    expense_rate: Fraction = Fraction(20, 100)
    monthly_deduction_fen: int = 5_000 * YUAN
    month_counting: MonthCounting = MonthCounting.PAID_MONTHS


DEFAULT_RULES = TaxRules()


@dataclass(frozen=True)
class CumulativeState:
    """One worker's figures for one tax year, as they stand after the last payment."""

    year: int
    income_fen: int = 0
    months_paid: int = 0  # months counted for the basic deduction
    first_month: int = 0  # 1-12, 0 before the first payment of the year
    last_month: int = 0  # 1-12, 0 before the first payment of the year
    other_deductions_fen: int = 0
    withheld_fen: int = 0


@dataclass(frozen=True)
class Withholding:
    """The tax this time and every figure behind it (shown to the technician)."""

    tax_fen: int
    state: CumulativeState
    taxable_fen: Fraction
    rate: Fraction
    quick_deduction_fen: int
    tax_due_fen: int  # cumulative, rounded half-up to the fen


def round_half_up(amount: Fraction) -> int:
    """A non-negative exact amount of fen rounded half-up to the whole fen."""
    if amount < 0:
        raise ValueError("only non-negative amounts are rounded here")
    return int(amount + Fraction(1, 2))


def bracket(taxable_fen: Fraction) -> tuple[Fraction, int]:
    """(rate, quick deduction in fen) for a cumulative taxable income."""
    for upper, rate, quick in BRACKETS:
        if upper is None or taxable_fen <= upper:
            return rate, quick
    raise AssertionError("the last bracket has no upper bound")


def taxable_income(state: CumulativeState, rules: TaxRules = DEFAULT_RULES) -> Fraction:
    """Cumulative taxable income in exact fen (may be negative: nothing is due then)."""
    expenses = state.income_fen * rules.expense_rate
    deduction = rules.monthly_deduction_fen * state.months_paid
    return state.income_fen - expenses - deduction - state.other_deductions_fen


def tax_due(state: CumulativeState, rules: TaxRules = DEFAULT_RULES) -> int:
    """The cumulative tax due on the state's figures, in fen (the formula on cumulative figures)."""
    taxable = taxable_income(state, rules)
    if taxable <= 0:
        return 0
    rate, quick = bracket(taxable)
    return round_half_up(taxable * rate - quick)


def start_year(year: int) -> CumulativeState:
    return CumulativeState(year=year)


def withhold(
    state: CumulativeState,
    *,
    year: int,
    month: int,
    income_fen: int,
    other_deductions_fen: int = 0,
    rules: TaxRules = DEFAULT_RULES,
) -> Withholding:
    """The tax to withhold from a payment of `income_fen` made in (year, month), and the new state.

    `other_deductions_fen` is this payment's addition to the cumulative other deductions.
    Payments must come in calendar order; a payment in a later year starts a new tax year.
    """
    _check_payment(income_fen, other_deductions_fen, month)
    if year != state.year:
        if year < state.year:
            raise ValueError("a payment cannot belong to an earlier tax year than the state")
        state = start_year(year)
    if state.last_month and month < state.last_month:
        raise ValueError("payments must come in calendar order")
    figures = _add_payment(state, month, income_fen, other_deductions_fen, rules)
    due = tax_due(figures, rules)
    tax = max(0, due - state.withheld_fen)
    taxable = taxable_income(figures, rules)
    rate, quick = bracket(taxable) if taxable > 0 else (BRACKETS[0][1], 0)
    new_state = replace(figures, withheld_fen=state.withheld_fen + tax)
    return Withholding(tax, new_state, taxable, rate, quick, due)


def _check_payment(income_fen, other_deductions_fen, month):
    if not isinstance(income_fen, int) or income_fen < 0:
        raise ValueError("income_fen must be a non-negative integer")
    if not isinstance(other_deductions_fen, int) or other_deductions_fen < 0:
        raise ValueError("other_deductions_fen must be a non-negative integer")
    if not 1 <= month <= 12:
        raise ValueError("month must be 1-12")


def _add_payment(state, month, income_fen, other_fen, rules) -> CumulativeState:
    paid = income_fen > 0
    first = state.first_month or (month if paid else 0)
    last = month if paid else state.last_month
    if rules.month_counting is MonthCounting.SINCE_FIRST_PAID:
        months = last - first + 1 if first else 0
    else:
        months = state.months_paid + (1 if paid and month != state.last_month else 0)
    return replace(
        state,
        income_fen=state.income_fen + income_fen,
        months_paid=months,
        first_month=first,
        last_month=last,
        other_deductions_fen=state.other_deductions_fen + other_fen,
    )
