"""Schemas of the tracking API (mobile uploads and consent, console live view and replay)."""

from apiflask import Schema, validators

from backend import fields
from backend.models.tracking import STATUSES
from geo.coords import COORD_SYSTEMS


class LocationBatchIn(Schema):
    # Items are checked one by one by the service: a bad fix is stored flagged, not refused.
    fixes = fields.List(
        fields.Dict(),
        required=True,
        validate=validators.Length(1, 1000),
        metadata={
            "description": "fixes: {id, time (epoch s or ms, or ISO 8601), lat, lon, coord_sys, accuracy, "
            "speed, heading, altitude, battery, is_mock}"
        },
    )


class RejectedOut(Schema):
    index = fields.Integer()
    id = fields.Raw(allow_none=True)
    reason = fields.String()


class LocationAckOut(Schema):
    accepted = fields.List(fields.String(), metadata={"description": "client ids stored (valid or flagged)"})
    flagged = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "id -> reason"})
    rejected = fields.List(fields.Nested(RejectedOut))


class ConsentIn(Schema):
    device = fields.String(load_default=None, validate=validators.Length(max=200))


class ConsentOut(Schema):
    granted = fields.Boolean()
    notice_version = fields.String(allow_none=True)
    granted_at = fields.DateTime(allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True)


class StatusIn(Schema):
    status = fields.String(required=True, validate=validators.OneOf(STATUSES))


class StatusOut(Schema):
    status = fields.String()
    at = fields.DateTime()


class LivePositionOut(Schema):
    technician_id = fields.Integer()
    name = fields.String(allow_none=True)
    online = fields.Boolean()
    status = fields.String(allow_none=True)
    lon = fields.Float()
    lat = fields.Float()
    t = fields.Float(metadata={"description": "fix time, epoch seconds"})
    accuracy = fields.Float(allow_none=True)
    speed = fields.Float(allow_none=True)
    heading = fields.Float(allow_none=True)
    battery = fields.Float(allow_none=True)


class LiveOut(Schema):
    items = fields.List(fields.Nested(LivePositionOut))


class NearestQuery(Schema):
    lon = fields.Float(required=True, validate=validators.Range(-180, 180))
    lat = fields.Float(required=True, validate=validators.Range(-90, 90))
    coord_sys = fields.String(load_default="wgs84", validate=validators.OneOf(COORD_SYSTEMS))
    radius_m = fields.Float(load_default=5000.0, validate=validators.Range(1, 50000))
    limit = fields.Integer(load_default=20, validate=validators.Range(1, 100))


class NearbyOut(LivePositionOut):
    distance_m = fields.Float(metadata={"description": "metres from the point asked"})


class NearestOut(Schema):
    items = fields.List(fields.Nested(NearbyOut))


class ReplayQuery(Schema):
    start = fields.DateTime(required=True, metadata={"description": "ISO 8601, with offset"})
    end = fields.DateTime(required=True)
    tolerance_m = fields.Float(load_default=5.0, validate=validators.Range(0, 500))


class ReplayOut(Schema):
    type = fields.String()
    geometry = fields.Dict(metadata={"description": "GeoJSON LineString (WGS-84)"})
    properties = fields.Dict(
        metadata={
            "description": "times (epoch s per vertex), distance_m, duration_s, points, vertices, events, flagged"
        }
    )


class DispatcherRegionsIn(Schema):
    region_ids = fields.List(fields.Integer(), required=True)


class DispatcherRegionsOut(Schema):
    user_id = fields.Integer()
    region_ids = fields.List(fields.Integer())
