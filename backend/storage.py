"""Content-addressed file storage on local disk (ID photos, skill evidence, delivery evidence).

A file is stored once under UPLOAD_DIR/<aa>/<bb>/<sha256> and named by the SHA-256 of
its content, so a reference in a row is also an integrity check. Types are sniffed
from the bytes, not trusted from the client; size is capped per call.

Sensitive files (ID photos) are saved with `sealed=True`: encrypted at rest with the
PII key (backend.pii) under UPLOAD_DIR/sealed/..., still named by the plaintext's digest.
"""

import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError

from backend import pii

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
DOCUMENT_TYPES = (*IMAGE_TYPES, "application/pdf")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
THUMBNAIL_PX = 320
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ROOT = Path(__file__).resolve().parent.parent


class StorageError(ValueError):
    """The file is refused (empty, too large, or of a type not allowed)."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    content_type: str


def sniff(data: bytes) -> str | None:
    """The content type told by the file's first bytes, or None when unknown."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def upload_root() -> Path:
    root = Path(current_app.config.get("UPLOAD_DIR", "var/uploads"))
    return root if root.is_absolute() else _ROOT / root


def path_for(sha256: str, *, sealed=False) -> Path:
    if not _SHA256.match(sha256 or ""):
        raise StorageError("not a SHA-256 hex digest")
    root = upload_root() / "sealed" if sealed else upload_root()
    return root / sha256[:2] / sha256[2:4] / sha256


def save(data: bytes, *, allowed=DOCUMENT_TYPES, max_bytes=DEFAULT_MAX_BYTES, sealed=False) -> StoredFile:
    """Store bytes (idempotent: the same content is stored once) and describe them."""
    if not data:
        raise StorageError("the file is empty")
    if len(data) > max_bytes:
        raise StorageError(f"the file is larger than {max_bytes} bytes")
    content_type = sniff(data)
    if content_type not in allowed:
        raise StorageError(f"the file type is not one of {', '.join(allowed)}")
    sha256 = hashlib.sha256(data).hexdigest()
    target = path_for(sha256, sealed=sealed)
    if not target.exists():
        _write_atomically(target, pii.encrypt_bytes(data, f"file:{sha256}") if sealed else data)
    return StoredFile(sha256, len(data), content_type)


def _write_atomically(target: Path, data: bytes):
    # Write beside the target and rename, so readers never see half a file.
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)


def exists(sha256: str, *, sealed=False) -> bool:
    try:
        return path_for(sha256, sealed=sealed).is_file()
    except StorageError:
        return False


def read(sha256: str, *, sealed=False) -> bytes:
    raw = path_for(sha256, sealed=sealed).read_bytes()
    return pii.decrypt_bytes(raw, f"file:{sha256}") if sealed else raw


def thumbnail(sha256: str, px: int = THUMBNAIL_PX) -> bytes:
    """A JPEG of a stored image at most px on its longer side; StorageError for a PDF or a file
    that is gone (no thumbnail to show)."""
    try:
        image = Image.open(io.BytesIO(read(sha256)))
        image.thumbnail((px, px))
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=80)
    except (FileNotFoundError, UnidentifiedImageError, OSError) as exc:
        raise StorageError("no thumbnail for this file") from exc
    return out.getvalue()
