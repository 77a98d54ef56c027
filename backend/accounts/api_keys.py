"""Client API keys: `gw_<mode>_<key id>_<secret>`, shown once, stored as SHA-256.

The secret is 32 random bytes, so a fast hash is enough (no KDF needed); the key id
is public and finds the row without scanning.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX = "gw"
MODES = ("test", "live")


@dataclass(frozen=True)
class NewKey:
    key_id: str
    secret_hash: str
    plaintext: str


def generate(mode: str) -> NewKey:
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return NewKey(key_id, _digest(secret), f"{PREFIX}_{mode}_{key_id}_{secret}")


def parse(presented: str) -> tuple[str, str, str] | None:
    """Split a presented key into (mode, key id, secret); None when malformed."""
    parts = presented.split("_", 3)
    if len(parts) != 4 or parts[0] != PREFIX or parts[1] not in MODES:
        return None
    return parts[1], parts[2], parts[3]


def matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(_digest(secret), secret_hash)


def looks_like_key(token: str) -> bool:
    return token.startswith(f"{PREFIX}_")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
