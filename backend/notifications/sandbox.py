"""The push sandbox: a stand-in for the push providers in development and tests.

It speaks the two protocols the adapters use and answers like the providers do, so the real
adapter code runs end to end:

- JPush-style v3: `POST /v3/push` with HTTP Basic (app key, master secret); 200 {sendno, msg_id},
  401 {error: {code: 1004}} for wrong credentials, 400 {error: {code: 1011}} for an unknown
  registration id.
- FCM HTTP v1: `POST /token` (OAuth2 JWT-bearer grant, the service-account assertion is checked
  against PUSH_SANDBOX_FCM_PUBLIC_KEY when set) and `POST /v1/projects/<p>/messages:send` with
  the bearer token; 404 NOT_FOUND / UNREGISTERED for an unknown token.

Every call is recorded. Control routes for tests and developers: `GET /sandbox/calls`
(?token=), `DELETE /sandbox/calls`, `PUT /sandbox/dead/<token>` (the provider now reports it
unregistered). State is in memory: run it with one worker (see the Procfile).
"""

import base64
import itertools
import os
import secrets
import threading
import time

import jwt
from flask import Flask, jsonify, request

app = Flask(__name__)
_lock = threading.Lock()
_calls: list[dict] = []
_dead: set[str] = set()
_access_tokens: set[str] = set()
_ids = itertools.count(1)

JPUSH_KEY = os.environ.get("PUSH_SANDBOX_JPUSH_APP_KEY", "sandbox-app-key")
JPUSH_SECRET = os.environ.get("PUSH_SANDBOX_JPUSH_MASTER_SECRET", "sandbox-master-secret")
FCM_PUBLIC_KEY = os.environ.get("PUSH_SANDBOX_FCM_PUBLIC_KEY", "")
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"


def _record(provider, token, status, body):
    with _lock:
        _calls.append(
            {"provider": provider, "token": token, "status": status, "body": body, "at": time.time(), "seq": next(_ids)}
        )


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


# --- JPush-style -----------------------------------------------------------------------------------


@app.post("/v3/push")
def jpush():
    body = request.get_json(silent=True) or {}
    tokens = (body.get("audience") or {}).get("registration_id") or []
    token = tokens[0] if len(tokens) == 1 else None
    if not _basic_auth_ok():
        _record("jpush", token, 401, body)
        return jsonify(error={"code": 1004, "message": "Authen failed"}), 401
    if not tokens or not (body.get("notification") or body.get("message")):
        _record("jpush", token, 400, body)
        return jsonify(error={"code": 1003, "message": "Parameter value is invalid"}), 400
    if all(t in _dead for t in tokens):
        _record("jpush", token, 400, body)
        message = "cannot find user by this audience or has been inactive for more than 255 days"
        return jsonify(error={"code": 1011, "message": message}), 400
    _record("jpush", token, 200, body)
    return {"sendno": "0", "msg_id": str(next(_ids) + 10**9)}


def _basic_auth_ok() -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return False
    return secrets.compare_digest(key, JPUSH_KEY) and secrets.compare_digest(secret, JPUSH_SECRET)


# --- FCM HTTP v1 -----------------------------------------------------------------------------------


@app.post("/token")
def oauth_token():
    if request.form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
        return jsonify(error="unsupported_grant_type"), 400
    try:
        claims = _assertion_claims(request.form.get("assertion", ""))
    except jwt.PyJWTError as exc:
        return jsonify(error="invalid_grant", error_description=str(exc)), 400
    if claims.get("scope") != FCM_SCOPE or not claims.get("iss"):
        return jsonify(error="invalid_scope"), 400
    token = f"ya29.sandbox-{secrets.token_urlsafe(24)}"
    with _lock:
        _access_tokens.add(token)
    return {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}


def _assertion_claims(assertion: str) -> dict:
    audience = request.base_url
    if FCM_PUBLIC_KEY:
        return jwt.decode(assertion, FCM_PUBLIC_KEY, algorithms=["RS256"], audience=audience)
    if jwt.get_unverified_header(assertion).get("alg") != "RS256":
        raise jwt.InvalidAlgorithmError("RS256 expected")
    return jwt.decode(assertion, options={"verify_signature": False}, audience=audience)


@app.post("/v1/projects/<project>/messages:send")
def fcm_send(project):
    body = request.get_json(silent=True) or {}
    token = (body.get("message") or {}).get("token")
    bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if bearer not in _access_tokens:
        _record("fcm", token, 401, body)
        return _fcm_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", None)
    if not token:
        _record("fcm", token, 400, body)
        return _fcm_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", "INVALID_ARGUMENT")
    if token in _dead:
        _record("fcm", token, 404, body)
        return _fcm_error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")
    _record("fcm", token, 200, body)
    return {"name": f"projects/{project}/messages/0:{time.time_ns()}%{secrets.token_hex(8)}"}


def _fcm_error(code, status, message, error_code):
    details = [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code}]
    return jsonify(
        error={"code": code, "message": message, "status": status, "details": details if error_code else []}
    ), code


# --- control ---------------------------------------------------------------------------------------


@app.get("/sandbox/calls")
def calls():
    token = request.args.get("token")
    with _lock:
        items = [c for c in _calls if token is None or c["token"] == token]
    return {"items": items}


@app.delete("/sandbox/calls")
def reset():
    with _lock:
        _calls.clear()
        _dead.clear()
    return "", 204


@app.put("/sandbox/dead/<path:token>")
def mark_dead(token):
    with _lock:
        _dead.add(token)
    return "", 204
