"""What clients, technicians and the console read about money: balances, transactions, the
monthly statement, earnings. Reads only; amounts are integer fen; times leave in the reader's
time zone where a human reads them (statements), as UTC ISO 8601 elsewhere."""

import base64
import binascii
import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select

from backend.errors import ValidationFailed, field_error
from backend.extensions import db
from backend.models import DailyWorkRecord, LedgerAccount, LedgerTransfer, Organization
from backend.models.settlement import CreditLimit, RecordPosting, TaxWithholding
from backend.money import ledger
from backend.money.accounts import Kind, Owner

# ---------------------------------------------------------------- balances


def org_balance(org: Organization) -> dict:
    """A client's funds as it sees them: balance (posted), reserved (pending reservations),
    available (balance - reserved + unused credit), and its credit limit."""
    accounts = _org_accounts([org.id]).get(org.id, {})
    funds, line = accounts.get(Kind.FUNDS), accounts.get(Kind.CREDIT_LINE)
    limit = db.session.scalar(select(CreditLimit.limit_fen).where(CreditLimit.org_id == org.id)) or 0
    balance = funds.posted if funds else 0
    reserved = funds.pending if funds else 0
    unused = line.available if line else 0
    return {
        "org_id": org.id,
        "name": org.name,
        "parent_id": org.parent_id,
        "balance_fen": balance,
        "reserved_fen": reserved,
        "available_fen": balance - reserved + unused,
        "credit_limit_fen": limit,
        "credit_used_fen": limit - unused,
        "account_id": funds.id if funds else None,
    }


def _org_accounts(org_ids) -> dict[int, dict[Kind, ledger.Account]]:
    rows = db.session.scalars(
        select(LedgerAccount.id).where(
            LedgerAccount.owner_type == Owner.ORGANIZATION.value, LedgerAccount.owner_id.in_(list(org_ids))
        )
    ).all()
    found: dict[int, dict[Kind, ledger.Account]] = {}
    for account in ledger.get_accounts(db.session, rows).values():
        found.setdefault(account.owner_id, {})[Kind(account.kind)] = account
    return found


def funds_overview(orgs: list[Organization]) -> dict:
    items = [org_balance(org) for org in orgs]
    totals = {key: sum(i[key] for i in items) for key in ("balance_fen", "reserved_fen", "available_fen")}
    return {"items": items, "totals": totals}


# ---------------------------------------------------------------- transactions


def _decode_seq(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        prefix, value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split(":", 1)
        if prefix != "seq":
            raise ValueError(prefix)
        return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationFailed(
            "invalid cursor", errors=[field_error("cursor", "not a cursor this API issued", "query")]
        ) from None


def _encode_seq(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def transfer_out(t, account_ids: set[int] | None = None) -> dict:
    status = "pending" if t.pending else ("voided" if t.void_pending else "posted")
    out = {
        "seq": t.seq,
        "id": t.id,
        "code": t.code,
        "amount_fen": t.amount,
        "debit_account_id": t.debit_account_id,
        "credit_account_id": t.credit_account_id,
        "status": status,
        "pending_id": t.pending_id,
        "reference": t.reference,
        "journal_id": str(t.journal_id),
        "created_at": t.created_at.astimezone(UTC).isoformat(),
    }
    if account_ids is not None:
        out["direction"] = "in" if t.credit_account_id in account_ids else "out"
    return out


def transfers_page(account_ids: set[int] | None, *, cursor=None, limit=50, code=None, reference=None) -> dict:
    """Transfers touching the accounts (every transfer when None), oldest first, by seq cursor."""
    stmt = select(LedgerTransfer).where(LedgerTransfer.seq > _decode_seq(cursor))
    if account_ids is not None:
        ids = list(account_ids)
        stmt = stmt.where(or_(LedgerTransfer.debit_account_id.in_(ids), LedgerTransfer.credit_account_id.in_(ids)))
    if code:
        stmt = stmt.where(LedgerTransfer.code == code)
    if reference:
        stmt = stmt.where(LedgerTransfer.reference == reference)
    rows = list(db.session.scalars(stmt.order_by(LedgerTransfer.seq).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [transfer_out(t, account_ids) for t in rows],
        "next_cursor": _encode_seq(rows[-1].seq) if more else None,
    }


def client_account_ids(org_ids) -> set[int]:
    """The funds accounts of these organizations (what clients see move)."""
    return set(
        db.session.scalars(
            select(LedgerAccount.id).where(
                LedgerAccount.owner_type == Owner.ORGANIZATION.value,
                LedgerAccount.owner_id.in_(list(org_ids)),
                LedgerAccount.kind == Kind.FUNDS.value,
            )
        )
    )


def account_out(account: ledger.Account) -> dict:
    return {
        "id": account.id,
        "kind": account.kind,
        "owner_type": account.owner_type,
        "owner_id": account.owner_id,
        "currency": account.currency,
        "debits_posted": account.debits_posted,
        "debits_pending": account.debits_pending,
        "credits_posted": account.credits_posted,
        "credits_pending": account.credits_pending,
        "balance_fen": account.posted,
        "pending_fen": account.pending,
        "available_fen": account.available,
        "flags": {
            "debits_must_not_exceed_credits": account.debits_must_not_exceed_credits,
            "credits_must_not_exceed_debits": account.credits_must_not_exceed_debits,
        },
    }


# ---------------------------------------------------------------- monthly statement (CSV)

STATEMENT_COLUMNS = (
    "organization_id",
    "organization",
    "local_time",
    "transfer_id",
    "code",
    "reference",
    "debit_fen",
    "credit_fen",
    "balance_fen",
)


def month_bounds(month: str, zone: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC of a YYYY-MM month in a time zone."""
    try:
        year, number = (int(part) for part in month.split("-"))
        start = date(year, number, 1)
    except ValueError:
        raise ValidationFailed("invalid month", errors=[field_error("month", "YYYY-MM", "path")]) from None
    end = date(year + number // 12, number % 12 + 1, 1)
    tz = ZoneInfo(zone)
    return (
        datetime.combine(start, datetime.min.time(), tz).astimezone(UTC),
        datetime.combine(end, datetime.min.time(), tz).astimezone(UTC),
    )


def statement_csv(orgs: list[Organization], month: str, zone: str) -> str:
    """Posted movements of each organization's funds in the month (its time zone), with the
    opening balance, a running balance and the closing balance."""
    start, end = month_bounds(month, zone)
    tz = ZoneInfo(zone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STATEMENT_COLUMNS)
    for org in orgs:
        account_id = next(iter(client_account_ids([org.id])), None)
        balance = _posted_balance(account_id, before=start) if account_id else 0
        writer.writerow(
            [org.id, org.name, start.astimezone(tz).isoformat(), "", "opening_balance", "", "", "", balance]
        )
        for t in _posted_movements(account_id, start, end) if account_id else ():
            incoming = t.credit_account_id == account_id
            balance += t.amount if incoming else -t.amount
            writer.writerow(
                [
                    org.id,
                    org.name,
                    t.created_at.astimezone(tz).isoformat(),
                    t.id,
                    t.code,
                    t.reference or "",
                    "" if incoming else t.amount,
                    t.amount if incoming else "",
                    balance,
                ]
            )
        writer.writerow([org.id, org.name, end.astimezone(tz).isoformat(), "", "closing_balance", "", "", "", balance])
    return out.getvalue()


def _posted(stmt):
    # Posted movements: single transfers and posts of pending ones (pending and voids move nothing posted).
    return stmt.where(LedgerTransfer.pending.is_(False), LedgerTransfer.void_pending.is_(False))


def _posted_balance(account_id: int, *, before: datetime) -> int:
    signed = case((LedgerTransfer.credit_account_id == account_id, LedgerTransfer.amount), else_=-LedgerTransfer.amount)
    stmt = select(func.coalesce(func.sum(signed), 0)).where(
        or_(LedgerTransfer.debit_account_id == account_id, LedgerTransfer.credit_account_id == account_id),
        LedgerTransfer.created_at < before,
    )
    return int(db.session.scalar(_posted(stmt)))


def _posted_movements(account_id: int, start: datetime, end: datetime):
    stmt = select(LedgerTransfer).where(
        or_(LedgerTransfer.debit_account_id == account_id, LedgerTransfer.credit_account_id == account_id),
        LedgerTransfer.created_at >= start,
        LedgerTransfer.created_at < end,
    )
    return db.session.scalars(_posted(stmt).order_by(LedgerTransfer.seq))


# ---------------------------------------------------------------- technicians' earnings


def earnings(technician_id: int, month: str) -> dict:
    """Per day (work date) and for the month: gross (own pay + shares received), tax withheld,
    net, shares received, each finalized record with its breakdown."""
    first, _ = month_bounds(month, "UTC")
    last = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    rows = db.session.execute(
        select(TaxWithholding, DailyWorkRecord)
        .join(DailyWorkRecord, DailyWorkRecord.id == TaxWithholding.record_id)
        .where(
            TaxWithholding.technician_id == technician_id,
            and_(DailyWorkRecord.work_date >= first.date(), DailyWorkRecord.work_date < last),
        )
        .order_by(DailyWorkRecord.work_date, DailyWorkRecord.id)
    ).all()
    days: dict[date, dict] = {}
    for withholding, record in rows:
        day = days.setdefault(record.work_date, _empty_day(record.work_date))
        _add_income(day, withholding, record)
    month_totals = _empty_day(None)
    for day in days.values():
        for key in ("pay_fen", "shares_received_fen", "gross_fen", "tax_withheld_fen", "net_fen"):
            month_totals[key] += day[key]
    month_totals.pop("date")
    month_totals.pop("records")
    return {"month": month, "technician_id": technician_id, "totals": month_totals, "days": list(days.values())}


def _empty_day(day) -> dict:
    return {
        "date": day.isoformat() if day else None,
        "pay_fen": 0,
        "shares_received_fen": 0,
        "gross_fen": 0,
        "tax_withheld_fen": 0,
        "net_fen": 0,
        "records": [],
    }


def _add_income(day, withholding, record):
    own = withholding.source == "pay"
    day["pay_fen" if own else "shares_received_fen"] += withholding.income_fen
    day["gross_fen"] += withholding.income_fen
    day["tax_withheld_fen"] += withholding.tax_fen
    day["net_fen"] += withholding.income_fen - withholding.tax_fen
    day["records"].append(
        {
            "record_id": record.id,
            "version": record.version,
            "org_id": record.org_id,
            "source": withholding.source,
            "member_technician_id": None if own else record.technician_id,
            "income_fen": withholding.income_fen,
            "tax_withheld_fen": withholding.tax_fen,
            "net_fen": withholding.income_fen - withholding.tax_fen,
            "tax": withholding.cumulative,
            "lines": record.lines if own else [],
            "shares": [s for s in record.shares or () if int(s["technician_id"]) == withholding.technician_id],
        }
    )


def posting_of(record_id: int) -> RecordPosting | None:
    return db.session.get(RecordPosting, record_id)
