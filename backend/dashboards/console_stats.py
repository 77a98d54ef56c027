"""A dispatcher's chart figures over the regions they manage (everything, for platform admins),
aggregated in SQL over the one order search, so a chart counts exactly the orders the console's
lists show: orders per local day by status, and per region the orders with an SLA that are done
or breached, how many on time, the on-time rate. Days are calendar days in the time zone the
console asks for (the dispatcher's)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from backend.accounts.actor import Actor
from backend.extensions import db
from backend.models import Region
from backend.models.base import utcnow
from backend.orders.search import OrderFilter, search_orders

DONE = ("delivered", "verified")


def _days(tz: str, days: int, now: datetime | None) -> tuple[date, datetime, datetime]:
    """(first local day, its start, the end of today) as UTC-aware instants."""
    zone = ZoneInfo(tz)
    today = (now or utcnow()).astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time.min, tzinfo=zone)
    return first, start, datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)


def _orders(actor: Actor, start: datetime, end: datetime):
    return search_orders(actor, OrderFilter(created_from=start, created_to=end)).subquery()


def orders_per_day(actor: Actor, tz: str, start: datetime, end: datetime) -> list[dict]:
    orders = _orders(actor, start, end)
    day = func.to_char(func.timezone(tz, orders.c.created_at), "YYYY-MM-DD").label("day")
    rows = db.session.execute(
        select(day, orders.c.status, func.count().label("orders")).group_by(day, orders.c.status).order_by(day)
    )
    return [dict(r._mapping) for r in rows]


def sla_per_region(actor: Actor, start: datetime, end: datetime) -> list[dict]:
    """Orders with an SLA that are done or breached: how many, how many on time, the rate."""
    orders = _orders(actor, start, end)
    breached = orders.c.sla_breached_at.is_not(None)
    rows = db.session.execute(
        select(
            orders.c.region_id,
            Region.name.label("region"),
            func.count().label("due"),
            func.count().filter(~breached).label("on_time"),
            func.count().filter(breached).label("breached"),
        )
        .outerjoin(Region, Region.id == orders.c.region_id)
        .where(orders.c.sla_deadline.is_not(None), breached | orders.c.status.in_(DONE))
        .group_by(orders.c.region_id, Region.name)
        .order_by(orders.c.region_id)
    )
    return [dict(r._mapping) | {"on_time_rate": round(r.on_time / r.due, 4)} for r in rows]


def console_stats(actor: Actor, tz: str, days: int, now: datetime | None = None) -> dict:
    first, start, end = _days(tz, days, now)
    return {
        "first_day": first,
        "timezone": tz,
        "orders_per_day": orders_per_day(actor, tz, start, end),
        "sla_per_region": sla_per_region(actor, start, end),
    }
