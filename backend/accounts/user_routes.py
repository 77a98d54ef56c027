"""People of an organization, and the organization's API keys."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from backend.accounts import api_keys
from backend.accounts.auth import current_actor, requires
from backend.accounts.passwords import hash_password
from backend.accounts.schemas import (
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    ApiKeyPage,
    UserIn,
    UserOut,
    UserPage,
    UserPatch,
)
from backend.accounts.tenancy import get_visible_or_404, require_org_in_reach, scope_to_tenant
from backend.blueprints import SECURITY, api
from backend.errors import fail, field_error
from backend.extensions import db
from backend.models import ApiKey, User
from backend.models.accounts import CLIENT_ROLES, PLATFORM_ROLES
from backend.pagination import paginate
from backend.shared_schemas import PageQuery


@api.post("/users")
@requires("users:manage")
@api.input(UserIn, arg_name="body")
@api.output(UserOut, status_code=201)
@api.doc(summary="Create a user", tags=["users"], security=SECURITY)
def create_user(body):
    """Create a user in one's own organization tree (staff: anywhere)."""
    actor = current_actor()
    org_id = body["org_id"] or actor.org_id
    require_org_in_reach(org_id)
    _check_role_for_org(body["role"], actor)
    if db.session.scalar(select(User.id).where(func.lower(User.email) == body["email"].lower())):
        fail(
            409,
            "that email is already registered",
            errors=[field_error("email", "already registered")],
            kind="conflict",
        )
    user = User(
        org_id=org_id,
        email=body["email"].lower(),
        name=body["name"],
        role=body["role"],
        password_hash=hash_password(body["password"]),
    )
    db.session.add(user)
    db.session.commit()
    return user


def _check_role_for_org(role, actor):
    # Only platform admins make platform staff; clients make client users only.
    allowed = PLATFORM_ROLES + CLIENT_ROLES if actor.role == "platform_admin" else CLIENT_ROLES
    if role not in allowed:
        fail(403, f"you cannot create a {role}", errors=[field_error("role", f"one of {allowed}")], kind="forbidden")


@api.get("/users")
@requires("users:read")
@api.input(PageQuery, location="query", arg_name="query")
@api.output(UserPage)
@api.doc(summary="Users the caller can see", tags=["users"], security=SECURITY)
def list_users(query):
    """Users of the caller's organization tree."""
    stmt = scope_to_tenant(select(User), User.org_id)
    items, cursor = paginate(stmt, User.id, limit=query["limit"], cursor=query["cursor"])
    return {"items": items, "next_cursor": cursor}


@api.get("/users/<int:user_id>")
@requires("users:read")
@api.output(UserOut)
@api.doc(summary="One user", tags=["users"], security=SECURITY)
def get_user(user_id):
    """One user."""
    return get_visible_or_404(User, user_id, what="user")


@api.patch("/users/<int:user_id>")
@requires("users:manage")
@api.input(UserPatch, arg_name="body")
@api.output(UserOut)
@api.doc(summary="Rename, deactivate or reset a user's password", tags=["users"], security=SECURITY)
def update_user(user_id, body):
    """Rename, deactivate or reset the password of a user."""
    user = get_visible_or_404(User, user_id, what="user")
    if user.role in PLATFORM_ROLES and current_actor().role != "platform_admin":
        fail(403, "only platform admins change platform staff", kind="forbidden")
    if "password" in body:
        user.password_hash = hash_password(body.pop("password"))
    for key, value in body.items():
        setattr(user, key, value)
    db.session.commit()
    return user


@api.post("/api-keys")
@requires("keys:manage")
@api.input(ApiKeyIn, arg_name="body")
@api.output(ApiKeyCreated, status_code=201)
@api.doc(summary="Create an API key (the key is shown once)", tags=["api-keys"], security=SECURITY)
def create_api_key(body):
    """Create a client API key; the whole key appears in this answer only."""
    actor = current_actor()
    org_id = body["org_id"] or actor.org_id
    if org_id is None:
        fail(422, "name the client organization", errors=[field_error("org_id", "required for platform staff")])
    require_org_in_reach(org_id)
    new = api_keys.generate(body["mode"])
    key = ApiKey(
        org_id=org_id,
        name=body["name"],
        mode=body["mode"],
        key_id=new.key_id,
        secret_hash=new.secret_hash,
        scopes=sorted(set(body["scopes"])),
        created_by_id=actor.user_id,
    )
    db.session.add(key)
    db.session.commit()
    key.plaintext = new.plaintext  # not a column: this answer only (ApiKeyCreated.key)
    return key


@api.get("/api-keys")
@requires("keys:manage")
@api.input(PageQuery, location="query", arg_name="query")
@api.output(ApiKeyPage)
@api.doc(summary="API keys of the caller's organizations", tags=["api-keys"], security=SECURITY)
def list_api_keys(query):
    """API keys of the caller's organizations (never the secret)."""
    stmt = scope_to_tenant(select(ApiKey), ApiKey.org_id)
    items, cursor = paginate(stmt, ApiKey.id, limit=query["limit"], cursor=query["cursor"])
    return {"items": items, "next_cursor": cursor}


@api.delete("/api-keys/<int:key_id>")
@requires("keys:manage")
@api.output(ApiKeyOut)
@api.doc(summary="Revoke an API key", tags=["api-keys"], security=SECURITY)
def revoke_api_key(key_id):
    """Revoke an API key; it stops working at once."""
    key = get_visible_or_404(ApiKey, key_id, what="API key")
    key.revoked_at = key.revoked_at or datetime.now(UTC)
    db.session.commit()
    return key
