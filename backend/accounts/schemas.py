from apiflask import Schema, validators

from backend import fields
from backend.accounts import api_keys
from backend.accounts.scopes import API_KEY_SCOPES
from backend.shared_schemas import Page

PASSWORD_RULE = validators.Length(min=10, max=128)


class LoginIn(Schema):
    email = fields.Email(required=True)
    password = fields.String(required=True, validate=validators.Length(max=128))


class TokensOut(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class OrganizationIn(Schema):
    name = fields.String(required=True, validate=validators.Length(1, 200))
    parent_id = fields.Integer(load_default=None, metadata={"description": "makes this a sub-account"})
    timezone = fields.String(load_default="Asia/Shanghai", validate=validators.Length(1, 64))


class OrganizationOut(Schema):
    id = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    kind = fields.String()
    name = fields.String()
    timezone = fields.String()
    created_at = fields.DateTime()


class OrganizationPage(Page):
    items = fields.List(fields.Nested(OrganizationOut))


class UserIn(Schema):
    email = fields.Email(required=True)
    name = fields.String(required=True, validate=validators.Length(1, 120))
    password = fields.String(required=True, validate=PASSWORD_RULE)
    role = fields.String(
        required=True, validate=validators.OneOf(("platform_admin", "dispatcher", "client_admin", "client_user"))
    )
    org_id = fields.Integer(load_default=None, metadata={"description": "defaults to the caller's organization"})


class UserPatch(Schema):
    name = fields.String(validate=validators.Length(1, 120))
    is_active = fields.Boolean()
    password = fields.String(validate=PASSWORD_RULE)


class UserOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer(allow_none=True)
    email = fields.String(allow_none=True)
    name = fields.String()
    role = fields.String()
    is_active = fields.Boolean()
    created_at = fields.DateTime()


class UserPage(Page):
    items = fields.List(fields.Nested(UserOut))


class ApiKeyIn(Schema):
    name = fields.String(required=True, validate=validators.Length(1, 120))
    mode = fields.String(required=True, validate=validators.OneOf(("test", "live")))
    scopes = fields.List(
        fields.String(validate=validators.OneOf(API_KEY_SCOPES)), required=True, validate=validators.Length(min=1)
    )
    org_id = fields.Integer(
        load_default=None, metadata={"description": "a sub-account's key; defaults to the caller's"}
    )


class ApiKeyOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    name = fields.String()
    mode = fields.String()
    prefix = fields.Method("_prefix", metadata={"description": "the public start of the key, to recognise it"})
    scopes = fields.List(fields.String())
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)

    def _prefix(self, key) -> str:
        return f"{api_keys.PREFIX}_{key.mode}_{key.key_id}"


class ApiKeyCreated(ApiKeyOut):
    key = fields.String(attribute="plaintext", metadata={"description": "the whole key; shown this once, never again"})


class ApiKeyPage(Page):
    items = fields.List(fields.Nested(ApiKeyOut))
