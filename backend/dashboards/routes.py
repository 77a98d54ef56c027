"""The client's chart figures (GET /api/v1/stats), scoped like the rest of the client API."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from apiflask import Schema, fields, validators
from marshmallow import ValidationError, validates_schema

from backend.accounts.auth import current_actor, requires
from backend.accounts.tenancy import org_subtree_ids, require_org_in_reach
from backend.blueprints import SECURITY, api
from backend.dashboards.client_stats import Span, client_stats
from backend.errors import Forbidden
from backend.extensions import db
from backend.models import Organization
from backend.models.base import utcnow

MAX_DAYS = 366


class StatsQuery(Schema):
    first_day = fields.Date(load_default=None, metadata={"description": "local date; default 29 days before last_day"})
    last_day = fields.Date(load_default=None, metadata={"description": "local date; default today"})
    org_id = fields.Integer(
        load_default=None, validate=validators.Range(min=1), metadata={"description": "one sub-account"}
    )

    @validates_schema
    def _ordered(self, data, **_):
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and first > last:
            raise ValidationError("must not be after last_day", "first_day")
        if first and last and (last - first).days >= MAX_DAYS:
            raise ValidationError(f"at most {MAX_DAYS} days", "first_day")


class StatsOut(Schema):
    first_day = fields.Date()
    last_day = fields.Date()
    timezone = fields.String()
    orders_per_day = fields.List(fields.Dict(), metadata={"description": "{day, status, orders}"})
    sla_per_region = fields.List(
        fields.Dict(), metadata={"description": "{region_id, region, due, on_time, breached, on_time_rate}"}
    )
    cost_per_day = fields.List(fields.Dict(), metadata={"description": "{day, cost_fen}"})
    cost_per_region = fields.List(fields.Dict(), metadata={"description": "{region_id, region, cost_fen}"})
    quality = fields.Dict(metadata={"description": "{verified, avg_points, avg_rating, ratings: [{rating, orders}]}"})


@api.get("/stats")
@requires("orders:read")
@api.input(StatsQuery, location="query", arg_name="query")
@api.output(StatsOut)
@api.doc(summary="Figures for charts: orders, SLA, cost, points and ratings", tags=["stats"], security=SECURITY)
def stats(query):
    """Orders per day by status, on-time rate and breaches per region, cost per day and region,
    average points and ratings, over my organizations (or one sub-account), in my time zone."""
    actor = current_actor()
    if actor.is_platform or actor.org_id is None:
        raise Forbidden("client figures are read by clients; platform staff use the console's KPIs")
    org = db.session.get(Organization, actor.org_id)
    if query["org_id"] is not None:
        require_org_in_reach(query["org_id"])
    org_ids = org_subtree_ids(query["org_id"] or actor.org_id)
    last = query["last_day"] or utcnow().astimezone(ZoneInfo(org.timezone)).date()
    first = query["first_day"] or last - timedelta(days=29)
    if (last - first).days >= MAX_DAYS:
        first = last - timedelta(days=MAX_DAYS - 1)
    return client_stats(org_ids, Span(first, last, org.timezone))
