"""Resolve the caller (the Actor) once per request and check scopes per route (deny by default)."""

from datetime import UTC, datetime
from functools import wraps

from flask import g, request
from flask_jwt_extended import get_jwt, get_jwt_identity, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt.exceptions import PyJWTError
from sqlalchemy import select

from backend.accounts import api_keys
from backend.accounts.actor import Actor
from backend.accounts.scopes import ROLE_SCOPES
from backend.errors import fail, problem_response
from backend.extensions import db, jwt
from backend.models import ApiKey, User


def public(view):
    """Mark a route as open to anonymous callers (sign-in, registration, public keys).
    Every other route must use `requires`; a test walks the URL map to check."""
    view.public = True
    return view


def requires(*scopes):
    """Route decorator: the caller must be signed in and hold every scope named."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            actor = current_actor()
            missing = [s for s in scopes if s not in actor.scopes]
            if missing:
                fail(403, f"this action needs the scope(s): {', '.join(missing)}", kind="forbidden")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_actor() -> Actor:
    if "actor" not in g:
        g.actor = _resolve()
    return g.actor


def _resolve() -> Actor:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    token = token or request.headers.get("X-API-Key", "").strip()
    if not token:
        fail(401, "sign in (Bearer JWT) or send a client API key", kind="unauthorized")
    if api_keys.looks_like_key(token):
        return _from_api_key(token)
    return _from_jwt()


def _from_jwt() -> Actor:
    try:
        verify_jwt_in_request()
    except (JWTExtendedException, PyJWTError) as exc:
        fail(401, f"invalid token: {exc}", kind="unauthorized")
    if get_jwt().get("type") != "access":
        fail(401, "an access token is required", kind="unauthorized")
    user = db.session.get(User, int(get_jwt_identity()))
    if user is None or not user.is_active:
        fail(401, "this account is not active", kind="unauthorized")
    return actor_for_user(user)


def actor_for_user(user: User) -> Actor:
    return Actor("user", user.id, user.org_id, user.role, ROLE_SCOPES[user.role])


def _from_api_key(token: str) -> Actor:
    parsed = api_keys.parse(token)
    key = parsed and db.session.scalar(select(ApiKey).where(ApiKey.key_id == parsed[1]))
    if not key or key.revoked_at or key.mode != parsed[0] or not api_keys.matches(parsed[2], key.secret_hash):
        fail(401, "unknown or revoked API key", kind="unauthorized")
    key.last_used_at = datetime.now(UTC)
    return Actor("api_key", key.id, key.org_id, "client_api", frozenset(key.scopes))


# The JWT library answers its own errors ({"msg": …}, some as 422); every one is a 401 problem here.
def _unauthorized(detail):
    return problem_response(401, detail, kind="unauthorized")


jwt.unauthorized_loader(lambda reason: _unauthorized(f"sign in: {reason}"))
jwt.invalid_token_loader(lambda reason: _unauthorized(f"invalid token: {reason}"))
jwt.expired_token_loader(lambda _header, _payload: _unauthorized("the token has expired"))
jwt.revoked_token_loader(lambda _header, _payload: _unauthorized("the token has been revoked"))
jwt.needs_fresh_token_loader(lambda _header, _payload: _unauthorized("a fresh sign-in is required"))
jwt.token_verification_failed_loader(lambda _header, _payload: _unauthorized("the token's claims were refused"))
jwt.user_lookup_error_loader(lambda _header, _payload: _unauthorized("the token's user is unknown"))
