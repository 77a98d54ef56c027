"""Schemas of the workforce API: onboarding (mobile), technicians and decisions (console)."""

from apiflask import Schema, validators
from marshmallow import ValidationError, validates_schema

from backend import fields
from backend.accounts.schemas import PASSWORD_RULE
from backend.models.workforce import CERT_KINDS, EQUIPMENT, MAX_SKILL_LEVEL, PAYOUT_KINDS, PROFILE_STATES
from backend.shared_schemas import Page, PageQuery

CODE_RULE = validators.Regexp(r"^[a-z][a-z0-9_]{1,63}$", error="lower-case letters, digits and _ (2-64)")
SHA256_RULE = validators.Regexp(r"^[0-9a-f]{64}$", error="a SHA-256 hex digest (64 lower-case hex characters)")
NOTE = fields.String(load_default=None, validate=validators.Length(max=500))
SELF_CERT_KINDS = ("equipment", "health_certificate", "insurance")


def _sha256(**kwargs):
    return fields.String(validate=SHA256_RULE, **kwargs)


# --- mobile: account ------------------------------------------------------------------------


class SmsCodeIn(Schema):
    phone = fields.String(required=True, validate=validators.Length(max=20))
    purpose = fields.String(load_default="register", validate=validators.OneOf(("register",)))


class SmsCodeOut(Schema):
    sent = fields.Boolean()
    expires_in = fields.Integer(metadata={"description": "seconds the code stays valid"})


class RegisterIn(Schema):
    phone = fields.String(required=True, validate=validators.Length(max=20))
    code = fields.String(required=True, validate=validators.Regexp(r"^\d{6}$", error="six digits"))
    password = fields.String(required=True, validate=PASSWORD_RULE)
    name = fields.String(required=True, validate=validators.Length(1, 120), metadata={"description": "display name"})


class PhoneLoginIn(Schema):
    phone = fields.String(required=True, validate=validators.Length(max=20))
    password = fields.String(required=True, validate=validators.Length(max=128))


# --- mobile: onboarding -----------------------------------------------------------------------


class DateOrLongTerm(fields.String):
    """A date, or "long_term" (a card valid without end, 长期), loaded as None."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "long_term":
            return None
        return fields.Date()._deserialize(value, attr, data, **kwargs)


class IdentityIn(Schema):
    legal_name = fields.String(required=True, validate=validators.Length(1, 120))
    id_number = fields.String(
        required=True, validate=validators.Length(max=32), metadata={"description": "resident ID (GB 11643-1999)"}
    )
    id_photo_sha256 = _sha256(load_default=None, metadata={"description": "from POST /files"})
    id_valid_from = fields.Date(load_default=None, metadata={"description": "the card's 有效期限 start"})
    id_valid_to = DateOrLongTerm(
        load_default=None, metadata={"description": "the card's 有效期限 end: YYYY-MM-DD, or long_term (长期)"}
    )

    @validates_schema(pass_original=True)
    def _validity_together(self, data, original, **kwargs):
        missing = [key for key in ("id_valid_from", "id_valid_to") if (original or {}).get(key) is None]
        if len(missing) == 1:
            raise ValidationError("send id_valid_from and id_valid_to together", missing[0])


class PayoutIn(Schema):
    kind = fields.String(required=True, validate=validators.OneOf(PAYOUT_KINDS))
    account = fields.String(
        required=True, validate=validators.Length(1, 64), metadata={"description": "card number or Alipay account"}
    )
    bank_name = fields.String(load_default=None, validate=validators.Length(max=120))


class RoleChoiceIn(Schema):
    role = fields.String(required=True, validate=validators.Length(1, 64), metadata={"description": "role code"})


class RoleChangeIn(RoleChoiceIn):
    reason = fields.String(load_default=None, validate=validators.Length(max=500))


class SignIn(Schema):
    version = fields.Integer(required=True)
    text_sha256 = _sha256(required=True, metadata={"description": "SHA-256 of the exact text shown to the signer"})
    device = fields.String(required=True, validate=validators.Length(1, 200))


class SkillIn(Schema):
    skill = fields.String(required=True, validate=validators.Length(1, 64), metadata={"description": "skill code"})
    level = fields.Integer(required=True, validate=validators.Range(1, MAX_SKILL_LEVEL))
    certificate_no = fields.String(load_default=None, validate=validators.Length(max=64))
    issuer = fields.String(load_default=None, validate=validators.Length(max=120))
    valid_from = fields.Date(load_default=None)
    valid_until = fields.Date(load_default=None)
    evidence_sha256 = _sha256(load_default=None)


class RegionRequestIn(Schema):
    region_id = fields.Integer(required=True)


class CertificationIn(Schema):
    kind = fields.String(required=True, validate=validators.OneOf(CERT_KINDS))
    score = fields.Integer(load_default=None, validate=validators.Range(0, 100))
    years = fields.Integer(load_default=None, validate=validators.Range(0, 60))
    item = fields.String(load_default=None, validate=validators.OneOf(EQUIPMENT))
    reference_no = fields.String(load_default=None, validate=validators.Length(max=64))
    valid_until = fields.Date(load_default=None)
    evidence_sha256 = _sha256(load_default=None)


class SelfCertificationIn(CertificationIn):
    kind = fields.String(required=True, validate=validators.OneOf(SELF_CERT_KINDS))


class FileUploadIn(Schema):
    file = fields.File(required=True, metadata={"description": "JPEG, PNG, WebP or PDF"})
    purpose = fields.String(
        load_default="evidence",
        validate=validators.OneOf(("evidence", "id_photo")),
        metadata={"description": "id_photo files are encrypted at rest"},
    )


class IdCardPhotosIn(Schema):
    front = fields.File(required=True, metadata={"description": "portrait side (姓名, 号码): JPEG, PNG or WebP"})
    back = fields.File(load_default=None, metadata={"description": "the emblem side (有效期限), optional"})


class CardProblemOut(Schema):
    code = fields.String(metadata={"description": "a stable code the app translates (id_card.PROBLEMS)"})
    message = fields.String(metadata={"description": "the same in English"})
    date = fields.String(metadata={"description": "YYYY-MM-DD, for card_expired"})


class IdCardReadingOut(Schema):
    name = fields.String(allow_none=True)
    id_number = fields.String(allow_none=True, metadata={"description": "as read; not stored, not logged"})
    valid_from = fields.String(allow_none=True, metadata={"description": "YYYY-MM-DD"})
    valid_to = fields.String(allow_none=True, metadata={"description": "YYYY-MM-DD, or long_term (长期)"})
    id_number_valid = fields.Boolean(metadata={"description": "passes GB 11643 (check digit, date, region)"})
    confidence = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        metadata={"description": "0-1 per field read (name, id_number, validity)"},
    )
    problems = fields.List(fields.Nested(CardProblemOut), metadata={"description": "what to check or retake"})


class BankLookupIn(Schema):
    card_number = fields.String(required=True, validate=validators.Length(1, 40))


class BankOut(Schema):
    bank_code = fields.String()
    bank_name = fields.String()
    bank_name_en = fields.String()
    card_type = fields.String(allow_none=True, metadata={"description": "debit, credit, or null when not known"})
    bin = fields.String(metadata={"description": "the prefix that matched"})
    table_date = fields.String(metadata={"description": "date of the BIN table (YYYY-MM-DD)"})


class FileOut(Schema):
    sha256 = fields.String()
    size = fields.Integer()
    content_type = fields.String()


# --- outputs --------------------------------------------------------------------------------------


class RoleOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    description = fields.String(allow_none=True)


class SkillCatalogOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    description = fields.String(allow_none=True)
    requires_certificate = fields.Boolean()


class CatalogueOut(Schema):
    roles = fields.List(fields.Nested(RoleOut))
    skills = fields.List(fields.Nested(SkillCatalogOut))


class PayoutOut(Schema):
    kind = fields.String()
    account = fields.String(metadata={"description": "masked"})
    bank_name = fields.String(allow_none=True)


class MembershipOut(Schema):
    region_id = fields.Integer()
    state = fields.String(metadata={"description": "requested or active"})


class SkillRecordOut(Schema):
    id = fields.Integer()
    technician_id = fields.Integer()
    skill = fields.String(attribute="skill.code")
    skill_name = fields.String(attribute="skill.name")
    level = fields.Integer()
    certificate_no = fields.String(allow_none=True)
    issuer = fields.String(allow_none=True)
    valid_from = fields.Date()
    valid_until = fields.Date(allow_none=True)
    evidence_sha256 = fields.String(allow_none=True)
    state = fields.String()
    verified_by_id = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class CertificationOut(Schema):
    id = fields.Integer()
    technician_id = fields.Integer()
    kind = fields.String()
    score = fields.Integer(allow_none=True)
    years = fields.Integer(allow_none=True)
    item = fields.String(allow_none=True)
    reference_no = fields.String(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    evidence_sha256 = fields.String(allow_none=True)
    verified = fields.Boolean()
    recorded_by_id = fields.Integer()
    created_at = fields.DateTime()


class SigningRecord(Schema):
    agreement_code = fields.String(required=True)
    agreement_version = fields.Integer(required=True, strict=True)
    text_sha256 = fields.String(required=True)
    technician_id = fields.Integer(required=True, strict=True)
    signer_name = fields.String(required=True)
    signed_at = fields.String(required=True, metadata={"description": "UTC, YYYY-MM-DDTHH:MM:SSZ"})
    ip = fields.String(required=True)
    device = fields.String(required=True)


class SignatureOut(Schema):
    id = fields.Integer()
    record = fields.Nested(SigningRecord)
    provider = fields.String()
    key_id = fields.String()
    algorithm = fields.String()
    signature = fields.String(metadata={"description": "base64url Ed25519 signature of the record's canonical JSON"})


class RoleRefOut(Schema):
    """A role named in another answer (without its description)."""

    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class RoleChangeOut(Schema):
    id = fields.Integer()
    technician_id = fields.Integer()
    from_role = fields.Nested(RoleRefOut, allow_none=True)
    to_role = fields.Nested(RoleRefOut)
    reason = fields.String(allow_none=True)
    state = fields.String()
    requested_by_id = fields.Integer()
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class TechnicianOut(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.String()
    phone = fields.String(metadata={"description": "masked"})
    status = fields.String(metadata={"description": f"one of {', '.join(PROFILE_STATES)}"})
    role = fields.Nested(RoleRefOut, allow_none=True)
    legal_name = fields.String(allow_none=True)
    id_number = fields.String(allow_none=True, metadata={"description": "masked, e.g. 110105********002X"})
    id_valid_from = fields.Date(allow_none=True)
    id_valid_to = fields.String(allow_none=True, metadata={"description": "YYYY-MM-DD, long_term, or null"})
    has_id_photo = fields.Boolean()
    payout_account = fields.Nested(PayoutOut, allow_none=True)
    regions = fields.List(fields.Nested(MembershipOut))
    missing = fields.List(fields.String(), metadata={"description": "what is still needed before review"})
    submitted_at = fields.DateTime(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    review_note = fields.String(allow_none=True)
    online = fields.Boolean()
    created_at = fields.DateTime()


class TechnicianDetail(TechnicianOut):
    skills = fields.List(fields.Nested(SkillRecordOut))
    certifications = fields.List(fields.Nested(CertificationOut))
    agreement = fields.Nested(SignatureOut, allow_none=True)
    pending_role_change = fields.Nested(RoleChangeOut, allow_none=True)


class TechnicianPage(Page):
    items = fields.List(fields.Nested(TechnicianOut))


class RoleChangePage(Page):
    items = fields.List(fields.Nested(RoleChangeOut))


class AgreementOut(Schema):
    id = fields.Integer()
    code = fields.String()
    version = fields.Integer()
    title = fields.String()
    body = fields.String()
    body_sha256 = fields.String()
    created_at = fields.DateTime()


class PublicKeyOut(Schema):
    algorithm = fields.String()
    key_id = fields.String()
    public_key = fields.String(metadata={"description": "raw 32-byte key, base64url"})
    public_key_pem = fields.String()
    signed_fields = fields.List(fields.String())
    message = fields.String()


class VerifyIn(Schema):
    record = fields.Nested(SigningRecord, required=True)
    signature = fields.String(required=True, validate=validators.Length(1, 200))


class VerifyOut(Schema):
    valid = fields.Boolean()
    key_id = fields.String()
    matches_stored = fields.Boolean(
        allow_none=True, metadata={"description": "whether the platform holds this exact signed record"}
    )


class DimensionOut(Schema):
    key = fields.String()
    label = fields.String()
    value = fields.Integer(metadata={"description": "0-100"})
    derivation = fields.String()
    inputs = fields.Dict()


class SkillProfileOut(Schema):
    technician_id = fields.Integer()
    as_of = fields.Date()
    dimensions = fields.List(fields.Nested(DimensionOut))


# --- console inputs ---------------------------------------------------------------------------------


class TechnicianQuery(PageQuery):
    region_id = fields.Integer()
    role = fields.String(metadata={"description": "role code"})
    skill = fields.String(metadata={"description": "skill code: verified and valid today"})
    min_level = fields.Integer(validate=validators.Range(1, MAX_SKILL_LEVEL))
    state = fields.String(validate=validators.OneOf(PROFILE_STATES))
    online = fields.Boolean()


class DecisionIn(Schema):
    decision = fields.String(required=True, validate=validators.OneOf(("approve", "reject")))
    note = NOTE


class SkillDecisionIn(Schema):
    decision = fields.String(required=True, validate=validators.OneOf(("verify", "reject")))
    note = NOTE


class RegionsIn(Schema):
    region_ids = fields.List(fields.Integer(), required=True, validate=validators.Length(max=200))


class ConsoleRoleChangeIn(RoleChangeIn):
    technician_id = fields.Integer(required=True)


class RoleChangeQuery(PageQuery):
    state = fields.String(validate=validators.OneOf(("pending", "approved", "rejected")))
    technician_id = fields.Integer()


class RoleIn(Schema):
    code = fields.String(required=True, validate=CODE_RULE)
    name = fields.String(required=True, validate=validators.Length(1, 120))
    description = fields.String(load_default=None, validate=validators.Length(max=500))


class SkillCatalogIn(RoleIn):
    requires_certificate = fields.Boolean(load_default=False)


class TemplateIn(Schema):
    code = fields.String(load_default="service", validate=CODE_RULE)
    title = fields.String(required=True, validate=validators.Length(1, 200))
    body = fields.String(required=True, validate=validators.Length(1, 100_000))


class AuditQuery(PageQuery):
    technician_id = fields.Integer()
    actor_id = fields.Integer()
    action = fields.String(validate=validators.Length(max=64))
    subject_type = fields.String(validate=validators.Length(max=32))
    since = fields.DateTime()
    until = fields.DateTime()


class AuditOut(Schema):
    id = fields.Integer()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    technician_id = fields.Integer(allow_none=True)
    subject_type = fields.String()
    subject_id = fields.Integer(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class AuditPage(Page):
    items = fields.List(fields.Nested(AuditOut))
