"""Request and response schemas of daily work records, their confirmations, work items and teams."""

from apiflask import Schema, fields, validators
from marshmallow import ValidationError, validates_schema

from backend.models.records import RECORD_STATES, TEAM_CHANGES, WORK_UNITS
from backend.shared_schemas import Page, PageQuery

MAX_ITEMS = 1000
MAX_DISPUTED_ORDERS = 500
POINTS = validators.Range(min=0, max=1_000_000)


def _places(places):
    def check(value):
        if value.as_tuple().exponent < -places:
            raise ValidationError(f"at most {places} decimal places")

    return check


def _decimal(places, *, validate, **kwargs):
    """An exact decimal (a string, or a number in JSON); more decimal places are refused, never rounded."""
    return fields.Decimal(as_string=True, allow_nan=False, validate=[validate, _places(places)], **kwargs)


class ConfirmationOut(Schema):
    party = fields.String()
    decision = fields.String()
    reason = fields.String(allow_none=True)
    disputed_order_ids = fields.List(fields.Integer())
    channel = fields.String()
    at = fields.DateTime()
    record_digest = fields.String()
    key_id = fields.String()
    signature = fields.String(
        metadata={"description": "Ed25519 over canonical JSON of record_digest, party, decision, at"}
    )


class RecordSummaryOut(Schema):
    """The record without its lines: what lists and the `work_record.ready` webhook carry."""

    id = fields.Integer()
    org_id = fields.Integer()
    technician_id = fields.Integer()
    work_date = fields.Date()
    version = fields.Integer()
    supersedes_id = fields.Integer(allow_none=True)
    state = fields.String()
    points = fields.Decimal(as_string=True)
    pay_fen = fields.Integer()
    fee_fen = fields.Integer()
    shares_fen = fields.Integer()
    insurance_fen = fields.Integer()
    client_total_fen = fields.Integer()
    digest = fields.String()
    created_at = fields.DateTime()
    client_deadline = fields.DateTime()
    finalized_at = fields.DateTime(allow_none=True)


class RecordOut(RecordSummaryOut):
    lines = fields.List(fields.Dict())
    shares = fields.List(fields.Dict())
    rate_card_versions = fields.List(fields.Dict())
    adjustment = fields.Dict(allow_none=True)
    confirmations = fields.List(fields.Nested(ConfirmationOut))
    superseded_by_id = fields.Integer(allow_none=True)
    finalization_refused = fields.Dict(
        allow_none=True,
        metadata={"description": "both sides confirmed but the ledger refused to post (e.g. unfunded): the problem"},
    )


class RecordPage(Page):
    items = fields.List(fields.Nested(RecordSummaryOut))


class RecordQuery(PageQuery):
    work_date = fields.Date(load_default=None)
    technician_id = fields.Integer(load_default=None, validate=validators.Range(min=1))
    org_id = fields.Integer(load_default=None, validate=validators.Range(min=1))
    state = fields.String(load_default=None, validate=validators.OneOf(RECORD_STATES))


class MobileRecordQuery(PageQuery):
    work_date = fields.Date(load_default=None)
    state = fields.String(load_default=None, validate=validators.OneOf(RECORD_STATES))


class DisputeIn(Schema):
    reason = fields.String(required=True, validate=validators.Length(1, 1000))
    order_ids = fields.List(
        fields.Integer(validate=validators.Range(min=1)),
        load_default=list,
        validate=validators.Length(max=MAX_DISPUTED_ORDERS),
    )


class RerateIn(Schema):
    order_id = fields.Integer(required=True, validate=validators.Range(min=1))
    points = _decimal(2, required=True, validate=POINTS)


class AdjustIn(Schema):
    reason = fields.String(required=True, validate=validators.Length(1, 1000))
    remove_order_ids = fields.List(fields.Integer(validate=validators.Range(min=1)), load_default=list)
    remove_item_ids = fields.List(fields.Integer(validate=validators.Range(min=1)), load_default=list)
    rerate = fields.List(fields.Nested(RerateIn), load_default=list)


class WorkItemIn(Schema):
    technician_id = fields.Integer(required=True, validate=validators.Range(min=1))
    work_date = fields.Date(required=True)
    work_type = fields.String(required=True, validate=validators.Length(1, 64))
    quantity = _decimal(3, required=True, validate=validators.Range(min=0, min_inclusive=False, max=100_000))
    unit = fields.String(load_default=None, validate=validators.OneOf(WORK_UNITS))
    client_ref = fields.String(required=True, validate=validators.Length(1, 64))
    note = fields.String(load_default=None, validate=validators.Length(max=500))


class WorkItemBatchIn(Schema):
    org_id = fields.Integer(load_default=None, metadata={"description": "a sub-account; default: the caller's"})
    items = fields.List(fields.Nested(WorkItemIn), required=True, validate=validators.Length(1, MAX_ITEMS))


class WorkItemCsvIn(Schema):
    file = fields.File(required=True)
    org_id = fields.Integer(load_default=None)


class WorkItemOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    technician_id = fields.Integer()
    work_date = fields.Date()
    work_type = fields.String()
    quantity = fields.Decimal(as_string=True)
    unit = fields.String()
    points_per_unit = fields.Decimal(as_string=True)
    points = fields.Decimal(as_string=True)
    rate_card_id = fields.Integer(allow_none=True)
    client_ref = fields.String()
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class WorkItemBatchOut(Schema):
    created = fields.Integer()
    replayed = fields.Integer()
    items = fields.List(fields.Nested(WorkItemOut))


class MobileTeamChangeIn(Schema):
    """A technician's own request (the technician is the caller)."""

    change = fields.String(required=True, validate=validators.OneOf(TEAM_CHANGES))
    leader_id = fields.Integer(load_default=None, validate=validators.Range(min=1))
    reason = fields.String(load_default=None, validate=validators.Length(max=500))

    @validates_schema
    def _leader_for_join(self, data, **_):
        if data.get("change") == "join" and data.get("leader_id") is None:
            raise ValidationError("required to join a team", "leader_id")
        if data.get("change") == "leave" and data.get("leader_id") is not None:
            raise ValidationError("must be empty to leave a team", "leader_id")


class TeamChangeIn(MobileTeamChangeIn):
    technician_id = fields.Integer(required=True, validate=validators.Range(min=1))


class TeamDecisionIn(Schema):
    note = fields.String(load_default=None, validate=validators.Length(max=500))


class TeamChangeOut(Schema):
    id = fields.Integer()
    technician_id = fields.Integer()
    change = fields.String()
    leader_id = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    state = fields.String()
    requested_by_id = fields.Integer()
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class TeamChangePage(Page):
    items = fields.List(fields.Nested(TeamChangeOut))


class TeamChangeQuery(PageQuery):
    state = fields.String(load_default=None, validate=validators.OneOf(("pending", "approved", "rejected")))
