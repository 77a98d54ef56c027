"""Idempotency keys: the same key and body replays the first answer; another body is a 422.

The key row is inserted (INSERT … ON CONFLICT DO NOTHING) in the same transaction as the
work it guards and holds the answer when that transaction commits. A concurrent retry's
INSERT waits on the unique index until the first commits, then finds the stored answer;
if the first rolled back (a 4xx stores nothing), the retry does the work itself.
"""

import hashlib
import json

from flask import g, jsonify, request
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from backend.accounts.auth import current_actor
from backend.errors import fail, field_error
from backend.extensions import db
from backend.models import IdempotencyKey

HEADER = "Idempotency-Key"


def begin(payload):
    """Claim the request's key; returns the stored Response for a replay, else None."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return None
    if len(key) > 200:
        fail(422, "Idempotency-Key is too long", errors=[field_error(HEADER, "at most 200 characters", "headers")])
    org_id = current_actor().org_id or 0
    digest = _digest(payload)
    stmt = (
        insert(IdempotencyKey)
        .values(org_id=org_id, key=key, request_hash=digest)
        .on_conflict_do_nothing(constraint="uq_idempotency_keys_org_key")
        .returning(IdempotencyKey.id)
    )
    inserted = db.session.execute(stmt).first()
    if inserted:
        g.idempotency_id = inserted[0]
        return None
    return _replay(org_id, key, digest)


def _replay(org_id, key, digest):
    row = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.org_id == org_id, IdempotencyKey.key == key))
    if row.request_hash != digest:
        fail(
            422,
            "this Idempotency-Key was used with a different request",
            kind="idempotency-mismatch",
            errors=[field_error(HEADER, "reuse a key only to retry the same request", "headers")],
        )
    response = jsonify(row.response_body)
    response.status_code = row.response_status
    response.headers["Idempotent-Replayed"] = "true"
    return response


def finish(status, body):
    """The Response for this request, stored under its key (if any) before the commit."""
    if "idempotency_id" in g:
        row = db.session.get(IdempotencyKey, g.idempotency_id)
        row.response_status, row.response_body = status, body
    response = jsonify(body)
    response.status_code = status
    return response


def _digest(payload):
    canonical = json.dumps({"path": request.path, "body": payload}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
