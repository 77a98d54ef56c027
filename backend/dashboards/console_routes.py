"""The dispatcher's KPI dashboard (GET /api/console/v1/kpis), scoped like the other console routes."""

from zoneinfo import available_timezones

from apiflask import Schema, fields, validators

from backend.accounts.auth import current_actor, requires
from backend.blueprints import console
from backend.dashboards.kpi import dispatcher_kpis

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
    points_today = fields.Float(metadata={"description": "points of the orders verified today"})
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
