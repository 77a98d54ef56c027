"""Idempotency keys: the same key and body replays the first answer; another body is a 422.

The key row is inserted (INSERT … ON CONFLICT DO NOTHING) in the same transaction as the
work it guards and holds the answer when that transaction commits. A concurrent retry's
INSERT waits on the unique index until the first commits, then finds the stored answer;
if the first rolled back (a 4xx stores nothing), the retry does the work itself.

The route reads the header and passes the key in; nothing here knows HTTP.
"""

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from backend.errors import IdempotencyMismatch, field_error
from backend.extensions import db
from backend.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Claim:
    """A claimed key: either ours to answer (`row_id`) or a replay of the first answer."""

    row_id: int | None = None
    replay_status: int | None = None
    replay_body: dict | None = None

    @property
    def is_replay(self) -> bool:
        return self.row_id is None


def begin(org_id: int, key: str, path: str, payload) -> Claim:
    """Claim `key` for this request (path and body); a retry gets the stored first answer."""
    digest = _digest(path, payload)
    stmt = (
        insert(IdempotencyKey)
        .values(org_id=org_id, key=key, request_hash=digest)
        .on_conflict_do_nothing(constraint="uq_idempotency_keys_org_key")
        .returning(IdempotencyKey.id)
    )
    inserted = db.session.execute(stmt).first()
    if inserted:
        return Claim(row_id=inserted[0])
    row = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.org_id == org_id, IdempotencyKey.key == key))
    if row.request_hash != digest:
        raise IdempotencyMismatch(
            "this Idempotency-Key was used with a different request",
            errors=[field_error(HEADER, "reuse a key only to retry the same request", "headers")],
        )
    return Claim(replay_status=row.response_status, replay_body=row.response_body)


def finish(claim: Claim | None, status: int, body: dict):
    """Store the answer under the claimed key (before the commit)."""
    if claim is not None and not claim.is_replay:
        row = db.session.get(IdempotencyKey, claim.row_id)
        row.response_status, row.response_body = status, body


def _digest(path, payload):
    canonical = json.dumps({"path": path, "body": payload}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
