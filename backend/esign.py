"""Agreement signing: the platform's Ed25519 signature over a signing record.

The signed message is the canonical JSON (sorted keys, no spaces, UTF-8) of the
record's fields (`SIGNED_FIELDS`), so anyone holding the published public key can
check that a record was issued by the platform and has not been altered.

`ESignProvider` is the seam for a third-party e-sign service: it takes the record
and returns a `Seal`. The built-in `PlatformSigner` signs locally with
PLATFORM_SIGNING_KEY (a 32-byte Ed25519 seed, base64url).
"""

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

ALGORITHM = "Ed25519"
SIGNED_FIELDS = (
    "agreement_code",
    "agreement_version",
    "text_sha256",
    "technician_id",
    "signer_name",
    "signed_at",
    "ip",
    "device",
)


@dataclass(frozen=True)
class Seal:
    provider: str
    key_id: str
    signature: str  # base64url, no padding


class ESignProvider(Protocol):
    name: str

    def seal(self, record: dict) -> Seal: ...


def canonical(record: dict, fields=SIGNED_FIELDS) -> bytes:
    """The exact bytes that are signed: only the signed fields, in canonical JSON."""
    payload = {name: record[name] for name in fields}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PlatformSigner:
    """Signs with the platform's own Ed25519 key."""

    name = "platform"

    def __init__(self, seed_b64: str):
        self._private = Ed25519PrivateKey.from_private_bytes(_unb64(seed_b64))

    def public_bytes(self) -> bytes:
        return self._private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        # A short fingerprint lets verifiers pick the right key after a rotation.
        return hashlib.sha256(self.public_bytes()).hexdigest()[:16]

    def seal(self, record: dict, fields=SIGNED_FIELDS) -> Seal:
        """Sign the record's `fields` (an agreement's by default; work records name theirs)."""
        return Seal(self.name, self.key_id, _b64(self._private.sign(canonical(record, fields))))

    def public_key_document(self) -> dict:
        pem = self._private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "algorithm": ALGORITHM,
            "key_id": self.key_id,
            "public_key": _b64(self.public_bytes()),
            "public_key_pem": pem.decode(),
            "signed_fields": list(SIGNED_FIELDS),
            "message": "canonical JSON of the signed fields: sorted keys, separators ',' ':', UTF-8",
        }


def platform_signer() -> PlatformSigner:
    return PlatformSigner(current_app.config["PLATFORM_SIGNING_KEY"])


def verify(record: dict, signature: str, public_key: bytes, fields=SIGNED_FIELDS) -> bool:
    """True when `signature` is a valid Ed25519 signature of the record's canonical form."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(_unb64(signature), canonical(record, fields))
    except (InvalidSignature, ValueError):
        return False
    return True


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
