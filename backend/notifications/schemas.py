"""Request and response schemas of devices, notifications and notification preferences."""

from zoneinfo import available_timezones

from apiflask import Schema, fields, validators

from backend.models.notifications import DEVICE_PLATFORMS, NOTIFICATION_STATES, PUSH_PROVIDERS
from backend.notifications.kinds import KINDS
from backend.shared_schemas import Page


class DeviceIn(Schema):
    platform = fields.String(required=True, validate=validators.OneOf(DEVICE_PLATFORMS))
    provider = fields.String(
        load_default="jpush",
        validate=validators.OneOf(PUSH_PROVIDERS),
        metadata={"description": "jpush (the aggregator: phone makers' channels in China, APNs) or fcm"},
    )
    push_token = fields.String(
        required=True,
        validate=validators.Length(1, 512),
        metadata={"description": "the provider's registration id / FCM token"},
    )
    app_version = fields.String(required=True, validate=validators.Length(1, 32))


class DeviceOut(Schema):
    id = fields.Integer()
    platform = fields.String()
    provider = fields.String()
    app_version = fields.String()
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime()


class DeviceList(Schema):
    items = fields.List(fields.Nested(DeviceOut))


class NotificationOut(Schema):
    id = fields.Integer()
    technician_id = fields.Integer()
    kind = fields.String()
    urgent = fields.Boolean()
    data = fields.Dict(metadata={"description": "the ids to fetch the current state over REST"})
    state = fields.String(metadata={"enum": list(NOTIFICATION_STATES)})
    attempts = fields.Integer()
    results = fields.List(fields.Dict(), metadata={"description": "each device's (and the SMS's) answer"})
    held_until = fields.DateTime(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    acknowledged_at = fields.DateTime(allow_none=True)
    sms_due_at = fields.DateTime(allow_none=True)
    sms_sent_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class NotificationPage(Page):
    items = fields.List(fields.Nested(NotificationOut))


class NotificationQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validators.Range(1, 200))
    cursor = fields.String(load_default=None, validate=validators.Regexp(r"^\d{1,12}$", error="must be a cursor"))


class PreferencesIn(Schema):
    time_zone = fields.String(
        validate=validators.OneOf(sorted(available_timezones()), error="must be an IANA time zone")
    )
    quiet_start = fields.Time(allow_none=True, metadata={"description": "local time, e.g. 22:00"})
    quiet_end = fields.Time(allow_none=True, metadata={"description": "local time, e.g. 07:00"})
    muted_kinds = fields.List(
        fields.String(validate=validators.OneOf(sorted(KINDS))),
        validate=validators.Length(max=len(KINDS)),
        metadata={"description": "kinds not pushed; urgent and safety messages always are"},
    )


class PreferencesOut(Schema):
    time_zone = fields.String()
    quiet_start = fields.Time(allow_none=True)
    quiet_end = fields.Time(allow_none=True)
    muted_kinds = fields.List(fields.String())
