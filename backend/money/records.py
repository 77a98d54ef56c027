"""Closing a client's day: at 23:59 in the client organization's time zone, one daily work record
per technician with verified work (orders verified in the day, work items uploaded for it).

The day D of a client runs from 23:59 local on D-1 to 23:59 local on D: an order verified at
23:59:30 falls into D+1. Closing is idempotent: the (org, day) row in work_day_closes says the day
is closed and a second close writes nothing (an advisory lock serializes concurrent closes of one
client). Records are priced by backend/money/daily.py under the rate-card version of each order
(and of each work item) and announced to the client by the `work_record.ready` webhook and to
each technician by a `daily_record` push (the notification outbox, sent after the commit).

Services never commit: the job, the CLI or the request owns the transaction.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, tuple_

from backend.errors import Conflict, NotFound, field_error
from backend.extensions import db
from backend.models import DailyWorkRecord, Order, OrderEvent, Organization, RateCard, WorkDayClose, WorkItem
from backend.models.base import utcnow
from backend.money import daily, teams
from backend.money.pay import points_from_centi
from backend.money.record_schemas import RecordSummaryOut
from backend.money.terms import MoneyTerms, money_terms
from backend.notifications.outbox import notify_technicians
from backend.orders.points import card_for
from backend.webhooks.outbox import queue_events

CUTOFF = time(23, 59)
CLOSE_LOCK = 11_008
READY_EVENT = "work_record.ready"
PUSH_KIND = "daily_record"
DEFAULT_CARD = daily.CardRef(None, None, None)


@dataclass(frozen=True)
class DayClose:
    org_id: int
    work_date: date
    records: int
    already_closed: bool


# --- the client's day ----------------------------------------------------------------------------


def cutoff_utc(timezone: str, work_date: date) -> datetime:
    """23:59 local on the work date, in UTC."""
    return datetime.combine(work_date, CUTOFF, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def day_window(timezone: str, work_date: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the client's work day: from the previous cut-off to this one."""
    return cutoff_utc(timezone, work_date - timedelta(days=1)), cutoff_utc(timezone, work_date)


def work_date_of(timezone: str, moment: datetime) -> date:
    """The work day a moment belongs to (after the 23:59 cut-off: the next day)."""
    local = moment.astimezone(ZoneInfo(timezone))
    return local.date() + timedelta(days=1) if local.time() >= CUTOFF else local.date()


def last_closable_day(timezone: str, now: datetime) -> date:
    """The latest day whose cut-off has passed at `now`."""
    return work_date_of(timezone, now) - timedelta(days=1)


def due_closes(now: datetime | None = None) -> list[tuple[int, date]]:
    """(client org, day) pairs whose day has ended and is not closed yet."""
    now = now or utcnow()
    clients = db.session.execute(select(Organization.id, Organization.timezone).where(Organization.kind == "client"))
    wanted = [(org_id, last_closable_day(timezone, now)) for org_id, timezone in clients]
    if not wanted:
        return []
    closed = set(
        db.session.execute(
            select(WorkDayClose.org_id, WorkDayClose.work_date).where(
                tuple_(WorkDayClose.org_id, WorkDayClose.work_date).in_(wanted)
            )
        ).all()
    )
    return [pair for pair in wanted if pair not in closed]


# --- closing a day ----------------------------------------------------------------------------------


def close_day(org_id: int, work_date: date, now: datetime | None = None) -> DayClose:
    """Write the day's records for one client (nothing if the day was closed before)."""
    now = now or utcnow()
    org = db.session.get(Organization, org_id)
    if org is None or org.kind != "client":
        raise NotFound("organization", errors=[field_error("org_id", "no such client organization")])
    cutoff = cutoff_utc(org.timezone, work_date)
    if now < cutoff:
        raise Conflict(
            f"{work_date} has not ended for this client: it closes at 23:59 {org.timezone} ({cutoff.isoformat()})",
            errors=[field_error("date", "the day has not ended")],
        )
    db.session.execute(select(func.pg_advisory_xact_lock(CLOSE_LOCK, org_id)))
    if db.session.get(WorkDayClose, (org_id, work_date)) is not None:
        return DayClose(org_id, work_date, 0, True)
    bodies = day_bodies(org, work_date)
    rows = insert_records(bodies, now, confirm_window(org_id))
    db.session.add(WorkDayClose(org_id=org_id, work_date=work_date, closed_at=now, record_count=len(rows)))
    db.session.flush()
    announce(org_id, rows)
    return DayClose(org_id, work_date, len(rows), False)


def day_bodies(org: Organization, work_date: date) -> list[dict]:
    """The content of each technician's record for the day, priced line by line."""
    start, end = day_window(org.timezone, work_date)
    orders = verified_orders(org.id, start, end)
    items = day_items(org.id, work_date)
    cards = card_terms({w.card.id for _, w in orders} | {w.card.id for _, w in items})
    leaders = teams.uplines({t for t, _ in orders} | {t for t, _ in items})
    lines: dict[int, list[dict]] = {}
    for technician_id, work in orders:
        terms = cards.get(work.card.id, MoneyTerms())
        lines.setdefault(technician_id, []).append(daily.order_line(work, terms, leaders.get(technician_id, ())))
    for technician_id, work in items:
        terms = cards.get(work.card.id, MoneyTerms())
        lines.setdefault(technician_id, []).append(daily.item_line(work, terms, leaders.get(technician_id, ())))
    return [
        daily.content(org_id=org.id, technician_id=technician_id, work_date=work_date, version=1, lines=tech_lines)
        for technician_id, tech_lines in sorted(lines.items())
    ]


def verified_orders(org_id: int, start: datetime, end: datetime) -> list[tuple[int, daily.OrderWork]]:
    """(technician, order work) for the client's orders verified in [start, end)."""
    rows = db.session.execute(
        select(
            Order.id,
            Order.technician_id,
            Order.work_type,
            Order.points_centi,
            RateCard.id,
            RateCard.org_id,
            RateCard.version,
            OrderEvent.created_at,
        )
        .join(OrderEvent, (OrderEvent.order_id == Order.id) & (OrderEvent.to_status == "verified"))
        .outerjoin(RateCard, RateCard.id == Order.rate_card_id)
        .where(
            Order.org_id == org_id,
            Order.status == "verified",
            Order.technician_id.is_not(None),
            OrderEvent.created_at >= start,
            OrderEvent.created_at < end,
        )
        .order_by(Order.id)
    ).all()
    return [
        (
            technician_id,
            daily.OrderWork(
                order_id, work_type, points_from_centi(centi or 0), verified_at, daily.CardRef(card_id, card_org, ver)
            ),
        )
        for order_id, technician_id, work_type, centi, card_id, card_org, ver, verified_at in rows
    ]


def priced_orders_so_far(org: Organization, now: datetime) -> list[tuple[int, dict]]:
    """(technician, priced line) of the client's orders verified so far in its current work day,
    priced as that day's records will price them (the console's "today's pay" reads this)."""
    orders = verified_orders(org.id, *day_window(org.timezone, work_date_of(org.timezone, now)))
    cards = card_terms({w.card.id for _, w in orders})
    return [(tech, daily.order_line(w, cards.get(w.card.id, MoneyTerms()), ())) for tech, w in orders]


def day_items(org_id: int, work_date: date) -> list[tuple[int, daily.ItemWork]]:
    rows = db.session.execute(
        select(WorkItem, RateCard.org_id, RateCard.version)
        .outerjoin(RateCard, RateCard.id == WorkItem.rate_card_id)
        .where(WorkItem.org_id == org_id, WorkItem.work_date == work_date)
        .order_by(WorkItem.id)
    ).all()
    return [
        (
            item.technician_id,
            daily.ItemWork(
                item.id,
                item.client_ref,
                item.work_type,
                item.quantity,
                item.unit,
                item.points_per_unit,
                item.points,
                daily.CardRef(item.rate_card_id, card_org, version) if item.rate_card_id else DEFAULT_CARD,
            ),
        )
        for item, card_org, version in rows
    ]


def card_terms(card_ids: set[int | None]) -> dict[int, MoneyTerms]:
    ids = [card_id for card_id in card_ids if card_id is not None]
    if not ids:
        return {}
    return {
        card.id: money_terms(card.terms) for card in db.session.scalars(select(RateCard).where(RateCard.id.in_(ids)))
    }


def confirm_window(org_id: int) -> timedelta:
    """The client's window to confirm a record, from its current rate card (default 72 h)."""
    card = card_for(org_id)
    return timedelta(hours=money_terms(card.terms if card else None).confirm_window_hours)


# --- writing records ------------------------------------------------------------------------------


def insert_records(bodies: list[dict], now: datetime, window: timedelta) -> list[dict]:
    """Insert the records (one statement for all); returns their rows, each with its new `id`.
    Only ids come back: re-reading thousands of JSONB documents would double the work."""
    if not bodies:
        return []
    rows = [record_row(body, now, now + window) for body in bodies]
    ids = db.session.scalars(
        insert(DailyWorkRecord).returning(DailyWorkRecord.id, sort_by_parameter_order=True), rows
    ).all()
    return [row | {"id": record_id} for row, record_id in zip(rows, ids, strict=True)]


def record_row(body: dict, created_at: datetime, deadline: datetime) -> dict:
    sealed_digest, plain = daily.seal(body)  # the digest, and exactly what it covers as JSONB keeps it
    return {
        "org_id": body["org_id"],
        "technician_id": body["technician_id"],
        "work_date": body["work_date"],
        "version": body["version"],
        "supersedes_id": body["supersedes_id"],
        "state": "pending_confirmation",
        "lines": plain["lines"],
        "points": body["points"],
        "pay_fen": body["pay_fen"],
        "fee_fen": body["fee_fen"],
        "shares_fen": body["shares_fen"],
        "insurance_fen": body["insurance_fen"],
        "shares": plain["shares"],
        "rate_card_versions": plain["rate_card_versions"],
        "adjustment": plain["adjustment"],
        "digest": sealed_digest,
        "created_at": created_at,
        "client_deadline": deadline,
    }


def record_body(record: DailyWorkRecord) -> dict:
    """The content a stored record's digest covers (to verify it, or to derive a new version)."""
    return {
        "org_id": record.org_id,
        "technician_id": record.technician_id,
        "work_date": record.work_date,
        "version": record.version,
        "supersedes_id": record.supersedes_id,
        "lines": record.lines,
        "points": record.points,
        "pay_fen": record.pay_fen,
        "fee_fen": record.fee_fen,
        "shares_fen": record.shares_fen,
        "insurance_fen": record.insurance_fen,
        "shares": record.shares,
        "rate_card_versions": record.rate_card_versions,
        "adjustment": record.adjustment,
    }


def announce(org_id: int, rows: list[dict]):
    """Tell the client's webhook endpoints and each technician's phone that records wait for
    their confirmation (a push per record version: a corrected version pushes again)."""
    if rows:
        summary = RecordSummaryOut()
        payloads = (summary.dump(row | {"client_total_fen": client_total(row)}) for row in rows)
        queue_events(org_id, READY_EVENT, payloads)  # dumped only if an endpoint wants the event
        notify_technicians(PUSH_KIND, [push_notice(row) for row in rows])


def push_notice(row: dict) -> tuple[int, dict, str]:
    """(technician, data, dedupe key): the app fetches the record by id over REST."""
    data = {"record_id": row["id"], "work_date": row["work_date"].isoformat(), "version": row["version"]}
    return row["technician_id"], data, f"{PUSH_KIND}:{row['id']}"


def client_total(row: dict) -> int:
    return row["pay_fen"] + row["fee_fen"] + row["shares_fen"] + row["insurance_fen"]


def client_ids() -> list[int]:
    return list(
        db.session.scalars(select(Organization.id).where(Organization.kind == "client").order_by(Organization.id))
    )
