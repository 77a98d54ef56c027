"""Request and response schemas of work hints and the site history on an order."""

from apiflask import Schema, fields, validators

WORK_TYPE = validators.Regexp(r"^[a-z0-9_\-]{1,64}$", error="must be a work type code (a-z, 0-9, _ or -)")
TEXT = validators.Length(1, 500)


class SparePartIn(Schema):
    name = fields.String(required=True, validate=validators.Length(1, 200))
    quantity = fields.Integer(load_default=1, validate=validators.Range(1, 10_000))


class HintIn(Schema):
    procedure = fields.List(
        fields.String(validate=TEXT),
        required=True,
        validate=validators.Length(1, 100),
        metadata={"description": "the steps in order; numbered on output"},
    )
    tools = fields.List(
        fields.String(validate=validators.Length(1, 200)), load_default=list, validate=validators.Length(max=100)
    )
    spare_parts = fields.List(fields.Nested(SparePartIn), load_default=list, validate=validators.Length(max=100))
    safety_notes = fields.List(fields.String(validate=TEXT), load_default=list, validate=validators.Length(max=50))


class ConsoleHintQuery(Schema):
    org_id = fields.Integer(load_default=None, metadata={"description": "a client's hint; absent: the platform's own"})


class HintOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer(allow_none=True, metadata={"description": "null: the platform's hint"})
    work_type = fields.String()
    version = fields.Integer()
    procedure = fields.Method(
        "numbered",
        metadata={
            "type": "array",
            "items": {"type": "object", "properties": {"step": {"type": "integer"}, "text": {"type": "string"}}},
            "description": "numbered steps, from 1",
        },
    )
    tools = fields.List(fields.String())
    spare_parts = fields.List(fields.Dict())
    safety_notes = fields.List(fields.String())
    created_at = fields.DateTime()

    def numbered(self, hint):
        return [{"step": i, "text": text} for i, text in enumerate(hint.procedure, start=1)]


class HintAnswer(Schema):
    hint = fields.Nested(HintOut, allow_none=True, metadata={"description": "null when nobody keeps one"})


class HintVersions(Schema):
    items = fields.List(fields.Nested(HintOut))


class EvidenceRef(Schema):
    sha256 = fields.String()
    thumbnail_url = fields.String()


class VisitOut(Schema):
    order_id = fields.Integer()
    work_type = fields.String()
    status = fields.String()
    delivered_at = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    readings = fields.Dict()
    evidence = fields.List(fields.Nested(EvidenceRef))
    technician = fields.String(metadata={"description": "masked to the first name"})
    quality_rating = fields.Integer(allow_none=True)


class OrderHintsOut(HintAnswer):
    site_history = fields.List(fields.Nested(VisitOut), metadata={"description": "newest first"})
