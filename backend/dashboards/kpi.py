"""A dispatcher's KPIs over the regions they manage (everything, for platform admins).

Each figure is scoped exactly like the console lists behind it: orders through the one order
search (backend/orders/search.py), technicians through workforce scoping. "Today" is the
calendar day in the time zone the console asks for (the dispatcher's), as a UTC interval, except
for today's points and pay: those are each client's current work day (its time zone, its 23:59
cut-off), priced by the money core exactly as that day's daily work records will be.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import distinct_on

from backend.accounts.actor import Actor
from backend.extensions import db
from backend.models import Order, OrderEvent, Organization, Technician, TechnicianEvent
from backend.models.base import utcnow
from backend.money.records import priced_orders_so_far
from backend.orders.search import OrderFilter, search_orders
from backend.tracking.presence import online_technician_ids
from backend.workforce.scoping import managed_technician_ids

OPEN_STATES = ("published", "offered", "assigned", "accepted", "en_route", "on_site")
BUSY = ("en_route", "on_site")


@dataclass(frozen=True)
class Day:
    """A local calendar day as a UTC interval [start, end)."""

    start: datetime
    end: datetime

    @classmethod
    def today(cls, tz: str, now: datetime | None = None) -> "Day":
        zone = ZoneInfo(tz)
        local = (now or utcnow()).astimezone(zone).date()
        start = datetime.combine(local, time.min, tzinfo=zone)
        return cls(start, start + timedelta(days=1))


def _count(stmt: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def order_figures(actor: Actor) -> dict:
    """Open orders, the late ones (SLA breached) and those at risk (due soon, not delivered)."""
    open_orders = OrderFilter(statuses=OPEN_STATES)
    return {
        "orders_open": _count(search_orders(actor, open_orders)),
        "orders_late": _count(search_orders(actor, OrderFilter(statuses=OPEN_STATES, sla_breached=True))),
        "orders_at_risk": _count(search_orders(actor, OrderFilter(sla_at_risk=True))),
    }


def latest_statuses(technician_ids: set[int] | None) -> dict[int, str]:
    """Each approved technician's newest shift status (off_shift when none was ever recorded)."""
    newest = (
        select(TechnicianEvent.technician_id, TechnicianEvent.value)
        .where(TechnicianEvent.kind == "status")
        .ext(distinct_on(TechnicianEvent.technician_id))
        .order_by(TechnicianEvent.technician_id, TechnicianEvent.at.desc(), TechnicianEvent.id.desc())
    )
    ids = select(Technician.id)
    if technician_ids is not None:
        newest = newest.where(TechnicianEvent.technician_id.in_(technician_ids))
        ids = ids.where(Technician.id.in_(technician_ids))
    statuses = dict(db.session.execute(newest).all())
    return {tid: statuses.get(tid, "off_shift") for tid in db.session.scalars(ids)}


def technician_figures(actor: Actor) -> dict:
    """Online (heartbeat), on shift, idle, and utilisation = busy / on shift (None with nobody on shift)."""
    statuses = latest_statuses(managed_technician_ids(actor))
    online = set(online_technician_ids()) & set(statuses)
    on_shift = [s for s in statuses.values() if s != "off_shift"]
    busy = sum(1 for s in on_shift if s in BUSY)
    return {
        "technicians_online": len(online),
        "technicians_on_shift": len(on_shift),
        "technicians_idle": sum(1 for s in on_shift if s == "idle"),
        "utilisation": round(busy / len(on_shift), 4) if on_shift else None,
    }


def _first_event_at(to_status: str):
    return (
        select(OrderEvent.order_id, func.min(OrderEvent.created_at).label("at"))
        .where(OrderEvent.to_status == to_status)
        .group_by(OrderEvent.order_id)
        .subquery()
    )


def response_seconds(actor: Actor, day: Day) -> float | None:
    """Average seconds from publishing to the first claim/acceptance, for orders accepted that day."""
    orders = search_orders(actor, OrderFilter()).with_only_columns(Order.id).subquery()
    published, accepted = _first_event_at("published"), _first_event_at("accepted")
    stmt = (
        select(func.avg(func.extract("epoch", accepted.c.at - published.c.at)))
        .select_from(orders)
        .join(published, published.c.order_id == orders.c.id)
        .join(accepted, accepted.c.order_id == orders.c.id)
        .where(accepted.c.at >= day.start, accepted.c.at < day.end)
    )
    value = db.session.scalar(stmt)
    return None if value is None else round(float(value), 1)


def checkin_on_time_rate(actor: Actor, day: Day) -> float | None:
    """Of the orders checked in that day with a deadline (SLA, else their latest window end), the
    share checked in by it."""
    due = func.coalesce(Order.sla_deadline, Order.window_end)
    base = search_orders(actor, OrderFilter()).where(
        Order.on_site_at >= day.start, Order.on_site_at < day.end, due.is_not(None)
    )
    total = _count(base)
    if not total:
        return None
    return round(_count(base.where(Order.on_site_at <= due)) / total, 4)


def todays_work(actor: Actor, now: datetime | None = None) -> list[dict]:
    """The orders in the actor's regions verified in their client's current work day, each with
    its points and pay (integer fen) as the day's record will have them; newest last."""
    now = now or utcnow()
    # A verified order of anyone's today was updated within the last two days: a cheap bound.
    visible = search_orders(actor, OrderFilter(statuses=("verified",))).where(
        Order.updated_at >= now - timedelta(days=2)
    )
    ids = set(db.session.scalars(visible.with_only_columns(Order.id)))
    if not ids:
        return []
    orgs = db.session.scalars(
        select(Organization).where(Organization.id.in_(visible.with_only_columns(Order.org_id).distinct()))
    )
    rows = [
        _work_row(org, technician_id, line)
        for org in orgs
        for technician_id, line in priced_orders_so_far(org, now)
        if line["order_id"] in ids
    ]
    return sorted(rows, key=lambda r: (r["verified_at"], r["order_id"]))


def _work_row(org: Organization, technician_id: int, line: dict) -> dict:
    return {
        "order_id": line["order_id"],
        "org_id": org.id,
        "timezone": org.timezone,
        "technician_id": technician_id,
        "work_type": line["work_type"],
        "verified_at": line["verified_at"],
        "points": line["points"],
        "pay_fen": line["pay_fen"],
    }


def dispatcher_kpis(actor: Actor, tz: str, now: datetime | None = None) -> dict:
    """Every figure of the dispatcher's dashboard, for the local day `tz` says it is."""
    day = Day.today(tz, now)
    work = todays_work(actor, now)
    return {
        **order_figures(actor),
        **technician_figures(actor),
        "avg_response_s": response_seconds(actor, day),
        "checkin_on_time_rate": checkin_on_time_rate(actor, day),
        "points_today": float(sum(w["points"] for w in work)),
        "pay_today_fen": sum(w["pay_fen"] for w in work),
        "day_start": day.start,
        "day_end": day.end,
    }
