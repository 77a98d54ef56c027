"""Tax files for the console (platform admins): the monthly withholding declaration per
technician, and the quarterly identity-and-income report of 国务院令第810号
(互联网平台企业涉税信息报送规定). Both are CSV; their columns are documented in README "Money".

The files carry full identity numbers (decrypted through backend/pii.py) because the tax
authority needs them; the declaration's file name carries only the masked number."""

import csv
import io
import re
from datetime import date

from sqlalchemy import func, select

from backend.errors import NotFound, ValidationFailed, field_error
from backend.extensions import db
from backend.models import DailyWorkRecord, Technician, TechnicianProfile
from backend.models.settlement import TaxWithholding
from backend.pii import decrypt

ID_TYPE = "居民身份证"

DECLARATION_COLUMNS = (
    "period",
    "technician_id",
    "name",
    "id_type",
    "id_number",
    "income_type",
    "income_fen",
    "expenses_fen",
    "basic_deduction_fen",
    "other_deductions_fen",
    "tax_withheld_fen",
    "payments",
    "cumulative_income_fen",
    "cumulative_expenses_fen",
    "cumulative_basic_deduction_fen",
    "months_counted",
    "cumulative_other_deductions_fen",
    "cumulative_taxable_fen",
    "rate",
    "quick_deduction_fen",
    "cumulative_tax_due_fen",
    "cumulative_withheld_fen",
)

QUARTERLY_COLUMNS = (
    "period",
    "technician_id",
    "name",
    "id_type",
    "id_number",
    "phone",
    "income_fen",
    "pay_fen",
    "shares_fen",
    "records",
    "orders",
    "tax_withheld_fen",
    "net_fen",
)


def _identity(technician_id: int) -> tuple[str, str, str, str]:
    """(name, full ID number, masked ID number, phone) of a technician; 404 when unknown."""
    technician = db.session.get(Technician, technician_id)
    if technician is None:
        raise NotFound("technician", errors=[field_error("technician_id", "no such technician", "path")])
    profile = db.session.get(TechnicianProfile, technician_id)
    name = (profile.legal_name if profile else None) or technician.user.name
    if profile is None or profile.id_number_enc is None:
        return name, "", f"no-id-{technician_id}", technician.user.phone or ""
    return name, decrypt(profile.id_number_enc, "id_number"), profile.id_number_masked, technician.user.phone or ""


def _period(month: str) -> tuple[int, int]:
    try:
        year, number = (int(part) for part in month.split("-"))
        date(year, number, 1)
        return year, number
    except ValueError:
        raise ValidationFailed("invalid month", errors=[field_error("month", "YYYY-MM", "path")]) from None


def declaration_file_name(technician_id: int, month: str) -> str:
    _, _, masked, _ = _identity(technician_id)
    return f"withholding_{month}_{masked}.csv"


def withholding_declaration(technician_id: int, month: str) -> str:
    """One row: the month's income, expenses, deductions and tax, and the cumulative figures
    for the tax year as they stood after the month's last payment."""
    year, number = _period(month)
    name, id_number, _, _ = _identity(technician_id)
    rows = list(
        db.session.scalars(
            select(TaxWithholding)
            .where(TaxWithholding.technician_id == technician_id, TaxWithholding.year == year)
            .where(TaxWithholding.month <= number)
            .order_by(TaxWithholding.id)
        )
    )
    this_month = [r for r in rows if r.month == number]
    before = [r for r in rows if r.month < number]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(DECLARATION_COLUMNS)
    if this_month:
        writer.writerow(_declaration_row(month, technician_id, name, id_number, this_month, before))
    return out.getvalue()


def _declaration_row(month, technician_id, name, id_number, this_month, before) -> list:
    last = this_month[-1].cumulative
    previous = before[-1].cumulative if before else {}

    def delta(key):
        return last[key] - previous.get(key, 0)

    return [
        month,
        technician_id,
        name,
        ID_TYPE,
        id_number,
        "劳务报酬",
        sum(r.income_fen for r in this_month),
        delta("expenses_fen"),
        delta("basic_deduction_fen"),
        delta("other_deductions_fen"),
        sum(r.tax_fen for r in this_month),
        len(this_month),
        last["income_fen"],
        last["expenses_fen"],
        last["basic_deduction_fen"],
        last["months_counted"],
        last["other_deductions_fen"],
        last["taxable_fen"],
        last["rate"],
        last["quick_deduction_fen"],
        last["tax_due_fen"],
        last["withheld_fen"],
    ]


def technicians_paid(month: str) -> list[int]:
    year, number = _period(month)
    return list(
        db.session.scalars(
            select(TaxWithholding.technician_id)
            .where(TaxWithholding.year == year, TaxWithholding.month == number)
            .group_by(TaxWithholding.technician_id)
            .order_by(TaxWithholding.technician_id)
        )
    )


def quarter_of(period: str) -> tuple[int, int]:
    """(year, quarter) of "YYYY-Qn"; 422 naming `period` otherwise."""
    match = re.fullmatch(r"(\d{4})-Q([1-4])", period)
    if match is None:
        raise ValidationFailed("invalid period", errors=[field_error("period", "YYYY-Qn, n from 1 to 4", "path")])
    return int(match.group(1)), int(match.group(2))


def quarterly_report(year: int, quarter: int) -> str:
    """Every technician paid in the quarter (by month of payment): identity and income."""
    if not 1 <= quarter <= 4:
        raise ValidationFailed("invalid quarter", errors=[field_error("quarter", "1-4", "path")])
    months = (3 * quarter - 2, 3 * quarter)
    income_by = (
        select(
            TaxWithholding.technician_id,
            func.sum(TaxWithholding.income_fen).label("income"),
            func.sum(TaxWithholding.income_fen).filter(TaxWithholding.source == "pay").label("pay"),
            func.sum(TaxWithholding.tax_fen).label("tax"),
            func.count(func.distinct(TaxWithholding.record_id)).label("records"),
        )
        .where(TaxWithholding.year == year, TaxWithholding.month.between(*months))
        .group_by(TaxWithholding.technician_id)
        .order_by(TaxWithholding.technician_id)
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(QUARTERLY_COLUMNS)
    for row in db.session.execute(income_by):
        name, id_number, _, phone = _identity(row.technician_id)
        pay = int(row.pay or 0)
        orders = _orders_done(row.technician_id, year, months)
        writer.writerow(
            [
                f"{year}-Q{quarter}",
                row.technician_id,
                name,
                ID_TYPE,
                id_number,
                phone,
                int(row.income),
                pay,
                int(row.income) - pay,
                row.records,
                orders,
                int(row.tax),
                int(row.income) - int(row.tax),
            ]
        )
    return out.getvalue()


def _orders_done(technician_id, year, months) -> int:
    lines = db.session.scalars(
        select(DailyWorkRecord.lines)
        .join(TaxWithholding, TaxWithholding.record_id == DailyWorkRecord.id)
        .where(
            TaxWithholding.technician_id == technician_id,
            TaxWithholding.source == "pay",
            TaxWithholding.year == year,
            TaxWithholding.month.between(*months),
        )
    )
    return sum(1 for record_lines in lines for line in record_lines or () if line.get("order_id") is not None)
