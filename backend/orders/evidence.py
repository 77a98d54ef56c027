"""An order's evidence files as its client and its dispatchers see them: the files the technician
handed over with the delivery (order.delivery["evidence"]), described from their upload events,
read back from the content-addressed store (backend/storage.py), with image thumbnails.

Who may ask is decided by the caller loading the order (the one order search decides who sees
which order): a file is only ever served as part of an order the caller can see, so another
tenant's or a sibling sub-account's file is a 404 like the order itself.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from backend import storage
from backend.errors import NotFound, ValidationFailed, field_error
from backend.extensions import db
from backend.models import Order, OrderEvent

SHA256 = re.compile(r"^[0-9a-f]{64}$")
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}


@dataclass(frozen=True)
class EvidenceFile:
    sha256: str
    content_type: str
    size: int | None
    uploaded_at: datetime | None

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    def file_name(self, order_id: int) -> str:
        """A download name that says which order the file belongs to."""
        return f"order-{order_id}-{self.sha256[:12]}.{EXTENSIONS.get(self.content_type, 'bin')}"


def delivered_shas(order: Order) -> list[str]:
    return list((order.delivery or {}).get("evidence") or [])


def evidence_files(order: Order) -> list[EvidenceFile]:
    """The delivery's files in the order the technician gave them, each once."""
    uploads = _upload_events(order.id)
    files = []
    for sha in dict.fromkeys(delivered_shas(order)):
        data, at = uploads.get(sha, ({}, None))
        files.append(EvidenceFile(sha, data.get("content_type") or _sniffed(sha), data.get("size"), at))
    return files


def _upload_events(order_id: int) -> dict[str, tuple[dict, datetime]]:
    rows = db.session.execute(
        select(OrderEvent.data, OrderEvent.created_at)
        .where(OrderEvent.order_id == order_id, OrderEvent.action == "evidence_uploaded")
        .order_by(OrderEvent.id)
    )
    return {data["sha256"]: (data, at) for data, at in rows if data and "sha256" in data}


def _sniffed(sha256: str) -> str:
    # A file noted without its type (written before uploads recorded it): its first bytes say.
    try:
        with storage.path_for(sha256).open("rb") as handle:
            return storage.sniff(handle.read(16)) or "application/octet-stream"
    except (OSError, storage.StorageError):
        return "application/octet-stream"


def evidence_file(order: Order, sha256: str) -> EvidenceFile:
    """One file of the order's delivery: 422 for a malformed digest, 404 when it is not one."""
    if not SHA256.match(sha256):
        raise ValidationFailed(
            "not a SHA-256 hex digest", errors=[field_error("sha256", "64 lowercase hex digits", "path")]
        )
    for found in evidence_files(order):
        if found.sha256 == sha256:
            return found
    raise NotFound("evidence")


def content(found: EvidenceFile) -> bytes:
    """The file's bytes (404 when the store lost it)."""
    try:
        return storage.read(found.sha256)
    except (OSError, storage.StorageError) as exc:
        raise NotFound("evidence") from exc


def thumbnail(found: EvidenceFile) -> bytes:
    """A small JPEG of an evidence photo (404 for a PDF: it has none)."""
    if not found.is_image:
        raise NotFound("thumbnail")
    try:
        return storage.thumbnail(found.sha256)
    except storage.StorageError as exc:
        raise NotFound("thumbnail") from exc
