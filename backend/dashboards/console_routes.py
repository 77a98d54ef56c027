"""The dispatcher's KPI dashboard (GET /api/console/v1/kpis), the list behind today's points and pay,
and the dashboard's chart figures, scoped like the other console routes."""

from decimal import Decimal
from zoneinfo import available_timezones

from apiflask import Schema, fields, validators

from backend.accounts.auth import current_actor, requires
from backend.blueprints import console
from backend.dashboards.console_stats import console_stats
from backend.dashboards.kpi import dispatcher_kpis, todays_work

SECURITY = [{"BearerAuth": []}]


class KpiQuery(Schema):
    tz = fields.String(
        load_default="Asia/Shanghai",
        validate=validators.OneOf(sorted(available_timezones()), error="must be an IANA time zone"),
        metadata={"description": "the time zone whose calendar day is 'today'"},
    )


class KpiOut(Schema):
    orders_open = fields.Integer()
    orders_late = fields.Integer(metadata={"description": "open and past their SLA"})
    orders_at_risk = fields.Integer(metadata={"description": "due within the at-risk window, not delivered"})
    technicians_online = fields.Integer()
    technicians_on_shift = fields.Integer()
    technicians_idle = fields.Integer()
    utilisation = fields.Float(allow_none=True, metadata={"description": "en route or on site / on shift"})
    avg_response_s = fields.Float(allow_none=True, metadata={"description": "publish → claim, orders claimed today"})
    checkin_on_time_rate = fields.Float(allow_none=True, metadata={"description": "check-ins today by their deadline"})
    points_today = fields.Float(metadata={"description": "points of the orders verified in their client's work day"})
    pay_today_fen = fields.Integer(
        metadata={"description": "technicians' pay for those orders, integer fen, as the daily records price it"}
    )
    day_start = fields.AwareDateTime()
    day_end = fields.AwareDateTime()


@console.get("/kpis")
@requires("orders:dispatch")
@console.input(KpiQuery, location="query", arg_name="query")
@console.output(KpiOut)
@console.doc(summary="KPIs of my regions (all, for platform admins)", tags=["dashboards"], security=SECURITY)
def kpis(query):
    """Orders open / late / at risk, technicians online / on shift / idle, utilisation, response
    time, check-in on-time rate and today's points, over the regions the caller manages."""
    return dispatcher_kpis(current_actor(), query["tz"])


class TodayWorkOut(Schema):
    items = fields.List(
        fields.Dict(),
        metadata={
            "description": "{order_id, org_id, timezone, technician_id, work_type, verified_at, points, pay_fen}"
        },
    )
    points = fields.String(metadata={"description": "sum, a decimal string with 2 places"})
    pay_fen = fields.Integer(metadata={"description": "sum, integer fen"})


@console.get("/kpis/today-work")
@requires("orders:dispatch")
@console.output(TodayWorkOut)
@console.doc(summary="The orders behind today's points and pay", tags=["dashboards"], security=SECURITY)
def today_work():
    """Orders of my regions verified in their client's current work day (its time zone, cut-off
    23:59), each with its points and pay as the day's daily work record will price them."""
    items = todays_work(current_actor())
    return {
        "items": [i | {"points": str(i["points"])} for i in items],
        "points": str(sum((i["points"] for i in items), Decimal("0.00"))),
        "pay_fen": sum(i["pay_fen"] for i in items),
    }


class ConsoleStatsQuery(KpiQuery):
    days = fields.Integer(load_default=14, validate=validators.Range(1, 92), metadata={"description": "local days"})


class ConsoleStatsOut(Schema):
    first_day = fields.Date()
    timezone = fields.String()
    orders_per_day = fields.List(fields.Dict(), metadata={"description": "{day, status, orders}"})
    sla_per_region = fields.List(
        fields.Dict(), metadata={"description": "{region_id, region, due, on_time, breached, on_time_rate}"}
    )


@console.get("/stats")
@requires("orders:dispatch")
@console.input(ConsoleStatsQuery, location="query", arg_name="query")
@console.output(ConsoleStatsOut)
@console.doc(summary="Chart figures of my regions", tags=["dashboards"], security=SECURITY)
def stats(query):
    """Orders per local day by status and on-time rate per region, over the regions I manage
    (all, for platform admins), the last `days` days in time zone `tz`."""
    return console_stats(current_actor(), query["tz"], query["days"])
