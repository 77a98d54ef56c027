"""Request and response schemas of route plans (the output schemas dump the plan rows)."""

from apiflask import Schema, validators

import dispatch
from backend import fields
from backend.orders.schemas import Computed, GeoJSON
from backend.planning.compare import plan_figures
from backend.shared_schemas import PageQuery

FIELD_POLICIES = tuple(name for name in dispatch.POLICIES if name != "distance")


class PlanIn(Schema):
    region_id = fields.Integer(required=True)
    policy = fields.String(load_default="urgent-first", validate=validators.OneOf(FIELD_POLICIES))
    time_limit_s = fields.Integer(load_default=10, validate=validators.Range(1, 300))
    horizon_hours = fields.Integer(load_default=10, validate=validators.Range(1, 24))
    seed = fields.Integer(load_default=0, validate=validators.Range(0, 2**31 - 1))
    previous_plan_id = fields.Integer(
        load_default=None, metadata={"description": "re-plan: warm-start from this plan, keep pinned stops"}
    )


class PlanQuery(PageQuery):
    region_id = fields.Integer()


class StopOut(Schema):
    order_id = fields.Integer()
    seq = fields.Integer()
    eta = fields.DateTime()
    arrival_at = fields.DateTime()
    end_at = fields.DateTime()
    wait_s = fields.Integer()
    slack_s = fields.Integer()
    lateness_s = fields.Integer()
    pinned = fields.Boolean()


class RouteOut(Schema):
    technician_id = fields.Integer()
    start_at = fields.DateTime()
    end_at = fields.DateTime()
    travel_m = fields.Integer()
    travel_s = fields.Integer()
    geometry = GeoJSON(attribute="geom", metadata={"description": "GeoJSON LineString, straight lines"})
    stops = fields.List(fields.Nested(StopOut))


class UnassignedOut(Schema):
    order_id = fields.Integer()
    reason = fields.String()
    detail = fields.String()


class PlanSummaryOut(Schema):
    id = fields.Integer()
    region_id = fields.Integer()
    status = fields.String()
    policy = fields.String()
    time_limit_s = fields.Integer()
    stage = fields.String(allow_none=True)
    stats = fields.Dict()
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class ComputedList(Computed, fields.List):
    pass


class PlanOut(PlanSummaryOut):
    technicians = ComputedList(
        plan_figures,
        fields.Dict(),
        metadata={
            "description": "per technician with a route: stops, order_ids, travel_m, travel_s, work_s, wait_s, "
            "lateness_s, late_stops, utilisation (busy / shift), start_at, end_at"
        },
    )
    routes = fields.List(fields.Nested(RouteOut), metadata={"description": "per technician: stops with ETAs"})
    unassigned = fields.List(fields.Nested(UnassignedOut), metadata={"description": "orders left out, with why"})
    published = fields.List(fields.Dict(), metadata={"description": "publish only: the stops assigned"})
    skipped = fields.List(fields.Dict(), metadata={"description": "publish only: the stops skipped, with why"})


class PlanPage(Schema):
    items = fields.List(fields.Nested(PlanSummaryOut))
    next_cursor = fields.String(allow_none=True)


class CompareQuery(Schema):
    against = fields.Integer(
        load_default=None,
        validate=validators.Range(min=1),
        metadata={"description": "another plan of the region; default: the one this plan would replace"},
    )


class PlanComparisonOut(Schema):
    plan_id = fields.Integer()
    current_plan_id = fields.Integer(allow_none=True, metadata={"description": "null: nothing published yet"})
    moved = fields.List(
        fields.Dict(),
        metadata={
            "description": "{order_id, from_technician_id, to_technician_id, eta_before, eta_after, "
            "lateness_before_s, lateness_after_s, why, detail}"
        },
    )
    newly_assigned = fields.List(
        fields.Dict(),
        metadata={"description": "{order_id, technician_id, eta, why: new_order|was_unassigned|already_held, detail}"},
    )
    dropped = fields.List(
        fields.Dict(),
        metadata={
            "description": "{order_id, from_technician_id, why (the solver's stored reason or not_open), detail}"
        },
    )
    technicians = fields.List(
        fields.Dict(), metadata={"description": "{technician_id, before, after, delta}: figures as in PlanOut"}
    )
    totals = fields.Dict(metadata={"description": "stops, travel_m, lateness_s, unassigned: {before, after, delta}"})
