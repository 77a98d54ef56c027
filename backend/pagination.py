"""Cursor pagination by ascending id: stable under inserts, no OFFSET scans."""

import base64
import binascii

from backend.errors import fail, field_error
from backend.extensions import db


def paginate(query, id_column, *, limit, cursor):
    """Return (rows, next_cursor) for a select ordered by id."""
    if cursor:
        query = query.where(id_column > _decode(cursor))
    rows = list(db.session.scalars(query.order_by(id_column).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (_encode(rows[-1].id) if more else None)


def _encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, value = raw.split(":", 1)
        if prefix != "id":
            raise ValueError(prefix)
        return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        fail(422, "invalid cursor", errors=[field_error("cursor", "not a cursor this API issued", "query")])
