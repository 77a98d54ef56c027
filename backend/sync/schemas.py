"""Request and response schemas of the offline-first sync."""

from apiflask import Schema, fields, validators
from marshmallow import ValidationError, validates_schema

from backend.hints.schemas import HintOut
from backend.models.sync import OFFLINE_WRITE_TYPES
from backend.orders.schemas import DeliveryIn, FixIn, OfferOut, OrderOut

NEEDS_FIX = ("check_in", "check_out", "deliver")
MAX_WRITES = 100


class SyncQuery(Schema):
    since = fields.String(
        load_default=None,
        validate=validators.Length(max=64),
        metadata={"description": "the cursor of the previous sync; absent: everything in hand"},
    )


class SyncOut(Schema):
    orders = fields.List(fields.Nested(OrderOut), metadata={"description": "my orders changed since the cursor"})
    offers = fields.List(
        fields.Nested(OfferOut), metadata={"description": "open offers, and those closed since (drop them)"}
    )
    hints = fields.List(fields.Nested(HintOut), metadata={"description": "hints of orders in hand, new since"})
    cursor = fields.String(metadata={"description": "pass as ?since= next time"})
    full = fields.Boolean(metadata={"description": "true when this answer is the whole state, not changes"})


class OfflineWriteIn(Schema):
    client_id = fields.String(
        required=True,
        validate=validators.Length(1, 64),
        metadata={"description": "made by the phone, unique per write: a re-upload is applied once"},
    )
    type = fields.String(required=True, validate=validators.OneOf(OFFLINE_WRITE_TYPES))
    order_id = fields.Integer(required=True, validate=validators.Range(1, 2**31 - 1))
    recorded_at = fields.AwareDateTime(
        required=True, metadata={"description": "when it happened on the phone (with its UTC offset)"}
    )
    fix = fields.Nested(FixIn, metadata={"description": "the fix recorded with it (check-in, check-out, delivery)"})
    delivery = fields.Nested(DeliveryIn)
    readings = fields.Dict(metadata={"description": 'measurements, e.g. {"voltage_v": 53.4}'})

    @validates_schema
    def _parts(self, data, **kwargs):
        kind = data.get("type")
        if kind in NEEDS_FIX and "fix" not in data:
            raise ValidationError("a recorded fix is required", field_name="fix")
        if kind == "deliver" and "delivery" not in data:
            raise ValidationError("the delivery is required", field_name="delivery")
        if kind == "readings" and not data.get("readings"):
            raise ValidationError("readings are required", field_name="readings")


class OfflineBatchIn(Schema):
    writes = fields.List(fields.Nested(OfflineWriteIn), required=True, validate=validators.Length(1, MAX_WRITES))


class WriteResult(Schema):
    client_id = fields.String()
    outcome = fields.String(metadata={"enum": ["accepted", "refused"]})
    duplicate = fields.Boolean(metadata={"description": "uploaded before: this is the stored answer"})
    order_id = fields.Integer()
    order_status = fields.String()
    recorded_at = fields.String()
    problem = fields.Dict(
        metadata={"description": "why it was refused (a problem detail: detail, errors, distance_m...)"}
    )


class OfflineBatchOut(Schema):
    results = fields.List(fields.Nested(WriteResult))
