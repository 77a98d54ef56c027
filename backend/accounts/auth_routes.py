"""Sign-in for people: JWT access and refresh tokens.

Refresh tokens rotate: each use revokes the token and issues a new pair in the same family
(the `fam` claim, shared by the access tokens). A rotated refresh token presented again means a
copy is in someone else's hands, so the whole family is revoked, the newest tokens included
(OAuth 2.0 Security Best Current Practice, refresh token rotation).
"""

import time
import uuid

from flask import current_app, request
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt, get_jwt_identity, jwt_required
from sqlalchemy import func, select

from backend.accounts.auth import current_actor, public
from backend.accounts.passwords import verify_password
from backend.accounts.schemas import LoginIn, TokensOut, UserOut
from backend.blueprints import SECURITY, api
from backend.errors import fail
from backend.extensions import db, jwt
from backend.models import User
from backend.rate_limit import hit
from backend.redis_client import get_redis

LOGIN_ATTEMPTS = (10, 300)  # per email and address, per 5 minutes
REVOKED_PREFIX = "gridwork:jwt:revoked:"
ROTATED_PREFIX = "gridwork:jwt:rotated:"
FAMILY_REVOKED_PREFIX = "gridwork:jwt:family-revoked:"


def issue_tokens(user: User, family: str | None = None) -> dict:
    """A new access and refresh token; a sign-in starts a family, a refresh continues it."""
    claims = {"role": user.role, "org_id": user.org_id, "fam": family or uuid.uuid4().hex}
    return {
        "access_token": create_access_token(str(user.id), additional_claims=claims),
        "refresh_token": create_refresh_token(str(user.id), additional_claims=claims),
        "token_type": "Bearer",
        "expires_in": current_app.config["JWT_ACCESS_TOKEN_EXPIRES"],
    }


@api.post("/auth/login")
@public
@api.input(LoginIn, arg_name="body")
@api.output(TokensOut)
@api.doc(summary="Sign in with email and password", tags=["auth"])
def login(body):
    """Sign in with email and password."""
    hit(f"login:{body['email'].lower()}:{request.remote_addr}", *LOGIN_ATTEMPTS, what="sign-in attempts")
    user = db.session.scalar(select(User).where(func.lower(User.email) == body["email"].lower()))
    if not verify_password(user.password_hash if user else None, body["password"]) or not user.is_active:
        fail(401, "wrong email or password", kind="unauthorized")
    return issue_tokens(user)


@api.post("/auth/refresh")
@api.output(TokensOut)
@api.doc(summary="Trade a refresh token for new tokens", tags=["auth"], security=[{"BearerAuth": []}])
@jwt_required(refresh=True)
def refresh():
    """Trade a refresh token for a new pair (the old refresh token is revoked)."""
    user = db.session.get(User, int(get_jwt_identity()))
    if user is None or not user.is_active:
        fail(401, "this account is not active", kind="unauthorized")
    claims = get_jwt()
    _revoke(claims)
    _mark_rotated(claims)
    return issue_tokens(user, family=claims.get("fam"))


@api.post("/auth/logout")
@api.output({}, status_code=204)
@api.doc(summary="Revoke the token sent", tags=["auth"], security=[{"BearerAuth": []}])
@jwt_required(verify_type=False)
def logout():
    """Revoke the token sent (access or refresh)."""
    _revoke(get_jwt())
    return ""


@api.get("/auth/me")
@api.output(UserOut)
@api.doc(summary="The signed-in person", tags=["auth"], security=SECURITY)
def me():
    """The signed-in person."""
    actor = current_actor()
    if actor.kind != "user":
        fail(403, "API keys have no person behind them", kind="forbidden")
    return db.session.get(User, actor.id)


def _revoke(claims):
    ttl = max(int(claims["exp"] - time.time()), 1)
    get_redis().set(REVOKED_PREFIX + claims["jti"], 1, ex=ttl)


def _mark_rotated(claims):
    ttl = max(int(claims["exp"] - time.time()), 1)
    get_redis().set(ROTATED_PREFIX + claims["jti"], 1, ex=ttl)


def _revoke_family(family: str):
    get_redis().set(FAMILY_REVOKED_PREFIX + family, 1, ex=current_app.config["JWT_REFRESH_TOKEN_EXPIRES"])


@jwt.token_in_blocklist_loader
def _is_revoked(_header, payload):
    redis, family = get_redis(), payload.get("fam")
    keys = [REVOKED_PREFIX + payload["jti"]] + ([FAMILY_REVOKED_PREFIX + family] if family else [])
    if not redis.exists(*keys):
        return False
    if family and payload.get("type") == "refresh" and redis.exists(ROTATED_PREFIX + payload["jti"]):
        _revoke_family(family)  # a rotated refresh token used again: end every token of its family
    return True
