"""Request and response schemas of work orders, offers, rate cards and webhooks.

The output schemas dump the rows themselves (one serializer per response shape: the API,
the console, the phones and the webhook payloads all use them). A value computed for one
answer only (a feed's distance, a new endpoint's secret) rides along with `With`.
"""

from decimal import Decimal

from apiflask import Schema, validators
from geoalchemy2.shape import to_shape
from marshmallow import ValidationError, missing, validates_schema

from backend import fields
from backend.models.orders import DISPATCH_MODES, ORDER_KINDS, ORDER_STATES, PRIORITIES
from backend.orders.transitions import allowed_from
from backend.shared_schemas import Page, PageQuery, coord_sys_field

SHA256 = validators.Regexp(r"^[0-9a-f]{64}$", error="must be a SHA-256 hex digest of an uploaded file")
MAX_BATCH = 1000


# --- output helpers ----------------------------------------------------------------------------


class With:
    """A row plus a few values computed for one answer; every other attribute is the row's."""

    def __init__(self, row, **extra):
        self._row = row
        self.__dict__.update(extra)

    def __getattr__(self, name):
        return getattr(self._row, name)


class Computed(fields.Field):
    """Mixin: the value is fn(row), not an attribute; the OpenAPI type is the field class's."""

    def __init__(self, fn, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._fn = fn

    def get_value(self, obj, attr, accessor=None, default=missing):
        return self._fn(obj)


class ComputedString(Computed, fields.String):
    pass


class ComputedDict(Computed, fields.Dict):
    pass


class ComputedStrings(Computed, fields.List):
    def __init__(self, fn, **kwargs):
        super().__init__(fn, fields.String(), **kwargs)


class OfRow(fields.Nested):
    """A nested object dumped from the row itself (a group of its columns)."""

    def get_value(self, obj, attr, accessor=None, default=missing):
        return obj


class GeoJSON(fields.Dict):
    """A stored geometry (Point, LineString) as a GeoJSON object with [lon, lat] positions."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        shape = to_shape(value)
        if shape.geom_type == "Point":
            return {"type": "Point", "coordinates": [shape.x, shape.y]}
        return {"type": shape.geom_type, "coordinates": [list(c) for c in shape.coords]}


class SkillNeed(Schema):
    code = fields.String(required=True, validate=validators.Length(1, 64))
    min_level = fields.Integer(load_default=1, validate=validators.Range(1, 5))


class TimeWindow(Schema):
    start = fields.AwareDateTime(required=True, default_timezone=None)
    end = fields.AwareDateTime(required=True, default_timezone=None)

    @validates_schema
    def _ordered(self, data, **_):
        if data["end"] <= data["start"]:
            raise ValidationError("must be after start", "end")


class OrderIn(Schema):
    client_ref = fields.String(required=True, validate=validators.Length(1, 64))
    kind = fields.String(required=True, validate=validators.OneOf(ORDER_KINDS))
    site_code = fields.String(load_default=None, validate=validators.Length(1, 64))
    location = fields.Raw(load_default=None, metadata={"description": "[lon, lat] or a GeoJSON Point, without a site"})
    coord_sys = coord_sys_field()
    region_id = fields.Integer(load_default=None, metadata={"description": "project orders without a location"})
    role = fields.String(load_default=None, validate=validators.Length(1, 64))
    skills = fields.List(fields.Nested(SkillNeed), load_default=list, validate=validators.Length(max=20))
    priority = fields.String(load_default="normal", validate=validators.OneOf(PRIORITIES))
    time_windows = fields.List(fields.Nested(TimeWindow), load_default=list, validate=validators.Length(max=10))
    sla_deadline = fields.AwareDateTime(load_default=None)
    standard_duration_min = fields.Integer(load_default=60, validate=validators.Range(1, 7 * 24 * 60))
    work_type = fields.String(required=True, validate=validators.Length(1, 64))
    description = fields.String(load_default=None, validate=validators.Length(max=5000))
    attachments = fields.List(fields.String(validate=SHA256), load_default=list, validate=validators.Length(max=20))
    dispatch_mode = fields.String(load_default="grab", validate=validators.OneOf(DISPATCH_MODES))
    publish = fields.Boolean(load_default=False, metadata={"description": "publish at once"})
    org_id = fields.Integer(load_default=None, metadata={"description": "a sub-account's order; default the caller's"})


class OrderBatchIn(Schema):
    orders = fields.List(fields.Dict(), required=True, validate=validators.Length(1, MAX_BATCH))


class OrderImportIn(Schema):
    file = fields.File(
        required=True,
        metadata={
            "description": (
                "CSV: client_ref,kind,work_type[,site_code,lon,lat,coord_sys,role,skills,priority,"
                "window_start,window_end,sla_deadline,standard_duration_min,description,dispatch_mode]; "
                "skills as code:level;code:level"
            )
        },
    )
    org_id = fields.Integer(load_default=None)
    publish = fields.Boolean(load_default=False)


class RepeatedOrDelimited(fields.DelimitedList):
    """A list in the query as ?x=a&x=b, ?x=a,b or both."""

    is_multiple = True

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list):  # repeated: join them, so errors count items across all
            value = self.delimiter.join(str(part) for part in value)
        return super()._deserialize(value, attr, data, **kwargs)


class OrderQuery(PageQuery):
    status = RepeatedOrDelimited(
        fields.String(validate=validators.OneOf(ORDER_STATES)),
        metadata={"description": "one state or several: ?status=published&status=offered or ?status=published,offered"},
    )
    kind = fields.String(validate=validators.OneOf(ORDER_KINDS))
    region_id = fields.Integer()
    site_id = fields.Integer()
    org_id = fields.Integer()
    created_from = fields.AwareDateTime()
    created_to = fields.AwareDateTime()
    sla_breached = fields.Boolean()
    sla_at_risk = fields.Boolean(
        metadata={"description": "due within 2 hours, not breached yet and not delivered (false: the others)"}
    )


class ReasonIn(Schema):
    reason = fields.String(required=True, validate=validators.Length(1, 500))


class OptionalReasonIn(Schema):
    reason = fields.String(load_default=None, validate=validators.Length(max=500))


class AcceptIn(OptionalReasonIn):
    rating = fields.Integer(load_default=None, validate=validators.Range(1, 5))


class RatingIn(Schema):
    rating = fields.Integer(required=True, validate=validators.Range(1, 5))


def _points(order) -> str | None:
    centi = order.points_centi
    return None if centi is None else str((Decimal(centi) / 100).quantize(Decimal("0.01")))


class PointsOut(Schema):
    """An order's points (dumped from the order)."""

    points = ComputedString(_points, allow_none=True, metadata={"description": "decimal string, 2 places"})
    points_centi = fields.Integer(allow_none=True, metadata={"description": "points * 100 (stored as an integer)"})
    rate_card = ComputedDict(lambda order: (order.points_breakdown or {}).get("rate_card"), allow_none=True)
    breakdown = ComputedDict(lambda order: order.points_breakdown or None, allow_none=True)


class OrderSkillOut(Schema):
    code = fields.String(attribute="skill_code")
    min_level = fields.Integer()


class OrderOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    client_ref = fields.String()
    kind = fields.String()
    status = fields.String()
    dispatch_mode = fields.String()
    site_id = fields.Integer(allow_none=True)
    location = GeoJSON(allow_none=True)
    region_id = fields.Integer(allow_none=True)
    role = fields.String(attribute="role_code", allow_none=True)
    skills = fields.List(fields.Nested(OrderSkillOut))
    priority = fields.String()
    time_windows = fields.List(fields.Dict())
    sla_deadline = fields.DateTime(allow_none=True)
    sla_breached_at = fields.DateTime(allow_none=True)
    standard_duration_min = fields.Integer()
    work_type = fields.String()
    description = fields.String(allow_none=True)
    attachments = fields.List(fields.String())
    technician_id = fields.Integer(allow_none=True)
    on_site_at = fields.DateTime(allow_none=True)
    on_site_minutes = fields.Integer(allow_none=True)
    delivery = fields.Dict(allow_none=True)
    quality_rating = fields.Integer(allow_none=True)
    points = OfRow(PointsOut)
    allowed_transitions = ComputedStrings(lambda order: allowed_from(order.kind, order.status))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    distance_m = fields.Float(
        allow_none=True, dump_default=None, metadata={"description": "feeds: from the position given"}
    )


class OrderPage(Page):
    items = fields.List(fields.Nested(OrderOut))


class BatchOut(Schema):
    created = fields.Integer()
    items = fields.List(fields.Nested(OrderOut))


class EventOut(Schema):
    id = fields.Integer()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    actor_kind = fields.String()
    actor_id = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    location = GeoJSON(allow_none=True)
    data = fields.Dict(allow_none=True)
    created_at = fields.DateTime()


class EventList(Schema):
    items = fields.List(fields.Nested(EventOut))


class OrderTrackQuery(Schema):
    tolerance_m = fields.Float(
        load_default=5.0, validate=validators.Range(0, 500), metadata={"description": "line simplification, metres"}
    )


class EvidenceOut(Schema):
    sha256 = fields.String(metadata={"description": "SHA-256 of the content: the file's name and its check"})
    content_type = fields.String(
        metadata={"description": "told by the file's bytes: image/jpeg, image/png, image/webp, application/pdf"}
    )
    size = fields.Integer(allow_none=True, metadata={"description": "bytes"})
    uploaded_at = fields.DateTime(allow_none=True)
    file_name = fields.String(metadata={"description": "the name the download is saved under"})
    url = fields.String(metadata={"description": "download (Content-Disposition: attachment)"})
    thumbnail_url = fields.String(allow_none=True, metadata={"description": "a small JPEG; null for a PDF"})


class EvidenceList(Schema):
    items = fields.List(fields.Nested(EvidenceOut))


# --- technicians -----------------------------------------------------------------------------


class FeedQuery(PageQuery):
    lon = fields.Float(validate=validators.Range(-180, 180))
    lat = fields.Float(validate=validators.Range(-90, 90))
    coord_sys = coord_sys_field()


class FixIn(Schema):
    """A location fix from the phone."""

    location = fields.Raw(required=True, metadata={"description": "[lon, lat] or a GeoJSON Point"})
    coord_sys = coord_sys_field()
    accuracy_m = fields.Float(required=True, validate=validators.Range(0, 100000))
    is_mock = fields.Boolean(load_default=False)


class DeliveryIn(Schema):
    evidence = fields.List(fields.String(validate=SHA256), load_default=list, validate=validators.Length(max=50))
    notes = fields.String(load_default=None, validate=validators.Length(max=5000))
    readings = fields.Dict(load_default=None, metadata={"description": 'measurements, e.g. {"voltage_v": 53.4}'})


class OfferOut(Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    mode = fields.String()
    state = fields.String()
    expires_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    order = fields.Nested(OrderOut, allow_none=True)


class OfferList(Schema):
    items = fields.List(fields.Nested(OfferOut))


# --- console ---------------------------------------------------------------------------------


class CandidateOut(Schema):
    technician_id = fields.Integer()
    distance_m = fields.Float(allow_none=True)
    load = fields.Integer()
    rating = fields.Float(allow_none=True)
    online = fields.Boolean()


class ExcludedOut(Schema):
    technician_id = fields.Integer()
    reasons = fields.List(fields.String())


class CandidatesOut(Schema):
    order_id = fields.Integer()
    candidates = fields.List(fields.Nested(CandidateOut))
    excluded = fields.List(fields.Nested(ExcludedOut))


class AssignIn(Schema):
    technician_id = fields.Integer(required=True)


class RateCardIn(Schema):
    org_id = fields.Integer(required=True)
    terms = fields.Dict(required=True, metadata={"description": "see backend/services/orders_points.py"})


class RateCardOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    version = fields.Integer()
    terms = fields.Dict()
    created_at = fields.DateTime()


class RateCardList(Schema):
    items = fields.List(fields.Nested(RateCardOut))


# --- webhooks --------------------------------------------------------------------------------


class WebhookEndpointIn(Schema):
    url = fields.URL(required=True, schemes={"http", "https"}, require_tld=False)
    events = fields.List(
        fields.String(validate=validators.Length(1, 64)), required=True, validate=validators.Length(1, 50)
    )
    org_id = fields.Integer(load_default=None)


class WebhookEndpointOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    url = fields.String()
    events = fields.List(fields.String())
    secret = fields.String(metadata={"description": "shown once, at creation"})
    created_at = fields.DateTime()


class WebhookEndpointList(Schema):
    items = fields.List(fields.Nested(WebhookEndpointOut))


class DeliveryQuery(PageQuery):
    state = fields.String(validate=validators.OneOf(("pending", "delivered", "dead")))
    org_id = fields.Integer()


class WebhookDeliveryOut(Schema):
    id = fields.Integer()
    message_id = fields.String()
    endpoint_id = fields.Integer()
    org_id = fields.Integer()
    event = fields.String()
    state = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class WebhookDeliveryPage(Page):
    items = fields.List(fields.Nested(WebhookDeliveryOut))
