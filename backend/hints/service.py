"""Work hints and site history.

The hint for an order is the newest version kept by the order's client, else by the nearest
parent organization, else by the platform. No hint is an answer, not an error.
"""

from sqlalchemy import func, select

from backend import storage
from backend.accounts.tenancy import org_ancestor_ids
from backend.errors import NotFound
from backend.extensions import db
from backend.models import Order, Technician, WorkHint
from backend.models.base import utcnow

HINT_LOCK = 4015  # advisory-lock namespace: one new version at a time per owner and work type
HISTORY_LIMIT = 5
DONE = ("delivered", "verified")


def current_hint(org_id: int, work_type: str) -> WorkHint | None:
    owners = org_ancestor_ids(org_id)
    rank = {owner: i for i, owner in enumerate(owners)}
    newest = (
        select(func.max(WorkHint.id))
        .where(WorkHint.work_type == work_type, WorkHint.org_id.in_(owners) | WorkHint.org_id.is_(None))
        .group_by(WorkHint.org_id)
    )
    latest = list(db.session.scalars(select(WorkHint).where(WorkHint.id.in_(newest))))
    latest.sort(key=lambda h: rank.get(h.org_id, len(owners)))  # the client's own first, the platform's last
    return latest[0] if latest else None


def save_hint(org_id: int | None, work_type: str, body: dict, user_id: int | None) -> WorkHint:
    """A new version of the owner's hint for this work type (earlier versions stay)."""
    key = func.hashtext(f"{org_id or 0}:{work_type}")
    db.session.execute(select(func.pg_advisory_xact_lock(HINT_LOCK, key)))
    last = db.session.scalar(
        select(func.max(WorkHint.version)).where(
            func.coalesce(WorkHint.org_id, 0) == (org_id or 0), WorkHint.work_type == work_type
        )
    )
    hint = WorkHint(
        org_id=org_id,
        work_type=work_type,
        version=(last or 0) + 1,
        procedure=body["procedure"],
        tools=body["tools"],
        spare_parts=body["spare_parts"],
        safety_notes=body["safety_notes"],
        created_by_id=user_id,
        created_at=utcnow(),
    )
    db.session.add(hint)
    db.session.flush()
    return hint


def versions(org_id: int | None, work_type: str) -> list[WorkHint]:
    return list(
        db.session.scalars(
            select(WorkHint)
            .where(func.coalesce(WorkHint.org_id, 0) == (org_id or 0), WorkHint.work_type == work_type)
            .order_by(WorkHint.version.desc())
        )
    )


# --- site history ------------------------------------------------------------------------------


def site_history(order: Order, limit: int = HISTORY_LIMIT) -> list[dict]:
    """The last finished orders at the order's site, newest first, with what was left behind."""
    if order.site_id is None:
        return []
    delivered_at = Order.delivery["delivered_at"].astext
    rows = db.session.execute(
        select(Order, Technician)
        .join(Technician, Technician.id == Order.technician_id)
        .where(Order.site_id == order.site_id, Order.id != order.id, Order.status.in_(DONE))
        .order_by(delivered_at.desc().nulls_last(), Order.id.desc())
        .limit(limit)
    ).all()
    return [_visit(order.id, past, technician) for past, technician in rows]


def _visit(order_id: int, past: Order, technician: Technician) -> dict:
    delivery = past.delivery or {}
    return {
        "order_id": past.id,
        "work_type": past.work_type,
        "status": past.status,
        "delivered_at": delivery.get("delivered_at"),
        "notes": delivery.get("notes"),
        "readings": delivery.get("readings") or {},
        "evidence": [
            {
                "sha256": sha,
                "thumbnail_url": f"/api/mobile/v1/orders/{order_id}/site-history/{past.id}/thumbnails/{sha}",
            }
            for sha in delivery.get("evidence") or []
        ],
        "technician": first_name(technician.user.name),
        "quality_rating": past.quality_rating,
    }


def first_name(name: str) -> str:
    """A name masked to its first part: 'Li Ming' -> 'Li'; a Chinese name -> surname + 师傅
    (how Chinese service apps address a worker), so neither the full name nor its length shows."""
    name = (name or "").strip()
    if not name:
        return ""
    if name[0].isascii():
        return name.split()[0]
    return f"{name[0]}师傅"


def thumbnail(order: Order, past_order_id: int, sha256: str) -> bytes:
    """A small JPEG of one evidence photo of an earlier order at the same site (404 otherwise)."""
    past = db.session.get(Order, past_order_id)
    if (
        past is None
        or order.site_id is None
        or past.site_id != order.site_id
        or past.status not in DONE
        or sha256 not in ((past.delivery or {}).get("evidence") or [])
    ):
        raise NotFound("evidence")
    try:
        return storage.thumbnail(sha256)
    except storage.StorageError as exc:
        raise NotFound("evidence") from exc  # a PDF, or a file gone from storage: no thumbnail
