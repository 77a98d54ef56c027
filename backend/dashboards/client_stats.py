"""A client's figures for the portal's charts, aggregated in SQL over its organizations (its own
and its sub-accounts', or one of them): orders per local day by status, on-time rate and SLA
breaches per region, cost per day and per region (from the daily work records' lines, superseded
versions left out), average points per verified order and the quality ratings. Days are the
client's local calendar days (its organization's time zone)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from backend.extensions import db


@dataclass(frozen=True)
class Span:
    """Local days [first, last] of a client in its time zone, and the UTC instants around them."""

    first: date
    last: date
    tz: str

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=ZoneInfo(self.tz))

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=ZoneInfo(self.tz))


def _rows(sql: str, **params) -> list[dict]:
    return [dict(row._mapping) for row in db.session.execute(text(sql), params)]


def orders_per_day(org_ids: list[int], span: Span) -> list[dict]:
    return _rows(
        """
        SELECT to_char(created_at AT TIME ZONE :tz, 'YYYY-MM-DD') AS day, status, count(*) AS orders
        FROM orders WHERE org_id = ANY(:orgs) AND created_at >= :start AND created_at < :end
        GROUP BY 1, 2 ORDER BY 1, 2
        """,
        orgs=org_ids,
        tz=span.tz,
        start=span.start,
        end=span.end,
    )


def sla_per_region(org_ids: list[int], span: Span) -> list[dict]:
    """Orders with an SLA that are done or breached: how many, how many on time, how many late."""
    rows = _rows(
        """
        SELECT o.region_id, r.name AS region,
               count(*) AS due,
               count(*) FILTER (WHERE o.sla_breached_at IS NULL) AS on_time,
               count(*) FILTER (WHERE o.sla_breached_at IS NOT NULL) AS breached
        FROM orders o LEFT JOIN regions r ON r.id = o.region_id
        WHERE o.org_id = ANY(:orgs) AND o.sla_deadline IS NOT NULL
          AND o.created_at >= :start AND o.created_at < :end
          AND (o.sla_breached_at IS NOT NULL OR o.status IN ('delivered', 'verified'))
        GROUP BY 1, 2 ORDER BY 1 NULLS LAST
        """,
        orgs=org_ids,
        start=span.start,
        end=span.end,
    )
    return [row | {"on_time_rate": round(row["on_time"] / row["due"], 4)} for row in rows]


LINE_COST = """(coalesce((line->>'pay_fen')::bigint, 0) + coalesce((line->>'fee_fen')::bigint, 0)
    + coalesce((line->>'insurance_fen')::bigint, 0)
    + coalesce((SELECT sum((s->>'amount_fen')::bigint) FROM jsonb_array_elements(line->'shares') s), 0))"""


def cost_per_day(org_ids: list[int], span: Span) -> list[dict]:
    """What the client owes per work day (pay, fee, shares, premiums), in fen."""
    return _rows(
        """
        SELECT to_char(work_date, 'YYYY-MM-DD') AS day,
               sum(pay_fen + fee_fen + shares_fen + insurance_fen)::bigint AS cost_fen
        FROM daily_work_records
        WHERE org_id = ANY(:orgs) AND state <> 'superseded' AND work_date BETWEEN :first AND :last
        GROUP BY 1 ORDER BY 1
        """,
        orgs=org_ids,
        first=span.first,
        last=span.last,
    )


def cost_per_region(org_ids: list[int], span: Span) -> list[dict]:
    """The records' order lines priced per region of their order (work items have no region)."""
    return _rows(
        f"""
        SELECT o.region_id, r.name AS region, sum({LINE_COST})::bigint AS cost_fen
        FROM daily_work_records d
        CROSS JOIN LATERAL jsonb_array_elements(d.lines) AS line
        JOIN orders o ON o.id = (line->>'order_id')::int
        LEFT JOIN regions r ON r.id = o.region_id
        WHERE d.org_id = ANY(:orgs) AND d.state <> 'superseded' AND d.work_date BETWEEN :first AND :last
          AND line->>'kind' = 'order'
        GROUP BY 1, 2 ORDER BY 1 NULLS LAST
        """,
        orgs=org_ids,
        first=span.first,
        last=span.last,
    )


def quality(org_ids: list[int], span: Span) -> dict:
    """Average points per verified order, average rating, and how many orders got each rating."""
    [row] = _rows(
        """
        SELECT count(*) FILTER (WHERE status = 'verified') AS verified,
               round(avg(points_centi) FILTER (WHERE status = 'verified') / 100.0, 2) AS avg_points,
               round(avg(quality_rating), 2) AS avg_rating
        FROM orders WHERE org_id = ANY(:orgs) AND created_at >= :start AND created_at < :end
        """,
        orgs=org_ids,
        start=span.start,
        end=span.end,
    )
    ratings = _rows(
        """
        SELECT quality_rating AS rating, count(*) AS orders FROM orders
        WHERE org_id = ANY(:orgs) AND quality_rating IS NOT NULL AND created_at >= :start AND created_at < :end
        GROUP BY 1 ORDER BY 1
        """,
        orgs=org_ids,
        start=span.start,
        end=span.end,
    )
    return row | {"ratings": ratings}


def client_stats(org_ids: list[int], span: Span) -> dict:
    return {
        "first_day": span.first,
        "last_day": span.last,
        "timezone": span.tz,
        "orders_per_day": orders_per_day(org_ids, span),
        "sla_per_region": sla_per_region(org_ids, span),
        "cost_per_day": cost_per_day(org_ids, span),
        "cost_per_region": cost_per_region(org_ids, span),
        "quality": quality(org_ids, span),
    }
