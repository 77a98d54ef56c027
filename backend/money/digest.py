"""Canonical JSON of a record and its SHA-256, so that anyone can recompute a daily record's digest.

Canonical form: UTF-8, object keys sorted, no insignificant whitespace, non-ASCII characters
written as themselves. Values are restricted so that the form is unambiguous:

- money and counts are integers (a float anywhere is refused: 0.1 yuan is 10 fen);
- Decimals (points, rates) become their exact string (`Decimal("12.50")` -> "12.50");
- dates become ISO 8601 (`2026-12-01`); datetimes must be timezone-aware and become UTC with a
  `Z` (`2026-12-01T15:59:00Z`, microseconds only when present);
- tuples become lists; keys must be ASCII strings.

With these restrictions the output is also what RFC 8785 (JCS) produces for the same data.
"""

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal

MAX_SAFE_INTEGER = 2**53 - 1  # beyond this, JavaScript readers of the JSON lose precision


def canonical_json(value) -> bytes:
    """The canonical UTF-8 bytes of a record."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(value) -> str:
    """SHA-256 of the canonical JSON, as 64 lowercase hex digits."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


def _plain(value):
    if isinstance(value, dict):
        return {_key(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return _scalar(value)


def _scalar(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"integer {value} is beyond the safe JSON range")
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("Decimals in canonical records must be finite")
        return str(value)
    if isinstance(value, datetime):
        return _utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        raise TypeError("floats are not allowed in canonical records; use integer fen or a Decimal")
    raise TypeError(f"{type(value).__name__} has no canonical JSON form")


def _utc_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("datetimes in canonical records must be timezone-aware")
    text = moment.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def _key(key) -> str:
    if not isinstance(key, str) or not key.isascii():
        raise TypeError("keys of canonical records must be ASCII strings")
    return key
