"""Sensitive personal information (PIPL): encryption at rest, keyed hashes, masking.

- `encrypt`/`decrypt`: AES-256-GCM with PII_ENCRYPTION_KEY. The stored value is
  version byte + 12-byte nonce + ciphertext; the column name is bound in as
  associated data, so a ciphertext copied into another column fails to decrypt.
- `lookup_hash`: HMAC-SHA256 with PII_HASH_KEY, for uniqueness checks without
  decrypting (a plain hash of an 18-digit ID is brute-forceable; a keyed one is not).
- `mask_*`: the only form that leaves the service.

Nothing here logs; callers must not log plaintext either.
"""

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

VERSION = b"\x01"
NONCE_BYTES = 12


def _key(name: str) -> bytes:
    raw = current_app.config[name]
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))


def encrypt_bytes(plaintext: bytes, context: str) -> bytes:
    """Encrypt bytes for the place named by `context` (a column name, a file's digest)."""
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + nonce + AESGCM(_key("PII_ENCRYPTION_KEY")).encrypt(nonce, plaintext, context.encode())


def decrypt_bytes(stored: bytes, context: str) -> bytes:
    """Decrypt what `encrypt_bytes` wrote for the same context."""
    stored = bytes(stored)
    if stored[:1] != VERSION:
        raise ValueError("unknown PII ciphertext version")
    nonce, sealed = stored[1 : 1 + NONCE_BYTES], stored[1 + NONCE_BYTES :]
    return AESGCM(_key("PII_ENCRYPTION_KEY")).decrypt(nonce, sealed, context.encode())


def encrypt(plaintext: str, context: str) -> bytes:
    """Encrypt a text value for the column named by `context`."""
    return encrypt_bytes(plaintext.encode(), context)


def decrypt(stored: bytes, context: str) -> str:
    """Decrypt a value written by `encrypt` for the same column."""
    return decrypt_bytes(stored, context).decode()


def lookup_hash(value: str, context: str) -> str:
    """Keyed hash for equality lookups; the context keeps ID and card hashes apart."""
    message = f"{context}:{value}".encode()
    return hmac.new(_key("PII_HASH_KEY"), message, hashlib.sha256).hexdigest()


def mask_id_number(number: str) -> str:
    """11010519900101002X → 110105********002X: region code and last four stay."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_card(number: str) -> str:
    """Only the last four digits of a card stay visible."""
    return "*" * (len(number) - 4) + number[-4:]


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678."""
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def mask_alipay(account: str) -> str:
    """An Alipay account is a phone number or an email address."""
    if "@" in account:
        name, domain = account.split("@", 1)
        return f"{name[:1]}***@{domain}"
    return mask_phone(account)
